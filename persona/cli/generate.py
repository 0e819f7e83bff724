"""``persona generate``, ``persona personas …`` and ``persona guide``: thin shells.

Model-written text is printed through :func:`rich.markup.escape`, so a persona
cannot inject console markup (``[link=…]``) into the terminal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from persona.brief import BriefFormat, export_brief
from persona.cli._app import app, console, services
from persona.generate import generate_personas, regenerate_persona
from persona.guide import get_guide
from persona.models import TEXT_FIELDS, EvidencedItem
from persona.personas import (
    diff_versions,
    edit_persona,
    find_persona,
    get_persona,
    list_personas,
    list_versions,
)

personas_app = typer.Typer(
    help="List, show, export, compare and edit synthetic personas.", no_args_is_help=True
)
app.add_typer(personas_app, name="personas")

_KIND_STYLE = {
    "stat": "green",
    "doc": "blue",
    "user": "magenta",
    "inferred": "yellow",
    "research": "cyan",
}
_VERDICT_STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "unknown": "dim"}


@app.command()
def generate(
    ctx: typer.Context,
    segments: Annotated[
        str | None,
        typer.Option(help="Comma-separated segment numbers (# in `persona segments show`)."),
    ] = None,
) -> None:
    """Write one synthetic persona per segment (a new version if it already has one)."""
    indexes = _parse_indexes(segments) if segments else None
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("Generating personas", total=1.0)
        results = generate_personas(
            services(ctx),
            segment_indexes=indexes,
            progress=lambda stage, fraction: bar.update(
                task, description=escape(stage), completed=fraction
            ),
        )
    table = Table(title="Synthetic personas")
    for column in ("#", "segment", "status", "persona", "version", "re-asks", "flags"):
        table.add_column(column)
    for result in results:
        persona = result.persona
        table.add_row(
            str(result.segment_index),
            escape(result.label),
            {"generated": "[green]generated[/]", "skipped": "[yellow]skipped[/]"}.get(
                result.status, "[red]failed[/]"
            ),
            escape(f"{result.persona_id}: {persona.name}") if persona else "",
            str(result.version or ""),
            str(result.report.reasks) if result.report else "",
            str(len(persona.flags)) if persona else "",
        )
    console.print(table)
    for result in results:
        if result.reason:
            console.print(f"[yellow]segment {result.segment_index}:[/] {escape(result.reason)}")
        if result.persona is not None:
            for warning in result.persona.warnings:
                console.print(f"[yellow]⚠ {escape(result.persona.name)}:[/] {escape(warning)}")
    if any(r.status == "failed" for r in results):
        raise typer.Exit(code=1)


@personas_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List the project's personas at their current version."""
    rows = list_personas(services(ctx))
    table = Table(title="Synthetic personas")
    for column in ("id", "name", "segment", "version", "verdict", "warnings", "flags"):
        table.add_column(column)
    for row in rows:
        style = _VERDICT_STYLE.get(row.verdict, "dim")
        table.add_row(
            str(row.id),
            escape(row.name),
            escape(f"{row.segment_index if row.segment_index is not None else '-'}: "
                   f"{row.segment_label}"),
            f"{row.version} ({row.origin})",
            f"[{style}]{row.verdict}[/]",
            str(row.warnings),
            str(row.flags),
        )  # fmt: skip
    console.print(table)
    if not rows:
        console.print("No personas yet: run `persona generate`.")


@personas_app.command("show")
def show(
    ctx: typer.Context,
    persona: Annotated[str, typer.Argument(help="Persona id or name.")],
    version: Annotated[int | None, typer.Option(help="Version (default: current).")] = None,
) -> None:
    """Show a persona with the evidence behind every item."""
    svc = services(ctx)
    stored = get_persona(svc, find_persona(svc, persona), version)
    p = stored.persona
    console.print(
        f"[bold]{escape(p.name)}[/]  [reverse] Synthetic persona [/]  "
        f"v{stored.version} ({stored.origin}, {escape(stored.model)})  "
        f"verdict [{_VERDICT_STYLE.get(p.verdict, 'dim')}]{p.verdict}[/]"
    )
    console.print(f"Segment {p.facts.segment_index}: {escape(p.facts.label)}")
    for warning in p.warnings:
        console.print(f"[yellow]⚠ {escape(warning)}[/]")
    for flag in p.flags:
        console.print(f"[dim]⚑ {escape(flag)}[/]")
    for name in TEXT_FIELDS:
        for item in p.field_items(name):
            console.print(f"[bold]{name}[/]: {escape(item.text)} {_badges(item)}")
    for name, item in p.items():
        if name not in TEXT_FIELDS:
            console.print(f"[bold]{name}[/]: {escape(item.text)} {_badges(item)}")
    versions = list_versions(svc, stored.id)
    console.print(
        "[dim]Versions: "
        + ", ".join(f"v{number} {origin}" for number, origin, _model, _at in versions)
        + "[/]"
    )


