"""Reading the knowledge base: list documents, look up chunks, search with citations."""

from __future__ import annotations

import hashlib
import logging

import numpy as np

from persona.config import Settings
from persona.errors import KnowledgeError
from persona.knowledge.embed import make_embedding_function
from persona.knowledge.index import open_index
from persona.repos import documents as document_repo
from persona.repos.documents import Citation, DocumentInfo
from persona.store import Store

__all__ = ["chunk_exists", "get_chunk", "list_documents", "search"]

log = logging.getLogger("persona.knowledge")

_REINDEX_HINT = "Run `persona docs reindex` to rebuild the index from the workspace store."


def list_documents(store: Store, settings: Settings) -> list[DocumentInfo]:
    """Every document of the current project, oldest first."""
    return document_repo.list_documents(store, store.project_id(settings.project))


def chunk_exists(store: Store, settings: Settings, chunk_id: str) -> bool:
    """Whether ``chunk_id`` is a chunk of the current project (for evidence checks)."""
    return document_repo.chunk_exists(store, store.project_id(settings.project), chunk_id)


def get_chunk(store: Store, settings: Settings, chunk_id: str) -> Citation | None:
    """One chunk of the current project as a :class:`Citation` (score 1.0), or ``None``."""
    return document_repo.get_chunk(store, store.project_id(settings.project), chunk_id)


def search(
    store: Store,
    settings: Settings,
    query: str,
    *,
    k: int = 5,
    mmr: bool = False,
) -> list[Citation]:
    """The ``k`` chunks of the current project closest to ``query``, best first.

    ``score`` is cosine similarity. With ``mmr`` the results are picked by
    maximal marginal relevance from the closest ``max(4k, 20)`` candidates:
    relevant but not repetitive. Texts come from the store, never from the
    index alone. An empty project gives ``[]``.

    Raises :class:`IndexMismatchError` when the index was built with another
    embedding model and :class:`KnowledgeError` when it is missing or
    incomplete (both name ``persona docs reindex``).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    if not query.strip():
        return []
    project_id = store.project_id(settings.project)
    stored = document_repo.count_chunks(store, project_id)
    if stored == 0:
        return []
    embedder = make_embedding_function(settings)
    index = open_index(store, settings, project_id, embedder, create=False)
    indexed = index.count() if index is not None else 0
    if index is None or indexed < stored:
        raise KnowledgeError(
            f"The document index of project {settings.project!r} holds {indexed} of "
            f"{stored} stored chunks.",
            hint=_REINDEX_HINT,
        )
    vector = embedder.embed_query([query])[0]
    fetch = min(max(4 * k, 20) if mmr else k, indexed)
    hits = index.query(vector, project_id=project_id, n_results=fetch, with_embeddings=mmr)
    if mmr and hits:
        from langchain_chroma.vectorstores import maximal_marginal_relevance

        order = maximal_marginal_relevance(
            np.asarray(vector, dtype=np.float32),
            [hit["embedding"] for hit in hits],
            k=min(k, len(hits)),
        )
        hits = [hits[i] for i in order]
    hits = hits[:k]
    # Texts come from the store; an index entry the store no longer has is never returned.
    citations = document_repo.load_citations(
        store, project_id, [(hit["id"], round(1.0 - hit["distance"], 6)) for hit in hits]
    )
    log.info(
        "retrieval project=%s query_sha256=%s k=%d mmr=%s chunks=%s",
        settings.project,
        hashlib.sha256(query.encode("utf-8")).hexdigest()[:16],
        k,
        mmr,
        [c.chunk_id for c in citations],
    )
    return citations
