"""``persona interview``, ``interviews``, ``transcript``, ``panel`` and ``insights``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from persona.cli._app import app, console, services
from persona.errors import PersonaError
from persona.insights import compile_brief, export_insights, list_briefs
from persona.interview import (
    SYNTHETIC_LABEL,
    Turn,
    ask_stream,
    interview_persona,
    list_interviews,
    resume,
    run_guide,
    start_interview,
)
from persona.interview.export import TRANSCRIPT_FORMATS, export_transcript
from persona.models import GuideQuestion
from persona.panel import SYNTHETIC_NOTE, ask_panel, export_panel, list_panels
from persona.personas import find_persona
from persona.safe_text import strip_invisible
from persona.services import Services

_QUIT = {"/quit", "/exit", "/q"}


def _say(text: str, style: str | None = None, end: str = "\n") -> None:
    """Print text that may come from a model: no markup, no control characters."""
    console.print(Text(strip_invisible(text), style=style or ""), end=end, soft_wrap=True)


def _print_flags(turn: Turn) -> None:
    if turn.refused and turn.role == "assistant":
        _say("  (an attempt to override the persona was refused; no model was called)", "dim")
    for flag in turn.warnings():
        _say(f"  ⚑ {flag.kind}: {flag.message}", style="yellow")


def _print_turns(turns: list[Turn], name: str) -> None:
    for turn in turns:
        who = "You" if turn.role == "user" else name
        note = "" if turn.complete else "  (interrupted)"
        _say(f"{who}: {turn.content}{note}", style="bold" if turn.role == "user" else None)
        if turn.role == "assistant":
            _print_flags(turn)


@app.command()
def interview(
    ctx: typer.Context,
    persona: Annotated[str, typer.Argument(help="Persona name or id.")],
    guide: Annotated[
        bool, typer.Option("--guide", help="Ask the persona's prepared guide, no typing.")
    ] = False,
    resume_id: Annotated[
        int | None, typer.Option("--resume", help="Continue interview ID instead of a new one.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title of a new interview.")] = None,
) -> None:
    """Interview a persona in the terminal (answers stream); /quit ends the session."""
    svc = services(ctx)
    persona_id = find_persona(svc, persona)
    if resume_id is not None:
        owner, _persona = interview_persona(svc, resume_id)
        if owner != persona_id:
            raise PersonaError(
                f"Interview {resume_id} is with another persona (id {owner}).",
                hint="Name that persona, or list sessions with `persona interviews`.",
            )
        interview_id = resume_id
        earlier = resume(svc, interview_id)
    else:
        interview_id = start_interview(svc, persona_id, title=title)
        earlier = []
    _owner, subject = interview_persona(svc, interview_id)
    name = subject.name
    _say(f"Interview {interview_id} with {name}. {SYNTHETIC_LABEL}", style="dim")
    if earlier:
        _print_turns(earlier, name)
    if guide:
        _run_guide(svc, interview_id, name)
        _say(f"Done. Resume with: persona interview {persona_id} --resume {interview_id}")
        return
    _say("Type a question; /quit ends the interview.", style="dim")
    while True:
        try:
            question = console.input("[bold]You:[/] ")
        except EOFError:
            break
        if question.strip().lower() in _QUIT:
            break
        if not question.strip():
            continue
        stream = ask_stream(svc, interview_id, question)
        _say(f"{name}: ", style="bold", end="")
        for piece in stream:
            _say(piece, end="")
        _say("")
        _print_flags(stream.turn)
    _say(f"Saved. Resume with: persona interview {persona_id} --resume {interview_id}")


def _run_guide(svc: Services, interview_id: int, name: str) -> None:
    def asking(question: GuideQuestion) -> None:
        _say(f"You: {question.text}", style="bold")
        _say(f"{name}: ", style="bold", end="")

    def answered(_question: GuideQuestion, turn: Turn) -> None:
        _say("")
        _print_flags(turn)

    answers = run_guide(
        svc,
        interview_id,
        on_question=asking,
        on_token=lambda piece: _say(piece, end=""),
        on_answer=answered,
    )
    _say(f"{len(answers)} guide question(s) answered.", style="dim")


@app.command()
def interviews(
    ctx: typer.Context,
    persona: Annotated[str | None, typer.Option(help="Only this persona (name or id).")] = None,
) -> None:
    """List interview sessions of the project."""
    svc = services(ctx)
    persona_id = find_persona(svc, persona) if persona else None
    rows = list_interviews(svc, persona_id=persona_id)
    if not rows:
        console.print("No interviews yet. Start one with `persona interview NAME`.")
        return
    table = Table("id", "persona", "title", "answers", "interrupted", "last turn")
    for row in rows:
        table.add_row(
            str(row.id),
            Text(row.persona_name),
            Text(row.title),
            str(row.answered),
            str(row.interrupted),
            (row.last_at or row.created_at)[:16].replace("T", " "),
        )
    console.print(table)


def _ids(value: str | None, option: str) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(part) for part in value.replace(" ", "").split(",") if part]
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a comma-separated list of ids.", param_hint=option
        ) from None


@app.command()
def transcript(
    ctx: typer.Context,
    interview_id: Annotated[int, typer.Argument(help="Interview id, from `persona interviews`.")],
    fmt: Annotated[str, typer.Option("--format", help="md | csv | json")] = "md",
    out: Annotated[Path | None, typer.Option(help="File to write (default: exports/).")] = None,
) -> None:
    """Export one interview's transcript, labelled synthetic, with sources and flags."""
    if fmt not in TRANSCRIPT_FORMATS:
        raise typer.BadParameter(f"use {', '.join(TRANSCRIPT_FORMATS)}", param_hint="--format")
    console.print(f"Wrote {export_transcript(services(ctx), interview_id, fmt, out)}")


