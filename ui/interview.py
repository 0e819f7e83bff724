"""Screen 4, Interview: chat with one persona, its question guide beside the chat.

A thin shell over :mod:`persona.interview` (the same functions as ``persona
interview``): answers stream in as the model writes them, every turn is stored
by the library before it is shown as done, and a saved session can be reopened
(its unanswered questions are marked interrupted). Everything shown in the chat
passes :func:`ui.common.md_text`: the persona's words cannot become links,
images or HTML.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import gradio as gr

from persona.guide import get_guide
from persona.interview import (
    MAX_QUESTION_CHARS,
    Turn,
    ask_stream,
    list_interviews,
    resume,
    run_guide,
    start_interview,
)
from persona.interview.export import TRANSCRIPT_FORMATS, export_transcript
from persona.models import GuideQuestion
from ui.common import SYNTHETIC_NOTICE, Workspace, boundary, md_text, stream_callbacks
from ui.personas import persona_choices
from ui.screen import Screen

__all__ = ["answer_message", "build", "guide_samples", "history_from_turns", "session_choices"]

Message = dict[str, Any]


def session_choices(ws: Workspace, project: str, persona_id: int | None) -> list[tuple[str, int]]:
    """``(label, id)`` of the saved interviews with a persona, newest first."""
    if persona_id is None:
        return []
    infos = list_interviews(ws.services(project), persona_id=int(persona_id))
    out = []
    for info in reversed(infos):
        interrupted = f", {info.interrupted} interrupted" if info.interrupted else ""
        out.append((f"#{info.id} · {info.title} · {info.answered} answer(s){interrupted}", info.id))
    return out


def guide_samples(ws: Workspace, project: str, persona_id: int | None) -> list[list[str]]:
    """The persona's prepared questions as ``gr.Dataset`` samples."""
    if persona_id is None:
        return []
    guide = get_guide(ws.services(project), int(persona_id))
    return [[question.text] for question in guide.questions]


def answer_message(text: str, turn: Turn | None = None) -> Message:
    """A persona's answer as a chat message: inert text, then the guard's notes and sources."""
    body = md_text(text)
    if turn is not None:
        notes = []
        if not turn.complete:
            notes.append("*(interrupted: the answer was not finished)*")
        notes += [f"*⚠ {md_text(flag.message, inline=True)}*" for flag in turn.warnings()]
        if turn.sources:
            sources = "; ".join(md_text(s.label(), inline=True) for s in turn.sources)
            notes.append(f"*Context given: {sources}*")
        if notes:
            body = body + "\n\n" + "\n\n".join(notes)
    return {"role": "assistant", "content": body}


def question_message(text: str) -> Message:
    """The researcher's question as a chat message (escaped like everything else)."""
    return {"role": "user", "content": md_text(text)}


def history_from_turns(turns: list[Turn]) -> list[Message]:
    """A stored transcript as chat messages."""
    messages: list[Message] = []
    for turn in turns:
        if turn.role == "user":
            messages.append(question_message(turn.content))
            if not turn.complete:
                messages.append(answer_message("", turn))
        else:
            messages.append(answer_message(turn.content, turn))
    return messages


def stream_answer(
    ws: Workspace, project: str, interview_id: int, question: str, history: list[Message]
) -> Iterator[list[Message]]:
    """Ask one question; yield the chat as the answer grows, then with the guard's notes."""
    stream = ask_stream(ws.services(project), interview_id, question)
    history = [*history, question_message(stream.question.content), answer_message("")]
    yield history
    text = ""
    try:
        for piece in stream:
            text += piece
            history[-1] = answer_message(text)
            yield history
    finally:
        if not stream.done:
            # The browser went away or an error struck mid-answer: let the
            # library store what was said as an interrupted turn.
            stream.close()
    history[-1] = answer_message(stream.turn.content, stream.turn)
    yield history


