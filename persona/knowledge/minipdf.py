"""A minimal PDF writer for the sample documents and test fixtures.

Writes text-only PDF 1.4 files with the standard Helvetica fonts (no embedded
fonts, WinAnsi encoding), wrapped paragraphs, headings and page breaks, plus the
raw-operator escape hatch tests use to plant invisible text. It exists so the
project can build its own PDFs without a heavy dependency (reportlab is not
installed here); it is not a general PDF library.
"""

from __future__ import annotations

import textwrap
import zlib
from dataclasses import dataclass, field

__all__ = ["PdfBuilder"]

_PAGE_WIDTH = 612.0  # US Letter, points
_PAGE_HEIGHT = 792.0
_MARGIN = 56.0
# Helvetica averages about half an em per character in running English text.
_CHAR_WIDTH_EM = 0.52


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    out = bytearray(b"(")
    for byte in raw:
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += f"\\{byte:03o}".encode("ascii")
    out += b")"
    return bytes(out)


@dataclass
class _Page:
    ops: list[bytes] = field(default_factory=list)
    y: float = _PAGE_HEIGHT - _MARGIN
    images: bool = False


class PdfBuilder:
    """Build a PDF page by page.

    >>> pdf = PdfBuilder()
    >>> pdf.heading("Northwind Outfitters")
    >>> pdf.paragraph("Gear for every trail.")
    >>> data = pdf.to_bytes(title="Brochure")
    """

    def __init__(self) -> None:
        self._pages: list[_Page] = []

    # -- content ---------------------------------------------------------------------

    def new_page(self) -> None:
        """Start a new page (the first call to any content method starts one too)."""
        self._pages.append(_Page())

    @property
    def _page(self) -> _Page:
        if not self._pages:
            self.new_page()
        return self._pages[-1]

    def _line(self, text: str, size: float, bold: bool, indent: float = 0.0) -> None:
        page = self._page
        if page.y - size * 1.4 < _MARGIN:
            self.new_page()
            page = self._page
        page.y -= size * 1.4
        font = b"/F2" if bold else b"/F1"
        page.ops.append(
            b"BT "
            + font
            + f" {size:g} Tf {(_MARGIN + indent):.1f} {page.y:.1f} Td ".encode()
            + _pdf_string(text)
            + b" Tj ET"
        )

    def heading(self, text: str, size: float = 16.0) -> None:
        """A bold heading line with some space before it."""
        self._page.y -= size * 0.6
        self._line(text, size, bold=True)

    def paragraph(self, text: str, size: float = 10.5, *, indent: float = 0.0) -> None:
        """Wrapped body text followed by a small gap."""
        width = int((_PAGE_WIDTH - 2 * _MARGIN - indent) / (size * _CHAR_WIDTH_EM))
        for line in textwrap.wrap(text, width=width) or [""]:
            self._line(line, size, bold=False, indent=indent)
        self._page.y -= size * 0.5

    def bullets(self, items: list[str], size: float = 10.5) -> None:
        """A bulleted list."""
        for item in items:
            self.paragraph("\u2022 " + item, size, indent=12.0)

    def raw(self, operators: str) -> None:
        """Append raw content-stream operators to the current page (test fixtures)."""
        self._page.ops.append(operators.encode("latin-1"))

    def image_only_page(self) -> None:
        """A page that shows a small grey image and no text (a "scanned" page)."""
        self.new_page()
        page = self._page
        page.images = True
        page.ops.append(b"q 400 0 0 500 106 146 cm /Im1 Do Q")

    # -- output ----------------------------------------------------------------------

    def to_bytes(self, *, metadata: dict[str, str] | None = None) -> bytes:
        """The finished PDF. ``metadata`` goes into the document information dictionary."""
        if not self._pages:
            self.new_page()
        objects: list[bytes] = []

        def add(body: bytes) -> int:
            objects.append(body)
            return len(objects)

        catalog = add(b"")  # filled in below, once the page tree number is known
        pages_id = add(b"")
        regular = add(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
        )
        bold = add(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
            b"/Encoding /WinAnsiEncoding >>"
        )
        pixels = bytes([160]) * 16
        image = add(
            b"<< /Type /XObject /Subtype /Image /Width 4 /Height 4 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Length "
            + str(len(pixels)).encode()
            + b" >>\nstream\n"
            + pixels
            + b"\nendstream"
        )
        kids: list[int] = []
        for page in self._pages:
            content = zlib.compress(b"\n".join(page.ops))
            stream = add(
                b"<< /Length " + str(len(content)).encode() + b" /Filter /FlateDecode >>\n"
                b"stream\n" + content + b"\nendstream"
            )
            xobjects = f" /XObject << /Im1 {image} 0 R >>".encode() if page.images else b""
            kids.append(
                add(
                    f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {_PAGE_WIDTH:g} "
                    f"{_PAGE_HEIGHT:g}] /Resources << /Font << /F1 {regular} 0 R /F2 {bold} 0 R "
                    f">>".encode()
                    + xobjects
                    + f" >> /Contents {stream} 0 R >>".encode()
                )
            )
        objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
        objects[pages_id - 1] = (
            f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] "
            f"/Count {len(kids)} >>".encode()
        )
        info = None
        if metadata:
            entries = b" ".join(
                b"/" + key.encode("ascii") + b" " + _pdf_string(value)
                for key, value in metadata.items()
            )
            info = add(b"<< " + entries + b" >>")

        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets: list[int] = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        for offset in offsets:
            out += f"{offset:010d} 00000 n \n".encode()
        trailer = f"<< /Size {len(objects) + 1} /Root {catalog} 0 R"
        if info is not None:
            trailer += f" /Info {info} 0 R"
        out += f"trailer\n{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)
