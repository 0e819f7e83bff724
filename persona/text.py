"""One text layer: clip, slug, humanise, invisible characters, CSV cells, the synthetic label.

Every module that shortens, names, cleans or labels text for a person to read
uses these, so the same input looks the same in a prompt, a brief, a CSV file
and the UI.

Invisible characters are the full Unicode "format" category (Cf: soft hyphen
U+00AD, zero-width spaces and joiners, bidirectional controls, word joiners,
the BOM, interlinear annotation marks, the tag characters U+E0000-U+E007F used
to smuggle instructions past a reader), the C0/C1 controls other than tab,
newline and carriage return, and the unassigned rest of the tag block.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

from segments.export import FORMULA_PREFIXES
from segments.export import safe_cell as csv_cell
from segments.facts import feature_words, humanise, slug

__all__ = [
    "DISCLAIMER",
    "ELLIPSIS",
    "FORMULA_PREFIXES",
    "clip",
    "csv_cell",
    "feature_words",
    "humanise",
    "remove_invisible",
    "slug",
    "strip_invisible",
    "synthetic_label",
]

ELLIPSIS = "…"

DISCLAIMER = (
    "Written by a language model from aggregate customer data and company documents, "
    "not said by real customers; treat it as hypotheses to validate."
)
"""What every simulated artefact (persona, transcript, panel, insight brief) says it is."""

# Controls that never belong in prose; tab, newline and carriage return stay.
_CONTROLS = [(0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F)]
_TAG_BLOCK = (0xE0000, 0xE007F)
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def synthetic_label(kind: str = "research") -> str:
    """``Synthetic <kind>: written by a language model …``: the one disclaimer, named.

    An empty ``kind`` gives ``Synthetic: written by …``.
    """
    head = f"Synthetic {kind}".strip()
    return f"{head}: {DISCLAIMER[0].lower()}{DISCLAIMER[1:]}"


def clip(text: str, limit: int, *, words: bool = True) -> str:
    """``text`` on one line (whitespace collapsed) and at most ``limit`` characters.

    Longer text is cut, at the last word boundary when ``words``, and ends with ``…``.
    """
    clean = " ".join(str(text).split())
    if len(clean) <= limit:
        return clean
    cut = clean[: max(limit - 1, 0)]
    if words and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut + ELLIPSIS


def strip_invisible(text: str) -> str:
    """``text`` without invisible format characters and stray controls (see module docstring)."""
    return remove_invisible(text)[0]


def remove_invisible(text: str) -> tuple[str, int]:
    """``text`` without invisible characters, and how many format characters were removed.

    The count leaves out the ASCII controls (they are noise from extraction, not
    hidden text), as document ingestion reports it.
    """
    if text.isascii():
        return _ASCII_CONTROLS.sub("", text), 0
    kept, removed = _invisible().subn("", text)
    controls = len(_ASCII_CONTROLS.findall(text))
    return kept, removed - controls


@functools.cache
def _invisible() -> re.Pattern[str]:
    # Built on first use from the running Python's Unicode tables (0.2 s), so new
    # format characters are covered when Python's Unicode version moves on.
    ranges = [*_CONTROLS, _TAG_BLOCK]
    start = None
    for code in range(0xA0, sys.maxunicode + 1):
        if unicodedata.category(chr(code)) == "Cf":
            if start is None:
                start = code
            last = code
        elif start is not None:
            ranges.append((start, last))
            start = None
    if start is not None:
        ranges.append((start, last))
    body = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in sorted(ranges))
    return re.compile(f"[{body}]")
