"""Text clean-up shared by every reader: invisible characters out, whitespace tidied.

Invisible "format" characters (Unicode category Cf: zero-width spaces and
joiners, bidirectional overrides, the tag characters U+E0000-U+E007F, soft
hyphens, BOMs) carry no visible text but can smuggle instructions past a human
reviewer (OWASP LLM01, "invisible payloads"), so they are removed and counted
(:func:`persona.text.remove_invisible`, the same set model output loses).
"""

from __future__ import annotations

import re

from persona.text import remove_invisible

__all__ = ["INVISIBLE_KIND", "remove_invisible", "tidy_whitespace"]

INVISIBLE_KIND = "invisible_chars"
"""The ``hidden_removed`` key under which removed invisible characters are counted."""

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def tidy_whitespace(text: str) -> str:
    """Collapse runs of spaces, trim lines, and keep at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
