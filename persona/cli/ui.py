"""``persona ui``: open the whole flow in the browser (the Gradio app in :mod:`ui`)."""

from __future__ import annotations

from typing import Annotated

import typer

from persona.cli._app import app, console, services


@app.command("ui")
def ui_command(
    ctx: typer.Context,
    port: Annotated[
        int | None,
        typer.Option(help="Port to serve on (overrides PERSONA_UI_PORT).", min=1, max=65535),
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the app in the default browser.")
    ] = False,
) -> None:
    """Serve Persona Studio in the browser on 127.0.0.1 (PERSONA_UI_HOST to change).

    No public share link is ever made. PERSONA_UI_AUTH=user:password requires a
    login (pages and API); without it the app refuses to listen beyond this machine.
    PERSONA_MAX_UPLOAD_MB caps uploads.
    """
    import ui  # imported here: gradio takes a second or two to import

    current = services(ctx)
    settings = current.settings
    ui.check_exposure(settings)  # beyond loopback only with a login: exits non-zero otherwise
    chosen_port = port or settings.ui_port
    console.print(
        f"Persona Studio on http://{settings.ui_host}:{chosen_port} "
        f"(project {settings.project!r}, workspace {settings.home}). Press Ctrl+C to stop."
    )
    ui.launch(current, server_port=chosen_port, inbrowser=open_browser)
