"""``persona doctor``: which model, embeddings and workspace will be used, and what is missing."""

from __future__ import annotations

import typer
from rich.table import Table

from persona.cli._app import app, console, services
from persona.doctor import diagnose


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Show which LLM and embedding model will be used and why, and how to fix what is missing."""
    settings = services(ctx).settings
    table = Table(title="Persona Studio doctor", show_lines=False)
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail")
    table.add_column("fix")
    problems = 0
    for check in diagnose(settings):
        problems += not check.ok
        status = "[green]ok[/]" if check.ok else "[red]missing[/]"
        table.add_row(check.topic, status, check.detail, check.fix)
    console.print(table)
    if problems:
        console.print(f"{problems} problem(s): see the fix column.")
        raise typer.Exit(1)
