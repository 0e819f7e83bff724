"""Do real interview notes confirm or contradict a hypothesis?

Two steps, both deterministic:

1. **Related**: the note sentences whose embedding (all-MiniLM-L6-v2 by default,
   the workspace's embedding function) has a cosine similarity of at least
   :data:`RELATED` with the hypothesis talk about the same thing.
2. **Polarity**: a related sentence *contradicts* when its polarity differs
   from the hypothesis: an odd number of negations more or fewer ("never",
   "don't", "nobody" …), or words from the opposite side of a small antonym
   list (quick/slow, easy/hard, cheap/expensive, love/hate, often/rarely …).
   Otherwise it *confirms*.

The verdict sums the similarity of confirming and contradicting sentences;
the larger side wins. Similarity alone cannot tell agreement from
disagreement (both are "about" the hypothesis), which is why the cue step
exists. :data:`RELATED` was calibrated on ``eval/data/research_support.csv``
(``python -m eval research`` reports the accuracy). This is the one place the
brief asks, so a shared support check can replace it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["RELATED", "Embed", "Support", "check_support", "flips", "sentences"]

RELATED = 0.3
"""Cosine similarity from which a note sentence is about the hypothesis."""

Embed = Callable[[list[str]], Any]
"""Texts → vectors (a Chroma embedding function, or any callable returning a matrix)."""

_NEGATIONS = re.compile(
    r"(?i)\b(not|no|never|nobody|nothing|none|neither|nor|without|hardly|barely|"
    r"no longer|\w+n't|cannot)\b"
)
# Each pair: words on one side of a scale, words on the other.
_ANTONYMS: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(a.split()), frozenset(b.split()))
    for a, b in (
        (
            "quick quickly fast faster instantly immediately prompt promptly soon minute "
            "minutes hour hour same-day",
            "slow slowly weeks week months month forever ages late delay delayed waited",
        ),
        ("easy easier easiest simple simply smooth effortless", "hard harder difficult "
         "confusing complicated frustrating annoying trouble struggle"),
        ("cheap cheaper affordable inexpensive bargain bargains", "expensive pricey costly "
         "overpriced"),
        ("love loves like likes enjoy enjoys prefer prefers happily glad", "hate hates "
         "dislike dislikes avoid avoids"),
        ("always often every weekly daily regularly routine usually", "rarely seldom "
         "occasionally never"),
        ("worth worthwhile", "overpriced waste"),
    )
)  # fmt: skip
_WORD = re.compile(r"[a-z][a-z'-]*")
# The interviewer's lines and any question are not what the customer said.
_ASKER = re.compile(
    r"(?i)^\W*(interviewer|moderator|researcher|facilitator|q|i|int)\s*(\([^)]*\))?\s*[:\-–]"
)
_SPEAKER = re.compile(r"^[^\s:][^:]{0,40}:\s")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Support:
    """What the notes say about one hypothesis."""

    verdict: Literal["confirmed", "contradicted"] | None
    """``None``: no note sentence is about it."""
    sentence: str = ""
    """The most similar sentence on the winning side."""
    similarity: float = 0.0


def sentences(text: str) -> list[str]:
    """What the participant said: sentences of at least three words, without the
    interviewer's lines (``Interviewer:``, ``Q:`` …), questions or Markdown headings."""
    turns: list[list[str]] = [[]]
    asking = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            turns.append([])
            asking = asking and bool(stripped)
            continue
        if _ASKER.match(stripped):
            asking = True
            turns.append([])
            continue
        if _SPEAKER.match(stripped):
            asking = False  # another speaker's turn starts
            turns.append([])
        if not asking:
            turns[-1].append(stripped)
    out = []
    for turn in turns:
        for part in _SENTENCE.split(" ".join(turn)):
            clean = " ".join(part.split())
            if len(clean.split()) >= 3 and not clean.endswith("?"):
                out.append(clean)
    return out


def _negations(text: str) -> int:
    return len(_NEGATIONS.findall(text))


def _sides(words: set[str]) -> list[int]:
    """Per antonym pair: +1 (first side), -1 (second side), 0 (neither or both)."""
    out = []
    for first, second in _ANTONYMS:
        a, b = bool(words & first), bool(words & second)
        out.append(0 if a == b else (1 if a else -1))
    return out


def flips(hypothesis: str, sentence: str) -> bool:
    """True when ``sentence`` states the opposite of ``hypothesis`` (by the cues above)."""
    flipped = (_negations(hypothesis) - _negations(sentence)) % 2 == 1
    h_words = set(_WORD.findall(hypothesis.lower()))
    s_words = set(_WORD.findall(sentence.lower()))
    for h, s in zip(_sides(h_words), _sides(s_words), strict=True):
        if h and s and h != s:
            flipped = not flipped
    return flipped


def _unit(vectors: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    array = np.asarray(vectors, dtype="float64")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.where(norms == 0, 1.0, norms)


def check_support(
    hypotheses: Sequence[str], notes: Sequence[str], embed: Embed, *, related: float = RELATED
) -> list[Support]:
    """One :class:`Support` per hypothesis from the sentences of ``notes``."""
    pieces = [s for note in notes for s in sentences(note)]
    if not hypotheses:
        return []
    if not pieces:
        return [Support(None) for _ in hypotheses]
    vectors = _unit(embed([*hypotheses, *pieces]))
    similarity = vectors[: len(hypotheses)] @ vectors[len(hypotheses) :].T
    out = []
    for row, hypothesis in enumerate(hypotheses):
        score = {"confirmed": 0.0, "contradicted": 0.0}
        best: dict[str, tuple[float, str]] = {}
        for column, sentence in enumerate(pieces):
            value = float(similarity[row, column])
            if value < related:
                continue
            side = "contradicted" if flips(hypothesis, sentence) else "confirmed"
            score[side] += value
            if value > best.get(side, (-1.0, ""))[0]:
                best[side] = (value, sentence)
        if not best:
            out.append(Support(None))
            continue
        side = max(best, key=lambda name: (score[name], name == "contradicted"))
        value, sentence = best[side]
        out.append(Support(side, sentence, round(value, 4)))  # type: ignore[arg-type]
    return out
