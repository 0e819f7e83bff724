"""Screen 3, Personas: generate them, read their cards with evidence, edit fields, versions.

A thin shell over :mod:`persona.generate` (the same functions as ``persona
generate`` / ``persona personas …``). Everything a model or a person wrote is
escaped into our own card template; every card says it is synthetic.
"""

from __future__ import annotations

import hashlib
from typing import Any

import gradio as gr

import ui.research as research
from persona.brief import export_brief
from persona.errors import NotFoundError
from persona.generate import GenerationResult, generate_personas
from persona.models import EDITABLE_FIELDS, LIST_FIELDS, TEXT_FIELDS, Persona
from persona.personas import StoredPersona, edit_persona, get_persona, list_personas, list_versions
from persona.segmentation import load_segments
from ui.common import (
    SYNTHETIC_NOTICE,
    Workspace,
    boundary,
    md_text,
    progress_callback,
    render_snippet,
    verdict_badge,
)
from ui.screen import Screen

__all__ = [
    "build",
    "field_text",
    "generation_summary",
    "persona_card",
    "persona_choices",
    "segment_choices",
]

_AVATAR_COLOURS = ("#1d4ed8", "#047857", "#b45309", "#7c3aed", "#be123c", "#0f766e", "#4338ca")
_FIELD_TITLES = {
    "age": "Age",
    "occupation": "Occupation",
    "location": "Location",
    "background": "Background",
    "quote": "In their words",
    "goals": "Goals",
    "challenges": "Challenges",
    "needs": "Needs",
    "pain_points": "Pain points",
    "personality": "Personality",
    "hobbies": "Hobbies",
    "behaviour_patterns": "Behaviour",
    "channels": "Channels",
}


def persona_choices(ws: Workspace, project: str) -> list[tuple[str, int]]:
    """``(label, id)`` of every persona of the project, for pickers."""
    out = []
    for p in list_personas(ws.services(project)):
        segment = "" if p.segment_index is None else f" · segment #{p.segment_index}"
        out.append((f"{p.name}{segment} · v{p.version}", p.id))
    return out


def brief_file_stem(ws: Workspace, project: str, persona_id: int, version: int | None) -> str:
    """``persona-segment-4-v2``: the segment number and version the picker shows.

    Built from numbers only, never from model output (a name could hold a path).
    """
    summary = next((p for p in list_personas(ws.services(project)) if p.id == persona_id), None)
    number = version or (summary.version if summary else None)
    segment = "" if summary is None or summary.segment_index is None else summary.segment_index
    parts = ["persona", f"segment-{segment}" if segment != "" else f"id-{persona_id}"]
    return "-".join([*parts, f"v{number}"] if number else parts)


def segment_choices(ws: Workspace, project: str) -> list[tuple[str, int]]:
    """``(label, id)`` of the latest segmentation's segments ([] when there is none)."""
    try:
        stored = load_segments(ws.services(project))
    except NotFoundError:
        return []
    return [(f"#{s.segment_index} {s.label} ({s.size:,})", s.id) for s in stored]


def generation_summary(results: list[GenerationResult]) -> str:
    """Markdown: what happened to each segment (generated, skipped or failed, and why)."""
    if not results:
        return "No segments to write personas for. Find segments on the first tab."
    done = sum(r.status == "generated" for r in results)
    lines = [f"**{done} of {len(results)} persona(s) written.** {SYNTHETIC_NOTICE}"]
    for r in results:
        label = md_text(r.label, inline=True)
        if r.status == "generated" and r.persona is not None:
            flags = f" ({len(r.persona.flags)} flag(s) to review)" if r.persona.flags else ""
            lines.append(
                f"- #{r.segment_index} {label}: **{md_text(r.persona.name, inline=True)}**, "
                f"version {r.version}{flags}"
            )
        else:
            lines.append(
                f"- #{r.segment_index} {label}: {r.status}: {md_text(r.reason or '', inline=True)}"
            )
    return "\n".join(lines)


def _initials(name: str) -> str:
    parts = [p for p in name.split() if p[:1].isalnum()]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


def persona_card(stored: StoredPersona) -> str:
    """One persona as an HTML card: avatar, synthetic label, verdict, warnings, evidence."""
    p = stored.persona
    digest = hashlib.sha256(p.name.encode("utf-8")).digest()
    fields = [
        (_FIELD_TITLES.get(f, f), f in p.edited_fields, p.field_items(f))
        for f in (*TEXT_FIELDS, *LIST_FIELDS)
        if f != "quote" and p.field_items(f)
    ]
    return render_snippet(
        "persona_card",
        stored=stored,
        p=p,
        # Initials on a colour: an avatar that needs no image, local or remote.
        avatar_colour=_AVATAR_COLOURS[digest[0] % len(_AVATAR_COLOURS)],
        initials=_initials(p.name),
        quote=p.quote.text if p.quote is not None else "",
        fields=fields,
        notice=SYNTHETIC_NOTICE,
        verdict_badge=verdict_badge,
    )


def field_text(persona: Persona, field: str) -> str:
    """The current value of an editable field as the edit box shows it (lists: a line each)."""
    if field == "name":
        return persona.name
    return "\n".join(item.text for item in persona.field_items(field))


def _version_choices(ws: Workspace, project: str, persona_id: int) -> list[tuple[str, int]]:
    return [
        (f"v{v} · {origin} · {created[:16].replace('T', ' ')}", v)
        for v, origin, _model, created in reversed(list_versions(ws.services(project), persona_id))
    ]


