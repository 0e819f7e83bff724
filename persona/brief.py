"""Persona briefs: Markdown, standalone HTML (with an SVG avatar) and JSON.

Every brief says "Synthetic persona" at the top and shows an evidence badge
per item (``stat``, ``doc``, ``inferred``, ``user``). Every string a model or a
user wrote is treated as untrusted: Markdown output passes it through
:func:`~persona.safe_text.neutralize_markdown`; HTML output is rendered from
``templates/persona_brief.html.j2`` (:mod:`persona.render`: autoescaped, invisible
characters dropped, URLs defanged). The HTML page has no script, loads
nothing (no fonts, images or styles from the network: a ``default-src 'none'``
content security policy says so to the browser too), and draws its avatar as
inline SVG computed deterministically from the persona's traits.

File names are built from the persona id and version, never from model output.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from persona.errors import ExportError
from persona.exports import write_export
from persona.facts import fact_lines
from persona.guide import get_guide
from persona.models import LIST_FIELDS, EvidencedItem, InterviewGuide, Persona
from persona.personas import StoredPersona, get_persona
from persona.render import Markup
from persona.render import render_html as render_html_page
from persona.safe_text import neutralize_markdown
from persona.text import DISCLAIMER

if TYPE_CHECKING:
    from persona.services import Services

__all__ = [
    "SYNTHETIC_LABEL",
    "BriefFormat",
    "avatar_svg",
    "export_brief",
    "render_html",
    "render_json",
    "render_markdown",
]

BriefFormat = Literal["md", "html", "json"]
SYNTHETIC_LABEL = "Synthetic persona"
SYNTHETIC_NOTE = DISCLAIMER
_TITLES = {
    "age": "Age",
    "occupation": "Occupation",
    "location": "Location",
    "background": "Background",
    "goals": "Goals",
    "challenges": "Challenges",
    "needs": "Needs",
    "pain_points": "Pain points",
    "personality": "Personality",
    "hobbies": "Hobbies and interests",
    "behaviour_patterns": "Behaviour patterns",
    "channels": "Preferred channels",
    "quote": "Quote",
}
_BADGE_COLOURS = {
    "stat": "#1b6e3a",
    "doc": "#1f4f8f",
    "user": "#6b3fa0",
    "inferred": "#8a5a00",
    "research": "#0f6b6b",
}


# --------------------------------------------------------------------------- markdown


def _md_badges(item: EvidencedItem) -> str:
    badges = []
    for evidence in item.evidence:
        badges.append(f"`{evidence.label().replace('`', '')}`")
    return " ".join(dict.fromkeys(badges))


def render_markdown(stored: StoredPersona, guide: InterviewGuide | None = None) -> str:
    """The brief as Markdown; model-written text cannot form links, images or HTML."""
    persona = stored.persona
    md = neutralize_markdown
    lines = [
        f"# {md(persona.name)}",
        "",
        f"> **{SYNTHETIC_LABEL}.** {SYNTHETIC_NOTE}",
        "",
        f"Segment {persona.facts.segment_index}: {md(persona.facts.label)} · "
        f"version {stored.version} ({stored.origin}) · model {md(stored.model)} · "
        f"scorecard verdict **{persona.verdict}**",
        "",
    ]
    # One quote block each: consecutive "> " lines would merge into one paragraph.
    for warning in persona.warnings:
        lines += [f"> ⚠ {md(warning)}", ""]
    for flag in persona.flags:
        lines += [f"> ⚑ Checked by the app: {md(flag)}", ""]
    for name in ("age", "occupation", "location", "background"):
        for item in persona.field_items(name):
            lines.append(f"**{_TITLES[name]}:** {md(item.text)} {_md_badges(item)}")
            lines.append("")
    quote = persona.quote
    lines += [f"> “{md(quote.text)}” {_md_badges(quote)}", ""]
    for name in LIST_FIELDS:
        items = persona.field_items(name)
        if not items:
            continue
        lines += [f"## {_TITLES[name]}", ""]
        lines += [f"- {md(item.text)} {_md_badges(item)}" for item in items]
        lines.append("")
    lines += ["## Facts (from the segment's statistics)", "", "| fact | value |", "|---|---|"]
    lines += [f"| {md(name)} | {md(value)} |" for name, value in fact_lines(persona.facts)]
    lines.append("")
    if persona.scorecard:
        lines += ["## Segment scorecard", ""]
        lines += [f"- {md(name)}: **{verdict}**" for name, verdict in persona.scorecard.items()]
        lines.append("")
    if guide is not None:
        lines += ["## Interview guide", ""]
        lines += [f"{i}. {md(q.text)}" for i, q in enumerate(guide.questions, start=1)]
        lines.append("")
    lines += [
        "---",
        "",
        "Evidence: `stat` a segment statistic · `doc` a company document · "
        "`inferred` the model's guess · `user` edited by hand.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- json


def render_json(stored: StoredPersona, guide: InterviewGuide | None = None) -> str:
    """The brief as JSON: the full persona, its version and the synthetic label."""
    payload = {
        "label": SYNTHETIC_LABEL,
        "synthetic": True,
        "note": SYNTHETIC_NOTE,
        "persona_id": stored.id,
        "version": stored.version,
        "origin": stored.origin,
        "model": stored.model,
        "created_at": stored.created_at,
        "persona": stored.persona.model_dump(mode="json", exclude_none=True),
        "interview_guide": (
            [q.model_dump(mode="json", exclude_none=True) for q in guide.questions]
            if guide is not None
            else None
        ),
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- avatar

_SKIN = ("#f1c7a5", "#e0ac85", "#c68c62", "#a66d45", "#7d4c2f", "#5a3620")
_HAIR = ("#2b1d14", "#4a3121", "#7a4b2a", "#b07a3e", "#d9b45c", "#1f1f1f")
_BACKGROUND = ("#dbe8f5", "#e5f0dc", "#f6e3d3", "#ece1f4", "#f4f0d6", "#d9efee")
_SHIRT = ("#2f6690", "#3a7d44", "#9c4f2e", "#6a4c93", "#b08900", "#2a9d8f")


def avatar_svg(persona: Persona, size: int = 120) -> str:
    """A deterministic SVG portrait from the persona's traits (no text, no network).

    The same persona always gives the same picture: colours come from a hash of
    its name and segment; grey hair from the age; glasses for analytical or
    tech-minded traits; a smile for outgoing or cheerful ones.
    """
    seed = hashlib.sha256(
        f"{persona.name}|{persona.facts.segment_index}|{persona.facts.label}".encode()
    ).digest()
    traits = " ".join(
        item.text.lower() for item in [*persona.personality, *persona.hobbies, *persona.channels]
    )
    age = _age_number(persona)
    skin = _SKIN[seed[0] % len(_SKIN)]
    hair = "#a8a8a8" if age is not None and age >= 58 else _HAIR[seed[1] % len(_HAIR)]
    background = _BACKGROUND[seed[2] % len(_BACKGROUND)]
    shirt = _SHIRT[seed[3] % len(_SHIRT)]
    hair_style = seed[4] % 3
    glasses = any(w in traits for w in ("analyt", "tech", "careful", "detail", "research", "app"))
    smile = any(w in traits for w in ("friend", "outgo", "cheer", "social", "optimis", "warm"))
    if hair_style == 0:  # short
        hair_shape = '<path d="M34 52 Q36 26 60 24 Q84 26 86 52 Q78 38 60 37 Q42 38 34 52Z"/>'
    elif hair_style == 1:  # long
        hair_shape = (
            '<path d="M30 80 Q28 30 60 24 Q92 30 90 80 L82 80 Q84 44 60 38 Q36 44 38 80Z"/>'
        )
    else:  # bun
        hair_shape = (
            '<circle cx="60" cy="20" r="10"/>'
            '<path d="M34 50 Q36 28 60 27 Q84 28 86 50 Q76 39 60 38 Q44 39 34 50Z"/>'
        )
    mouth = (
        '<path d="M50 70 Q60 79 70 70" fill="none" stroke="#5b2b1e" stroke-width="2.5" '
        'stroke-linecap="round"/>'
        if smile
        else '<path d="M51 72 L69 72" stroke="#5b2b1e" stroke-width="2.5" stroke-linecap="round"/>'
    )
    specs = (
        '<g fill="none" stroke="#222" stroke-width="2"><circle cx="49" cy="56" r="7"/>'
        '<circle cx="71" cy="56" r="7"/><path d="M56 56 L64 56"/></g>'
        if glasses
        else ""
    )
    return (
        f'<svg viewBox="0 0 120 120" width="{size}" '
        f'height="{size}" role="img" aria-label="Avatar of a synthetic persona">'
        f'<rect width="120" height="120" rx="14" fill="{background}"/>'
        f'<path d="M22 120 Q24 92 60 90 Q96 92 98 120Z" fill="{shirt}"/>'
        f'<rect x="52" y="78" width="16" height="14" fill="{skin}"/>'
        f'<ellipse cx="60" cy="56" rx="25" ry="28" fill="{skin}"/>'
        f'<g fill="{hair}">{hair_shape}</g>'
        '<circle cx="50" cy="56" r="2.6" fill="#222"/><circle cx="70" cy="56" r="2.6" fill="#222"/>'
        f"{specs}{mouth}</svg>"
    )


def _age_number(persona: Persona) -> float | None:
    value = persona.facts.statistics.get("age_median")
    return float(value) if isinstance(value, int | float) else None


# --------------------------------------------------------------------------- html


def _html_badges(item: EvidencedItem) -> Markup:
    unique = {(e.kind, e.label(), e.note): e for e in item.evidence}
    return Markup(
        render_html_page("evidence_badges", evidence_list=unique.values(), colours=_BADGE_COLOURS)
    )


def render_html(stored: StoredPersona, guide: InterviewGuide | None = None) -> str:
    """The brief as one standalone HTML page: inline CSS and SVG, no script, no network."""
    persona = stored.persona
    return render_html_page(
        "persona_brief",
        stored=stored,
        persona=persona,
        guide=guide,
        label=SYNTHETIC_LABEL,
        note=SYNTHETIC_NOTE,
        avatar=Markup(avatar_svg(persona)),
        badges=_html_badges,
        header_items=[
            (_TITLES[name], item)
            for name in ("age", "occupation", "location")
            for item in persona.field_items(name)
        ],
        sections=[
            (_TITLES[name], persona.field_items(name))
            for name in LIST_FIELDS
            if persona.field_items(name)
        ],
        facts=fact_lines(persona.facts),
    )


# --------------------------------------------------------------------------- files

_RENDERERS = {"md": render_markdown, "html": render_html, "json": render_json}


def export_brief(
    services: Services,
    persona_id: int,
    fmt: BriefFormat = "html",
    *,
    output: Path | None = None,
    version: int | None = None,
    with_guide: bool = True,
) -> Path:
    """Write the brief of a persona to ``output`` (default: the workspace's exports folder).

    The default file name is ``persona-<id>-v<version>.<fmt>``; it never
    contains model output. Written atomically. Raises :class:`ExportError`.
    """
    if fmt not in _RENDERERS:
        raise ExportError(f"Unknown brief format {fmt!r}.", hint="Use md, html or json.")
    stored = get_persona(services, persona_id, version)
    guide = None
    if with_guide:
        guide = get_guide(services, persona_id)
    text = _RENDERERS[fmt](stored, guide)
    target = (
        output or services.settings.exports_path / f"persona-{persona_id}-v{stored.version}.{fmt}"
    )
    return write_export(target, text)
