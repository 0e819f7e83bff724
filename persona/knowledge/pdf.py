"""PDF reader: one text block per page, invisible text left out, metadata never read.

Text a reader cannot see is removed from the page's content stream before
pypdf extracts it: text drawn in rendering mode 3 or 7 (invisible / clip only),
filled in white, or at font size zero. Document metadata (the information
dictionary and XMP) is never part of the text; its fields are only counted.
Limits: text inside form XObjects and text hidden behind shapes or off the page
are not detected.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, PdfReadError
from pypdf.generic import ContentStream, NameObject

from persona.errors import DocumentError
from persona.knowledge.types import Block, Extracted

__all__ = ["read_pdf"]

_SHOW_TEXT = {b"Tj", b"TJ", b"'", b'"'}
_INVISIBLE_MODES = {3, 7}
_FILL_MODES = {0, 2, 4, 6}


def read_pdf(path: Path, data: bytes) -> Extracted:
    """Extract visible text per page (1-based page numbers) from PDF bytes."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as error:  # pypdf raises many types for damaged files
        raise _damaged(path, error) from error
    if encrypted:
        try:
            unlocked = bool(reader.decrypt(""))
        except (DependencyError, NotImplementedError, PdfReadError):
            unlocked = False
        if not unlocked:
            raise DocumentError(
                path,
                "the PDF is encrypted (password-protected).",
                hint="Open it, save an unprotected copy (Print > Save as PDF) and add that.",
            )
    try:
        pages = list(reader.pages)
    except Exception as error:
        raise _damaged(path, error) from error

    extracted = Extracted(media_type="application/pdf", blocks=[], n_pages=len(pages))
    _count_metadata(reader, extracted)
    empty: list[int] = []
    for number, page in enumerate(pages, start=1):
        try:
            _drop_invisible_text(page, reader, extracted)
            text = page.extract_text() or ""
        except Exception as error:
            extracted.warnings.append(f"page {number} could not be read ({type(error).__name__})")
            continue
        if text.strip():
            extracted.blocks.append(Block(text=text, page=number))
        else:
            empty.append(number)
    if empty and len(empty) < len(pages):
        listed = ", ".join(map(str, empty[:10])) + (" …" if len(empty) > 10 else "")
        extracted.warnings.append(f"no text on page(s) {listed}: scanned images need OCR")
    return extracted


def _damaged(path: Path, error: Exception) -> DocumentError:
    return DocumentError(
        path,
        f"the PDF is damaged and cannot be read ({type(error).__name__}: {error}).",
        hint="Re-export or re-download it, then add it again.",
    )


def _count_metadata(reader: PdfReader, extracted: Extracted) -> None:
    try:
        info: dict[str, Any] = dict(reader.metadata or {})
        fields = sum(1 for value in info.values() if str(value).strip())
        root: Any = reader.trailer["/Root"].get_object()
        fields += 1 if "/Metadata" in root else 0  # XMP packet: counted, never parsed
    except Exception:  # metadata is never used, so damage there does not matter
        return
    extracted.count_hidden("pdf_metadata_fields", fields)


def _number(value: Any, default: Any) -> Any:
    try:
        return type(default)(value)
    except (TypeError, ValueError):
        return default


def _is_white(operator: bytes, operands: list[Any]) -> bool | None:
    """Whether a fill-colour operator sets white; ``None`` if it is not one."""
    if operator not in (b"g", b"rg", b"k", b"sc", b"scn"):
        return None
    try:
        values = [float(v) for v in operands]
    except (TypeError, ValueError):  # pattern colour spaces name a pattern
        return False
    if operator == b"k" or (operator in (b"sc", b"scn") and len(values) == 4):
        return len(values) == 4 and all(v == 0 for v in values)
    return bool(values) and len(values) in (1, 3) and all(v >= 0.99 for v in values)


def _drop_invisible_text(page: Any, reader: PdfReader, extracted: Extracted) -> None:
    contents = page.get("/Contents")
    if contents is None:
        return
    # "bytes" keeps string operands as raw bytes, so rewriting the stream does not
    # re-encode them (which would garble non-ASCII text in WinAnsi fonts).
    stream = ContentStream(contents.get_object(), reader, "bytes")
    mode, white, size = 0, False, 1.0
    saved: list[tuple[int, bool, float]] = []
    kept: list[tuple[Any, bytes]] = []
    dropped = 0
    for operands, operator in stream.operations:
        if operator == b"q":
            saved.append((mode, white, size))
        elif operator == b"Q" and saved:
            mode, white, size = saved.pop()
        elif operator == b"Tr" and operands:
            mode = _number(operands[0], mode)
        elif operator == b"Tf" and len(operands) == 2:
            size = _number(operands[1], size)
        elif (is_white := _is_white(operator, operands)) is not None:
            white = is_white
        elif operator in _SHOW_TEXT:
            kind = None
            if mode in _INVISIBLE_MODES:
                kind = "pdf_invisible_text"
            elif white and mode in _FILL_MODES:
                kind = "white_text"
            elif size == 0:
                kind = "zero_size_text"
            if kind is not None:
                extracted.count_hidden(kind)
                dropped += 1
                if operator in (b"'", b'"'):  # these also move to the next line
                    kept.append(([], b"T*"))
                continue
        kept.append((operands, operator))
    if dropped:
        stream.operations = kept
        page[NameObject("/Contents")] = stream
