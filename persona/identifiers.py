"""Customer ids and names the project knows from its tables, kept only as keyed digests.

:func:`persona.privacy.scrub_text` finds e-mails, phones, cards and IBANs by their
shape. Customer ids, names and street addresses have no shape that a pattern can
tell from ordinary text, but the project has seen them: they are the values of
the *identifier* and *personal* columns of every table it segments. Those values
are recorded here as 64-bit keyed BLAKE2b digests (the key is a random salt per
project; raw values are never written) and text is checked against them a run of
words at a time, so ``Complaint from Maya Lindqvist (NW000123)`` becomes
``Complaint from [NAME] ([CUSTOMER_ID])`` in a document, a question or a prompt.

What counts as a value worth masking:

* one word only if it could not be an ordinary word or number: it contains a
  digit or ``@`` and is at least four characters long, and a number needs five
  digits or more (customer ``17`` must not mask "17 days" everywhere);
* two to :data:`MAX_WORDS` words as written in the table (full names, addresses).

Values that :func:`~persona.privacy.scrub_text` already masks by shape (e-mails,
phones, IBANs, cards) are not recorded: the pattern scrub catches them in any
format. A single first name or surname on its own is not masked either (it would
mask "Rose" or "Will" in every document); see "Privacy" in the README.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from persona.privacy import contains_pii, scrub_text
from persona.repos import identifiers as identifier_repo
from persona.store import Store

__all__ = [
    "IDENTIFIER_KINDS",
    "MAX_WORDS",
    "KnownIdentifiers",
    "identifier_rows",
    "known_identifiers",
    "scrub_all",
]

IDENTIFIER_KINDS: dict[str, str] = {"identifier": "customer_id", "personal": "name"}
"""Column role -> the kind its values are counted and masked as (addresses: see below)."""

PLACEHOLDERS: dict[str, str] = {
    "customer_id": "[CUSTOMER_ID]",
    "name": "[NAME]",
    "address": "[ADDRESS]",
}
"""The text a masked value is replaced with."""

_ADDRESS_COLUMN = re.compile(r"addr|street|post|zip|house", re.IGNORECASE)

MAX_WORDS = 6
"""The longest value, in words, that is recorded (long enough for most addresses)."""

_WORD = re.compile(r"\S+")
_EDGE = "\"'`“”‘’«»()[]{}<>.,;:!?*_|"
_POSSESSIVES = frozenset({"'s", "'S", "’s", "’S"})


def _core(raw: str) -> str:
    """A word without edge punctuation or a possessive ``'s``."""
    core = raw.strip(_EDGE)
    if core[-2:] in _POSSESSIVES:
        core = core[:-2]
    return core


def _words(text: str) -> list[tuple[int, int, str]]:
    """Each word of ``text`` as (start, end, normal form), edge punctuation trimmed."""
    words = []
    for match in _WORD.finditer(text):
        raw = match.group(0)
        core = _core(raw)
        if not core:
            continue
        start = match.start() + raw.index(core)
        words.append((start, start + len(core), core.casefold()))
    return words


def _normal(value: str) -> str:
    """``value`` as :func:`_words` would see it, words joined by single spaces."""
    return " ".join(core.casefold() for raw in value.split() if (core := _core(raw)))


def _worth_masking(normal: str) -> bool:
    words = normal.split(" ")
    if not 1 <= len(words) <= MAX_WORDS or not normal:
        return False
    if len(words) > 1:
        return True
    if len(normal) < 4 or not any(ch.isdigit() or ch == "@" for ch in normal):
        return False
    digits = normal.replace(".", "").replace(",", "").replace("-", "")
    return not (digits.isdigit() and len(digits) < 5)