@app.command()
def panel(
    ctx: typer.Context,
    question: Annotated[
        str | None, typer.Argument(help="The question every persona answers.")
    ] = None,
    persona: Annotated[
        list[str] | None, typer.Option(help="Ask only these personas (repeat the option).")
    ] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Also write a CSV here.")] = None,
    md_path: Annotated[Path | None, typer.Option("--md", help="Also write Markdown here.")] = None,
    list_all: Annotated[bool, typer.Option("--list", help="List earlier panels.")] = False,
) -> None:
    """Ask every persona one question; show the answers side by side with segment shares."""
    svc = services(ctx)
    if list_all or question is None:
        results = list_panels(svc)
        if not results:
            console.print('No panels yet. Ask one with `persona panel "your question"`.')
        for result in results:
            _say(f"{result.id}: {result.question} ({len(result.answers)} answers)")
        return
    ids = [find_persona(svc, key) for key in persona] if persona else None
    with console.status("Asking the panel…"):
        result = ask_panel(svc, question, persona_ids=ids)
    _say(SYNTHETIC_NOTE, style="dim")
    table = Table("persona", "share", "answer", "flags", title=Text(result.question))
    for answer in result.answers:
        flags = "\n".join(f"{f.kind}: {f.message}" for f in answer.flags)
        table.add_row(
            Text(answer.persona_name),
            f"{answer.share * 100:.1f}%",
            Text(strip_invisible(answer.answer)),
            Text(flags, style="yellow"),
        )
    console.print(table)
    if csv_path is not None:
        console.print(f"Wrote {export_panel(svc, result.id, 'csv', csv_path)}")
    if md_path is not None:
        console.print(f"Wrote {export_panel(svc, result.id, 'md', md_path)}")
    console.print(f"Panel {result.id} saved. Export: persona panel … --csv FILE")


@app.command()
def insights(
    ctx: typer.Context,
    sessions: Annotated[
        str | None, typer.Option(help="Interview ids to use, e.g. 1,2 (default: all).")
    ] = None,
    panels: Annotated[
        str | None, typer.Option(help="Panel ids to use, e.g. 3 (default: all).")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title of the brief.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md | html | json")] = "md",
    out: Annotated[Path | None, typer.Option(help="File to write (default: exports/).")] = None,
    list_all: Annotated[bool, typer.Option("--list", help="List earlier briefs.")] = False,
) -> None:
    """Compile interviews and panels into an insight brief tiered by evidence."""
    svc = services(ctx)
    if list_all:
        for row in list_briefs(svc):
            _say(f"{row.id}: {row.title} ({row.model}, {row.created_at[:16]})")
        return
    if fmt not in ("md", "html", "json"):
        raise typer.BadParameter("use md, html or json", param_hint="--format")
    interview_ids = _ids(sessions, "--sessions")
    panel_ids = _ids(panels, "--panels")
    with console.status("Compiling the brief…"):
        brief = compile_brief(svc, interview_ids=interview_ids, panel_ids=panel_ids, title=title)
    assert brief.id is not None
    path = export_insights(svc, brief.id, fmt, out)  # type: ignore[arg-type]
    tiers = {tier: 0 for tier in ("data-backed", "document-backed", "simulated-only")}
    for item in brief.items():
        tiers[item.tier] += 1
    summary = ", ".join(f"{n} {tier}" for tier, n in tiers.items())
    _say(
        f"Brief {brief.id} ({brief.method}): {len(brief.items())} items ({summary}), "
        f"{len(brief.hypotheses)} hypotheses to validate. Synthetic research."
    )
    console.print(f"Wrote {path}")
