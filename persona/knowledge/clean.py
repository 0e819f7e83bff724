"""Text clean-up shared by every reader: invisible characters out, whitespace tidied.

Invisible "format" characters (Unicode category Cf: zero-width spaces and
joiners, bidirectional overrides, the tag characters U+E0000-U+E007F, soft
hyphens, BOMs) carry no visible text but can smuggle instructions past a human
reviewer (OWASP LLM01, "invisible payloads"), so they are removed and counted.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["INVISIBLE_KIND", "strip_invisible", "tidy_whitespace"]

INVISIBLE_KIND = "invisible_chars"
"""The ``hidden_removed`` key under which removed invisible characters are counted."""

# Cc controls other than tab/newline/carriage return: never meaningful in prose.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def strip_invisible(text: str) -> tuple[str, int]:
    """Remove invisible format characters; return the text and how many were removed."""
    if text.isascii():
        return _CONTROL.sub("", text), 0
    kept: list[str] = []
    removed = 0
    for char in text:
        if unicodedata.category(char) == "Cf":
            removed += 1
        else:
            kept.append(char)
    return _CONTROL.sub("", "".join(kept)), removed


def tidy_whitespace(text: str) -> str:
    """Collapse runs of spaces, trim lines, and keep at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
