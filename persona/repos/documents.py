"""The ``documents``, ``chunks`` and ``index_state`` tables (the Chroma index is elsewhere).

A document row holds what was extracted from one uploaded file and its ingest
report; its chunks hold the cleaned text, the source of truth the index
(:mod:`persona.knowledge.index`) is rebuilt from; ``index_state`` records which
embedding model built the project's index.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from persona.store import Store, dumps, utc_now

if TYPE_CHECKING:
    from persona.knowledge.types import Chunk

__all__ = [
    "ChunkText",
    "Citation",
    "DocumentInfo",
    "StoredChunk",
    "add_scrubbed_counts",
    "chunk_batches",
    "chunk_exists",
    "chunk_texts",
    "count_chunks",
    "delete_document",
    "document_named",
    "find_document",
    "get_chunk",
    "has_chunks",
    "index_model",
    "insert_document",
    "list_documents",
    "load_citations",
    "record_index_state",
    "update_chunk_texts",
]


@dataclass(frozen=True)
class DocumentInfo:
    """One document of the project, as listed by :func:`persona.knowledge.list_documents`."""

    document_id: int
    filename: str
    media_type: str
    n_pages: int | None
    n_chunks: int
    sha256: str
    created_at: str
    hidden_removed: dict[str, int] = field(default_factory=dict)
    pii_scrubbed: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Citation:
    """A retrieved chunk with where it came from.

    ``score`` is the cosine similarity between query and chunk (higher is
    closer; 1.0 is identical direction). ``page`` is 1-based for paged formats
    (PDF) and ``None`` elsewhere; ``heading`` is the nearest heading above the
    chunk, when the format has headings.
    """

    chunk_id: str
    document_id: int
    filename: str
    page: int | None
    heading: str | None
    text: str
    score: float

    @property
    def source(self) -> str:
        """Short human-readable provenance, e.g. ``brochure.pdf, p. 3``."""
        where = self.filename
        if self.page is not None:
            where += f", p. {self.page}"
        if self.heading:
            where += f", “{self.heading}”"
        return where


@dataclass(frozen=True)
class StoredChunk:
    """A chunk row with its document's name, digest and date (what the index records)."""

    id: str
    document_id: int
    ordinal: int
    text: str
    page: int | None
    heading: str | None
    filename: str
    document_sha256: str
    created_at: str


@dataclass(frozen=True)
class ChunkText:
    """A chunk's text and heading, as masking rewrites them."""

    id: str
    document_id: int
    text: str
    heading: str | None


# --------------------------------------------------------------------------- documents


def _document_info(row: sqlite3.Row) -> DocumentInfo:
    report = json.loads(row["report_json"] or "{}")
    return DocumentInfo(
        document_id=int(row["id"]),
        filename=row["filename"],
        media_type=row["media_type"],
        n_pages=row["n_pages"],
        n_chunks=int(row["n_chunks"]),
        sha256=row["sha256"],
        created_at=row["created_at"],
        hidden_removed=report.get("hidden_removed", {}),
        pii_scrubbed=report.get("pii_scrubbed", {}),
        warnings=report.get("warnings", []),
    )


def list_documents(store: Store, project_id: int) -> list[DocumentInfo]:
    """Every document of the project, oldest first."""
    rows = store.query(
        "SELECT id, filename, media_type, n_pages, n_chunks, sha256, report_json, created_at "
        "FROM documents WHERE project_id = ? ORDER BY id",
        (project_id,),
    )
    return [_document_info(row) for row in rows]


def find_document(
    store: Store, project_id: int, *, document_id: int | None = None, sha256: str | None = None
) -> DocumentInfo | None:
    """The project's document with this id or these bytes (SHA-256), or ``None``."""
    column, value = ("id", document_id) if sha256 is None else ("sha256", sha256)
    row = store.query_one(
        f"SELECT * FROM documents WHERE project_id = ? AND {column} = ?", (project_id, value)
    )
    return None if row is None else _document_info(row)


def document_named(store: Store, project_id: int, filename: str) -> int | None:
    """The id of a document of the project called ``filename``, or ``None``."""
    row = store.query_one(
        "SELECT id FROM documents WHERE project_id = ? AND filename = ?", (project_id, filename)
    )
    return None if row is None else int(row["id"])


def insert_document(
    store: Store,
    project_id: int,
    *,
    filename: str,
    sha256: str,
    media_type: str,
    n_pages: int | None,
    report: dict[str, Any],
    created_at: str,
    chunks: Sequence[Chunk],
) -> int:
    """Store a document and its chunks; return its id.

    Raises :class:`sqlite3.IntegrityError` when the project already has these bytes.
    Joins the caller's transaction, so the caller can index the chunks in the same one.
    """
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO documents (project_id, filename, sha256, media_type, n_pages, "
            "n_chunks, report_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                project_id,
                filename,
                sha256,
                media_type,
                n_pages,
                len(chunks),
                dumps(report),
                created_at,
            ),
        )
        document_id = int(cursor.lastrowid or 0)
        db.executemany(
            "INSERT INTO chunks (id, document_id, project_id, ordinal, text, page, heading, "
            "sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (c.id, document_id, project_id, c.ordinal, c.text, c.page, c.heading, c.sha256)
                for c in chunks
            ],
        )
    return document_id


def delete_document(store: Store, document_id: int) -> int:
    """Delete a document and its chunks; return how many chunks went (joins a transaction)."""
    with store.transaction() as db:
        removed = db.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,)).rowcount
        db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
    return int(removed)


