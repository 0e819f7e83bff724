"""On the persona card: the segment's screener and research kit, and real interview notes.

A thin shell over :mod:`persona.research` (the same functions as ``persona
screener``, ``persona research kit`` and ``persona research add``). Real notes
are shown above the simulated persona, marked as real; they are masked before
they are stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from persona.errors import ResearchError
from persona.personas import get_persona
from persona.repos.segmentations import StoredSegment
from persona.research.guide import build_real_guide
from persona.research.kit import render_kit_markdown, write_kit
from persona.research.notes import NOTE_SUFFIXES, add_notes, research_evidence
from persona.research.screener import build_screener
from persona.segmentation import get_segment
from persona.services import Services
from ui.common import Workspace, boundary, md_text

__all__ = ["build", "real_notes_markdown"]


def _segment(services: Services, persona_id: int) -> StoredSegment:
    segment_id = get_persona(services, persona_id).segment_id
    if segment_id is None:
        raise ResearchError(
            "this persona has no segment, so there are no real customers to screen or notes "
            "to file under it.",
            hint="Generate personas from a segmentation.",
        )
    return get_segment(services, segment_id)


def real_notes_markdown(services: Services, persona_id: int | None) -> str:
    """The real interview notes of the persona's segment, as Markdown (empty if none)."""
    if persona_id is None:
        return ""
    segment_id = get_persona(services, int(persona_id)).segment_id
    if segment_id is None:
        return ""
    evidence = research_evidence(services, segment_id)
    if not evidence:
        return ""
    lines = ["**Real interviews** (real customers of this segment; masked):", ""]
    lines += [
        f"- “{md_text(e.note, inline=True)}” — {md_text(e.file, inline=True)}" for e in evidence
    ]
    return "\n".join(lines)


def build(ws: Workspace, project: gr.Dropdown, pick: gr.Dropdown, real: gr.Markdown) -> None:
    """Lay out the research controls under the persona card and wire them; ``real`` is the
    panel above the card that shows the persona's real interview notes."""
    with gr.Row():
        screener = gr.Button("Screener", elem_id="personas-screener", scale=1)
        kit_files = gr.File(
            label="Research kit (screener + real-interview guide): Markdown, HTML",
            file_count="multiple",
            interactive=False,
            visible=False,
            scale=3,
            elem_id="personas-kit-files",
        )
    screener_view = gr.Markdown(elem_id="personas-screener-view")
    with gr.Accordion("Add notes of a real interview", open=False):
        notes_file = gr.File(
            label="Notes or transcript (.txt, .md, .docx)",
            file_types=list(NOTE_SUFFIXES),
            type="filepath",
            elem_id="personas-notes-file",
        )
        add = gr.Button("Add as real research", elem_id="personas-notes-add")
        added = gr.Markdown(elem_id="personas-notes-status")

    @boundary
    def on_screener(project_name: str, persona_id: int | None) -> tuple[Any, ...]:
        if persona_id is None:
            raise gr.Error("Pick a persona first.", print_exception=False)
        services = ws.services(project_name)
        segment = _segment(services, int(persona_id))
        built = build_screener(segment)
        guide = build_real_guide(services, segment)
        paths = [
            str(
                write_kit(
                    services.settings.exports_path,
                    built,
                    guide,
                    fmt,
                    ws.download_path(project_name, f"research-kit-{segment.segment_index}.{fmt}"),
                )
            )
            for fmt in ("html", "md")
        ]
        return render_kit_markdown(built), gr.update(value=paths, visible=True)

    @boundary
    def on_add(project_name: str, persona_id: int | None, path: str | None) -> tuple[str, str]:
        if persona_id is None:
            raise gr.Error("Pick a persona first.", print_exception=False)
        if not path:
            raise gr.Error("Choose a notes file first.", print_exception=False)
        services = ws.services(project_name)
        note = add_notes(services, Path(path), _segment(services, int(persona_id)))
        masked = ", ".join(f"{n} {kind}" for kind, n in sorted(note.masked.items())) or "nothing"
        status = (
            f"Added {md_text(note.file_name, inline=True)} as real research on segment "
            f"{note.segment}: {note.sentences} sentence(s); masked {masked}. The next insight "
            "brief checks its hypotheses against it."
        )
        return status, real_notes_markdown(services, int(persona_id))

    @boundary
    def on_pick(project_name: str, persona_id: int | None) -> tuple[Any, ...]:
        hidden = gr.update(value=None, visible=False)
        return real_notes_markdown(ws.services(project_name), persona_id), "", hidden

    screener.click(on_screener, [project, pick], [screener_view, kit_files])
    add.click(on_add, [project, pick, notes_file], [added, real])
    pick.change(on_pick, [project, pick], [real, screener_view, kit_files])
