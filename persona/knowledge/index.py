"""The Chroma index: one collection per project, rebuildable from the SQLite store.

Chroma is an index, not the source of truth (DESIGN.md): the ``chunks`` table
holds every chunk, and :func:`rebuild` recreates a project's collection from it.
Each collection records the embedding model that built it, twice: in Chroma
(collection metadata ``embedding_model`` plus the registered embedding function
in its configuration) and in the store's ``index_state`` row. Opening an index
with another model raises :class:`IndexMismatchError` naming
``persona docs reindex``.

chromadb is used directly rather than through langchain-chroma's ``Chroma``
wrapper: langchain-chroma 1.1.0 creates collections with
``embedding_function=None``, so Chroma stores a "legacy" configuration (and
warns on every open) and the collection cannot carry its model; ingestion also
needs ``where`` deletes and embedding before the SQLite transaction opens. MMR
reuses langchain-chroma's ``maximal_marginal_relevance``.

``PersistentClient`` is not process-safe (Chroma's docs): one process should own
a workspace's index. Clients are cached per path for the life of the process.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError
from chromadb.errors import NotFoundError as ChromaNotFound

from persona.config import Settings
from persona.errors import IndexMismatchError, KnowledgeError
from persona.knowledge.embed import PersonaEmbeddingFunction
from persona.knowledge.types import Chunk
from persona.repos import documents as document_repo
from persona.store import Store

__all__ = [
    "IndexedChunk",
    "ProjectIndex",
    "chunk_metadata",
    "close_clients",
    "collection_name",
    "open_index",
    "rebuild",
]

log = logging.getLogger(__name__)

_REINDEX_HINT = "Run `persona docs reindex` to rebuild the index from the workspace store."

_clients: dict[Path, ClientAPI] = {}
_clients_lock = threading.Lock()


def collection_name(project_id: int) -> str:
    """Chroma collection of a project (names allow only ``[a-zA-Z0-9._-]``, 3-512 chars)."""
    return f"persona_project_{project_id}"


def _client(path: Path) -> ClientAPI:
    with _clients_lock:
        client = _clients.get(path)
        if client is not None and not (path / "chroma.sqlite3").exists():
            # The folder was deleted under a live client (someone forcing a rebuild):
            # the old client would write into unlinked files, so start afresh.
            _close(path)
            client = None
        if client is None:
            try:
                path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(
                    path=str(path),
                    settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
                )
            except Exception as error:  # a damaged chroma.sqlite3 fails in many ways
                _forget_failed_system(path)
                raise KnowledgeError(
                    f"The document index in {path} cannot be opened "
                    f"({type(error).__name__}: {error}).",
                    hint="Move that folder aside, then run `persona docs reindex` to rebuild "
                    "it from the workspace store.",
                ) from error
            _clients[path] = client
        return client


def _forget_failed_system(path: Path) -> None:
    # Chroma caches the half-started system of a failed open under the folder's path
    # and hands it to every later client, so even a rebuilt folder stays unusable in
    # this process. Chroma has no public call to drop one entry (clear_system_cache
    # would break every other open client), hence the private registry.
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)


def _close(path: Path) -> None:
    client = _clients.pop(path, None)
    if client is not None:
        try:
            client.close()  # type: ignore[attr-defined]  # Client has it, ClientAPI does not
        except Exception as error:  # closing a client whose files vanished may fail
            log.debug("closing Chroma client for %s failed: %s", path, error)


def close_clients(settings: Settings | None = None) -> None:
    """Release the Chroma client of ``settings`` (all clients when ``None``)."""
    with _clients_lock:
        paths = list(_clients) if settings is None else [settings.chroma_path]
        for path in paths:
            _close(path)


def chunk_metadata(
    chunk: Chunk, project_id: int, document_id: int, filename: str, sha: str, added: str
) -> dict[str, str | int]:
    """Chroma metadata of one chunk: where it belongs and where it came from."""
    meta: dict[str, str | int] = {
        "project_id": project_id,
        "document_id": document_id,
        "filename": filename,
        "ordinal": chunk.ordinal,
        "doc_sha256": sha,
        "added_at": added,
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    if chunk.heading:
        meta["heading"] = chunk.heading
    return meta


@dataclass(frozen=True)
class IndexedChunk:
    """What the index needs to hold one chunk."""

    id: str
    document: str
    metadata: dict[str, str | int]


@dataclass
class ProjectIndex:
    """The open collection of one project and the embedding function that fills it."""

    collection: Collection
    embedder: PersonaEmbeddingFunction
    max_batch: int = 4096

    def count(self) -> int:
        """Number of vectors in the collection."""
        return self.collection.count()

    def add(
        self,
        chunks: Sequence[IndexedChunk],
        embeddings: Sequence[Any],
    ) -> None:
        """Add (or overwrite) chunks with precomputed embeddings, in batches Chroma accepts.

        Upsert, not add: entries orphaned by a crashed ingest are overwritten.
        """
        limit = max(1, min(self.max_batch, 4096))
        for start in range(0, len(chunks), limit):
            part = chunks[start : start + limit]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=list(embeddings[start : start + limit]),
                documents=[c.document for c in part],
                metadatas=[dict(c.metadata) for c in part],  # type: ignore[misc]
            )

    def delete_ids(self, ids: Sequence[str]) -> None:
        """Remove chunks by id (no error for ids that are absent)."""
        for start in range(0, len(ids), 4096):
            self.collection.delete(ids=list(ids[start : start + 4096]))

    def delete_document(self, project_id: int, document_id: int) -> None:
        """Remove every chunk of one document."""
        self.collection.delete(
            where={"$and": [{"project_id": project_id}, {"document_id": document_id}]}
        )

    def query(
        self,
        embedding: Any,
        *,
        project_id: int,
        n_results: int,
        with_embeddings: bool = False,
    ) -> list[dict[str, Any]]:
        """Nearest chunks to ``embedding``, best first, each ``{id, distance, embedding?}``.

        Isolation comes from the collection itself (one per project) and is checked
        again here on every hit's ``project_id`` metadata; callers check a third time
        against the store. No ``where`` filter is sent: Chroma 1.5 answers a filtered
        query by scanning the matching records, which measured 67 ms at 10,000 chunks
        and 2.5 s at 100,000 against 2-4 ms unfiltered (bench/knowledge.py).
        """
        include: list[str] = ["distances", "metadatas"]
        if with_embeddings:
            include.append("embeddings")
        result = self.collection.query(
            query_embeddings=[embedding],
            n_results=n_results,
            include=include,  # type: ignore[arg-type]
        )
        ids = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        metadatas = (result["metadatas"] or [[]])[0]
        vectors = result["embeddings"][0] if with_embeddings and result["embeddings"] else None
        hits: list[dict[str, Any]] = []
        for position, chunk_id in enumerate(ids):
            if (metadatas[position] or {}).get("project_id") != project_id:
                continue  # never another project's chunk, whatever the collection holds
            hit: dict[str, Any] = {"id": chunk_id, "distance": float(distances[position])}
            if vectors is not None:
                hit["embedding"] = vectors[position]
            hits.append(hit)
        return hits


def _unreadable(settings: Settings, error: Exception) -> KnowledgeError:
    return KnowledgeError(
        f"The document index in {settings.chroma_path} cannot be read "
        f"({type(error).__name__}: {error}).",
        hint="Move that folder aside, then run `persona docs reindex` to rebuild it from "
        "the workspace store.",
    )


def _mismatch(project: str, recorded: str, current: str) -> IndexMismatchError:
    return IndexMismatchError(
        f"The document index of project {project!r} was built with the embedding model "
        f"{recorded!r}, but the current setting uses {current!r}; vectors from different "
        "models cannot be compared.",
        hint="Run `persona docs reindex` to rebuild it with the current model, or set "
        "PERSONA_EMBEDDINGS back to the model that built it.",
    )


def open_index(
    store: Store,
    settings: Settings,
    project_id: int,
    embedder: PersonaEmbeddingFunction,
    *,
    create: bool,
) -> ProjectIndex | None:
    """Open (or with ``create``, make) the project's collection for ``embedder``.

    Returns ``None`` when the collection does not exist and ``create`` is false.
    Raises :class:`IndexMismatchError` when the index was built with another
    model, and :class:`KnowledgeError` when the collection is missing although
    the store has chunks for the project (so creating it would hide them).
    """
    recorded_model = document_repo.index_model(store, project_id)
    if recorded_model is not None and recorded_model != embedder.identity:
        raise _mismatch(settings.project, recorded_model, embedder.identity)
    client = _client(settings.chroma_path)
    name = collection_name(project_id)
    try:
        collection = client.get_collection(name, embedding_function=embedder)  # type: ignore[arg-type]
    except ChromaNotFound:
        collection = None
    except ValueError as error:
        if "conflict" not in str(error):
            raise _unreadable(settings, error) from error
        # Chroma's own check: another embedding function built this collection.
        persisted = str(error).rsplit(": ", 1)[-1]
        raise _mismatch(settings.project, persisted, embedder.identity) from error
    except ChromaError as error:
        raise _unreadable(settings, error) from error
    if collection is not None:
        recorded = (collection.metadata or {}).get("embedding_model")
        if recorded != embedder.identity:
            raise _mismatch(settings.project, str(recorded), embedder.identity)
        return ProjectIndex(collection, embedder, client.get_max_batch_size())
    if not create:
        return None
    stored = document_repo.count_chunks(store, project_id)
    if stored > 0:
        raise KnowledgeError(
            f"The document index of project {settings.project!r} is missing from "
            f"{settings.chroma_path} although {stored} chunks are stored.",
            hint=_REINDEX_HINT,
        )
    collection = _create(client, name, embedder, settings.project)
    document_repo.record_index_state(store, project_id, name, embedder.identity)
    return ProjectIndex(collection, embedder, client.get_max_batch_size())


def _create(
    client: ClientAPI, name: str, embedder: PersonaEmbeddingFunction, project: str
) -> Collection:
    return client.create_collection(
        name,
        metadata={"embedding_model": embedder.identity, "persona_project": project},
        configuration={"hnsw": {"space": "cosine"}},
        embedding_function=embedder,  # type: ignore[arg-type]
    )


def open_for_delete(settings: Settings, project_id: int) -> Collection | None:
    """The project's collection without any embedding check (deleting needs no vectors)."""
    client = _client(settings.chroma_path)
    try:
        return client.get_collection(collection_name(project_id), embedding_function=None)
    except ChromaNotFound:
        return None


