"""Adding documents: read, clean, scrub, chunk, embed, then store and index each one.

SQLite is written first, in one transaction per document, and that transaction
commits only after Chroma has taken the document's vectors: a failure anywhere
leaves neither store nor index with part of a document.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from persona.config import Settings
from persona.errors import DocumentError, KnowledgeError
from persona.identifiers import KnownIdentifiers, known_identifiers, scrub_all
from persona.knowledge.chunk import chunk_blocks, embedding_text
from persona.knowledge.embed import make_embedding_function
from persona.knowledge.extract import SUPPORTED_SUFFIXES, extract
from persona.knowledge.index import IndexedChunk, ProjectIndex, chunk_metadata, open_index
from persona.knowledge.types import Block, Chunk, IngestReport, Progress
from persona.repos import documents as document_repo
from persona.repos.documents import DocumentInfo
from persona.store import Store, utc_now

__all__ = ["EMBED_GROUP", "add_documents", "document_paths"]

log = logging.getLogger("persona.knowledge")


def _quiet(message: str, fraction: float) -> None:
    """The progress callback used when the caller passes none."""


def _monotonic(report: Progress) -> Progress:
    """Files are read ahead of embedding, so raw fractions could step back; never do."""
    highest = [0.0]

    def step(message: str, fraction: float) -> None:
        highest[0] = max(highest[0], min(fraction, 1.0))
        report(message, highest[0])

    return step


def document_paths(paths: Sequence[Path]) -> list[Path]:
    """The files :func:`add_documents` would read: folders expand to the supported files
    inside them (recursively, sorted, skipping hidden ones); files stay as given."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                raise DocumentError(
                    path,
                    "the folder contains no supported documents.",
                    hint=f"Supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}.",
                )
            files.extend(found)
        else:
            files.append(path)
    return files


def add_documents(
    store: Store,
    settings: Settings,
    paths: list[Path],
    *,
    progress: Progress | None = None,
    on_error: Callable[[DocumentError], None] | None = None,
) -> list[IngestReport]:
    """Read, clean, chunk, embed and index documents into the current project.

    Folders are expanded to the supported files inside them. A file whose bytes
    are already in the project is not added again (its report has
    ``duplicate=True``). Each document is stored all-or-nothing, in its own
    transaction. Chunks of consecutive files are embedded together (up to
    :data:`EMBED_GROUP` chunks), which keeps the model's batches full; when a
    file fails, the files before it are still added, then the error is raised;
    with ``on_error``, the error is passed to it instead and the other files are
    added (the result then has no report for the bad file).

    Raises :class:`DocumentError` (naming the file and what to do) for a file
    that cannot be read, :class:`IndexMismatchError` when the index was built
    with another embedding model, :class:`ProviderError` when embedding fails.
    """
    report = _monotonic(progress or _quiet)
    files = document_paths(paths)
    project_id = store.project_id(settings.project)
    embedder = make_embedding_function(settings)
    known = known_identifiers(store, project_id)
    reports: dict[int, IngestReport] = {}
    pending: list[_Prepared] = []
    index: ProjectIndex | None = None
    share = 1.0 / max(len(files), 1)

    def flush() -> None:
        if not pending:
            return
        assert index is not None
        texts = [text for prepared in pending for text in prepared.texts]
        first, span = pending[0].position, pending[-1].position + 1 - pending[0].position
        vectors: list[Any] = []
        step = EMBED_GROUP // 4
        for start in range(0, len(texts), step):
            report(
                f"Embedding {len(texts)} chunks of {len(pending)} file(s)",
                (first + span * 0.85 * start / len(texts)) * share,
            )
            vectors.extend(embedder(texts[start : start + step]))
        offset = 0
        for prepared in pending:
            count = len(prepared.texts)
            report(f"Saving {prepared.path.name}", (prepared.position + 0.9) * share)
            reports[prepared.position] = _commit(
                store, project_id, index, prepared, vectors[offset : offset + count]
            )
            offset += count
        pending.clear()

    for position, path in enumerate(files):
        report(f"Reading {path.name}", 0.0)  # reading is quick; the bar moves as files land
        try:
            prepared = _prepare(store, settings, project_id, path, position, known)
        except DocumentError as error:
            if on_error is not None:
                on_error(error)
                continue
            flush()  # the files read before the bad one are still added
            raise
        if isinstance(prepared, IngestReport):
            reports[position] = prepared
            continue
        if index is None:
            index = open_index(store, settings, project_id, embedder, create=True)
        pending.append(prepared)
        if sum(len(p.texts) for p in pending) >= EMBED_GROUP:
            flush()
    flush()
    report(f"Added {len(reports)} file(s)", 1.0)
    return [reports[position] for position in sorted(reports)]


EMBED_GROUP = 256
"""Chunks embedded together across consecutive files. sentence-transformers sorts
the texts of one call by length before batching, so larger groups waste less
padding than one call per small document."""


@dataclass
class _Prepared:
    """A document read, cleaned and chunked, waiting for its vectors."""

    position: int
    path: Path
    sha: str
    chunks: list[Chunk]
    texts: list[str]
    report: IngestReport


