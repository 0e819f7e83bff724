"""Screen 6, Changes: refresh with a newer table, then what moved, drifted and alerted.

Calls :func:`persona.refresh.refresh` (the same function as ``persona refresh``)
and reads :func:`persona.snapshots.history` for everything it shows, so the
screen looks the same after a refresh and when it is opened later: the latest
alerts, the migration matrix (rows: previous snapshot, columns: now), a chart of
segment shares over every stored snapshot, and the drift table (PSI per feature,
overall and per saved segment, coloured by band). Aggregates only: customer ids
stay in the workspace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import plotly.graph_objects as go

from persona.refresh import RefreshReport, refresh
from persona.segmentation import load_segments
from persona.services import Services
from persona.snapshots import StoredSnapshot, history
from segments.migration import GONE, NEW
from ui.common import Workspace, boundary, md_text, progress_callback, render_snippet
from ui.data import TABLE_TYPES
from ui.screen import Screen

__all__ = [
    "build",
    "changes_state",
    "drift_html",
    "migration_frame",
    "refresh_summary",
    "shares_figure",
]

NO_SNAPSHOT = (
    "No refresh yet. Upload a newer export of the table (or log) this project was "
    "segmented on to see who moved, what drifted and what changed."
)
NO_SEGMENTATION = "No segmentation in this project yet: find segments on screen 1 first."


def _labels(services: Services, segmentation_id: int) -> dict[int, str]:
    return {s.segment_index: s.label for s in load_segments(services, segmentation_id)}


def _segment_name(key: str, labels: dict[int, str]) -> str:
    if key == NEW:
        return "new customers"
    if key == GONE:
        return "gone"
    index = int(key)
    return f"#{index} {labels.get(index, '')}".strip()


def migration_frame(snapshot: StoredSnapshot, labels: dict[int, str]) -> pd.DataFrame:
    """The stored migration matrix as a table: counts with their row share (and value).

    Rows are named ``#i label`` (and ``new customers``); columns ``→ #i`` (and ``→ gone``).
    """
    counts = snapshot.migration.get("counts") or {}
    shares = snapshot.migration.get("shares") or {}
    value = snapshot.migration.get("value") or {}
    if not counts:
        return pd.DataFrame()
    columns = list(next(iter(counts.values())))
    rows = []
    for row, cells in counts.items():
        line = {"from \\ to": _segment_name(row, labels)}
        for column in columns:
            n = int(cells.get(column, 0))
            share = float(shares.get(row, {}).get(column, 0.0))
            text = f"{n:,} ({share:.0%})" if n else "0"
            worth = value.get(row, {}).get(column) if value else None
            if worth:
                text += f" · {float(worth):,.0f}"
            # Short column heads (the rows carry the names) keep the table readable.
            line[f"→ {_segment_name(column, {})}"] = text
        rows.append(line)
    return pd.DataFrame(rows)


def drift_html(snapshot: StoredSnapshot | None, labels: dict[int, str]) -> str:
    """PSI per feature × (all customers, each segment) as a banded HTML table (escaped)."""
    drift = [] if snapshot is None else snapshot.drift
    segments_seen = sorted({int(d["segment"]) for d in drift if d["segment"] is not None})
    cells: dict[tuple[str, int | None], dict[str, Any]] = {
        (str(d["feature"]), d["segment"]): d for d in drift
    }
    overall = [d for d in drift if d["segment"] is None]
    rows = [
        {
            "feature": d["feature"],
            "cells": [d, *(cells.get((str(d["feature"]), s)) for s in segments_seen)],
        }
        for d in sorted(overall, key=lambda d: -float(d["psi"]))
    ]
    return render_snippet(
        "drift_table",
        rows=rows,
        segments=[{"index": s, "label": labels.get(s, "")} for s in segments_seen],
    )


def shares_figure(snapshots: list[StoredSnapshot], services: Services) -> go.Figure | None:
    """Segment shares of every stored snapshot, one line per segment (``None``: no snapshot).

    After a re-fit the segment numbers belong to another segmentation, so each line
    is one segment of one segmentation, named with the segmentation when there are
    several.
    """
    if not snapshots:
        return None
    segmentations = sorted({s.segmentation_id for s in snapshots})
    labels = {sid: _labels(services, sid) for sid in segmentations}
    axis = [f"#{s.id} {s.taken_at}" for s in snapshots]
    figure = go.Figure()
    for sid in segmentations:
        indices = sorted({k for s in snapshots if s.segmentation_id == sid for k in s.shares})
        for index in indices:
            name = f"#{index} {labels[sid].get(index, '')}".strip()
            if len(segmentations) > 1:
                name += f" (segmentation {sid})"
            y = [s.shares.get(index, 0.0) if s.segmentation_id == sid else None for s in snapshots]
            figure.add_trace(
                go.Scatter(x=axis, y=y, mode="lines+markers", name=name, connectgaps=False)
            )
    figure.update_layout(
        title="Segment shares over time",
        xaxis_title="snapshot (date)",
        yaxis={"title": "share of customers", "tickformat": ".0%", "rangemode": "tozero"},
        height=420,
        legend={"orientation": "h", "y": -0.3},
        margin={"t": 50, "b": 40},
    )
    return figure


def _latest_refresh(snapshots: list[StoredSnapshot]) -> StoredSnapshot | None:
    return next((s for s in reversed(snapshots) if s.kind == "refresh"), None)


def _alerts_markdown(snapshot: StoredSnapshot | None) -> str:
    if snapshot is None:
        return ""
    title = f"### Alerts of snapshot #{snapshot.id} ({md_text(snapshot.source, inline=True)})"
    if not snapshot.alerts:
        return f"{title}\nNo alerts: no share, drift or confidence change passed a threshold."
    return "\n".join([title, *(f"- {md_text(a['text'], inline=True)}" for a in snapshot.alerts)])


def refresh_summary(snapshot: StoredSnapshot, previous_confidence: float | None) -> str:
    """Markdown: the snapshot's customers, confidence, notes and the re-fit advice."""
    c = snapshot.summary.get("customers", {})
    lines = [
        f"**Snapshot #{snapshot.id}** ({md_text(snapshot.source, inline=True)}, "
        f"{md_text(snapshot.taken_at, inline=True)}): {snapshot.n_rows:,} customers; "
        f"{int(c.get('in_both', 0)):,} in both snapshots, {int(c.get('only_new', 0)):,} new, "
        f"{int(c.get('only_old', 0)):,} gone."
    ]
    now = snapshot.summary.get("confidence")
    if now is not None:
        then = "n/a" if previous_confidence is None else f"{previous_confidence:.2f}"
        lines.append(f"Assignment confidence: {then} then, {float(now):.2f} now.")
    lines += [f"- {md_text(n, inline=True)}" for n in snapshot.summary.get("notes", [])]
    reasons = snapshot.summary.get("refit_reasons", [])
    if reasons:
        lines.append(
            "\n**Time to find the segments again** (tick *Re-fit segments* and refresh): "
            + md_text("; ".join(reasons), inline=True)
        )
    return "\n".join(lines)