def rebuild(
    store: Store,
    settings: Settings,
    project_id: int,
    embedder: PersonaEmbeddingFunction,
    batches: Callable[[], Any],
    *,
    progress: Callable[[int], None] | None = None,
    keep_vectors_except: set[str] | None = None,
) -> int:
    """Rebuild the project's collection from ``batches()`` (lists of (chunk, text)).

    The new collection is filled under a temporary name and swapped in at the
    end, so a failed rebuild leaves the previous index untouched. With
    ``keep_vectors_except``, chunks outside that set keep the vectors the old
    collection holds for them (only the named chunks, whose text changed, and
    chunks the old collection lacks are embedded again).
    """
    client = _client(settings.chroma_path)
    name = collection_name(project_id)
    temporary = f"{name}_rebuild"
    with contextlib.suppress(ChromaNotFound, ValueError):
        client.delete_collection(temporary)
    old: Collection | None = None
    if keep_vectors_except is not None:
        with contextlib.suppress(ChromaNotFound, ValueError):
            old = client.get_collection(name, embedding_function=None)
    fresh = ProjectIndex(
        _create(client, temporary, embedder, settings.project),
        embedder,
        client.get_max_batch_size(),
    )
    done = 0
    try:
        for batch in batches():
            chunks: list[IndexedChunk] = [c for c, _ in batch]
            kept = {} if old is None else _old_vectors(old, chunks, keep_vectors_except or set())
            missing = [text for c, text in batch if c.id not in kept]
            embedded = iter(embedder(missing) if missing else [])
            fresh.add(chunks, [kept[c.id] if c.id in kept else next(embedded) for c in chunks])
            done += len(chunks)
            if progress is not None:
                progress(done)
    except BaseException:
        client.delete_collection(temporary)
        raise
    with contextlib.suppress(ChromaNotFound, ValueError):
        client.delete_collection(name)
    fresh.collection.modify(name=name)
    document_repo.record_index_state(store, project_id, name, embedder.identity)
    return done