def _read(path: Path, settings: Settings) -> bytes:
    if not path.exists():
        raise DocumentError(path, "no such file.", hint="Check the path and try again.")
    if not path.is_file():
        raise DocumentError(path, "this is not a regular file.", hint="Pass a document file.")
    size = path.stat().st_size
    limit = settings.max_upload_mb * 1024 * 1024
    if size == 0:
        raise DocumentError(path, "the file is empty.", hint="Add a file that contains text.")
    if size > limit:
        raise DocumentError(
            path,
            f"the file is {size / 2**20:,.1f} MB, above the {settings.max_upload_mb} MB limit.",
            hint="Split it into smaller files, or raise PERSONA_MAX_UPLOAD_MB.",
        )
    try:
        return path.read_bytes()
    except OSError as error:
        raise DocumentError(
            path, f"the file cannot be read ({error.strerror}).", hint="Check its permissions."
        ) from error


def _scrub(blocks: list[Block], known: KnownIdentifiers) -> tuple[list[Block], dict[str, int]]:
    totals: Counter[str] = Counter()
    clean: list[Block] = []
    for block in blocks:
        text = scrub_all(block.text, known, totals)
        heading = None if block.heading is None else scrub_all(block.heading, known, totals)
        clean.append(Block(text=text, page=block.page, heading=heading))
    return clean, {kind: n for kind, n in totals.items() if n}


def _existing(store: Store, project_id: int, sha: str) -> DocumentInfo | None:
    return document_repo.find_document(store, project_id, sha256=sha)


def _duplicate_report(existing: DocumentInfo, path: Path) -> IngestReport:
    return IngestReport(
        document_id=existing.document_id,
        filename=path.name,
        n_pages=existing.n_pages,
        n_chunks=existing.n_chunks,
        duplicate=True,
        media_type=existing.media_type,
        warnings=[f"already in this project as document {existing.document_id}; not added again"],
    )


def _prepare(
    store: Store,
    settings: Settings,
    project_id: int,
    path: Path,
    position: int,
    known: KnownIdentifiers,
) -> _Prepared | IngestReport:
    """Read, extract, scrub and chunk one file; a duplicate gives its report at once."""
    data = _read(path, settings)
    sha = hashlib.sha256(data).hexdigest()
    existing = _existing(store, project_id, sha)
    if existing is not None:
        return _duplicate_report(existing, path)
    extracted = extract(path, data)
    blocks, pii = _scrub(extracted.blocks, known)
    chunks = chunk_blocks(blocks, project_id=project_id, document_sha256=sha)
    if not chunks:
        raise DocumentError(path, "the file contains no visible text.", hint="Add another file.")
    warnings = list(extracted.warnings)
    same_name = document_repo.document_named(store, project_id, path.name)
    if same_name is not None:
        warnings.append(f"another version of {path.name} is document {same_name}")
    report = IngestReport(
        document_id=0,
        filename=path.name,
        n_pages=extracted.n_pages,
        n_chunks=len(chunks),
        media_type=extracted.media_type,
        hidden_removed=dict(extracted.hidden_removed),
        pii_scrubbed=pii,
        warnings=warnings,
    )
    texts = [embedding_text(c.text, c.heading) for c in chunks]
    return _Prepared(position, path, sha, chunks, texts, report)


def _commit(
    store: Store,
    project_id: int,
    index: ProjectIndex,
    prepared: _Prepared,
    vectors: Sequence[Any],
) -> IngestReport:
    """Store one document and index its vectors: both, or neither."""
    path, chunks, report = prepared.path, prepared.chunks, prepared.report
    added = utc_now()
    touched_index = False
    try:
        with store.transaction():
            document_id = document_repo.insert_document(
                store,
                project_id,
                filename=path.name,
                sha256=prepared.sha,
                media_type=report.media_type,
                n_pages=report.n_pages,
                report=report.to_json(),
                created_at=added,
                chunks=chunks,
            )
            touched_index = True
            index.add(
                [
                    IndexedChunk(
                        id=c.id,
                        document=text,
                        metadata=chunk_metadata(
                            c, project_id, document_id, path.name, prepared.sha, added
                        ),
                    )
                    for c, text in zip(chunks, prepared.texts, strict=True)
                ],
                vectors,
            )
    except sqlite3.IntegrityError:
        existing = _existing(store, project_id, prepared.sha)
        if existing is None:
            raise
        return _duplicate_report(existing, path)  # the same bytes twice in one call, or a race
    except Exception as error:
        if touched_index:
            try:
                index.delete_ids([c.id for c in chunks])
            except Exception as cleanup:  # the store rolled back; orphans are filtered out
                log.warning("could not remove partial index entries of %s: %s", path, cleanup)
        if isinstance(error, KnowledgeError):
            raise
        raise KnowledgeError(
            f"{path}: the document could not be indexed ({type(error).__name__}: {error}); "
            "nothing was added.",
            hint="Try again; if it keeps failing, run `persona docs reindex`.",
        ) from error
    return replace(report, document_id=document_id)