def build(ws: Workspace, project: gr.Dropdown) -> Screen:
    """Lay out the screen inside the current tab and wire its events."""
    gr.Markdown(
        "One persona per segment. Numbers come from the segment's statistics, never from the "
        "model; each statement shows its evidence. " + SYNTHETIC_NOTICE
    )
    with gr.Row():
        chosen_segments = gr.Dropdown(
            label="Segments (leave empty for all)",
            choices=[],
            multiselect=True,
            scale=3,
            elem_id="personas-segments",
        )
        generate = gr.Button(
            "Generate personas", variant="primary", scale=1, elem_id="personas-gen"
        )
    summary = gr.Markdown(elem_id="personas-summary")
    with gr.Row():
        pick = gr.Dropdown(label="Persona", choices=[], scale=3, elem_id="personas-pick")
        version = gr.Dropdown(label="Version", choices=[], scale=2, elem_id="personas-version")
    real_notes = gr.Markdown(elem_id="personas-real-above")
    card = gr.HTML(elem_id="personas-card")
    with gr.Row():
        prepare = gr.Button("Prepare persona brief", elem_id="personas-brief", scale=1)
        briefs = gr.File(
            label="Persona brief (HTML, Markdown, JSON): labelled synthetic",
            file_count="multiple",
            interactive=False,
            visible=False,
            scale=3,
            elem_id="personas-brief-files",
        )
    research.build(ws, project, pick, real_notes)
    with gr.Accordion("Edit a field (saved as a new version)", open=False):
        with gr.Row():
            field = gr.Dropdown(
                list(EDITABLE_FIELDS), value="background", label="Field", elem_id="personas-field"
            )
            save = gr.Button("Save", elem_id="personas-save")
        value = gr.Textbox(
            label="Text (list fields: one item per line)",
            lines=4,
            max_length=4000,
            elem_id="personas-value",
        )

    def _picker(project_name: str, keep: int | None) -> Any:
        choices = persona_choices(ws, project_name)
        ids = [pid for _label, pid in choices]
        chosen = keep if keep in ids else (ids[0] if ids else None)
        return gr.update(choices=choices, value=chosen)

    @boundary
    def on_generate(
        project_name: str,
        segment_ids: list[int] | None,
        progress: gr.Progress = gr.Progress(),  # Gradio injects the tracker here
    ) -> tuple[Any, ...]:
        services = ws.services(project_name)
        results = generate_personas(
            services,
            segment_ids=[int(s) for s in segment_ids] if segment_ids else None,
            progress=progress_callback(progress),
        )
        first = next((r.persona_id for r in results if r.persona_id is not None), None)
        return generation_summary(results), _picker(project_name, first)

    @boundary
    def on_pick(project_name: str, persona_id: int | None, field_name: str) -> tuple[Any, ...]:
        hidden = gr.update(value=None, visible=False)  # a brief of another persona is stale
        if persona_id is None:
            return gr.update(choices=[], value=None), "", "", hidden
        stored = get_persona(ws.services(project_name), int(persona_id))
        return (
            gr.update(
                choices=_version_choices(ws, project_name, int(persona_id)), value=stored.version
            ),
            persona_card(stored),
            field_text(stored.persona, field_name),
            hidden,
        )

    @boundary
    def on_version(project_name: str, persona_id: int | None, number: int | None) -> str:
        if persona_id is None or number is None:
            return ""
        return persona_card(get_persona(ws.services(project_name), int(persona_id), int(number)))

    @boundary
    def on_field(project_name: str, persona_id: int | None, field_name: str) -> str:
        if persona_id is None:
            return ""
        return field_text(
            get_persona(ws.services(project_name), int(persona_id)).persona, field_name
        )

    @boundary
    def on_save(
        project_name: str, persona_id: int | None, field_name: str, text: str
    ) -> tuple[Any, ...]:
        if persona_id is None:
            raise gr.Error("Pick a persona first.", print_exception=False)
        stored = edit_persona(ws.services(project_name), int(persona_id), field_name, text or "")
        gr.Info(f"Saved {field_name} as version {stored.version}.")
        return (
            _picker(project_name, int(persona_id)),
            gr.update(
                choices=_version_choices(ws, project_name, int(persona_id)), value=stored.version
            ),
            persona_card(stored),
        )

    @boundary
    def on_prepare(project_name: str, persona_id: int | None, number: int | None) -> Any:
        if persona_id is None:
            raise gr.Error("Pick a persona first.", print_exception=False)
        services = ws.services(project_name)
        version = None if number is None else int(number)
        stem = brief_file_stem(ws, project_name, int(persona_id), version)
        paths = []
        for fmt in ("html", "md", "json"):
            target = ws.download_path(project_name, f"{stem}.{fmt}")
            paths.append(
                str(export_brief(services, int(persona_id), fmt, output=target, version=version))
            )
        return gr.update(value=paths, visible=True)

    @boundary
    def on_refresh(project_name: str, keep: int | None) -> tuple[Any, ...]:
        return gr.update(choices=segment_choices(ws, project_name)), _picker(project_name, keep)

    generate.click(on_generate, [project, chosen_segments], [summary, pick], concurrency_id="heavy")
    pick.change(on_pick, [project, pick, field], [version, card, value, briefs])
    version.input(on_version, [project, pick, version], [card])
    field.change(on_field, [project, pick, field], [value])
    save.click(on_save, [project, pick, field, value], [pick, version, card])
    prepare.click(on_prepare, [project, pick, version], [briefs])
    return Screen(refresh=on_refresh, outputs=[chosen_segments, pick], inputs=[pick])