def _old_vectors(old: Collection, chunks: list[IndexedChunk], changed: set[str]) -> dict[str, Any]:
    ids = [c.id for c in chunks if c.id not in changed]
    if not ids:
        return {}
    got = old.get(ids=ids, include=["embeddings"])  # type: ignore[list-item]
    vectors = got.get("embeddings")
    if vectors is None:
        return {}
    return dict(zip(got["ids"], vectors, strict=True))


def compact_index(settings: Settings) -> None:
    """Rewrite Chroma's database file so text it no longer holds is gone from the disk too.

    Chroma leaves the text of replaced or deleted entries in free space inside
    ``chroma.sqlite3`` (and in its write-ahead queue until that is purged; a
    :func:`rebuild` drops the queue of the old collection). ``VACUUM`` rewrites
    the file from the live rows only. The client is closed first and reopens on
    next use.
    """
    database = settings.chroma_path / "chroma.sqlite3"
    if not database.is_file():
        return
    close_clients(settings)
    connection = sqlite3.connect(database, timeout=30, isolation_level=None)
    try:
        connection.execute("VACUUM")
    except sqlite3.Error as error:
        raise KnowledgeError(
            f"The document index {database} could not be compacted ({error}).",
            hint="Close other Persona Studio windows using this workspace and try again.",
        ) from error
    finally:
        connection.close()


def remove_index_folder(settings: Settings) -> None:
    """Delete the whole Chroma folder of the workspace (all projects). Used by tests/tools."""
    close_clients(settings)
    shutil.rmtree(settings.chroma_path, ignore_errors=True)
