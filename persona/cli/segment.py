"""``persona segment`` and ``persona segments …``: segment a table, assign new customers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import segments
from persona.cli._app import app, console, services
from persona.config import ENGINES
from persona.predicted import prediction_cells, prediction_columns, prediction_legend
from persona.segmentation import assign_new_customers, load_segments, run_segmentation

segments_app = typer.Typer(help="Inspect segments and assign new customers.", no_args_is_help=True)
app.add_typer(segments_app, name="segments")

_SHORT = {
    "sizable": "S",
    "identifiable": "I",
    "reachable": "R",
    "responds_differently": "D",
    "coherent": "C",
    "stable": "T",
}
_VERDICT_MARK = {"pass": "✓", "warn": "!", "fail": "✗", "unknown": "?"}
_VERDICT_STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "unknown": "dim"}


@app.command()
def segment(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Argument(
            help="Customer table or log: a CSV, Parquet, XLSX, JSON or JSONL file, a folder of "
            "Parquet files, or a database URL (postgresql://user@host/db, sqlite:///file.db, "
            "duckdb:///file.duckdb) with --query or --table. Default with --query/--table: "
            "PERSONA_DB_URL.",
            show_default=False,
        ),
    ] = None,
    query: Annotated[
        str | None, typer.Option(help="Database source: the SELECT that returns the rows.")
    ] = None,
    table: Annotated[
        str | None, typer.Option(help="Database source: read this whole table.")
    ] = None,
    ask_password: Annotated[
        bool,
        typer.Option(
            "--ask-password",
            help="Ask for the database password (else the URL, PERSONA_DB_PASSWORD or "
            "PGPASSWORD); it is never stored.",
        ),
    ] = False,
    k: Annotated[
        str, typer.Option(help="Number of segments: 'auto' (3-8), N, or a range LOW-HIGH.")
    ] = "auto",
    method: Annotated[
        str, typer.Option(help="cluster (find segments) | rfm (named RFM score segments of a log)")
    ] = "cluster",
    algorithm: Annotated[
        str, typer.Option(help="kmeans | gmm | agglomerative | hdbscan")
    ] = "kmeans",
    id_column: Annotated[
        str | None, typer.Option(help="Column holding the customer ID (inferred if omitted).")
    ] = None,
    transactions: Annotated[
        bool | None,
        typer.Option(
            "--transactions/--no-transactions",
            help="FILE is (or is not) a transaction log, one row per purchase; by default "
            "a log is recognised by its shape.",
            show_default=False,
        ),
    ] = None,
    customer_column: Annotated[
        str | None, typer.Option(help="Transaction log: the customer column.")
    ] = None,
    date_column: Annotated[str | None, typer.Option(help="Transaction log: the date column.")] = (
        None
    ),
    amount_column: Annotated[
        str | None, typer.Option(help="Transaction log: the amount (or unit price) column.")
    ] = None,
    quantity_column: Annotated[
        str | None,
        typer.Option(help="Transaction log: a quantity; the amount column is then a unit price."),
    ] = None,
    dictionary: Annotated[
        Path | None,
        typer.Option(help="Data dictionary (CSV/XLSX/JSON with columns column,description)."),
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet name for XLSX files.")] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            help="auto | pandas | duckdb (default PERSONA_ENGINE, else auto: DuckDB out "
            "of core for Parquet folders and files past PERSONA_MAX_UPLOAD_MB).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same segments.")
    ] = 0,
) -> None:
    """Segment a customer table, score the segments, and save them in the workspace."""
    chosen_k, k_range = parse_k(k)
    if engine is not None and engine not in ENGINES:
        raise typer.BadParameter(
            f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}", param_hint="--engine"
        )
    _require_source(source, query, table)
    password = _password(ask_password)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("Segmenting", total=1.0)
        run = run_segmentation(
            services(ctx),
            source,
            query=query,
            table=table,
            password=password,
            k=chosen_k,
            k_range=k_range,
            algorithm=algorithm,
            method=method,
            id_column=id_column,
            transactions=transactions,
            customer_column=customer_column,
            date_column=date_column,
            amount_column=amount_column,
            quantity_column=quantity_column,
            dictionary=dictionary,
            sheet=sheet,
            random_state=seed,
            engine=engine,
            progress=lambda stage, fraction: bar.update(
                task, description=stage, completed=fraction
            ),
        )
    for note in run.notes:
        console.print(note, highlight=False)
    for warning in run.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    reason = run.result.k_selection.get("reason")
    if reason:
        console.print(f"Number of segments: {escape(str(reason))}", highlight=False)
    _print_segments(run.segmentation_id, ctx)
    console.print(
        f"Saved segmentation {run.segmentation_id} ({run.result.algorithm}, k={run.result.k}). "
        "Next: `persona docs add …` or `persona generate`."
    )


@segments_app.command("show")
def show(ctx: typer.Context) -> None:
    """Show the latest segmentation with its six-criteria scorecard."""
    _print_segments(None, ctx)


@segments_app.command("assign")
def assign(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Argument(
            help="Table of new customers, same columns: a file, or a database URL with "
            "--query or --table (default with those: PERSONA_DB_URL).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Labels CSV to write.")] = Path(
        "assigned.csv"
    ),
    query: Annotated[
        str | None, typer.Option(help="Database source: the SELECT that returns the rows.")
    ] = None,
    table: Annotated[
        str | None, typer.Option(help="Database source: read this whole table.")
    ] = None,
    ask_password: Annotated[
        bool, typer.Option("--ask-password", help="Ask for the database password.")
    ] = False,
) -> None:
    """Assign new customers to the latest segments; writes a formula-safe labels CSV."""
    _require_source(source, query, table)
    written, accuracy, count = assign_new_customers(
        services(ctx),
        source,
        output,
        query=query,
        table=table,
        password=_password(ask_password),
    )
    console.print(
        f"Assigned {count} customers → {written} "
        f"(assignment model cross-validated accuracy {accuracy:.1%})."
    )


def _require_source(source: str | None, query: str | None, table: str | None) -> None:
    if source is None and query is None and table is None:
        raise typer.BadParameter(
            "Missing argument: name a file, a folder of Parquet files, or a database URL "
            "with --query/--table (or set PERSONA_DB_URL and give --query/--table).",
            param_hint="SOURCE",
        )


def _password(ask: bool) -> str | None:
    """The database password typed at a hidden prompt, when asked for."""
    if not ask:
        return None
    typed = typer.prompt("Database password", hide_input=True, default="", show_default=False)
    return str(typed) or None


def _print_segments(segmentation_id: int | None, ctx: typer.Context) -> None:
    stored = load_segments(services(ctx), segmentation_id)
    criteria = list(stored[0].scorecard) if stored else []
    table = Table(title="Segments (personas are built from these aggregates)")
    table.add_column("#", justify="right")
    table.add_column("label", min_width=28, ratio=1)
    table.add_column("size", justify="right")
    table.add_column("share", justify="right")
    predicted = prediction_columns(stored)
    for header in predicted:
        table.add_column(header, justify="right")
    table.add_column("scorecard", no_wrap=True)
    for segment in stored:
        marks = []
        for name in criteria:
            verdict = str(segment.scorecard[name].get("verdict", "unknown"))
            style = _VERDICT_STYLE.get(verdict, "dim")
            marks.append(f"[{style}]{_short(name)}{_VERDICT_MARK.get(verdict, '?')}[/]")
        table.add_row(
            str(segment.segment_index),
            segment.label,
            str(segment.size),
            f"{segment.share:.1%}",
            *prediction_cells(segment, predicted),
            " ".join(marks),
        )
    console.print(table)
    if predicted:
        console.print(prediction_legend(stored), highlight=False)
    legend = ", ".join(f"{_short(name)}={name}" for name in criteria)
    console.print(f"scorecard: ✓ pass  ! warn  ✗ fail  ? unknown — {legend}")
    for segment in stored:
        for name in criteria:
            verdict = segment.scorecard[name]
            if verdict.get("verdict") in {"warn", "fail"}:
                console.print(
                    f"  segment {segment.segment_index} {name}: {verdict.get('explanation', '')}"
                )


def _short(criterion: str) -> str:
    return _SHORT.get(criterion, criterion[:2])


def parse_k(value: str) -> tuple[int | str, tuple[int, int]]:
    """``--k``: ``auto`` (the default range), ``N``, or ``LOW-HIGH`` (auto within it)."""
    try:
        return segments.parse_k(value)
    except ValueError as error:
        raise typer.BadParameter(f"--{error}") from None
