"""Screen 5, Panel & insights: ask every persona, compare answers, compile the brief.

A thin shell over :mod:`persona.panel` and :mod:`persona.insights` (the same
functions as ``persona panel`` and ``persona insights``). Answers stream in
persona by persona; the matrix shows every question of the project side by
side; all model text is escaped into our own HTML.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

import ui.insights as insights
from persona.interview import MAX_QUESTION_CHARS
from persona.panel import PanelAnswer, PanelResult, ask_panel, export_panel, list_panels
from persona.personas import list_personas
from ui.common import SYNTHETIC_NOTICE, Workspace, boundary, render_snippet, stream_callbacks
from ui.screen import Screen

__all__ = ["answer_cards", "build", "matrix_html"]

MATRIX_QUESTIONS = 8
"""The matrix shows the project's most recent questions, at most this many."""


def answer_cards(
    question: str, answers: Sequence[PanelAnswer], *, done: bool, total: int | None = None
) -> str:
    """The answers to one panel question as escaped HTML cards while they arrive.

    Once ``done``, one line saying how many of ``total`` personas answered: the
    matrix below holds the answers, so they are not shown twice.
    """
    return render_snippet(
        "panel_answers",
        question=question,
        answers=sorted(answers, key=lambda a: (-a.share, a.persona_id)),
        done=done,
        total=len(answers) if total is None else total,
        notice=SYNTHETIC_NOTICE,
    )


def matrix_html(panels: Sequence[PanelResult]) -> str:
    """Personas × questions: every answer of the latest panels side by side (escaped)."""
    recent = list(panels)[-MATRIX_QUESTIONS:]
    people: dict[int, tuple[str, str, float]] = {}
    for panel in recent:
        for a in panel.answers:
            people.setdefault(a.persona_id, (a.persona_name, a.segment_label, a.share))
    rows = [
        (name, segment, share, [_answer_of(panel, persona_id) for panel in recent])
        for persona_id, (name, segment, share) in sorted(
            people.items(), key=lambda item: (-item[1][2], item[0])
        )
    ]
    return render_snippet("panel_matrix", panels=recent, rows=rows)


def _answer_of(panel: PanelResult, persona_id: int) -> PanelAnswer | None:
    return next((a for a in panel.answers if a.persona_id == persona_id), None)


def build(ws: Workspace, project: gr.Dropdown) -> Screen:
    """Lay out the screen inside the current tab and wire its events."""
    gr.Markdown(
        "Ask every persona the same question and compare. Each answer carries its segment's "
        f"share of customers. {SYNTHETIC_NOTICE}"
    )
    with gr.Row():
        question = gr.Textbox(
            label="Question for the whole panel",
            placeholder="e.g. What would make you switch to another outdoor shop?",
            info=f"Up to {MAX_QUESTION_CHARS:,} characters; a longer one is refused, not cut.",
            scale=5,
            elem_id="panel-question",
        )
        ask = gr.Button("Ask the panel", variant="primary", scale=1, elem_id="panel-ask")
    answers = gr.HTML(elem_id="panel-answers")
    gr.Markdown("### Answers side by side")
    matrix = gr.HTML(elem_id="panel-matrix")
    matrix_file = gr.DownloadButton(
        "Download the matrix (CSV)", visible=False, elem_id="panel-download"
    )
    gr.Markdown("### Insight brief")
    brief = insights.build(ws, project)

    def _matrix(project_name: str) -> tuple[str, Any]:
        services = ws.services(project_name)
        panels = list_panels(services)
        if not panels:
            return matrix_html([]), gr.update(visible=False)
        ids = [p.id for p in panels[-MATRIX_QUESTIONS:]]
        path = export_panel(services, ids, "csv", ws.download_path(project_name, "panel.csv"))
        return matrix_html(panels), gr.update(value=str(path), visible=True)

    @boundary
    def on_ask(project_name: str, text: str) -> Iterator[tuple[Any, ...]]:
        services = ws.services(project_name)
        received: list[PanelAnswer] = []
        total = len(list_personas(services))
        unchanged = tuple(gr.update() for _ in range(2 + len(brief.outputs)))
        yield (answer_cards(text or "", [], done=False, total=total), *unchanged)

        def work(emit: Any) -> None:
            ask_panel(services, text or "", on_answer=emit)

        for answer in stream_callbacks(work):
            received.append(answer)
            yield (answer_cards(text or "", received, done=False, total=total), *unchanged)
        yield (
            answer_cards(text or "", received, done=True, total=total),
            *_matrix(project_name),
            *brief.refresh(project_name),  # the new question can go into a brief now
        )

    @boundary
    def on_refresh(project_name: str) -> tuple[Any, ...]:
        return (*_matrix(project_name), *brief.refresh(project_name))

    outputs = [answers, matrix, matrix_file, *brief.outputs]
    ask.click(on_ask, [project, question], outputs, concurrency_id="heavy")
    question.submit(on_ask, [project, question], outputs, concurrency_id="heavy")
    return Screen(refresh=on_refresh, outputs=[matrix, matrix_file, *brief.outputs])
