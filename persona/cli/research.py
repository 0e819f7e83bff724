"""``persona screener``, ``persona recruit`` and ``persona research …``: real research."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from persona.cli._app import app, console, services
from persona.research.guide import build_real_guide
from persona.research.kit import write_kit
from persona.research.notes import add_notes, list_notes
from persona.research.recruit import recruit as draw_recruits
from persona.research.screener import Screener, build_screener
from persona.research.target import find_segment

research_app = typer.Typer(
    help="Real research: research kits and real interview notes.", no_args_is_help=True
)
app.add_typer(research_app, name="research")


@app.command("screener")
def screener(
    ctx: typer.Context,
    segment: Annotated[
        str, typer.Argument(help="Segment number or label (`persona segments show`).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    export: Annotated[
        str | None, typer.Option(help="Also write the screener as md or html to the exports.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Screening questions that find real customers of a segment, with their precision."""
    built = build_screener(find_segment(services(ctx), segment))
    written = None
    if export or output:
        exports = services(ctx).settings.exports_path
        written = write_kit(exports, built, None, export or _format(output), output)
    if as_json:
        typer.echo(json.dumps(built.to_dict(), indent=2, ensure_ascii=False))
        return
    _print_screener(built)
    if written:
        console.print(f"Wrote {written}")


@app.command("recruit")
def recruit(
    ctx: typer.Context,
    segment: Annotated[str, typer.Argument(help="Segment number or label.")],
    n: Annotated[int, typer.Option("--n", help="How many customers to invite.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV to write (default: the exports).")
    ] = None,
    exclude_column: Annotated[
        str | None,
        typer.Option(help="Column of the table that marks do-not-contact customers."),
    ] = None,
    allow_repeat: Annotated[
        bool, typer.Option(help="Allow customers recruited by earlier lists.")
    ] = False,
    table: Annotated[
        Path | None,
        typer.Option(help="The segmented table, if it moved (or a newer export, same ids)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed for the draw.")] = None,
) -> None:
    """Draw N real customers of a segment, stratified over its main traits: a CSV of ids."""
    svc = services(ctx)
    done = draw_recruits(
        svc,
        find_segment(svc, segment),
        n,
        output=output,
        exclude_column=exclude_column,
        allow_repeat=allow_repeat,
        table=table,
        seed=seed,
    )
    console.print(
        f"Wrote {done.drawn} customer ids of segment {done.segment} ({escape(done.label)}) "
        f"to {done.path}. Left out: {done.excluded_do_not_contact} do-not-contact, "
        f"{done.excluded_recruited} recruited before"
        + (f", {done.missing_from_table} not in the table" if done.missing_from_table else "")
        + ".",
        highlight=False,
    )
    if done.traits:
        console.print(f"Stratified over: {escape(', '.join(done.traits))}.", highlight=False)
        for stratum, available, drawn in done.strata:
            console.print(f"  {escape(stratum)}: {drawn} of {available}", highlight=False)


@research_app.command("kit")
def kit(
    ctx: typer.Context,
    segment: Annotated[str, typer.Argument(help="Segment number or label.")],
    fmt: Annotated[str, typer.Option("--format", help="md | html")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Write the research kit of a segment: its screener and the real-interview guide."""
    svc = services(ctx)
    target = find_segment(svc, segment)
    built = build_screener(target)
    guide = build_real_guide(svc, target)
    written = write_kit(svc.settings.exports_path, built, guide, fmt, output)
    console.print(
        f"Wrote {written}: {len(built.questions)} screening question(s), "
        f"{len(guide.questions)} interview question(s), {len(guide.probes)} topic(s) to probe."
    )
    for note in guide.notes:
        console.print(escape(note), highlight=False)


@research_app.command("add")
def add(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Notes or transcript: .txt, .md or .docx.")],
    segment: Annotated[str, typer.Option("--segment", help="Segment number or label.")],
) -> None:
    """Add notes of a real interview as research evidence on a segment (masked first)."""
    svc = services(ctx)
    added = add_notes(svc, file, find_segment(svc, segment))
    masked = ", ".join(f"{n} {kind}" for kind, n in sorted(added.masked.items())) or "nothing"
    console.print(
        f"Added {escape(added.file_name)} as real research on segment {added.segment} "
        f"({escape(added.label)}): note {added.id}, {added.sentences} sentence(s); masked "
        f"{masked}. The next brief (`persona insights`) checks its hypotheses against it.",
        highlight=False,
    )


@research_app.command("list")
def notes_list(ctx: typer.Context) -> None:
    """List the real interview notes of the project."""
    notes = list_notes(services(ctx))
    if not notes:
        console.print("No real interview notes yet: `persona research add FILE --segment S`.")
        return
    table = Table(title="Real interview notes (masked)")
    for header in ("id", "segment id", "file", "added", "excerpt"):
        table.add_column(header)
    for note in notes:
        table.add_row(
            str(note.id),
            str(note.segment_id),
            escape(note.file_name),
            note.created_at[:16].replace("T", " "),
            escape(" ".join(note.text.split())[:80]),
        )
    console.print(table)


def _format(path: Path | None) -> str:
    suffix = "" if path is None else path.suffix.lower().lstrip(".")
    return "html" if suffix in ("html", "htm") else "md"


def _print_screener(built: Screener) -> None:
    console.print(
        f"Screener for segment {built.segment}: {escape(built.label)} ({built.size:,} customers)",
        highlight=False,
    )
    table = Table()
    table.add_column("#", justify="right")
    table.add_column("question", ratio=2)
    table.add_column("qualifying answers", ratio=1)
    table.add_column("keeps", justify="right")
    for q in built.questions:
        table.add_row(
            str(q.number),
            escape(q.question),
            escape(" / ".join(q.qualifying)),
            f"{q.kept:.0%} ({q.kept_cumulative:.0%} so far)",
        )
    console.print(table)
    console.print(
        f"Precision {built.precision:.1%} (of the customers who qualify, the share in the "
        f"segment), recall {built.recall:.1%} (of the segment, the share who qualify); "
        f"{built.support:,} customers of the table qualify.",
        highlight=False,
    )
    for alternative in built.alternatives:
        console.print(
            f"  alternative: {escape(str(alternative['rule']))} (precision "
            f"{float(alternative['precision']):.0%}, recall {float(alternative['recall']):.0%})",
            highlight=False,
        )
