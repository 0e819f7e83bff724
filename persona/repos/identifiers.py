"""The ``identifier_salts`` and ``known_identifiers`` tables: keyed digests, never raw values.

Each project has a random salt (the key of its digests) and a counter of the
digests recorded so far, so readers can tell cheaply whether anything changed.
What is recorded, and how text is checked against it, is :mod:`persona.identifiers`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable

from persona.store import Store

__all__ = [
    "project_salt",
    "record_identifiers",
    "recorded_count",
    "start_digests",
    "value_digests",
]


def project_salt(store: Store, project_id: int) -> bytes:
    """The project's random digest key, created on first use."""
    row = store.query_one("SELECT salt FROM identifier_salts WHERE project_id = ?", (project_id,))
    if row is None:
        with store.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO identifier_salts (project_id, salt) VALUES (?, ?)",
                (project_id, os.urandom(16)),
            )
        row = store.query_one(
            "SELECT salt FROM identifier_salts WHERE project_id = ?", (project_id,)
        )
    assert row is not None
    return bytes(row["salt"])


def record_identifiers(
    db: sqlite3.Connection, project_id: int, rows: Iterable[tuple[str, int, int]]
) -> int:
    """Insert :func:`identifier_rows` into the caller's transaction; returns how many were new.

    Known ones are skipped. The project's ``recorded`` counter grows by the new
    ones, so readers can tell cheaply whether anything changed.
    """
    before = db.total_changes
    db.executemany(
        "INSERT OR IGNORE INTO known_identifiers (project_id, kind, digest, n_words) "
        "VALUES (?, ?, ?, ?)",
        [(project_id, kind, digest, n) for kind, digest, n in rows],
    )
    added = db.total_changes - before
    if added:
        db.execute(
            "UPDATE identifier_salts SET recorded = recorded + ? WHERE project_id = ?",
            (added, project_id),
        )
    return added


def recorded_count(store: Store, project_id: int) -> int:
    """How many digests the project has recorded (0 before its first table)."""
    row = store.query_one(
        "SELECT recorded FROM identifier_salts WHERE project_id = ?", (project_id,)
    )
    return int(row["recorded"]) if row is not None else 0


def value_digests(store: Store, project_id: int) -> list[tuple[str, int, int]]:
    """``(kind, digest, word count)`` of every recorded value, by digest (no ``start`` rows)."""
    rows = store.query(
        "SELECT kind, digest, n_words FROM known_identifiers WHERE project_id = ? "
        "AND kind != 'start' ORDER BY digest",
        (project_id,),
    )
    return [(str(r["kind"]), int(r["digest"]), int(r["n_words"])) for r in rows]


def start_digests(store: Store, project_id: int) -> frozenset[int]:
    """Digests of the first words of the recorded values of several words."""
    rows = store.query(
        "SELECT digest FROM known_identifiers WHERE project_id = ? AND kind = 'start'",
        (project_id,),
    )
    return frozenset(int(r["digest"]) for r in rows)
