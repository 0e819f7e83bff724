"""Plain data passed between the knowledge modules and returned to callers.

:class:`Citation` and :class:`DocumentInfo` are read from the store, so they are
defined with their table's repository (:mod:`persona.repos.documents`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from persona.repos.documents import Citation, DocumentInfo

__all__ = [
    "REMOVAL_LABELS",
    "Block",
    "Chunk",
    "Citation",
    "DocumentInfo",
    "Extracted",
    "IngestReport",
    "Progress",
    "describe_removals",
]

Progress = Callable[[str, float], None]
"""Progress callback: a short message and the fraction done, 0.0 to 1.0."""


@dataclass(frozen=True)
class Block:
    """A run of visible text from one place in a document (a page, a section, a table)."""

    text: str
    page: int | None = None
    heading: str | None = None


@dataclass
class Extracted:
    """What a reader got out of one file, before chunking."""

    media_type: str
    blocks: list[Block]
    n_pages: int | None = None
    hidden_removed: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def count_hidden(self, kind: str, n: int = 1) -> None:
        """Record ``n`` pieces of hidden content of ``kind`` that were left out."""
        if n:
            self.hidden_removed[kind] = self.hidden_removed.get(kind, 0) + n


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a document, as stored in SQLite and indexed in Chroma."""

    id: str
    ordinal: int
    text: str
    page: int | None
    heading: str | None
    sha256: str


@dataclass(frozen=True)
class IngestReport:
    """The outcome of adding one file.

    ``duplicate`` is true when a document with the same bytes was already in the
    project: nothing was added and ``document_id`` names the existing one.
    ``hidden_removed`` counts invisible content left out (by kind), and
    ``pii_scrubbed`` the personal identifiers replaced by placeholders.
    """

    document_id: int
    filename: str
    n_pages: int | None
    n_chunks: int
    duplicate: bool = False
    media_type: str = ""
    hidden_removed: dict[str, int] = field(default_factory=dict)
    pii_scrubbed: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report as stored with the document (``documents.report_json``)."""
        return {
            "media_type": self.media_type,
            "hidden_removed": self.hidden_removed,
            "pii_scrubbed": self.pii_scrubbed,
            "warnings": self.warnings,
        }


REMOVAL_LABELS: dict[str, str] = {
    "comments": "comments",
    "hidden_elements": "hidden page elements",
    "white_text": "white-on-white passages",
    "zero_size_text": "zero-size passages",
    "pdf_invisible_text": "invisible PDF passages",
    "pdf_metadata_fields": "PDF metadata fields",
    "docx_hidden_runs": "hidden Word passages",
    "invisible_chars": "invisible characters",
    "instructions_to_ai": "AI-addressed instructions",
    "markdown_images": "embedded images",
    "email": "e-mail addresses",
    "iban": "IBANs",
    "card": "card numbers",
    "phone": "phone numbers",
}
"""Plain words for the kinds of hidden content and personal data removed at ingest."""


def describe_removals(counts: dict[str, int], *, empty: str = "none") -> str:
    """``{"pdf_metadata_fields": 4, "email": 1}`` → ``"1 e-mail address, 4 PDF metadata fields"``.

    Kinds without a label are spelled with spaces; zero counts are left out.
    """
    parts = []
    for kind, n in sorted(counts.items()):
        if n:
            label = REMOVAL_LABELS.get(kind, kind.replace("_", " "))
            parts.append(f"{n} {_singular(label) if n == 1 else label}")
    return ", ".join(parts) or empty


def _singular(label: str) -> str:
    words = label.split(" ")
    last = words[-1]
    if last.endswith("sses"):
        words[-1] = last[:-2]
    elif last.endswith("s") and not last.endswith("ss"):
        words[-1] = last[:-1]
    return " ".join(words)
