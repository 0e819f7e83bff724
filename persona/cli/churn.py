"""``persona churn``: out-of-fold churn risk from a yes/no outcome column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import segments
from persona.cli._app import app, console, services
from segments.churn import ChurnReport, fit_churn


@app.command("churn")
def churn(
    ctx: typer.Context,
    table: Annotated[
        Path, typer.Argument(help="Customer table: CSV, Parquet, XLSX, JSON or JSONL.")
    ],
    outcome: Annotated[
        str, typer.Option(help="The yes/no outcome column to predict (churned, cancelled …).")
    ],
    positive: Annotated[
        str | None,
        typer.Option(help="The outcome's label that counts as 'yes', when it is not yes/no."),
    ] = None,
    id_column: Annotated[
        str | None, typer.Option(help="Customer id column (never used as a feature).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet name for XLSX files.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Predict OUTCOME with cross-validation; show AUC against baselines, calibration, drivers."""
    settings = services(ctx).settings
    loaded = segments.read_table(table, sheet=sheet, max_bytes=settings.max_upload_mb * 1024 * 1024)
    report = fit_churn(loaded.frame, outcome=outcome, positive=positive, id_column=id_column)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    _print(report)


def _print(report: ChurnReport) -> None:
    console.print(
        f"Predicting {report.outcome!r} for {len(report.probabilities):,} customers "
        f"({report.positive_rate:.1%} positive) from {len(report.features)} columns, "
        "5-fold out of fold."
    )
    quality = Table(title="How well the risk ranks customers")
    for header in ("model", "AUC", "Brier"):
        quality.add_column(header, justify="right")
    quality.add_row("gradient boosting (calibrated)", f"{report.auc:.3f}", f"{report.brier:.3f}")
    quality.add_row(
        "logistic regression", f"{report.logistic_auc:.3f}", f"{report.logistic_brier:.3f}"
    )
    quality.add_row("majority class", f"{report.baseline_auc:.3f}", f"{report.baseline_brier:.3f}")
    console.print(quality)
    calibration = Table(title="Calibration (tenths of predicted risk)")
    for header in ("predicted", "observed", "customers"):
        calibration.add_column(header, justify="right")
    for row in report.calibration:
        calibration.add_row(
            f"{row['predicted']:.1%}", f"{row['observed']:.1%}", f"{row['customers']:,}"
        )
    console.print(calibration)
    drivers = Table(title="What drives the risk (AUC lost when the column is shuffled)")
    drivers.add_column("column")
    drivers.add_column("AUC drop", justify="right")
    for driver in report.drivers:
        drivers.add_row(str(driver["feature"]), f"{float(driver['auc_drop']):.3f}")
    console.print(drivers)
    for column, reason in report.left_out.items():
        console.print(f"Left out {column!r}: {reason}.", highlight=False)