@personas_app.command("export")
def export(
    ctx: typer.Context,
    persona: Annotated[str, typer.Argument(help="Persona id or name.")],
    fmt: Annotated[BriefFormat, typer.Option("--format", "-f", help="md | html | json")] = "html",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
    version: Annotated[int | None, typer.Option(help="Version (default: current).")] = None,
) -> None:
    """Export a persona brief as Markdown, standalone HTML or JSON."""

    svc = services(ctx)
    written = export_brief(
        svc,
        find_persona(svc, persona),
        fmt,
        output=output,
        version=version,  # type: ignore[arg-type]
    )
    console.print(f"Wrote {escape(str(written))} (labelled as a synthetic persona).")


@personas_app.command("diff")
def diff(
    ctx: typer.Context,
    persona: Annotated[str, typer.Argument(help="Persona id or name.")],
    old: Annotated[int | None, typer.Option("--from", help="Older version.")] = None,
    new: Annotated[int | None, typer.Option("--to", help="Newer version.")] = None,
) -> None:
    """Compare two versions of a persona field by field (default: previous → current)."""
    svc = services(ctx)
    changes = diff_versions(svc, find_persona(svc, persona), old, new)
    if not changes:
        console.print("No differences.")
    for change in changes:
        console.print(f"[bold]{change.field}[/] ({change.change})")
        for line in change.before:
            console.print(f"  [red]- {escape(line)}[/]")
        for line in change.after:
            console.print(f"  [green]+ {escape(line)}[/]")


@personas_app.command("edit")
def edit(
    ctx: typer.Context,
    persona: Annotated[str, typer.Argument(help="Persona id or name.")],
    field: Annotated[str, typer.Argument(help="Field to set, e.g. occupation or goals.")],
    values: Annotated[list[str], typer.Argument(help="New text; several for list fields.")],
) -> None:
    """Set a field by hand: a new 'edited' version, kept across regenerations."""
    svc = services(ctx)
    value: str | list[str] = values if len(values) != 1 else values[0]
    stored = edit_persona(svc, find_persona(svc, persona), field, value)
    console.print(f"Saved version {stored.version} of {escape(stored.persona.name)} (edited).")


@personas_app.command("regenerate")
def regenerate(
    ctx: typer.Context,
    persona: Annotated[str, typer.Argument(help="Persona id or name.")],
) -> None:
    """Generate a new version of one persona; fields edited by hand are kept."""
    svc = services(ctx)
    with console.status("Generating…"):
        result = regenerate_persona(svc, find_persona(svc, persona))
    if result.status != "generated" or result.persona is None:
        console.print(f"[red]{escape(result.reason or result.status)}[/]")
        raise typer.Exit(code=1)
    console.print(
        f"Saved version {result.version} of {escape(result.persona.name)} "
        f"({result.report.reasks if result.report else 0} re-asks, "
        f"{len(result.persona.flags)} flags)."
    )


@app.command()
def guide(
    ctx: typer.Context,
    persona: Annotated[str, typer.Argument(help="Persona id or name.")],
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Rebuild, even if it was edited by hand.")
    ] = False,
    rephrase: Annotated[
        bool, typer.Option("--rephrase", help="Let the model word the questions (checked).")
    ] = False,
) -> None:
    """Show the interview guide of a persona: open, neutral questions, weakest evidence first."""

    svc = services(ctx)
    result = get_guide(svc, find_persona(svc, persona), refresh=refresh, rephrase=rephrase)
    edited = " (edited by hand)" if result.edited else ""
    console.print(
        f"[bold]Interview guide for {escape(result.persona_name)}[/] "
        f"[dim](synthetic persona; phrased by {escape(result.phrased_by)}{edited})[/]"
    )
    for number, question in enumerate(result.questions, start=1):
        why = f" [dim]— {escape(question.reason)}[/]" if question.reason else ""
        console.print(f"{number:>2}. {escape(question.text)}{why}")


def _badges(item: EvidencedItem) -> str:
    return " ".join(f"[{_KIND_STYLE[e.kind]}]\\[{escape(e.label())}][/]" for e in item.evidence)


def _parse_indexes(value: str) -> list[int]:
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"--segments takes numbers separated by commas, e.g. 0,2 — not {value!r}"
        ) from None
