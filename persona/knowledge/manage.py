"""Changing the knowledge base: remove a document, mask newly known customers, rebuild."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from persona.config import Settings
from persona.errors import KnowledgeError, NotFoundError
from persona.identifiers import known_identifiers
from persona.knowledge.chunk import embedding_text
from persona.knowledge.embed import make_embedding_function
from persona.knowledge.index import (
    IndexedChunk,
    chunk_metadata,
    compact_index,
    open_for_delete,
    open_index,
    rebuild,
)
from persona.knowledge.types import Chunk, Progress
from persona.repos import documents as document_repo
from persona.store import Store

__all__ = ["reindex", "remove_document", "scrub_known_identifiers"]


def remove_document(store: Store, settings: Settings, document_id: int) -> int:
    """Delete a document and all its chunks from the store and the index.

    Chroma keeps deleted text in its files (its write-ahead queue and free
    pages), so the index is then rewritten without it: the other chunks keep
    their vectors, nothing is embedded again. Returns the number of chunks
    removed. Raises :class:`NotFoundError` when the current project has no such
    document, :class:`KnowledgeError` when the document was removed but the
    index could not be rewritten.
    """
    project_id = store.project_id(settings.project)
    if document_repo.find_document(store, project_id, document_id=document_id) is None:
        raise NotFoundError(
            "document", document_id, hint="List the documents with `persona docs list`."
        )
    collection = open_for_delete(settings, project_id)
    with store.transaction():
        removed = document_repo.delete_document(store, document_id)
        if collection is not None:
            collection.delete(
                where={"$and": [{"project_id": project_id}, {"document_id": document_id}]}
            )
    if collection is not None:
        _rewrite_index(store, settings, project_id, changed=set(), why="removed document")
    return removed


def _reindex_batches(
    store: Store, project_id: int, size: int = 256
) -> Iterator[list[tuple[IndexedChunk, str]]]:
    for rows in document_repo.chunk_batches(store, project_id, size):
        batch: list[tuple[IndexedChunk, str]] = []
        for row in rows:
            chunk = Chunk(row.id, row.ordinal, row.text, row.page, row.heading, "")
            text = embedding_text(chunk.text, chunk.heading)
            metadata = chunk_metadata(
                chunk,
                project_id,
                row.document_id,
                row.filename,
                row.document_sha256,
                row.created_at,
            )
            batch.append((IndexedChunk(id=chunk.id, document=text, metadata=metadata), text))
        yield batch


def reindex(store: Store, settings: Settings, *, progress: Progress | None = None) -> int:
    """Rebuild the current project's index from the store with the configured model.

    Fixes a missing, damaged or incomplete index and an embedding-model
    mismatch, and purges the text of removed documents, which Chroma keeps in
    its files after a delete. Returns the number of chunks indexed. The old
    index stays in place until the new one is complete.
    """
    report = progress or (lambda message, fraction: None)
    project_id = store.project_id(settings.project)
    total = document_repo.count_chunks(store, project_id)
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
    compact_index(settings)  # the old collection's text leaves the file too
    report(f"Indexed {done} chunks", 1.0)
    return done


def scrub_known_identifiers(store: Store, settings: Settings) -> int:
    """Mask the project's known customer ids and names in documents already added.

    Documents added before a customer table was segmented may name its
    customers; once their digests are recorded (:mod:`persona.identifiers`),
    this rewrites the affected chunks in the store, then rebuilds the index
    (only those chunks are embedded again) and compacts it, so the old text is
    gone from its files too. Returns the number of chunks changed. Raises
    :class:`KnowledgeError` when the store was masked but the index could not be
    rewritten (``persona docs reindex`` then finishes the job).
    """
    project_id = store.project_id(settings.project)
    known = known_identifiers(store, project_id)
    if not len(known):
        return 0
    changed: list[tuple[str, str, str | None]] = []
    masked: dict[int, Counter[str]] = {}
    for row in document_repo.chunk_texts(store, project_id):
        counts: Counter[str] = masked.setdefault(row.document_id, Counter())
        text, text_counts = known.scrub(row.text)
        heading, heading_counts = known.scrub(row.heading or "")
        counts.update(text_counts)
        counts.update(heading_counts)
        if text != row.text or heading != (row.heading or ""):
            changed.append((row.id, text, heading if row.heading is not None else None))
    if not changed:
        return 0
    with store.transaction():
        document_repo.update_chunk_texts(store, changed)
        for document_id, counts in masked.items():
            document_repo.add_scrubbed_counts(store, document_id, counts)
    _rewrite_index(
        store,
        settings,
        project_id,
        changed={chunk_id for chunk_id, _text, _heading in changed},
        why=f"{len(changed)} chunk(s) masked",
    )
    return len(changed)


def _rewrite_index(
    store: Store, settings: Settings, project_id: int, *, changed: set[str], why: str
) -> None:
    """Rebuild the index from the store (only ``changed`` chunks re-embedded), then compact.

    A rebuild rather than an upsert or a delete: Chroma keeps replaced and
    deleted text in its write-ahead queue, and only dropping the old collection
    removes it; compaction then clears the free pages.
    """
    embedder = make_embedding_function(settings)
    try:
        if open_index(store, settings, project_id, embedder, create=False) is None:
            return  # no index yet: the next reindex builds it from the store
        rebuild(
            store,
            settings,
            project_id,
            embedder,
            lambda: _reindex_batches(store, project_id),
            keep_vectors_except=changed,
        )
        compact_index(settings)
    except Exception as error:
        raise KnowledgeError(
            f"The store is updated ({why}), but the document index could not be rewritten "
            f"({type(error).__name__}: {error}); until it is, its files still hold the old text.",
            hint="Run `persona docs reindex`.",
        ) from error
