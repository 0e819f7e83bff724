"""The support check: does a piece of evidence say what a text claims it says?

One check serves model-written persona items (do the candidates an item cites
support it?) and brief findings (does the statistic or passage behind a finding
say the same thing?). Support is the cosine similarity of the two texts'
embeddings (MiniLM by default) against :data:`SUPPORT_THRESHOLD`, calibrated on
the labelled pairs of ``eval/data/support_pairs.csv`` (see ``eval/support.py``
for its precision and recall). A text cited with several pieces of evidence is
supported by the best of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from persona.evidence.sentences import Embed, embed_texts

__all__ = ["SUPPORT_THRESHOLD", "Support", "support", "support_many"]

SUPPORT_THRESHOLD = 0.45
"""Cosine similarity (MiniLM) from which evidence counts as supporting a text."""


@dataclass(frozen=True)
class Support:
    """How well the best of the cited evidence supports a text."""

    score: float
    best: int | None
    """Index of the best-supporting evidence text, ``None`` without evidence."""
    threshold: float = SUPPORT_THRESHOLD

    @property
    def supported(self) -> bool:
        """Whether the best evidence reaches the threshold."""
        return self.best is not None and self.score >= self.threshold


def support(
    text: str, evidence: Sequence[str], embed: Embed, threshold: float = SUPPORT_THRESHOLD
) -> Support:
    """How well ``evidence`` (texts) supports ``text``."""
    return support_many([(text, evidence)], embed, threshold)[0]


def support_many(
    pairs: Sequence[tuple[str, Sequence[str]]],
    embed: Embed,
    threshold: float = SUPPORT_THRESHOLD,
) -> list[Support]:
    """:func:`support` for many ``(text, evidence texts)`` pairs with one embedding call."""
    texts: list[str] = []
    for text, evidence in pairs:
        texts.append(text)
        texts.extend(evidence)
    vectors = embed_texts(embed, list(dict.fromkeys(texts)))
    row = {t: i for i, t in enumerate(dict.fromkeys(texts))}
    out = []
    for text, evidence in pairs:
        if not evidence:
            out.append(Support(0.0, None, threshold))
            continue
        scores = np.asarray([float(vectors[row[text]] @ vectors[row[e]]) for e in evidence])
        best = int(np.argmax(scores))
        out.append(Support(round(float(scores[best]), 4), best, threshold))
    return out
