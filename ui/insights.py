"""The insight-brief part of the Panel & insights screen: compile, preview, download.

A thin shell over :mod:`persona.insights` (the same functions as ``persona
insights``). The preview escapes every string into our own HTML card;
downloads are the library's Markdown, standalone HTML and JSON renderings.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from persona.insights import (
    CATEGORIES,
    TIER_MEANING,
    InsightBrief,
    compile_brief,
    export_insights,
    get_brief,
    list_briefs,
)
from persona.interview import list_interviews
from persona.panel import list_panels
from persona.predicted import SAVE_FIRST_NOTE, SAVE_FIRST_TITLE
from ui.common import Workspace, boundary, render_snippet
from ui.screen import Screen

__all__ = ["brief_choices", "brief_html", "build", "source_choices"]

_TIER_CLASS = {"data-backed": "ps-ev-stat", "document-backed": "ps-ev-doc"}


def brief_html(brief: InsightBrief) -> str:
    """An insight brief as an escaped HTML card: label, tiered items, hypotheses, notes."""
    return render_snippet(
        "insight_brief",
        brief=brief,
        categories=CATEGORIES,
        tier_class=_TIER_CLASS,
        tier_meaning=TIER_MEANING,
        save_first_title=SAVE_FIRST_TITLE,
        save_first_note=SAVE_FIRST_NOTE,
    )


def brief_choices(ws: Workspace, project: str) -> list[tuple[str, int]]:
    """``(label, id)`` of the project's briefs, newest first."""
    return [
        (f"#{b.id} · {b.title} · {b.created_at[:16].replace('T', ' ')}", b.id)
        for b in reversed(list_briefs(ws.services(project)))
    ]


def source_choices(
    ws: Workspace, project: str
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Interviews and panels a brief can be compiled from, as picker choices."""
    services = ws.services(project)
    interviews = [
        (f"#{i.id} {i.persona_name} · {i.answered} answer(s)", i.id)
        for i in list_interviews(services)
        if i.answered
    ]
    panels = [(f"#{p.id} {p.question[:80]}", p.id) for p in list_panels(services) if p.answers]
    return interviews, panels


def _downloads(ws: Workspace, project: str, brief: InsightBrief) -> list[str]:
    services = ws.services(project)
    assert brief.id is not None
    return [
        # The file name comes from the brief id only, never from model output.
        str(
            export_insights(
                services, brief.id, fmt, ws.download_path(project, f"insights-{brief.id}.{fmt}")
            )
        )
        for fmt in ("html", "md", "json")
    ]


def build(ws: Workspace, project: gr.Dropdown) -> Screen:
    """Lay out the section inside the current tab and wire its events."""
    gr.Markdown(
        "Compile what the interviews and panels suggest. Each finding is tiered by its "
        "evidence (data-backed, document-backed, simulated-only) and weighted by the share "
        "of customers its personas stand for. Leave both pickers empty to use everything."
    )
    with gr.Row():
        interviews = gr.Dropdown(
            label="Interviews", choices=[], multiselect=True, scale=2, elem_id="insights-interviews"
        )
        panels = gr.Dropdown(
            label="Panel questions",
            choices=[],
            multiselect=True,
            scale=2,
            elem_id="insights-panels",
        )
        title = gr.Textbox(
            label="Title (optional)", max_length=200, scale=2, elem_id="insights-title"
        )
    with gr.Row():
        compile_button = gr.Button(
            "Compile insight brief", variant="primary", scale=1, elem_id="insights-compile"
        )
        earlier = gr.Dropdown(
            label="Earlier briefs", choices=[], scale=2, elem_id="insights-earlier"
        )
    files = gr.File(
        label="Insight brief (HTML, Markdown, JSON): labelled synthetic research",
        file_count="multiple",
        interactive=False,
        visible=False,
        elem_id="insights-files",
    )
    preview = gr.HTML(elem_id="insights-preview")

    @boundary
    def on_compile(
        project_name: str,
        interview_ids: list[int] | None,
        panel_ids: list[int] | None,
        title_text: str,
        progress: gr.Progress = gr.Progress(),  # Gradio injects the tracker here
    ) -> tuple[Any, ...]:
        # compile_brief reports no steps: show that it is working, not how far it is.
        progress(0.1, desc="Compiling the brief (the model reads every answer)")
        chosen_interviews = [int(i) for i in interview_ids or []]
        chosen_panels = [int(p) for p in panel_ids or []]
        anything = bool(chosen_interviews or chosen_panels)
        brief = compile_brief(
            ws.services(project_name),
            interview_ids=chosen_interviews if anything else None,
            panel_ids=chosen_panels if anything else None,
            title=title_text or None,
        )
        return (
            brief_html(brief),
            gr.update(value=_downloads(ws, project_name, brief), visible=True),
            gr.update(choices=brief_choices(ws, project_name), value=brief.id),
        )

    @boundary
    def on_earlier(project_name: str, brief_id: int | None) -> tuple[Any, ...]:
        if brief_id is None:
            return "", gr.update(value=None, visible=False)
        brief = get_brief(ws.services(project_name), int(brief_id))
        return (
            brief_html(brief),
            gr.update(value=_downloads(ws, project_name, brief), visible=True),
        )

    def refresh(project_name: str) -> tuple[Any, ...]:
        interview_choices, panel_choices = source_choices(ws, project_name)
        return (
            gr.update(choices=interview_choices, value=[]),
            gr.update(choices=panel_choices, value=[]),
            gr.update(choices=brief_choices(ws, project_name), value=None),
        )

    compile_button.click(
        on_compile,
        [project, interviews, panels, title],
        [preview, files, earlier],
        concurrency_id="heavy",
    )
    earlier.input(on_earlier, [project, earlier], [preview, files])
    return Screen(refresh=refresh, outputs=[interviews, panels, earlier])
