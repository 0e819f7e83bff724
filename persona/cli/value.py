"""``persona clv``: predicted customer value from a transaction log (BG/NBD + Gamma-Gamma)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import segments
from persona.cli._app import app, console, services
from segments.logs import log_columns
from segments.value import predict_value


@app.command("clv")
def clv(
    ctx: typer.Context,
    log: Annotated[
        Path, typer.Argument(help="Transaction log: CSV, Parquet, XLSX, JSON or JSONL.")
    ],
    calibration_end: Annotated[
        str | None,
        typer.Option(
            help="YYYY-MM-DD: fit on purchases up to this date and compare the forecast "
            "with what happened after it."
        ),
    ] = None,
    horizon_weeks: Annotated[
        float, typer.Option(help="Forecast horizon in weeks.", min=1, max=520)
    ] = 52.0,
    customer_column: Annotated[str | None, typer.Option(help="Customer column.")] = None,
    date_column: Annotated[str | None, typer.Option(help="Purchase date column.")] = None,
    amount_column: Annotated[str | None, typer.Option(help="Amount column.")] = None,
    quantity_column: Annotated[
        str | None, typer.Option(help="Quantity column, when the amount is a unit price.")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet name for XLSX files.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Fit BG/NBD and Gamma-Gamma on a log; show P(alive), purchases and value ahead."""
    settings = services(ctx).settings
    loaded = segments.read_table(log, sheet=sheet, max_bytes=settings.max_upload_mb * 1024 * 1024)
    frame = loaded.frame
    columns = log_columns(
        frame,
        customer=customer_column,
        date=date_column,
        amount=amount_column,
        quantity=quantity_column,
    )
    report = predict_value(
        frame,
        **{k: v for k, v in columns.options().items() if v is not None},
        calibration_end=calibration_end,
        horizon=horizon_weeks,
    )
    data = report.to_dict()
    if as_json:
        data["columns"] = {k: v for k, v in columns.options().items() if v is not None}
        typer.echo(json.dumps(data, indent=2))
        return
    console.print(columns.describe())
    _print(data)


def _print(data: dict[str, object]) -> None:
    bgnbd, gg = data["bgnbd"], data["gamma_gamma"]
    assert isinstance(bgnbd, dict) and isinstance(gg, dict)
    predicted = data["predicted"]
    assert isinstance(predicted, dict)
    console.print(
        f"Purchase model (BG/NBD) on {data['customers']:,} customers, "
        f"{data['repeat_buyers']:,} of them repeat buyers, to {data['calibration_end']}: "
        f"r={bgnbd['r']:.3f} α={bgnbd['alpha']:.3f} a={bgnbd['a']:.3f} b={bgnbd['b']:.3f} "
        f"(log-likelihood {bgnbd['log_likelihood']:,.1f})."
    )
    console.print(f"Spend model (Gamma-Gamma): p={gg['p']:.3f} q={gg['q']:.3f} γ={gg['v']:.3f}.")
    table = Table(title=f"Next {data['horizon']:g} weeks (predicted)")
    for header in ("purchases", "value", "mean P(alive)", "mean value per customer",
                   "top 10 % hold"):  # fmt: skip
        table.add_column(header, justify="right")
    top = predicted["top_decile_share_of_value"]
    table.add_row(
        f"{predicted['purchases']:,.0f}",
        f"{predicted['spend']:,.2f}",
        f"{predicted['mean_p_alive']:.0%}",
        f"{predicted['mean_clv']:,.2f}",
        "" if top is None else f"{top:.0%} of the value",
    )
    console.print(table)
    holdout = data["holdout"]
    if isinstance(holdout, dict):
        console.print(
            f"Holdout {holdout['start']} → {holdout['end']} ({holdout['length']:g} weeks): "
            f"predicted {holdout['predicted_purchases']:,.0f} repeat purchases, actual "
            f"{holdout['actual_purchases']:,.0f}; per customer mean absolute error "
            f"{holdout['mean_absolute_error']:.2f}, correlation {holdout['correlation']:.2f}."
        )