def build(ws: Workspace, project: gr.Dropdown) -> Screen:
    """Lay out the screen inside the current tab and wire its events."""
    gr.Markdown(
        "Interview a persona. Answers come from a language model playing the persona from its "
        f"segment's facts; they are hypotheses to test with real customers. {SYNTHETIC_NOTICE}"
    )
    with gr.Row():
        persona = gr.Dropdown(label="Persona", choices=[], scale=2, elem_id="interview-persona")
        session = gr.Dropdown(
            label="Saved interviews (pick one to resume)",
            choices=[],
            scale=3,
            elem_id="interview-session",
        )
        new = gr.Button("Start a new interview", scale=1, elem_id="interview-new")
    interview_id = gr.State(None)
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(
                label="Interview (synthetic persona)",
                height=480,
                sanitize_html=True,
                render_markdown=True,
                allow_tags=False,
                feedback_options=None,
                allow_file_downloads=False,
                buttons=["copy"],
                elem_id="interview-chat",
            )
            with gr.Row():
                question = gr.Textbox(
                    label=f"Your question (up to {MAX_QUESTION_CHARS:,} characters)",
                    placeholder="Ask an open question, e.g. 'Tell me about your last purchase.'",
                    scale=5,
                    elem_id="interview-question",
                )
                ask = gr.Button("Ask", variant="primary", scale=1, elem_id="interview-ask")
                stop = gr.Button("Stop", variant="stop", scale=1, elem_id="interview-stop")
        with gr.Column(scale=2):
            gr.Markdown("### Question guide\nClick a question to ask it, or run the whole guide.")
            guide = gr.Dataset(
                components=["textbox"],
                samples=[],
                layout="table",
                samples_per_page=20,
                label="Prepared questions",
                elem_id="interview-guide",
            )
            run_all = gr.Button("Run the whole guide", elem_id="interview-run-guide")
    status = gr.Markdown(elem_id="interview-status")
    with gr.Row():
        export = gr.Button("Export this transcript", scale=1, elem_id="interview-export")
        transcript_files = gr.File(
            label="Transcript (Markdown, CSV, JSON): labelled synthetic research",
            file_count="multiple",
            interactive=False,
            visible=False,
            scale=3,
            elem_id="interview-export-files",
        )

    def _sessions(project_name: str, persona_id: int | None, keep: int | None) -> Any:
        choices = session_choices(ws, project_name, persona_id)
        ids = [sid for _label, sid in choices]
        return gr.update(choices=choices, value=keep if keep in ids else None)

    @boundary
    def on_persona(project_name: str, persona_id: int | None) -> tuple[Any, ...]:
        return (
            _sessions(project_name, persona_id, None),
            gr.update(samples=guide_samples(ws, project_name, persona_id)),
            None,
            [],
            "",
        )

    @boundary
    def on_new(project_name: str, persona_id: int | None) -> tuple[Any, ...]:
        if persona_id is None:
            raise gr.Error("Pick a persona first.", print_exception=False)
        new_id = start_interview(ws.services(project_name), int(persona_id))
        return (
            _sessions(project_name, persona_id, new_id),
            new_id,
            [],
            f"Interview #{new_id} started.",
        )

    @boundary
    def on_session(project_name: str, chosen: int | None) -> tuple[Any, ...]:
        if chosen is None:
            return None, [], ""
        turns = resume(ws.services(project_name), int(chosen))
        return int(chosen), history_from_turns(turns), f"Interview #{int(chosen)} reopened."

    def _ensure_session(project_name: str, current: int | None, persona_id: int | None) -> int:
        if current is not None:
            return int(current)
        if persona_id is None:
            raise gr.Error("Pick a persona first.", print_exception=False)
        return start_interview(ws.services(project_name), int(persona_id))

    @boundary
    def on_ask(
        project_name: str,
        current: int | None,
        persona_id: int | None,
        text: str,
        history: list[Message] | None,
    ) -> Iterator[tuple[Any, ...]]:
        session_id = _ensure_session(project_name, current, persona_id)
        yield session_id, history or [], "", "Answering…", gr.update()
        for chat_now in stream_answer(ws, project_name, session_id, text or "", history or []):
            yield session_id, chat_now, gr.update(), "Answering…", gr.update()
        yield (
            session_id,
            gr.update(),
            gr.update(),
            "Answer saved.",
            _sessions(project_name, persona_id, session_id),
        )

    @boundary
    def on_guide_click(
        project_name: str,
        current: int | None,
        persona_id: int | None,
        sample: list[str] | None,
        history: list[Message] | None,
    ) -> Iterator[tuple[Any, ...]]:
        text = (sample or [""])[0]
        yield from on_ask(project_name, current, persona_id, text, history)

    @boundary
    def on_run_guide(
        project_name: str,
        current: int | None,
        persona_id: int | None,
        history: list[Message] | None,
    ) -> Iterator[tuple[Any, ...]]:
        session_id = _ensure_session(project_name, current, persona_id)
        services = ws.services(project_name)
        chat_now = list(history or [])
        answered = 0
        pending = ""

        def work(emit: Any) -> None:
            run_guide(
                services,
                session_id,
                on_token=lambda piece: emit(("token", piece)),
                on_answer=lambda question, turn: emit(("answer", (question, turn))),
            )

        yield session_id, chat_now, "Running the guide…", gr.update()
        for kind, payload in stream_callbacks(work):
            if kind == "token":
                if not pending:
                    chat_now = [*chat_now, answer_message("")]
                pending += payload
                chat_now[-1] = answer_message(pending)
            else:
                asked: GuideQuestion
                asked, turn = payload
                if pending:
                    chat_now.pop()
                chat_now = [
                    *chat_now,
                    question_message(asked.text),
                    answer_message(turn.content, turn),
                ]
                pending = ""
                answered += 1
            yield session_id, chat_now, f"Running the guide… {answered} answered.", gr.update()
        yield (
            session_id,
            chat_now,
            f"Guide finished: {answered} new answer(s) saved.",
            _sessions(project_name, persona_id, session_id),
        )

    @boundary
    def on_export(project_name: str, current: int | None) -> Any:
        if current is None:
            raise gr.Error("Start or pick an interview first.", print_exception=False)
        services = ws.services(project_name)
        paths = [
            export_transcript(
                services, int(current), fmt,
                ws.download_path(project_name, f"interview-{int(current)}.{fmt}"),
            )
            for fmt in TRANSCRIPT_FORMATS
        ]  # fmt: skip
        return gr.update(value=[str(p) for p in paths], visible=True)

    @boundary
    def on_refresh(project_name: str, keep: int | None) -> Any:
        choices = persona_choices(ws, project_name)
        ids = [pid for _label, pid in choices]
        return gr.update(choices=choices, value=keep if keep in ids else None)

    persona.change(on_persona, [project, persona], [session, guide, interview_id, chat, status])
    new.click(on_new, [project, persona], [session, interview_id, chat, status])
    session.input(on_session, [project, session], [interview_id, chat, status])
    # Clearing the chat starts a fresh interview at the next question (the old one stays saved).
    chat.clear(lambda: (None, gr.update(value=None), ""), None, [interview_id, session, status])
    asking = [
        ask.click(
            on_ask,
            [project, interview_id, persona, question, chat],
            [interview_id, chat, question, status, session],
            concurrency_id="heavy",
        ),
        question.submit(
            on_ask,
            [project, interview_id, persona, question, chat],
            [interview_id, chat, question, status, session],
            concurrency_id="heavy",
        ),
        guide.click(
            on_guide_click,
            [project, interview_id, persona, guide, chat],
            [interview_id, chat, question, status, session],
            concurrency_id="heavy",
        ),
        run_all.click(
            on_run_guide,
            [project, interview_id, persona, chat],
            [interview_id, chat, status, session],
            concurrency_id="heavy",
        ),
    ]
    export.click(on_export, [project, interview_id], [transcript_files])
    # Stop cancels a running answer; the library then stores it as interrupted.
    stop.click(None, None, None, cancels=cast(list[dict[str, Any]], asking))
    return Screen(refresh=on_refresh, outputs=[persona], inputs=[persona])
