"""The Typer application object, the console and the per-invocation services."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from persona.config import load_settings
from persona.services import Services

app = typer.Typer(
    name="persona",
    help="Persona Studio: segment customers, ground personas in your documents, interview them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option(help="Workspace folder (overrides PERSONA_HOME).")
    ] = None,
    project: Annotated[
        str | None, typer.Option(help="Project name (overrides PERSONA_PROJECT).")
    ] = None,
    fake: Annotated[
        bool, typer.Option("--fake", help="Use a scripted fake model instead of a real LLM.")
    ] = False,
) -> None:
    """Persona Studio: segment customers, ground personas in documents, interview them."""
    environ = dict(os.environ)
    if home is not None:
        environ["PERSONA_HOME"] = str(home)
    if project is not None:
        environ["PERSONA_PROJECT"] = project
    if fake:
        environ["PERSONA_LLM_PROVIDER"] = "fake"
    settings = load_settings(environ)
    ctx.obj = Services(settings)


def services(ctx: typer.Context) -> Services:
    """The :class:`Services` built by the root callback."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Services)
    return obj