def _digest(salt: bytes, normal: str) -> int:
    raw = hashlib.blake2b(normal.encode("utf-8"), key=salt, digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


def _column_values(series: pd.Series) -> Iterable[str]:
    values = series.dropna().astype(str).unique()
    sample = values[:200]
    # Columns the shape-based scrub masks anyway (e-mails, phones, IBANs, cards) add
    # nothing here but digests to load.
    if len(sample) and sum(contains_pii(v) for v in sample) >= 0.9 * len(sample):
        return []
    return values


def identifier_rows(
    salt: bytes, frame: pd.DataFrame, roles: Mapping[str, str]
) -> list[tuple[str, int, int]]:
    """(kind, digest, word count) of every identifier and personal value worth masking.

    A value of several words also gives a ``"start"`` row for its first word.
    """
    rows: dict[tuple[str, int], int] = {}
    for column, role in roles.items():
        kind = IDENTIFIER_KINDS.get(role)
        if kind is None or column not in frame.columns:
            continue
        if kind == "name" and _ADDRESS_COLUMN.search(str(column)):
            kind = "address"
        for value in _column_values(frame[column]):
            normal = _normal(value)
            if _worth_masking(normal):
                n_words = normal.count(" ") + 1
                rows[(kind, _digest(salt, normal))] = n_words
                if n_words > 1:
                    rows[("start", _digest(salt, normal.split(" ", 1)[0]))] = 0
    return [(kind, digest, n) for (kind, digest), n in rows.items()]


def _single_candidate(word: str) -> bool:
    return len(word) >= 4 and any(ch.isdigit() or ch == "@" for ch in word)


@dataclass(frozen=True)
class KnownIdentifiers:
    """The digests of one project, ready to mask text."""

    salt: bytes = b""
    digests: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    """Sorted digests of the values."""
    kinds: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    """The kind of each digest, aligned with :attr:`digests`."""
    starts: frozenset[int] = frozenset()
    """Digests of the first words of values of several words."""
    window_sizes: tuple[int, ...] = ()
    """The word counts (above one) of recorded values, longest first."""

    def __len__(self) -> int:
        return len(self.digests)

    def scrub(self, text: str) -> tuple[str, dict[str, int]]:
        """Mask every known value in ``text``; returns the text and a count per kind.

        Every word is hashed once; runs of several words are hashed only where
        one starts with a recorded first word. The longest match at a word wins.
        """
        counts = dict.fromkeys(PLACEHOLDERS, 0)
        if not len(self.digests) or not text:
            return text, counts
        words = _words(text)
        normals = [w for _s, _e, w in words]
        candidates: list[tuple[int, int]] = []  # (first word, word count), longest first
        keys: list[int] = []
        salt, starts = self.salt, self.starts
        for first, word in enumerate(normals):
            key = _digest(salt, word)
            if key in starts:
                for size in self.window_sizes:
                    if first + size <= len(normals):
                        candidates.append((first, size))
                        keys.append(_digest(salt, " ".join(normals[first : first + size])))
            if _single_candidate(word):
                candidates.append((first, 1))
                keys.append(key)
        if not keys:
            return text, counts
        found = self._lookup(np.array(keys, dtype=np.int64))
        pieces: list[str] = []
        cursor = next_free = 0
        for index in sorted(found):
            first, size = candidates[index]
            if first < next_free:
                continue
            start, end = words[first][0], words[first + size - 1][1]
            kind = found[index]
            pieces += [text[cursor:start], PLACEHOLDERS[kind]]
            cursor, next_free = end, first + size
            counts[kind] += 1
        pieces.append(text[cursor:])
        return "".join(pieces), counts

    def _lookup(self, keys: np.ndarray) -> dict[int, str]:
        """Candidate index -> kind, for the candidates that are recorded values."""
        at = np.searchsorted(self.digests, keys).clip(max=len(self.digests) - 1)
        hits = np.flatnonzero(self.digests[at] == keys)
        return {int(i): str(self.kinds[at[i]]) for i in hits}


def known_identifiers(store: Store, project_id: int) -> KnownIdentifiers:
    """Load the project's recorded digests (empty when none were recorded)."""
    rows = identifier_repo.value_digests(store, project_id)
    if not rows:
        return KnownIdentifiers()
    starts = identifier_repo.start_digests(store, project_id)
    return KnownIdentifiers(
        salt=identifier_repo.project_salt(store, project_id),
        digests=np.fromiter((digest for _k, digest, _n in rows), dtype=np.int64, count=len(rows)),
        kinds=np.array([kind for kind, _d, _n in rows], dtype=object),
        starts=starts,
        window_sizes=tuple(sorted({n for _k, _d, n in rows} - {1}, reverse=True)),
    )


def scrub_all(text: str, known: KnownIdentifiers, totals: Counter[str] | None = None) -> str:
    """``text`` without identifiers of a known shape (e-mails …) or the project's known ones.

    Adds what it masked, per kind, to ``totals`` when given.
    """
    text, counts = scrub_text(text)
    text, known_counts = known.scrub(text)
    if totals is not None:
        totals.update(counts)
        totals.update(known_counts)
    return text
