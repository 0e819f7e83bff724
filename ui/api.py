"""The app's public API: a few stable endpoints for scripts, through ``gradio_client``.

The screens' own event handlers are private (:mod:`ui.security`); these are
the endpoints a team may automate, each with a fixed ``api_name`` and plain
JSON in and out::

    from gradio_client import Client, handle_file

    client = Client("http://127.0.0.1:7860/")            # auth=("user", "password") if set
    run = client.predict("northwind", handle_file("customers.csv"), "auto", "cluster",
                         api_name="/segment")
    made = client.predict("northwind", None, api_name="/generate_personas")
    reply = client.predict("northwind", made[0]["persona_id"], "What matters to you?", None,
                           api_name="/ask_persona")

Everything returned is aggregates and synthetic text: no customer identifier
leaves through the API (the labels file is downloaded from the data screen).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

import segments
from persona.generate import generate_personas
from persona.interview import ask, start_interview
from persona.personas import list_personas
from persona.segmentation import run_segmentation
from persona.text import synthetic_label
from ui.common import Workspace, raising_boundary

__all__ = ["PUBLIC_ENDPOINTS", "build_api"]

PUBLIC_ENDPOINTS = (
    "list_projects",
    "segment",
    "list_personas",
    "generate_personas",
    "ask_persona",
)
"""The ``api_name`` of every public endpoint (scripts rely on these names)."""


def _file_path(payload: Any) -> str | None:
    """The server path of a ``handle_file`` upload (a FileData dict), or None."""
    if payload is None:
        return None
    if isinstance(payload, dict):
        return str(payload.get("path") or "") or None
    return str(payload)


def build_api(ws: Workspace) -> dict[str, Callable[..., Any]]:
    """Register the public endpoints (inside the app's ``gr.Blocks`` context).

    Returns each ``api_name`` with the function behind it (for
    :func:`ui.security.keep_handlers_private`).
    """

    @raising_boundary
    def list_projects() -> list[str]:
        """The projects of this workspace."""
        return ws.projects()

    @raising_boundary
    def segment(
        project: str,
        table: dict[str, Any],
        k: str = "auto",
        method: str = "cluster",
    ) -> dict[str, Any]:
        """Segment an uploaded customer table or transaction log; return the segments.

        ``k`` is ``auto``, a number, or a range ``LOW-HIGH``; ``method`` is
        ``cluster`` or ``rfm`` (RFM score segments of a transaction log).
        """
        if method not in segments.METHODS:
            raise gr.Error(
                f"method must be one of {', '.join(segments.METHODS)}, not {method!r}.",
                print_exception=False,
            )
        path = ws.uploads.claim(_file_path(table))
        if path is None:
            raise gr.Error("Upload a customer table first.", print_exception=False)
        services = ws.services(project)
        try:
            k_value, k_range = segments.parse_k(k)
        except ValueError as error:
            raise gr.Error(f"{error}.", print_exception=False) from None
        run = run_segmentation(services, Path(path), k=k_value, k_range=k_range, method=method)
        return {
            "segmentation_id": run.segmentation_id,
            "segments": [
                {"index": s.segment_index, "label": s.label, "size": s.size, "share": s.share}
                for s in run.segments
            ],
            "notes": [*run.notes, *run.warnings],
        }

    @raising_boundary
    def personas(project: str) -> list[dict[str, Any]]:
        """The project's personas (current versions): id, name, segment, verdict."""
        services = ws.services(project)
        return [
            {
                "persona_id": p.id,
                "name": p.name,
                "segment_index": p.segment_index,
                "segment_label": p.segment_label,
                "version": p.version,
                "verdict": p.verdict,
                "synthetic": synthetic_label(""),
            }
            for p in list_personas(services)
        ]

    @raising_boundary
    def generate(project: str, segments: list[int] | None = None) -> list[dict[str, Any]]:
        """Generate one persona per segment (or for the segments numbered in ``segments``)."""
        services = ws.services(project)
        results = generate_personas(services, segment_indexes=segments or None)
        return [
            {
                "segment_index": r.segment_index,
                "status": r.status,
                "persona_id": r.persona_id,
                "version": r.version,
                "name": r.persona.name if r.persona else None,
                "reason": r.reason,
            }
            for r in results
        ]

    @raising_boundary
    def ask_persona(
        project: str, persona_id: int, question: str, interview_id: int | None = None
    ) -> dict[str, Any]:
        """Ask a persona one question (a new interview unless ``interview_id`` is given)."""
        services = ws.services(project)
        current = interview_id or start_interview(services, int(persona_id))
        turn = ask(services, int(current), question)
        return {
            "interview_id": current,
            "answer": turn.content,
            "status": turn.status,
            "flags": [{"kind": f.kind, "message": f.message} for f in turn.warnings()],
            "sources": [s.label() for s in turn.sources],
            "synthetic": synthetic_label(""),
        }

    endpoints: dict[str, Callable[..., Any]] = {
        "list_projects": list_projects,
        "segment": segment,
        "list_personas": personas,
        "generate_personas": generate,
        "ask_persona": ask_persona,
    }
    heavy = {"segment", "generate_personas", "ask_persona"}
    for name, fn in endpoints.items():
        gr.api(fn, api_name=name, concurrency_id="heavy" if name in heavy else None)
    assert tuple(endpoints) == PUBLIC_ENDPOINTS
    return endpoints
