"""The ``documents``, ``chunks`` and ``index_state`` tables (the Chroma index is elsewhere).

A document row holds what was extracted from one uploaded file and its ingest
report; its chunks hold the cleaned text, which is the source of truth the
index (:mod:`persona.knowledge.index`) is rebuilt from.
"""

from __future__ import annotations

from persona.store import Store

__all__ = ["chunk_exists", "has_chunks"]


def has_chunks(store: Store, project_id: int) -> bool:
    """Whether the project has at least one document chunk."""
    return (
        store.query_one("SELECT 1 FROM chunks WHERE project_id = ? LIMIT 1", (project_id,))
        is not None
    )


def chunk_exists(store: Store, project_id: int, chunk_id: str) -> bool:
    """Whether ``chunk_id`` is a chunk of the project (for evidence checks)."""
    row = store.query_one(  # "+": by primary key, then the project (see search)
        "SELECT 1 FROM chunks WHERE id = ? AND +project_id = ?", (chunk_id, project_id)
    )
    return row is not None
