"""Split text blocks into overlapping chunks with stable IDs.

Chunks never straddle blocks, so every chunk has one page (PDF) and one heading.
IDs derive from the project, the document's content hash and the chunk's
position: the same file added to the same project always yields the same IDs,
and a rebuilt index (``persona docs reindex``) keeps them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from persona.knowledge.types import Block, Chunk

__all__ = ["CHUNK_OVERLAP", "CHUNK_SIZE", "chunk_blocks", "chunk_id", "embedding_text"]

CHUNK_SIZE = 800
"""Target chunk length in characters: about 160-200 word pieces, inside the 256-token
window of all-MiniLM-L6-v2 so nothing is silently truncated when embedded."""
CHUNK_OVERLAP = 120
"""Characters shared by neighbouring chunks, so a sentence cut at a boundary survives."""

_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def chunk_id(project_id: int, document_sha256: str, ordinal: int) -> str:
    """The stable ID of chunk ``ordinal`` of a document in a project."""
    key = f"{project_id}:{document_sha256}:{ordinal}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


def chunk_blocks(
    blocks: Iterable[Block],
    *,
    project_id: int,
    document_sha256: str,
    chunk_size: int = CHUNK_SIZE,
    chunk_overlap: int = CHUNK_OVERLAP,
) -> list[Chunk]:
    """Split each block into chunks of at most ``chunk_size`` characters, with overlap."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=_SEPARATORS,
        keep_separator="end",
    )
    chunks: list[Chunk] = []
    for block in blocks:
        for piece in splitter.split_text(block.text):
            piece = piece.strip()
            if not piece:
                continue
            ordinal = len(chunks)
            chunks.append(
                Chunk(
                    id=chunk_id(project_id, document_sha256, ordinal),
                    ordinal=ordinal,
                    text=piece,
                    page=block.page,
                    heading=block.heading,
                    sha256=hashlib.sha256(piece.encode("utf-8")).hexdigest(),
                )
            )
    return chunks


def embedding_text(text: str, heading: str | None) -> str:
    """What is embedded for a chunk: its heading as a first line, then its text.

    The heading gives short chunks their topic ("Refunds", "Gold tier"). Ingest
    and reindex both call this, so a rebuilt index embeds exactly the same input.
    """
    if heading and not text.startswith(heading):
        return f"{heading}\n{text}"
    return text
