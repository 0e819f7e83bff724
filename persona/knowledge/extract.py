"""Turn one file into visible text blocks, refusing what cannot be read safely.

:func:`extract` checks the file (exists, not empty, not too large, a supported
type whose bytes match its name), hands it to the reader for its format and
then removes invisible characters from every block. Each reader keeps page
numbers (PDF) or the nearest heading (DOCX, Markdown, HTML) and counts the
hidden content it left out. Every refusal is a :class:`DocumentError` naming
the file and what to do.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path

from persona.errors import DocumentError
from persona.knowledge.clean import INVISIBLE_KIND, remove_invisible, tidy_whitespace
from persona.knowledge.instructions import remove_instructions
from persona.knowledge.pdf import read_pdf
from persona.knowledge.types import Block, Extracted
from persona.knowledge.webpage import read_html
from persona.knowledge.word import read_docx

__all__ = ["SUPPORTED_SUFFIXES", "decode_text", "extract", "supported_types_text"]

SUPPORTED_SUFFIXES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".text": "text/plain",
}
"""File name endings accepted by :func:`extract`, with the media type recorded for each."""

_ADVICE: dict[str, str] = {
    ".doc": "Save it as .docx (Word: File > Save As) and add that.",
    ".rtf": "Save it as .docx or .txt and add that.",
    ".odt": "Save it as .docx and add that.",
    ".pptx": "Export it to PDF and add that.",
    ".ppt": "Export it to PDF and add that.",
    ".xlsx": "Customer tables go through `persona data load`; export prose to PDF or .docx.",
    ".csv": "Customer tables go through `persona data load`; documents must be prose.",
    ".png": "Images have no text layer: run OCR first (e.g. ocrmypdf) and add the PDF.",
    ".jpg": "Images have no text layer: run OCR first (e.g. ocrmypdf) and add the PDF.",
    ".jpeg": "Images have no text layer: run OCR first (e.g. ocrmypdf) and add the PDF.",
}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive (e.g. DOCX)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.doc/.xls)"),
)


def supported_types_text() -> str:
    """The supported endings as a short list for messages."""
    return ", ".join(
        sorted({s for s in SUPPORTED_SUFFIXES if s not in (".markdown", ".htm", ".text")})
    )


def extract(path: Path, data: bytes) -> Extracted:
    """Read ``data`` (the bytes of ``path``) into visible text blocks.

    The caller has already checked size limits; this checks type and content.
    Raises :class:`DocumentError` for unsupported, mislabelled, corrupt,
    encrypted, image-only, bomb-like or empty files.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            path,
            f"unsupported file type {suffix or '(no extension)'!r}.",
            hint=_ADVICE.get(suffix, f"Supported: {supported_types_text()}."),
        )
    media_type = SUPPORTED_SUFFIXES[suffix]
    if not data.strip():
        raise DocumentError(path, "the file is empty.", hint="Add a file that contains text.")
    _check_magic(path, suffix, data)
    reader = _READERS[media_type]
    extracted = reader(path, data)
    extracted.media_type = media_type
    blocks: list[Block] = []
    for block in extracted.blocks:
        text, removed = remove_invisible(block.text)
        extracted.count_hidden(INVISIBLE_KIND, removed)
        heading = block.heading
        if heading is not None:
            heading, removed = remove_invisible(heading)
            extracted.count_hidden(INVISIBLE_KIND, removed)
            heading = tidy_whitespace(heading) or None
        text, instructions = remove_instructions(text)
        for kind, removed in instructions.items():
            extracted.count_hidden(kind, removed)
        text = tidy_whitespace(text)
        if text:
            blocks.append(Block(text=text, page=block.page, heading=heading))
    extracted.blocks = blocks
    if not blocks:
        if media_type == "application/pdf":
            raise DocumentError(
                path,
                "the PDF has no text layer (scanned or image-only pages).",
                hint="Run OCR first (e.g. `ocrmypdf in.pdf out.pdf`) and add the result.",
            )
        raise DocumentError(
            path, "the file contains no visible text.", hint="Add a file that contains text."
        )
    return extracted


