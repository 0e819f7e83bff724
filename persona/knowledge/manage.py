"""Changing the knowledge base: remove a document, rebuild the index from the store."""

from __future__ import annotations

from collections.abc import Iterator

from persona.config import Settings
from persona.errors import NotFoundError
from persona.knowledge.chunk import embedding_text
from persona.knowledge.embed import make_embedding_function
from persona.knowledge.index import IndexedChunk, chunk_metadata, open_for_delete, rebuild
from persona.knowledge.types import Chunk, Progress
from persona.store import Store

__all__ = ["reindex", "remove_document"]


def remove_document(store: Store, settings: Settings, document_id: int) -> int:
    """Delete a document and all its chunks from the store and the index.

    Returns the number of chunks removed. Raises :class:`NotFoundError` when
    the current project has no such document.
    """
    project_id = store.project_id(settings.project)
    row = store.query_one(
        "SELECT id, n_chunks FROM documents WHERE id = ? AND project_id = ?",
        (document_id, project_id),
    )
    if row is None:
        raise NotFoundError(
            "document", document_id, hint="List the documents with `persona docs list`."
        )
    collection = open_for_delete(settings, project_id)
    with store.transaction() as db:
        removed = db.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,)).rowcount
        db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
        if collection is not None:
            collection.delete(
                where={"$and": [{"project_id": project_id}, {"document_id": document_id}]}
            )
    return int(removed)


def _reindex_batches(
    store: Store, project_id: int, size: int = 256
) -> Iterator[list[tuple[IndexedChunk, str]]]:
    cursor = store.connection.execute(
        "SELECT c.id, c.document_id, c.ordinal, c.text, c.page, c.heading, d.filename, "
        "d.sha256 AS doc_sha, d.created_at FROM chunks c JOIN documents d "
        "ON d.id = c.document_id WHERE c.project_id = ? ORDER BY c.document_id, c.ordinal",
        (project_id,),
    )
    while rows := cursor.fetchmany(size):
        batch: list[tuple[IndexedChunk, str]] = []
        for row in rows:
            chunk = Chunk(row["id"], row["ordinal"], row["text"], row["page"], row["heading"], "")
            text = embedding_text(chunk.text, chunk.heading)
            metadata = chunk_metadata(
                chunk,
                project_id,
                row["document_id"],
                row["filename"],
                row["doc_sha"],
                row["created_at"],
            )
            batch.append((IndexedChunk(id=chunk.id, document=text, metadata=metadata), text))
        yield batch


def reindex(store: Store, settings: Settings, *, progress: Progress | None = None) -> int:
    """Rebuild the current project's index from the store with the configured model.

    Fixes a missing, damaged or incomplete index and an embedding-model
    mismatch. Returns the number of chunks indexed. The old index stays in
    place until the new one is complete.
    """
    report = progress or (lambda message, fraction: None)
    project_id = store.project_id(settings.project)
    counted = store.query_one(
        "SELECT COUNT(*) AS n FROM chunks WHERE project_id = ?", (project_id,)
    )
    total = int(counted["n"]) if counted is not None else 0
    embedder = make_embedding_function(settings)
    report(f"Re-embedding {total} chunks", 0.0)

    def on_batch(done: int) -> None:
        report(f"Re-embedded {done}/{total} chunks", done / total if total else 1.0)

    done = rebuild(
        store,
        settings,
        project_id,
        embedder,
        lambda: _reindex_batches(store, project_id),
        progress=on_batch,
    )
    report(f"Indexed {done} chunks", 1.0)
    return done
