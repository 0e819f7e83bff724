"""Screen 1, Data & segments: upload a table, review its column roles, find segments.

Calls :func:`segments.read_table` / :func:`segments.infer_roles` for the preview
and :func:`persona.segmentation.run_segmentation` (the same function as
``persona segment``) for the work; shows the segment map, the profile heat map
and the six-criteria scorecard, and offers the labels CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

import segments
from persona.errors import USER_ERRORS, NotFoundError
from persona.predicted import prediction_cells, prediction_columns, prediction_legend
from persona.segmentation import StoredSegment, load_segments, run_segmentation
from persona.sources import read_source
from ui.common import (
    Workspace,
    boundary,
    md_text,
    progress_callback,
    redact_paths,
    render_snippet,
    verdict_badge,
)
from ui.screen import Screen

__all__ = [
    "TABLE_TYPES",
    "DatabaseSource",
    "build",
    "describe_segments",
    "preview_database",
    "preview_loaded",
    "preview_table",
    "scorecard_html",
]


@dataclass(frozen=True)
class TransactionLog:
    """The columns of a transaction log the user picked."""

    customer: str | None
    date: str | None
    amount: str | None
    quantity: str | None = None
    """Set when ``amount`` is a unit price: each line is worth amount × quantity."""

    def options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~persona.segmentation.run_segmentation`."""
        return {
            "transactions": True,
            "customer_column": str(self.customer),
            "date_column": str(self.date),
            "amount_column": str(self.amount),
            "quantity_column": self.quantity or None,
        }


@dataclass(frozen=True)
class DatabaseSource:
    """A database the user named on the data screen; the password is never shown again."""

    url: str
    query: str
    password: str | None = field(default=None, repr=False)


