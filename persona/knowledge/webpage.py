"""HTML reader: the text a visitor sees, split into sections at headings.

Removed: ``<script>``, ``<style>``, navigation and other non-rendered elements.
Removed and counted as hidden content: comments, and elements hidden by the
``hidden`` attribute, or by CSS (inline ``style`` or simple rules in ``<style>``
blocks) using ``display:none``, ``visibility:hidden``, ``opacity:0``,
``font-size:0`` or off-screen positioning, and white text on no explicit
background. Parsed with the standard-library parser, which does not expand
custom entities.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, ProcessingInstruction, Tag
from bs4.element import CData

from persona.knowledge.types import Block, Extracted

__all__ = ["read_html"]

_NOT_RENDERED = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg",
    "canvas", "head", "meta", "link", "button", "select", "option", "input", "textarea",
    "nav",  # site navigation: visible, but the same boilerplate on every page
)  # fmt: skip
_BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "main", "aside", "nav",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "blockquote", "pre", "figure",
    "figcaption", "address", "details", "summary", "form", "fieldset", "hr",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_MARK = "\x00HEADING\x00"

_HIDING = re.compile(
    r"display:none|visibility:hidden|visibility:collapse|opacity:0(?:\.0+)?(?:;|$|!)"
    r"|font-size:0(?:px|pt|em|rem|%)?(?:;|$|!)"
    r"|(?:left|top|text-indent):-\d{3,}"
    r"|clip:rect\(0(?:px)?,?0(?:px)?,?0(?:px)?,?0(?:px)?\)"
)
_WHITE = re.compile(
    r"(?:^|;)color:(?:#fff(?:fff)?|white|rgba?\(255,255,255(?:,1(?:\.0+)?)?\))(?:;|$|!)"
)
_BACKGROUND = re.compile(r"(?:^|;)background(?:-color)?:(?P<value>[^;!]+)")
_CSS_RULE = re.compile(r"([^{}@]+)\{([^{}]*)\}")


def _style_of(tag: Tag) -> str:
    raw = tag.get("style")
    return re.sub(r"\s+", "", str(raw)).lower() if raw else ""


def _has_background(tag: Tag) -> bool:
    node: Any = tag
    while isinstance(node, Tag):
        match = _BACKGROUND.search(_style_of(node))
        if match and match.group("value") not in (
            "#fff",
            "#ffffff",
            "white",
            "transparent",
            "none",
            "rgb(255,255,255)",
        ):
            return True
        node = node.parent
    return False


def read_html(path: Path, data: bytes) -> Extracted:
    """Extract visible text from HTML bytes (encoding from BOM, ``<meta>`` or detection)."""
    soup = BeautifulSoup(data, "html.parser")
    extracted = Extracted(media_type="text/html", blocks=[])
    encoding = soup.original_encoding
    if encoding and encoding.lower() not in ("utf-8", "ascii", "utf-8-sig"):
        extracted.warnings.append(f"decoded as {encoding}")

    for node in soup.find_all(string=True):
        if isinstance(node, Comment):
            if node.strip():
                extracted.count_hidden("comments")
            node.extract()
        elif isinstance(node, Declaration | Doctype | ProcessingInstruction | CData):
            node.extract()

    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None

    hidden_by_rules = _hidden_by_style_rules(soup)
    # Scripts and styles are removed but not counted: every web page has them, and a
    # count that is never zero would teach readers to ignore the hidden-content report.
    for tag in soup.find_all(_NOT_RENDERED):
        if not tag.decomposed:
            tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        style = _style_of(tag)
        kind = None
        if tag.has_attr("hidden") or _HIDING.search(style) or id(tag) in hidden_by_rules:
            kind = "hidden_elements"
        elif _WHITE.search(style) and not _has_background(tag):
            kind = "white_text"
        if kind is not None:
            if tag.get_text(strip=True):
                extracted.count_hidden(kind)
            tag.decompose()

    root = soup.body or soup
    for tag in root.find_all("br"):
        tag.replace_with("\n")
    for tag in root.find_all(["td", "th"]):
        tag.insert_after(" | ")
    for tag in root.find_all("tr"):
        tag.insert_after("\n")
    for tag in root.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    for tag in root.find_all(_HEADINGS):
        text = tag.get_text(" ", strip=True)
        tag.replace_with(f"\n{_MARK}{text}\n")

    heading = title
    for index, part in enumerate(root.get_text().split(_MARK)):
        if index > 0:
            first, _, part = part.partition("\n")
            heading = first.strip() or heading
        body = "\n".join(line.strip(" |") for line in part.splitlines()).strip()
        if body:
            extracted.blocks.append(Block(text=body, heading=heading))
    return extracted


def _hidden_by_style_rules(soup: BeautifulSoup) -> set[int]:
    """Elements matched by ``<style>`` rules that hide them (simple selectors only)."""
    hidden: set[int] = set()
    for style in soup.find_all("style"):
        css = re.sub(r"/\*.*?\*/", "", style.get_text(), flags=re.DOTALL)
        for selectors, body in _CSS_RULE.findall(css):
            declarations = re.sub(r"\s+", "", body).lower()
            if not (_HIDING.search(declarations) or _WHITE.search(declarations)):
                continue
            for selector in selectors.split(","):
                selector = selector.strip()
                if not selector or ":" in selector:  # pseudo-classes never match statically
                    continue
                try:
                    hidden.update(id(tag) for tag in soup.select(selector))
                except Exception:  # soupsieve rejects selectors it does not support
                    continue
    return hidden
