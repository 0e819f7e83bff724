"""DOCX reader: paragraphs and tables in document order, sections split at headings.

Before python-docx sees the file, the ZIP package is checked without inflating
it: entry count, total uncompressed size and per-entry compression ratio (a
"zip bomb" inflates a few kilobytes into gigabytes), and every XML part is
refused if it declares a DTD or entities (billion-laughs and external-entity
attacks; Word never writes either). Runs a reader cannot see are left out and
counted: hidden runs (``w:vanish``, directly or through their style), white
text and text under 1 pt. Headers, footers, comments and footnotes are not read.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import zipfile
from pathlib import Path
from typing import Any

from persona.errors import DocumentError
from persona.knowledge.types import Block, Extracted

__all__ = ["MAX_ENTRIES", "MAX_RATIO", "MAX_UNCOMPRESSED", "read_docx"]

MAX_ENTRIES = 5_000
"""Most ZIP entries a DOCX may have."""
MAX_UNCOMPRESSED = 512 * 1024 * 1024
"""Largest total uncompressed size of a DOCX package, in bytes."""
MAX_RATIO = 100
"""Largest compression ratio of one entry bigger than 1 MiB (text XML is 5-20x)."""

_BOMB_HINT = "If the file is genuine, open it in Word and save it again; otherwise discard it."


def read_docx(path: Path, data: bytes) -> Extracted:
    """Extract visible paragraphs and tables from DOCX bytes."""
    _check_package(path, data)
    import docx  # python-docx; imported here to keep `import persona.knowledge` light

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises KeyError, lxml errors, BadZipFile …
        raise DocumentError(
            path,
            f"the DOCX is damaged and cannot be read ({type(error).__name__}: {error}).",
            hint="Open it in Word and save it again as .docx.",
        ) from error

    extracted = Extracted(media_type="docx", blocks=[])
    heading: str | None = None
    paragraphs: list[str] = []

    def flush() -> None:
        if paragraphs:
            extracted.blocks.append(Block(text="\n\n".join(paragraphs), heading=heading))
            paragraphs.clear()

    from docx.table import Table

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            flush()
            table_text = _table_text(item, extracted)
            if table_text:
                extracted.blocks.append(Block(text=table_text, heading=heading))
            continue
        text = _paragraph_text(item, extracted)
        if not text.strip():
            continue
        if _is_heading(item):
            flush()
            heading = text.strip()
        else:
            paragraphs.append(text)
    flush()
    return extracted


def _check_package(path: Path, data: bytes) -> None:
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise DocumentError(
            path,
            "the DOCX is damaged (not a readable ZIP package).",
            hint="Open it in Word and save it again as .docx.",
        ) from error
    with package:
        entries = package.infolist()
        if len(entries) > MAX_ENTRIES:
            raise DocumentError(
                path,
                f"the DOCX has {len(entries):,} parts (limit {MAX_ENTRIES:,}): refusing a "
                "possible zip bomb.",
                hint=_BOMB_HINT,
            )
        total = sum(entry.file_size for entry in entries)
        if total > MAX_UNCOMPRESSED:
            raise DocumentError(
                path,
                f"the DOCX would inflate to {total / 2**20:,.0f} MB (limit "
                f"{MAX_UNCOMPRESSED // 2**20} MB): refusing a possible zip bomb.",
                hint=_BOMB_HINT,
            )
        for entry in entries:
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > 2**20 and ratio > MAX_RATIO:
                raise DocumentError(
                    path,
                    f"part {entry.filename} compresses {ratio:,.0f}:1 (limit {MAX_RATIO}:1): "
                    "refusing a possible zip bomb.",
                    hint=_BOMB_HINT,
                )
        names = {entry.filename for entry in entries}
        if "word/document.xml" not in names:
            raise DocumentError(
                path,
                "this ZIP package is not a Word document (no word/document.xml).",
                hint="Add a .docx saved by Word, LibreOffice or Google Docs.",
            )
        for entry in entries:
            if entry.filename.endswith((".xml", ".rels")):
                _check_xml_part(path, entry.filename, package.read(entry))


def _check_xml_part(path: Path, name: str, raw: bytes) -> None:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:4]:
        with contextlib.suppress(UnicodeDecodeError):
            raw = raw.decode("utf-16").encode("utf-8")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise DocumentError(
            path,
            f"part {name} declares XML entities or a DTD, which Word never writes: refusing a "
            "possible XML entity attack.",
            hint=_BOMB_HINT,
        )


def _style_chain_flag(style: Any, attribute: str) -> bool | None:
    seen = 0
    while style is not None and seen < 20:
        value = getattr(style.font, attribute, None)
        if value is not None:
            return bool(value)
        style = style.base_style
        seen += 1
    return None


def _hidden_kind(run: Any, paragraph: Any) -> str | None:
    font = run.font
    hidden = font.hidden
    if hidden is None:
        hidden = _style_chain_flag(run.style, "hidden")
    if hidden is None:
        hidden = _style_chain_flag(paragraph.style, "hidden")
    if hidden:
        return "docx_hidden_runs"
    try:
        rgb = font.color.rgb if font.color is not None and font.color.type is not None else None
    except (AttributeError, ValueError):
        rgb = None
    if rgb is not None and str(rgb).upper() == "FFFFFF" and font.highlight_color is None:
        return "white_text"
    if font.size is not None and font.size.pt < 1:
        return "zero_size_text"
    return None


def _paragraph_text(paragraph: Any, extracted: Extracted) -> str:
    from docx.text.run import Run

    parts: list[str] = []
    for item in paragraph.iter_inner_content():
        runs = [item] if isinstance(item, Run) else list(item.runs)
        for run in runs:
            text = run.text
            if not text:
                continue
            kind = _hidden_kind(run, paragraph)
            if kind is not None:
                extracted.count_hidden(kind)
                continue
            parts.append(text)
    return "".join(parts)


def _is_heading(paragraph: Any) -> bool:
    name = (paragraph.style.name or "") if paragraph.style is not None else ""
    return name.startswith("Heading") or name == "Title"


def _table_text(table: Any, extracted: Extracted) -> str:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if previous is not None and cell._tc is previous:  # merged cells repeat
                continue
            previous = cell._tc
            text = " ".join(
                t for p in cell.paragraphs if (t := _paragraph_text(p, extracted).strip())
            )
            cells.append(text)
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)
