"""``persona refresh`` and ``persona history``: the segments over time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from persona.cli._app import app, console, services
from persona.refresh import RefreshReport, refresh
from persona.snapshots import history


def _matrix_table(report: RefreshReport) -> Table:
    counts = report.migration.counts
    value = report.migration.value
    title = "Migration (rows: previous snapshot, columns: now)"
    if value is not None:
        title += "; customers, and their predicted value over the next year"
    table = Table(title=title)
    table.add_column("from \\ to")

    def name(key: object) -> str:
        return str(key) if isinstance(key, str) else f"{key} {report.labels.get(int(key), '')}"  # type: ignore[call-overload]

    for column in counts.columns:
        table.add_column(escape(name(column))[:28], justify="right")
    for row in counts.index:
        cells = [f"{int(v):,}" for v in counts.loc[row]]
        if value is not None:
            cells = [
                f"{cell}\n{float(worth):,.0f}" if int(n) else cell
                for cell, n, worth in zip(cells, counts.loc[row], value.loc[row], strict=True)
            ]
        table.add_row(escape(name(row))[:40], *cells)
    return table


def _print(report: RefreshReport) -> None:
    c = report.customers
    console.print(
        f"Snapshot {report.snapshot_id} ({escape(report.source)}, {report.taken_at}): "
        f"{report.n_customers:,} customers; {c['in_both']:,} in both snapshots, "
        f"{c['only_new']:,} new, {c['only_old']:,} gone."
    )
    for note in report.notes:
        console.print(f"[dim]{escape(note)}[/]")
    console.print(_matrix_table(report))
    shares = Table(title="Segment shares")
    for head in ("segment", "before", "now"):
        shares.add_column(head, justify="left" if head == "segment" else "right")
    for s in sorted(set(report.shares_before) | set(report.shares_after)):
        shares.add_row(
            escape(f"{s} {report.labels.get(s, '')}")[:48],
            f"{report.shares_before.get(s, 0.0):.1%}",
            f"{report.shares_after.get(s, 0.0):.1%}",
        )
    console.print(shares)
    drift = Table(title="Drift against the segmented data (PSI, all customers)")
    for head in ("feature", "PSI", "band"):
        drift.add_column(head)
    for d in sorted((d for d in report.drift if d.segment is None), key=lambda d: -d.psi):
        drift.add_row(escape(d.feature), f"{d.psi:.3f}", d.band)
    console.print(drift)
    before = "n/a" if report.confidence_before is None else f"{report.confidence_before:.2f}"
    console.print(f"Assignment confidence: {before} then, {report.confidence_after:.2f} now.")
    console.print("[bold]Alerts[/]" if report.alerts else "No alerts: nothing passed a threshold.")
    for alert in report.alerts:
        console.print(f"  • {escape(alert.text)}")
    if report.refit_reasons and report.refit_segmentation_id is None:
        console.print(
            "[bold yellow]Time to find the segments again[/] (`persona refresh FILE --refit`): "
            + escape("; ".join(report.refit_reasons))
        )
    if report.refit_segmentation_id is not None:
        console.print(f"Re-fit: segmentation {report.refit_segmentation_id}.")
        for m in report.matches:
            console.print(f"  {m.transition}: old {list(m.old)} → new {list(m.new)}")
    for p in report.personas:
        moved = f", {len(p.moves)} fact(s) moved" if p.moves else ""
        version = f" v{p.version}" if p.version else ""
        console.print(f"Persona {p.persona_id} {escape(p.name)}: {p.action}{version}{moved}")


@app.command("refresh")
def refresh_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Newer export of the segmented table or log.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    refit: Annotated[
        bool, typer.Option("--refit", help="Also find the segments again and match them.")
    ] = False,
    sheet: Annotated[str | None, typer.Option(help="Sheet of an Excel file.")] = None,
) -> None:
    """Assign a newer snapshot to the saved segments: migration, drift, alerts, persona facts."""
    report = refresh(services(ctx), file, refit=refit, sheet=sheet)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    _print(report)


@app.command("history")
def history_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the history as JSON.")] = False,
) -> None:
    """Segment shares of every snapshot, oldest first, and the latest alerts."""
    snapshots = history(services(ctx))
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {"id": s.id, "segmentation_id": s.segmentation_id, "kind": s.kind,
                     "source": s.source, "taken_at": s.taken_at, "n_rows": s.n_rows,
                     "shares": {str(k): v for k, v in s.shares.items()},
                     "alerts": [a["text"] for a in s.alerts]}
                    for s in snapshots
                ],
                indent=2,
            )
        )  # fmt: skip
        return
    if not snapshots:
        console.print("No snapshots yet: `persona segment FILE` records the first.")
        return
    segments_seen = sorted({k for s in snapshots for k in s.shares})
    table = Table(title="Segment shares over time")
    for head in ("snapshot", "segmentation", "date", "customers", *map(str, segments_seen)):
        table.add_column(head)
    for s in snapshots:
        table.add_row(
            f"{s.id} {s.kind}", str(s.segmentation_id), s.taken_at, f"{s.n_rows:,}",
            *(f"{s.shares[k]:.1%}" if k in s.shares else "" for k in segments_seen),
        )  # fmt: skip
    console.print(table)
    # A re-fit's baseline comes last and has no alerts of its own: show the last refresh's.
    latest = next((s for s in reversed(snapshots) if s.kind == "refresh"), None)
    if latest is None:
        console.print("No refresh yet: `persona refresh FILE` compares a newer table.")
        return
    console.print(
        f"Latest alerts (snapshot {latest.id}):"
        if latest.alerts
        else f"No alerts in the latest refresh (snapshot {latest.id})."
    )
    for alert in latest.alerts:
        console.print(f"  • {escape(alert['text'])}")
