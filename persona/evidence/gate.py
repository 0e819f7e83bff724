"""The quality gate every model-written text passes before a person sees it.

A small model writes "high mpego", "Minkgere" or "mkoopkezek__def-bef" as
fluently as a sentence; nothing else in the pipeline would notice. The gate
rejects a text that

* ``non_words``: holds words that are not English (by the ``wordfreq`` list),
  not numbers, not names and not the project's own vocabulary (category labels,
  data-dictionary words, persona names);
* ``code``: repeats a column code (``MOPLLAAG``), a fact name or any snake_case
  identifier;
* ``field``: starts with or repeats a field name ("goals:", "pain_points");
* ``prompt``: repeats the prompt's instructions (five words in a row);
* ``empty``: has no content word ("N/A", "none", "the").
* ``contradiction``: states a number that matches no fact.

The checks are deterministic and favour precision on the texts that matter:
a rejected item is re-asked once, then replaced by composed text or dropped
with a visible note (the callers decide which).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from persona.facts import invented_numbers
from persona.models import SegmentFacts

__all__ = [
    "GATE_KINDS",
    "MAX_NON_WORD_SHARE",
    "GateProblem",
    "QualityGate",
    "is_word",
    "non_words",
    "tokens",
]

GATE_KINDS = ("non_words", "code", "field", "prompt", "empty", "contradiction")
MAX_NON_WORD_SHARE = 0.05
"""A text with more than this share of non-words (or two of them) is rejected."""
MIN_ZIPF = 1.0
"""wordfreq Zipf frequency below which a token is not an English word (1 = once per 100M words)."""
_FUNCTION_ZIPF = 6.3
"""Tokens at least this frequent ("the", "and", "is") carry no content by themselves."""

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
_SNAKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b")
_FIELD_NAMES = (
    "name", "occupation", "background", "goals", "challenges", "needs", "pain points",
    "pain_points", "personality", "hobbies", "behaviour patterns", "behaviour_patterns",
    "channels", "quote", "sources", "text",
)  # fmt: skip
_FIELD_START = re.compile(
    r"^\s*(?:" + "|".join(re.escape(n) for n in _FIELD_NAMES) + r")\s*[:=]", re.IGNORECASE
)
_EMPTY = re.compile(r"(?i)^\W*(n/?a|none|nothing|null|unknown|no answer|tbd|-+)?\W*$")


@dataclass(frozen=True)
class GateProblem:
    """Why a text was rejected: the kind (one of :data:`GATE_KINDS`) and what was found."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def tokens(text: str) -> list[str]:
    """The words and numbers of ``text`` (apostrophes kept inside words)."""
    return _TOKEN.findall(text.replace("’", "'"))


@functools.lru_cache(maxsize=65536)
def is_word(token: str) -> bool:
    """Whether ``token`` is an English word by the wordfreq list (numbers count as words)."""
    from wordfreq import zipf_frequency  # loads its frequency table (~0.2 s) on first use

    if any(ch.isdigit() for ch in token):
        return True
    return zipf_frequency(token.lower(), "en") >= MIN_ZIPF


def non_words(text: str, allowed: Iterable[str] = ()) -> tuple[list[str], int]:
    """``(tokens that are not words, number of tokens)`` of ``text``.

    ``allowed`` words (case-insensitive) count as words: names, category labels,
    data-dictionary words. A hyphenated or joined token counts when each part does.
    """
    known = {a.casefold() for a in allowed}
    found = tokens(text)
    bad = [t for t in found if not _known(t, known)]
    return bad, len(found)


def _known(token: str, known: set[str]) -> bool:
    lowered = token.casefold()
    if lowered in known or is_word(token):
        return True
    base = re.sub(r"'s$", "", lowered)
    return base in known or is_word(base)


@dataclass
class QualityGate:
    """The checks for one persona's texts: its facts, vocabulary, codes and prompt."""

    facts: SegmentFacts | None = None
    vocabulary: set[str] = field(default_factory=set)
    """Words that are not English but belong (names, category labels, dictionary words)."""
    codes: set[str] = field(default_factory=set)
    """Column codes and fact names that must never appear in narrative text."""
    instructions: str = ""
    """The fixed text of the prompt (not the evidence: rewriting evidence is the point)."""

    def __post_init__(self) -> None:
        self._codes = {c.casefold() for c in self.codes if c and not _plain_word(c)}
        self._shingles = _shingles(self.instructions)

    @classmethod
    def for_facts(
        cls, facts: SegmentFacts, *, extra_words: Iterable[str] = (), instructions: str = ""
    ) -> QualityGate:
        """The gate for a segment: its category labels and feature words are vocabulary."""
        vocabulary = {w for w in extra_words}
        codes: set[str] = set(facts.statistics)
        for fact in facts.facts:
            if fact.feature:
                codes.add(fact.feature)
            for text in (fact.category, fact.words):
                if text:
                    vocabulary.update(tokens(text))
        vocabulary.update(tokens(facts.label))
        return cls(facts, vocabulary, codes, instructions)

    def check(self, text: str) -> list[GateProblem]:
        """Every problem of ``text`` (an empty list: it may be shown)."""
        problems: list[GateProblem] = []
        found = tokens(text)
        content = [t for t in found if len(t) >= 3 and not t.isdigit() and _content(t)]
        if _EMPTY.match(text) or not content:
            return [GateProblem("empty", "no content words")]
        echoed = sorted({t for t in found if t.casefold() in self._codes})
        echoed += [m for m in _SNAKE.findall(text) if m not in echoed]
        if echoed:
            problems.append(GateProblem("code", ", ".join(echoed[:5])))
        if _FIELD_START.match(text):
            problems.append(GateProblem("field", text.split(":", 1)[0].strip()[:40]))
        bad, total = non_words(text, self.vocabulary)
        bad = [b for b in bad if b.casefold() not in self._codes]
        if bad and (len(bad) >= 2 or len(bad) / max(total, 1) > MAX_NON_WORD_SHARE):
            problems.append(GateProblem("non_words", ", ".join(bad[:5])))
        if self._shingles and _shingles(text) & self._shingles:
            problems.append(GateProblem("prompt", "repeats the instructions"))
        if self.facts is not None:
            invented = invented_numbers(text, self.facts)
            if invented:
                problems.append(
                    GateProblem("contradiction", f"numbers no fact states: {', '.join(invented)}")
                )
        return problems

    def passes(self, text: str) -> bool:
        """True when :meth:`check` finds nothing."""
        return not self.check(text)


def _content(token: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(token.lower(), "en") < _FUNCTION_ZIPF


def _plain_word(code: str) -> bool:
    """A column called ``age``, ``Churn`` or ``region`` is a word, not a code."""
    return code.isalpha() and is_word(code)


def _shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    words = [w.casefold() for w in tokens(text)]
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}