def _previous_confidence(snapshots: list[StoredSnapshot], latest: StoredSnapshot) -> float | None:
    earlier = [
        s for s in snapshots if s.segmentation_id == latest.segmentation_id and s.id < latest.id
    ]
    value = earlier[-1].summary.get("confidence") if earlier else None
    return None if value is None else float(value)


def changes_state(services: Services) -> tuple[Any, ...]:
    """What the screen shows from the stored snapshots: summary, alerts, matrix, chart, drift."""
    snapshots = history(services)
    if not snapshots:
        return (NO_SEGMENTATION, "", pd.DataFrame(), None, drift_html(None, {}))
    figure = shares_figure(snapshots, services)
    latest = _latest_refresh(snapshots)
    if latest is None:
        return (NO_SNAPSHOT, "", pd.DataFrame(), figure, drift_html(None, {}))
    labels = _labels(services, latest.segmentation_id)
    return (
        refresh_summary(latest, _previous_confidence(snapshots, latest)),
        _alerts_markdown(latest),
        migration_frame(latest, labels),
        figure,
        drift_html(latest, labels),
    )


def _report_lines(report: RefreshReport) -> list[str]:
    """What this refresh did beyond the stored snapshot: re-fit matches, persona updates."""
    lines = []
    if report.refit_segmentation_id is not None:
        lines.append(f"\n**Re-fit:** new segmentation #{report.refit_segmentation_id}.")
        for m in report.matches:
            old = ", ".join(f"#{o} {report.labels.get(o, '')}".strip() for o in m.old) or "–"
            new = ", ".join(f"#{n}" for n in m.new) or "–"
            lines.append(f"- {m.transition}: {md_text(old, inline=True)} → {new}")
    if report.personas:
        lines.append("\n**Personas**")
        for p in report.personas:
            version = f" (v{p.version})" if p.version else ""
            moved = f", {len(p.moves)} fact(s) moved" if p.moves else ""
            lines.append(f"- {md_text(p.name, inline=True)}: {p.action}{version}{moved}")
    return lines


