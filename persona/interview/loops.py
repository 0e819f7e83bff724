"""Stopping an answer that loops, while it streams.

A small model at a low temperature falls into loops: the same sentence, line
or phrase again and again until the token cap. :func:`loop_cut` finds where
the loop begins, so the session stops reading the model there (the tokens are
not generated at all) and keeps the answer up to it.
"""

from __future__ import annotations

import re

__all__ = ["NGRAM", "loop_cut"]

NGRAM = 8
"""A run of this many words said twice is a loop (a persona has no need to repeat
eight words in a short answer)."""
_MIN_SENTENCE_WORDS = 3
_SENTENCES = re.compile(r"[^.!?\n]*[.!?\n]+")
_WORD = re.compile(r"[a-z0-9']+")


def _key(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


def loop_cut(text: str) -> int | None:
    """Where the loop in ``text`` begins, or ``None`` when it does not loop.

    A loop is a sentence (or line) of three words or more said before, or a run of
    :data:`NGRAM` words said before; the answer is cut at the start of the sentence
    that repeats (at the repeated run itself when that is in the first sentence).
    """
    starts = [0] + [m.end() for m in _SENTENCES.finditer(text)]
    seen: set[tuple[str, ...]] = set()
    for match in _SENTENCES.finditer(text):
        words = _key(match.group())
        if len(words) >= _MIN_SENTENCE_WORDS and words in seen:
            return match.start()
        seen.add(words)
    found = [(m.group(), m.start()) for m in _WORD.finditer(text.casefold())]
    grams: set[tuple[str, ...]] = set()
    for i in range(len(found) - NGRAM + 1):
        gram = tuple(w for w, _at in found[i : i + NGRAM])
        if gram in grams:
            at = found[i][1]
            sentence = max(s for s in starts if s <= at)
            return sentence if sentence > 0 else at
        grams.add(gram)
    return None
