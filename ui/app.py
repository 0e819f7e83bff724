"""The Gradio app: one tab per step of the flow, a project selector, safe launch options.

``build_app`` lays out the screens (each module in :mod:`ui` builds one);
``launch`` serves it with the product's defaults: loopback address (beyond it
only with a login, :mod:`ui.security`), five public API endpoints
(:mod:`ui.api`) and every screen handler private, no share link, upload cap,
bounded queue, no tracebacks, the
workspace blocked from Gradio's file server, and a Content-Security-Policy that
keeps the page from fetching anything that is not served by the app itself.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr
from gradio.components import Component

# `import ui.x as x`, not `from ui import x`: the latter runs ui/__init__, which imports
# this module (an import cycle).
import ui.api as api
import ui.changes as changes
import ui.data as data
import ui.documents as documents
import ui.interview as interview
import ui.panel as panel
import ui.personas as personas
from persona.config import Settings
from persona.errors import ProviderError
from persona.llm import capabilities
from persona.services import Services
from ui.common import SYNTHETIC_NOTICE, Workspace, boundary, html_text, md_text
from ui.screen import Screen
from ui.security import check_exposure, keep_handlers_private

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "QUEUE_MAX_SIZE",
    "build_app",
    "launch",
    "launch_options",
]

log = logging.getLogger("persona.ui")

QUEUE_MAX_SIZE = 32
"""Requests that may wait in the queue; more are turned away (OWASP LLM10)."""

DELETE_CACHE = (900, 3600)
"""Every 15 minutes, delete uploads and downloads older than an hour (they hold customer data)."""

# Defence in depth behind the escaping in ui.common: even if some model text
# slipped through as markup, the browser may load images, scripts, styles,
# fonts and connections only from the app itself: no beacon, no exfiltration.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' blob: data:",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)

CSS = """
.ps-banner { padding: 6px 12px; border-radius: 6px; background: #fff7ed; color: #7c2d12;
  border: 1px solid #fed7aa; font-size: 0.9em; }
.ps-small { font-size: 0.82em; color: #4b5563; }
.ps-muted { color: #6b7280; }
.ps-badge { display: inline-block; padding: 0 6px; margin: 0 2px; border-radius: 9px;
  font-size: 0.78em; line-height: 1.6; border: 1px solid rgba(0,0,0,0.08); white-space: nowrap; }
.ps-ev-stat { background: #dbeafe; color: #1e3a8a; }
.ps-ev-doc { background: #dcfce7; color: #14532d; }
.ps-ev-inferred { background: #f3f4f6; color: #374151; font-style: italic; }
.ps-ev-user { background: #ede9fe; color: #4c1d95; }
.ps-card { border: 1px solid #e5e7eb; border-radius: 10px; padding: 12px 16px; margin: 8px 0;
  background: #fff; }
.ps-persona-head { display: flex; align-items: center; gap: 12px; }
.ps-grow { flex: 1; }
.ps-avatar { width: 48px; height: 48px; border-radius: 50%; color: #fff; display: flex;
  align-items: center; justify-content: center; font-weight: 700; font-size: 1.1em; }
.ps-name { font-size: 1.25em; font-weight: 700; }
.ps-synthetic { background: #fff7ed; color: #9a3412; border: 1px solid #fdba74;
  border-radius: 6px; padding: 2px 8px; font-size: 0.8em; text-transform: uppercase;
  letter-spacing: 0.04em; }
.ps-row { margin: 8px 0; }
.ps-warn { background: #fefce8; border-left: 4px solid #eab308; padding: 4px 10px; margin: 6px 0; }
.ps-flag { background: #f5f3ff; border-left: 4px solid #8b5cf6; padding: 4px 10px; margin: 6px 0; }
.ps-quote { border-left: 4px solid #d1d5db; margin: 8px 0; padding: 2px 12px; color: #374151;
  white-space: pre-wrap; }
.ps-card h4 { margin: 10px 0 2px 0; font-size: 0.95em; }
.ps-card ul { margin: 0 0 0 18px; padding: 0; }
.ps-table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
.ps-table th, .ps-table td { border: 1px solid #e5e7eb; padding: 4px 6px; vertical-align: top;
  text-align: left; }
.ps-legend { margin-top: 10px; }
.ps-table td.ps-num { text-align: right; white-space: nowrap; }
.ps-answer { white-space: pre-wrap; }
/* Gradio's footer separates links we do not show (API, "built with"): no stray "·". */
footer .divider { display: none; }
.ps-psi { padding: 0 6px; border-radius: 4px; }
.ps-psi-stable { background: #dcfce7; color: #14532d; }
.ps-psi-moderate { background: #fef9c3; color: #854d0e; }
.ps-psi-significant { background: #fee2e2; color: #991b1b; font-weight: 600; }
"""


def build_app(services: Services) -> gr.Blocks:
    """The whole flow as one Gradio app bound to ``services`` (no business logic here)."""
    ws = Workspace(services)
    with gr.Blocks(
        title="Persona Studio", analytics_enabled=False, delete_cache=DELETE_CACHE
    ) as app:
        # First, so that no screen handler takes one of the public names.
        public = api.build_api(ws)
        with gr.Row(equal_height=True):
            gr.Markdown(
                "## Persona Studio\nSegment your customers, ground personas in your documents, "
                "interview them, and share what you learned."
            )
            project = gr.Dropdown(
                choices=[ws.default_project],
                value=ws.default_project,
                label="Project",
                info="Pick a project, or type a new name to start one.",
                allow_custom_value=True,
                filterable=True,
                scale=0,
                min_width=260,
                elem_id="project",
            )
        with gr.Row(visible=False, elem_id="project-confirm") as confirm_row:
            confirm_text = gr.Markdown()
            create = gr.Button(
                "Create project", variant="primary", scale=0, elem_id="project-create"
            )
            cancel = gr.Button("Cancel", scale=0, elem_id="project-cancel")
        current_project = gr.State(ws.default_project)
        pending = gr.State("")
        gr.HTML(f'<div class="ps-banner">{html_text(SYNTHETIC_NOTICE)}</div>')
        screens: list[tuple[gr.Tab, Screen]] = []
        with gr.Tabs():
            for tab_id, title, module in (
                ("data", "1 · Data & segments", data),
                ("documents", "2 · Documents", documents),
                ("personas", "3 · Personas", personas),
                ("interview", "4 · Interview", interview),
                ("panel", "5 · Panel & insights", panel),
                ("changes", "6 · Changes", changes),
            ):
                with gr.Tab(title, id=tab_id, elem_id=f"tab-{tab_id}") as tab:
                    screens.append((tab, module.build(ws, project)))

        for tab, screen in screens:
            if screen.refresh_on_tab:
                tab.select(screen.refresh, [current_project, *screen.inputs], list(screen.outputs))

        # The confirmed project, not the picker's text: a name typed but not yet confirmed
        # must not be opened (and so created) by a refresh racing the confirmation.
        refresh_inputs: list[Component] = [current_project]
        refresh_outputs: list[Component] = []
        for _tab, screen in screens:
            refresh_inputs += list(screen.inputs)
            refresh_outputs += list(screen.outputs)

        @boundary
        def refresh_all(project_name: str, *extra: Any) -> list[Any]:
            values: list[Any] = []
            position = 0
            for _tab, screen in screens:
                own = extra[position : position + len(screen.inputs)]
                position += len(screen.inputs)
                result = screen.refresh(project_name, *own)
                values += list(result) if isinstance(result, tuple | list) else [result]
            return values

        @boundary
        def list_projects(current: str) -> Any:
            return _select(current)

        def _select(name: str) -> tuple[Any, str]:
            ws.services(name)  # validates the name and creates the project on first use
            return gr.update(choices=ws.projects(), value=name), name

        @boundary
        def on_project(chosen: str, previous: str) -> tuple[Any, ...]:
            name = (chosen or "").strip() or previous
            if name in ws.projects():
                return (*_select(name), gr.update(visible=False), "", "")
            ws.check_name(name)
            # A typo must not create a project: ask first, and stay where we were meanwhile.
            ask = f"There is no project **{md_text(name, inline=True)}** yet. Create it?"
            return gr.update(value=previous), previous, gr.update(visible=True), ask, name

        @boundary
        def on_create(name: str) -> tuple[Any, ...]:
            return (*_select(name), gr.update(visible=False))

        app.load(list_projects, [project], [project, current_project]).then(
            refresh_all, refresh_inputs, refresh_outputs
        )
        project.input(
            on_project,
            [project, current_project],
            [project, current_project, confirm_row, confirm_text, pending],
        ).then(refresh_all, refresh_inputs, refresh_outputs)
        create.click(on_create, [pending], [project, current_project, confirm_row]).then(
            refresh_all, refresh_inputs, refresh_outputs
        )
        cancel.click(lambda: gr.update(visible=False), None, [confirm_row])
    keep_handlers_private(app, public)
    return app


def queue_concurrency(model: object, settings: Settings) -> int:
    """How many heavy jobs may run at once: one for the embedded model, more for a server."""
    return capabilities(model).workers(settings.llm_concurrency, settings.llm_concurrency)


def _model_or_none(services: Services) -> object:
    try:
        return services.chat_model()
    except ProviderError:
        # The screens say what is missing when they are used; one job at a time meanwhile.
        return None


def launch_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments :func:`launch` passes to ``gr.Blocks.launch``."""
    return {
        "server_name": settings.ui_host,
        "server_port": settings.ui_port,
        "share": False,  # never a public tunnel: the data is personal data
        "auth": settings.ui_auth,
        "max_file_size": settings.max_upload_mb * 1024 * 1024,
        "show_error": False,
        "blocked_paths": [str(settings.home)],
        "allowed_paths": [],
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "enable_monitoring": False,
        "run_history": False,  # it would keep inputs and outputs in the browser
        "footer_links": ["settings"],
        "strict_cors": True,
        "css": CSS,
        "head": f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        "quiet": True,
    }


def launch(
    services: Services,
    *,
    server_port: int | None = None,
    prevent_thread_lock: bool = False,
    inbrowser: bool = False,
) -> gr.Blocks:
    """Build and serve the app with the safe defaults of :func:`launch_options`.

    Blocks until the server stops unless ``prevent_thread_lock`` (tests); returns
    the running app, whose ``local_url`` says where it listens.
    """
    settings = services.settings
    check_exposure(settings)
    app = build_app(services)
    app.queue(
        default_concurrency_limit=queue_concurrency(_model_or_none(services), settings),
        max_size=QUEUE_MAX_SIZE,
        api_open=False,
    )
    options = launch_options(settings)
    if server_port is not None:
        options["server_port"] = server_port
    log.info("serving Persona Studio on http://%s:%s", settings.ui_host, options["server_port"])
    app.launch(prevent_thread_lock=prevent_thread_lock, inbrowser=inbrowser, **options)
    return app