def run_refresh(
    ws: Workspace, project: str, path: str | None, refit: bool, progress: gr.Progress
) -> tuple[Any, ...]:
    """Refresh the project with the table at ``path``; return what the screen shows."""
    if not path:
        raise gr.Error("Upload the newer table first.", print_exception=False)
    services = ws.services(project)
    report = refresh(
        services, Path(path), refit=refit, progress=progress_callback(progress, high=0.95)
    )
    summary, *rest = changes_state(services)
    return (summary + "\n".join(["", *_report_lines(report)]), *rest)


def build(ws: Workspace, project: gr.Dropdown) -> Screen:
    """Lay out the screen inside the current tab and wire its events."""
    gr.Markdown(
        "Refresh with a newer export of the table (or log) this project was segmented on. "
        "Every customer is assigned to the saved segments, so their definitions stay fixed; "
        "the screen shows who moved, which features drifted and what to act on."
    )
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            upload = gr.File(
                label="Newer table or log", file_types=TABLE_TYPES, type="filepath",
                elem_id="changes-file",
            )  # fmt: skip
            refit = gr.Checkbox(
                value=False,
                label="Re-fit segments: find them again on the new table and match them to "
                "the old ones (kept, split, merged, new, vanished)",
                elem_id="changes-refit",
            )
            run = gr.Button("Refresh with new data", variant="primary", elem_id="changes-run")
        with gr.Column(scale=3):
            summary = gr.Markdown(elem_id="changes-summary")
            alerts = gr.Markdown(elem_id="changes-alerts")
    chart = gr.Plot(label="Segment shares over time", elem_id="changes-chart")
    gr.Markdown("### Migration\nRows: segment in the previous snapshot; columns: segment now.")
    matrix = gr.Dataframe(interactive=False, wrap=True, elem_id="changes-migration")
    gr.Markdown("### Drift")
    drift = gr.HTML(elem_id="changes-drift")
    outputs = [summary, alerts, matrix, chart, drift]

    @boundary
    def on_run(
        project_name: str,
        path: str | None,
        refit_value: bool,
        progress: gr.Progress = gr.Progress(),  # Gradio injects the tracker here
    ) -> tuple[Any, ...]:
        kept = ws.uploads.claim(path)
        return run_refresh(ws, project_name, None if kept is None else str(kept), refit_value,
                           progress)  # fmt: skip

    @boundary
    def on_open(project_name: str) -> tuple[Any, ...]:
        return changes_state(ws.services(project_name))

    @boundary
    def on_upload(path: str | None) -> None:
        ws.uploads.claim(path)  # out of Gradio's cache (and off its file server) at once

    upload.upload(on_upload, [upload], [])
    run.click(on_run, [project, upload, refit], outputs, concurrency_id="heavy")
    return Screen(refresh=on_open, outputs=outputs)