TABLE_TYPES = [".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".json", ".jsonl"]
INFER = "(infer)"
K_CHOICES = ["auto", *(str(k) for k in range(2, 11))]
METHODS = {"clusters": "cluster", "RFM scores": "rfm"}
DICTIONARY_TYPES = [".csv", ".xlsx", ".json", ".jsonl"]
PREVIEW_ROWS = 10
MASK = "•••"
ROLE_HEADERS = ["column", "inferred role", "role"]


def preview_table(ws: Workspace, project: str, path: str | None) -> tuple[Any, ...]:
    """Read the uploaded table: preview (personal columns masked), roles, ID choices."""
    if not path:
        return preview_table_empty()
    settings = ws.services(project).settings
    return preview_loaded(
        segments.read_table(Path(path), max_bytes=settings.max_upload_mb * 1024 * 1024)
    )


def preview_database(ws: Workspace, project: str, source: DatabaseSource) -> tuple[Any, ...]:
    """Run the database query once and preview its rows like an uploaded table."""
    if not source.url.strip() or not source.query.strip():
        raise gr.Error("Give the connection URL and the query.", print_exception=False)
    settings = ws.services(project).settings
    return preview_loaded(
        read_source(settings, source.url.strip(), query=source.query, password=source.password)
    )


def preview_loaded(loaded: segments.LoadedTable) -> tuple[Any, ...]:
    """Preview (personal columns masked), roles and ID choices of a loaded table."""
    frame = loaded.frame
    roles = segments.infer_roles(frame)
    head = _readable(frame.head(PREVIEW_ROWS))
    for column, role in roles.items():
        # The preview is for checking the columns, not for reading people's details.
        if role == "personal":
            head[column] = MASK
    role_rows = pd.DataFrame(
        [[column, role, role] for column, role in roles.items()], columns=ROLE_HEADERS
    )
    notes = [f"**{len(frame):,} rows × {frame.shape[1]} columns.**"]
    notes += [f"- {md_text(w, inline=True)}" for w in loaded.warnings]
    identifiers = [c for c, r in roles.items() if r == "identifier"]
    pickers = log_pickers(frame, roles)
    if pickers[0]["value"]:
        notes.append(
            "This looks like a **transaction log** (one row per purchase): it will be turned "
            "into one row per customer (recency, frequency, spend). Untick *Transaction log* "
            "if it is not."
        )
        identifiers = []  # the log's own id (a transaction id) is not the customer id
    return (
        gr.update(value=head),
        gr.update(value=role_rows),
        gr.update(choices=[INFER, *map(str, frame.columns)], value=INFER),
        "\n".join(notes)
        + (
            f"\n\nCustomer ID column: **{md_text(identifiers[0], inline=True)}**."
            if identifiers
            else ""
        ),
        *pickers,
    )


def _readable(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows as text for people: floats without binary noise (14.891, not 14.890999…)."""
    shown = rows.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(
                lambda v: "" if pd.isna(v) else f"{v:.4f}".rstrip("0").rstrip(".")
            )
    return shown.astype("string").fillna("")


def rejected_upload(name: str, message: str) -> tuple[Any, ...]:
    """The screen after a file it could not read: the file dropped, every picker cleared.

    Returns the updates of :func:`preview_table` followed by one for the file box.
    """
    cleared = preview_table_empty()
    notes = f"**Could not read {md_text(name, inline=True)}.** {message}"
    return (*cleared[:3], notes, *cleared[4:], gr.update(value=None))


def preview_table_empty() -> tuple[Any, ...]:
    """The screen with no table: empty preview and roles, no ID or log column choices."""
    return (
        gr.update(value=None),
        gr.update(value=pd.DataFrame(columns=ROLE_HEADERS)),
        gr.update(choices=[INFER], value=INFER),
        "",
        *log_pickers(None, {}),
    )


def _claimed(ws: Workspace, path: str | None) -> str | None:
    """The private copy of an upload (moved out of Gradio's cache on first sight)."""
    kept = ws.uploads.claim(path)
    return None if kept is None else str(kept)


def log_pickers(frame: pd.DataFrame | None, roles: dict[str, str]) -> list[dict[str, Any]]:
    """Updates for the log checkbox and its customer, date, amount and quantity pickers.

    The box is ticked when :func:`segments.recognise_log` (the CLI's test too) finds
    the shape of a purchase log: a customer column whose ids repeat, a date column
    and an amount column.
    """
    if frame is None:
        return [gr.update(value=False)] + [gr.update(choices=[], value=None)] * 4
    columns = [str(c) for c in frame.columns]
    log = segments.recognise_log(frame, roles)
    return [
        gr.update(value=log is not None),
        gr.update(choices=columns, value=log.customer if log else None),
        gr.update(choices=columns, value=log.date if log else None),
        gr.update(choices=columns, value=log.amount if log else None),
        gr.update(choices=columns, value=log.quantity if log else None),
    ]


def _role_overrides(table: Any) -> dict[str, str]:
    """Roles the user changed in the roles table (the others stay inferred)."""
    if table is None:
        return {}
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table, columns=ROLE_HEADERS)
    overrides: dict[str, str] = {}
    for column, inferred, chosen in frame[ROLE_HEADERS].itertuples(index=False):
        chosen_text = str(chosen or "").strip().lower()
        if column and chosen_text and chosen_text != str(inferred):
            overrides[str(column)] = chosen_text
    return overrides


def scorecard_html(stored: list[StoredSegment]) -> str:
    """The six-criteria scorecard of stored segments as an HTML table (escaped), with
    their predicted value and risk columns when the segmentation has predictions."""
    criteria = (list(stored[0].scorecard) or list(segments.CRITERIA)) if stored else []
    predicted = prediction_columns(stored)
    return render_snippet(
        "scorecard",
        segments=stored,
        criteria=criteria,
        verdict_badge=verdict_badge,
        predicted=list(predicted),
        cells={s.id: prediction_cells(s, predicted) for s in stored},
        legend=prediction_legend(stored) if predicted else "",
    )


def describe_segments(stored: list[StoredSegment], warnings: list[str]) -> str:
    """Markdown summary of a segmentation: one line per segment, then the warnings."""
    lines = [f"**{len(stored)} segments** (aggregates only; customer IDs stay in the workspace)."]
    for s in stored:
        label = md_text(s.label, inline=True)
        line = f"- #{s.segment_index} {label}: {s.size:,} customers ({s.share:.1%})"
        summary = s.facts.get("value_summary")
        lines.append(f"{line}; {md_text(str(summary), inline=True)}" if summary else line)
    if warnings:
        lines.append("\n**Notes**")
        lines += [f"- {md_text(w, inline=True)}" for w in warnings]
    return "\n".join(lines)


def find_segments(
    ws: Workspace,
    project: str,
    path: str | None,
    k: str,
    algorithm: str,
    id_column: str,
    roles: Any,
    progress: gr.Progress,
    log: TransactionLog | None = None,
    *,
    method: str = "cluster",
    dictionary: str | None = None,
    database: DatabaseSource | None = None,
) -> tuple[Any, ...]:
    """Run the segmentation and return the summary, figures, scorecard and labels file.

    With ``log``, the file is a transaction log, aggregated into one row per
    customer first (the roles table then does not apply: its columns are the log's).
    ``method`` is ``cluster`` or ``rfm``; ``dictionary`` a data dictionary file.
    With ``database``, the rows come from its query instead of ``path``.
    """
    if not path and database is None:
        raise gr.Error(
            "Upload a customer table or read one from a database first.", print_exception=False
        )
    if log is not None and not all((log.customer, log.date, log.amount)):
        raise gr.Error(
            "Pick the customer, date and amount columns of the transaction log.",
            print_exception=False,
        )
    services = ws.services(project)
    # The latest choice wins: a database read after an upload replaces the file.
    run = run_segmentation(
        services,
        database.url if database is not None else Path(str(path)),
        query=database.query if database is not None else None,
        password=database.password if database is not None else None,
        k="auto" if k == "auto" else int(k),
        algorithm=algorithm,
        method=method,
        id_column=None if id_column in (None, "", INFER) or log else id_column,
        roles=None if log else _role_overrides(roles) or None,
        dictionary=Path(dictionary) if dictionary else None,
        progress=progress_callback(progress, high=0.9),
        **(log.options() if log else {"transactions": False}),
    )
    progress(0.92, desc="Drawing the charts")
    segment_map = segments.segment_map_figure(run.result, run.frame)
    # Long segment labels squeeze a side legend; below the chart they have room.
    segment_map.update_layout(height=520, legend={"orientation": "h", "y": -0.25})
    profile = segments.profile_figure(run.result)
    profile.update_layout(height=420)
    value = segments.value_share_figure(run.result.profiles)
    if value is not None:
        value.update_layout(height=420)
    labels = segments.export_labels_csv(
        run.result,
        ws.download_path(project, "segment-labels.csv"),
        predictions=None if run.predictions is None else run.predictions.export_columns(),
    )
    return (
        describe_segments(run.segments, [*run.notes, *run.warnings]),
        segment_map,
        profile,
        scorecard_html(run.segments),
        gr.update(value=str(labels), visible=True),
        gr.update(value=value, visible=value is not None),
    )


def stored_state(ws: Workspace, project: str) -> tuple[Any, ...]:
    """What the screen shows for a project before anything runs: its latest segments."""
    try:
        stored = load_segments(ws.services(project))
    except NotFoundError:
        return ("No segmentation in this project yet.", None, None, scorecard_html([]))
    return (
        describe_segments(stored, [])
        + "\n\n*Latest saved segmentation. Run again to see the charts.*",
        None,
        None,
        scorecard_html(stored),
    )


def build(ws: Workspace, project: gr.Dropdown) -> Screen:
    """Lay out the screen inside the current tab and wire its events."""
    gr.Markdown(
        "Upload a customer table (CSV, TSV, Parquet, XLSX, JSON or JSON Lines) or a "
        "transaction log, or read one from a database, check the column roles, then find "
        "segments. Personal-data columns "
        "(names, e-mails, phones …) never become features and never leave the workspace."
    )
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            table_file = gr.File(
                label="Customer table", file_types=TABLE_TYPES, type="filepath", elem_id="data-file"
            )
            with gr.Accordion("…or from a database", open=False):
                db_url = gr.Textbox(
                    label="Connection URL (no password)",
                    placeholder="postgresql://analyst@crm-db:5432/crm",
                    elem_id="data-db-url",
                )
                db_password = gr.Textbox(
                    label="Password (used for this session only; never stored or shown again)",
                    type="password",
                    elem_id="data-db-password",
                )
                db_query = gr.Textbox(
                    label="Query",
                    placeholder="SELECT customer_id, … FROM customers",
                    lines=3,
                    elem_id="data-db-query",
                )
                db_read = gr.Button("Read from the database", elem_id="data-db-read")
            # The database the screen segments (URL, query, password): server-side session
            # state, never sent back to the browser.
            database = gr.State(None)
            dictionary_file = gr.File(
                label="Data dictionary (optional: columns 'column,description')",
                file_types=DICTIONARY_TYPES,
                type="filepath",
                elem_id="data-dictionary",
            )
            method = gr.Radio(
                list(METHODS),
                value="clusters",
                label="Segments from",
                info="clusters: found in the data; RFM scores: named recency/frequency/spend "
                "segments of a transaction log",
                elem_id="data-method",
            )
            k = gr.Dropdown(K_CHOICES, value="auto", label="Number of segments", elem_id="data-k")
            algorithm = gr.Dropdown(
                list(segments.ALGORITHMS), value="kmeans", label="Algorithm", elem_id="data-alg"
            )
            id_column = gr.Dropdown(
                [INFER], value=INFER, label="Customer ID column", elem_id="data-id"
            )
            is_log = gr.Checkbox(
                value=False,
                label="Transaction log: one row per purchase (segment by recency, frequency, "
                "spend)",
                elem_id="data-log",
            )
            with gr.Group(visible=False) as log_columns:
                log_customer = gr.Dropdown([], label="Customer column", elem_id="data-log-customer")
                log_date = gr.Dropdown([], label="Date column", elem_id="data-log-date")
                log_amount = gr.Dropdown([], label="Amount column", elem_id="data-log-amount")
                log_quantity = gr.Dropdown(
                    [],
                    label="Quantity column (only if the amount is a unit price)",
                    elem_id="data-log-quantity",
                )
            run = gr.Button("Find segments", variant="primary", elem_id="data-run")
        with gr.Column(scale=3):
            table_notes = gr.Markdown(elem_id="data-notes")
            preview = gr.Dataframe(
                label=f"Preview (first {PREVIEW_ROWS} rows; personal data masked)",
                interactive=False,
                max_height=300,
                elem_id="data-preview",
            )
            roles = gr.Dataframe(
                headers=ROLE_HEADERS,
                label="Column roles: edit the 'role' column to override "
                f"({', '.join(segments.ROLES)})",
                interactive=True,
                static_columns=[0, 1],
                max_height=300,
                elem_id="data-roles",
            )
    summary = gr.Markdown(elem_id="data-summary")
    segment_map = gr.Plot(label="Segment map", elem_id="data-map")
    profile = gr.Plot(label="How the segments differ", elem_id="data-profile")
    value_chart = gr.Plot(
        label="Share of customers against share of predicted value",
        visible=False,
        elem_id="data-value",
    )
    gr.Markdown("### Scorecard\nHover a verdict or read the line under it for the reason.")
    scorecard = gr.HTML(elem_id="data-scorecard")
    labels = gr.DownloadButton(
        "Download segment labels (CSV)", visible=False, elem_id="data-labels"
    )

    @boundary
    def on_upload(
        project_name: str, path: str | None, database_value: DatabaseSource | None
    ) -> tuple[Any, ...]:
        # The latest choice wins: an uploaded file replaces a database read before it.
        database_after = None if path else database_value
        try:
            shown = preview_table(ws, project_name, _claimed(ws, path))
            return (*shown, gr.skip(), database_after)
        except USER_ERRORS as error:
            # Not a toast over stale choices: the screen forgets the last table and says why,
            # so "Find segments" cannot run on pickers that no longer match any file.
            message = md_text(redact_paths(str(error)), inline=True)
            return (*rejected_upload(Path(path or "").name, message), database_after)

    @boundary
    def on_run(
        project_name: str,
        path: str | None,
        k_value: str,
        algorithm_value: str,
        id_value: str,
        roles_value: Any,
        log_value: bool,
        customer: str | None,
        date: str | None,
        amount: str | None,
        quantity: str | None,
        method_value: str,
        dictionary_path: str | None,
        database_value: DatabaseSource | None,
        progress: gr.Progress = gr.Progress(),  # Gradio injects the tracker here
    ) -> tuple[Any, ...]:
        log = TransactionLog(customer, date, amount, quantity) if log_value else None
        return find_segments(
            ws,
            project_name,
            _claimed(ws, path),
            k_value,
            algorithm_value,
            id_value,
            roles_value,
            progress,
            log,
            method=METHODS.get(method_value, "cluster"),
            dictionary=_claimed(ws, dictionary_path),
            database=database_value,
        )

    @boundary
    def on_database(project_name: str, url: str, password: str, query: str) -> tuple[Any, ...]:
        source = DatabaseSource(url, query, password or None)
        shown = preview_database(ws, project_name, source)
        # The password field is emptied: the password lives only in the session state.
        return (*shown, source, gr.update(value=""))

    @boundary
    def on_refresh(project_name: str) -> tuple[Any, ...]:
        return stored_state(ws, project_name)

    shown_outputs = [
        preview,
        roles,
        id_column,
        table_notes,
        is_log,
        log_customer,
        log_date,
        log_amount,
        log_quantity,
    ]
    upload_outputs = [*shown_outputs, table_file, database]
    # upload/clear, not change: dropping a rejected file must not re-run the preview.
    table_file.upload(on_upload, [project, table_file, database], upload_outputs)
    table_file.clear(on_upload, [project, table_file, database], upload_outputs)
    db_read.click(
        on_database,
        [project, db_url, db_password, db_query],
        [*shown_outputs, database, db_password],
        concurrency_id="heavy",
    )
    is_log.change(lambda ticked: gr.update(visible=ticked), [is_log], [log_columns])
    log_inputs = [is_log, log_customer, log_date, log_amount, log_quantity]
    run.click(
        on_run,
        [
            project,
            table_file,
            k,
            algorithm,
            id_column,
            roles,
            *log_inputs,
            method,
            dictionary_file,
            database,
        ],
        [summary, segment_map, profile, scorecard, labels, value_chart],
        concurrency_id="heavy",
    )
    # Not refreshed on tab change: that would wipe the charts of the run just made.
    return Screen(
        refresh=on_refresh,
        outputs=[summary, segment_map, profile, scorecard],
        refresh_on_tab=False,
    )
