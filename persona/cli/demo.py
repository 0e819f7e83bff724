"""``persona demo``: run the whole flow on the bundled sample data."""

from __future__ import annotations

import typer

from persona.cli._app import app, console, services
from persona.demo import run_demo


@app.command()
def demo(ctx: typer.Context) -> None:
    """Run the whole flow on the bundled sample data of Northwind Outfitters."""
    svc = services(ctx)
    console.print(f"Persona Studio demo — workspace {svc.settings.home}")
    report = run_demo(svc, say=lambda line: console.print(f"[green]✓[/] {line}"))
    for path in report.files:
        console.print(f"  wrote {path}")
    console.print(
        "Everything above is synthetic research built from sample data. "
        "Open the app with `persona ui`."
    )