def _check_magic(path: Path, suffix: str, data: bytes) -> None:
    head = data[:1024]
    if suffix == ".pdf":
        if b"%PDF-" not in head:
            raise DocumentError(
                path,
                "this is not a valid PDF (no PDF header): the file is corrupt or mislabelled.",
                hint="Re-export or re-download it.",
            )
        return
    if suffix == ".docx":
        if not head.startswith(b"PK\x03\x04"):
            raise DocumentError(
                path,
                "this is not a valid DOCX (not a ZIP package): the file is corrupt or mislabelled.",
                hint="Open and re-save it in Word as .docx.",
            )
        return
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            raise DocumentError(
                path,
                f"the name says {suffix} but the content is {kind}.",
                hint=f"Rename it with the right extension. Supported: {supported_types_text()}.",
            )


# --------------------------------------------------------------------------- text


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Decode text bytes: BOM, then UTF-8, then charset detection.

    Returns the text and the encoding used. Raises :class:`DocumentError` for
    binary content or an encoding that cannot be determined.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:8192]:
        raise DocumentError(
            path,
            "the file looks binary, not text.",
            hint=f"Check the file. Supported: {supported_types_text()}.",
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DocumentError(
            path,
            "the text encoding could not be recognised.",
            hint="Save the file as UTF-8 and add it again.",
        )
    return str(best), best.encoding


def _read_text(path: Path, data: bytes) -> Extracted:
    text, encoding = decode_text(path, data)
    extracted = Extracted(media_type="text/plain", blocks=[Block(text=text)])
    if encoding not in ("utf-8", "utf-8-sig", "ascii"):
        extracted.warnings.append(f"decoded as {encoding}")
    return extracted


# --------------------------------------------------------------------------- markdown

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Raw HTML elements hidden by inline style or the hidden attribute (not nested).
_HTML_HIDDEN = re.compile(
    r"<(?P<tag>[a-zA-Z][a-zA-Z0-9]*)\b(?=[^>]*(?:\bhidden\b|display\s*:\s*none|"
    r"visibility\s*:\s*hidden|font-size\s*:\s*0))[^>]*>.*?</(?P=tag)\s*>",
    re.DOTALL | re.IGNORECASE,
)


def _read_markdown(path: Path, data: bytes) -> Extracted:
    text, encoding = decode_text(path, data)
    extracted = Extracted(media_type="text/markdown", blocks=[])
    if encoding not in ("utf-8", "utf-8-sig", "ascii"):
        extracted.warnings.append(f"decoded as {encoding}")
    # Raw HTML in Markdown renders invisibly when it is a comment or a hidden element.
    text, n_comments = _HTML_COMMENT.subn("", text)
    extracted.count_hidden("comments", n_comments)
    text, n_hidden = _HTML_HIDDEN.subn("", text)
    extracted.count_hidden("hidden_elements", n_hidden)

    heading: str | None = None
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            extracted.blocks.append(Block(text=body, heading=heading))
        lines.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            lines.append(line)
            continue
        if not in_fence:
            atx = _ATX.match(line)
            if atx:
                flush()
                heading = atx.group(2).strip()
                continue
            if _SETEXT.match(line) and lines and lines[-1].strip():
                candidate = lines.pop().strip()
                flush()
                heading = candidate
                continue
        lines.append(line)
    flush()
    return extracted


# --------------------------------------------------------------------------- dispatch

_READERS: dict[str, Callable[[Path, bytes], Extracted]] = {
    "application/pdf": read_pdf,
    SUPPORTED_SUFFIXES[".docx"]: read_docx,
    "text/markdown": _read_markdown,
    "text/html": read_html,
    "text/plain": _read_text,
}