def add_scrubbed_counts(store: Store, document_id: int, counts: Counter[str]) -> None:
    """Add masked identifiers to the ``pii_scrubbed`` counts of a document's report."""
    if not +counts:
        return
    with store.transaction() as db:
        row = db.execute(
            "SELECT report_json FROM documents WHERE id = ?", (document_id,)
        ).fetchone()
        report = json.loads(row["report_json"])
        scrubbed = Counter(report.get("pii_scrubbed", {}))
        scrubbed.update(+counts)
        report["pii_scrubbed"] = dict(scrubbed)
        db.execute(
            "UPDATE documents SET report_json = ? WHERE id = ?", (dumps(report), document_id)
        )


# --------------------------------------------------------------------------- chunks


def has_chunks(store: Store, project_id: int) -> bool:
    """Whether the project has at least one document chunk."""
    return (
        store.query_one("SELECT 1 FROM chunks WHERE project_id = ? LIMIT 1", (project_id,))
        is not None
    )


def count_chunks(store: Store, project_id: int) -> int:
    """How many chunks the project's documents have."""
    counted = store.query_one(
        "SELECT COUNT(*) AS n FROM chunks WHERE project_id = ?", (project_id,)
    )
    return int(counted["n"]) if counted is not None else 0


def chunk_exists(store: Store, project_id: int, chunk_id: str) -> bool:
    """Whether ``chunk_id`` is a chunk of the project (for evidence checks)."""
    row = store.query_one(  # "+": by primary key, then the project (see load_citations)
        "SELECT 1 FROM chunks WHERE id = ? AND +project_id = ?", (chunk_id, project_id)
    )
    return row is not None


_CHUNK_SELECT = (
    "SELECT c.id, c.document_id, c.text, c.page, c.heading, d.filename "
    "FROM chunks c JOIN documents d ON d.id = c.document_id "
)


def get_chunk(store: Store, project_id: int, chunk_id: str) -> Citation | None:
    """One chunk of the project as a :class:`Citation` (score 1.0), or ``None``."""
    row = store.query_one(
        _CHUNK_SELECT + "WHERE c.id = ? AND +c.project_id = ?", (chunk_id, project_id)
    )
    return _citation(row, 1.0) if row is not None else None


def load_citations(
    store: Store, project_id: int, scored: Sequence[tuple[str, float]]
) -> list[Citation]:
    """Chunks of the project by id, in the given order, each with its score.

    An id the store no longer has (an index entry left behind) is left out.
    """
    picked = [chunk_id for chunk_id, _score in scored]
    marks = ",".join("?" * len(picked))
    # The unary + keeps SQLite on the primary key; offered the project_id index it
    # walked every chunk of the project (17 ms per search at 30,000 chunks).
    sql = _CHUNK_SELECT + f"WHERE c.id IN ({marks}) AND +c.project_id = ?"
    rows = {row["id"]: row for row in store.query(sql, (*picked, project_id))} if picked else {}
    return [_citation(rows[chunk_id], score) for chunk_id, score in scored if chunk_id in rows]


def _citation(row: sqlite3.Row, score: float) -> Citation:
    return Citation(
        chunk_id=row["id"],
        document_id=int(row["document_id"]),
        filename=row["filename"],
        page=row["page"],
        heading=row["heading"],
        text=row["text"],
        score=score,
    )


def chunk_batches(store: Store, project_id: int, size: int) -> Iterator[list[StoredChunk]]:
    """Every chunk of the project in document order, ``size`` at a time (one cursor)."""
    cursor = store.connection.execute(
        "SELECT c.id, c.document_id, c.ordinal, c.text, c.page, c.heading, d.filename, "
        "d.sha256 AS doc_sha, d.created_at FROM chunks c JOIN documents d "
        "ON d.id = c.document_id WHERE c.project_id = ? ORDER BY c.document_id, c.ordinal",
        (project_id,),
    )
    while rows := cursor.fetchmany(size):
        yield [
            StoredChunk(
                id=row["id"],
                document_id=row["document_id"],
                ordinal=row["ordinal"],
                text=row["text"],
                page=row["page"],
                heading=row["heading"],
                filename=row["filename"],
                document_sha256=row["doc_sha"],
                created_at=row["created_at"],
            )
            for row in rows
        ]


def chunk_texts(store: Store, project_id: int) -> list[ChunkText]:
    """Text and heading of every chunk of the project."""
    rows = store.query(
        "SELECT id, document_id, text, heading FROM chunks WHERE project_id = ?", (project_id,)
    )
    return [ChunkText(str(r["id"]), int(r["document_id"]), r["text"], r["heading"]) for r in rows]


def update_chunk_texts(store: Store, changes: Sequence[tuple[str, str, str | None]]) -> None:
    """Replace ``(chunk id, text, heading)`` of chunks (their digests follow the text)."""
    with store.transaction() as db:
        db.executemany(
            "UPDATE chunks SET text = ?, heading = ?, sha256 = ? WHERE id = ?",
            [
                (text, heading, hashlib.sha256(text.encode("utf-8")).hexdigest(), chunk_id)
                for chunk_id, text, heading in changes
            ],
        )


# --------------------------------------------------------------------------- index state


def index_model(store: Store, project_id: int) -> str | None:
    """The embedding model recorded for the project's index, or ``None`` before the first."""
    row = store.query_one(
        "SELECT embedding_model FROM index_state WHERE project_id = ?", (project_id,)
    )
    return None if row is None else str(row["embedding_model"])


def record_index_state(store: Store, project_id: int, collection: str, model: str) -> None:
    """Record which collection and embedding model hold the project's index."""
    with store.transaction() as db:
        db.execute(
            "INSERT INTO index_state (project_id, collection, embedding_model, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(project_id) DO UPDATE SET "
            "collection = excluded.collection, embedding_model = excluded.embedding_model, "
            "updated_at = excluded.updated_at",
            (project_id, collection, model, utc_now()),
        )
