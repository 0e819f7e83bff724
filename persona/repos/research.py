"""The real-research tables: recruitment batches, recruited customers, research notes.

Recruited customers are kept only as keyed digests (the project's salt, as in
:mod:`persona.repos.identifiers`), enough to leave them out of the next list and
never enough to read an id back. Notes are stored masked.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from persona.store import Store, dumps

__all__ = [
    "StoredNote",
    "insert_batch",
    "insert_note",
    "list_notes",
    "name_batch",
    "note_exists",
    "recruited_digests",
]


@dataclass(frozen=True)
class StoredNote:
    """One stored, masked research note."""

    id: int
    segment_id: int
    file_name: str
    text: str
    masked: dict[str, int]
    created_at: str


def recruited_digests(store: Store, project_id: int) -> set[int]:
    """Digests of every customer the project recruited before."""
    rows = store.query(
        "SELECT DISTINCT digest FROM recruited_customers WHERE project_id = ?", (project_id,)
    )
    return {int(r["digest"]) for r in rows}


def insert_batch(
    db: sqlite3.Connection,
    project_id: int,
    *,
    segmentation_id: int,
    segment_index: int,
    digests: Iterable[int],
    created_at: str,
) -> int:
    """Record one recruitment list in the caller's transaction; returns the batch id."""
    unique = sorted(set(digests))
    cursor = db.execute(
        "INSERT INTO recruit_batches (project_id, segmentation_id, segment_index, size, "
        "file_name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (project_id, segmentation_id, segment_index, len(unique), "", created_at),
    )
    batch_id = int(cursor.lastrowid or 0)
    db.executemany(
        "INSERT INTO recruited_customers (batch_id, project_id, digest) VALUES (?, ?, ?)",
        [(batch_id, project_id, d) for d in unique],
    )
    return batch_id


def name_batch(db: sqlite3.Connection, batch_id: int, file_name: str) -> None:
    """Record the file a batch was written to (in the caller's transaction)."""
    db.execute("UPDATE recruit_batches SET file_name = ? WHERE id = ?", (file_name, batch_id))


def note_exists(store: Store, project_id: int, segment_id: int, sha256: str) -> bool:
    """True when the same file was already added for this segment."""
    row = store.query_one(
        "SELECT 1 FROM research_notes WHERE project_id = ? AND segment_id = ? AND sha256 = ?",
        (project_id, segment_id, sha256),
    )
    return row is not None


def insert_note(
    store: Store,
    project_id: int,
    *,
    segment_id: int,
    file_name: str,
    sha256: str,
    text: str,
    masked: dict[str, int],
    created_at: str,
) -> int:
    """Store one masked note in its own transaction; returns its id."""
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO research_notes (project_id, segment_id, file_name, sha256, text, "
            "masked_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (project_id, segment_id, file_name, sha256, text, dumps(masked), created_at),
        )
    return int(cursor.lastrowid or 0)


def list_notes(
    store: Store, project_id: int, segment_ids: Iterable[int] | None = None
) -> list[StoredNote]:
    """The project's notes (of ``segment_ids`` when given), oldest first."""
    rows = store.query(
        "SELECT * FROM research_notes WHERE project_id = ? ORDER BY id", (project_id,)
    )
    wanted = None if segment_ids is None else set(segment_ids)
    return [
        StoredNote(
            id=int(r["id"]),
            segment_id=int(r["segment_id"]),
            file_name=str(r["file_name"]),
            text=str(r["text"]),
            masked={str(k): int(v) for k, v in json.loads(r["masked_json"]).items()},
            created_at=str(r["created_at"]),
        )
        for r in rows
        if wanted is None or int(r["segment_id"]) in wanted
    ]
