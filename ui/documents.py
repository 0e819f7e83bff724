"""Screen 2, Documents: add company documents, list them, delete one, search them.

A thin shell over :mod:`persona.knowledge` (the same functions as ``persona
docs``). Document text is untrusted: search results are shown escaped, in our
own HTML, with where each chunk came from.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from persona.knowledge import (
    SUPPORTED_SUFFIXES,
    Citation,
    IngestReport,
    add_documents,
    describe_removals,
    list_documents,
    remove_document,
    search,
)
from ui.common import Workspace, boundary, md_text, progress_callback, render_snippet
from ui.screen import Screen

__all__ = ["build", "citations_html", "document_rows", "ingest_summary"]

DOC_HEADERS = ["id", "file", "type", "pages", "chunks", "hidden content removed", "PII scrubbed"]
SEARCH_RESULTS = 5


def _counts(counts: dict[str, int]) -> str:
    return describe_removals(counts)


def ingest_summary(reports: list[IngestReport]) -> str:
    """Markdown lines, one per added file, with what was removed and any warnings."""
    lines = [f"**Added {sum(not r.duplicate for r in reports)} of {len(reports)} file(s).**"]
    for r in reports:
        name = md_text(r.filename, inline=True)
        if r.duplicate:
            lines.append(f"- {name}: already in the project (document {r.document_id}), skipped.")
            continue
        pages = f"{r.n_pages} page(s), " if r.n_pages else ""
        lines.append(
            f"- {name}: {pages}{r.n_chunks} chunk(s); hidden content removed: "
            f"{md_text(_counts(r.hidden_removed), inline=True)}; personal identifiers "
            f"scrubbed: {md_text(_counts(r.pii_scrubbed), inline=True)}."
        )
        lines += [f"  - warning: {md_text(w, inline=True)}" for w in r.warnings]
    return "\n".join(lines)


def document_rows(ws: Workspace, project: str) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """The documents table and the delete picker's choices."""
    services = ws.services(project)
    infos = list_documents(services.store, services.settings)
    rows = [
        [
            d.document_id,
            d.filename,
            d.media_type,
            "" if d.n_pages is None else d.n_pages,
            d.n_chunks,
            _counts(d.hidden_removed),
            _counts(d.pii_scrubbed),
        ]
        for d in infos
    ]
    choices = [(f"{d.document_id}: {d.filename}", d.document_id) for d in infos]
    return pd.DataFrame(rows, columns=DOC_HEADERS), choices


def citations_html(query: str, hits: list[Citation]) -> str:
    """Search results as escaped HTML cards: source, similarity and the chunk text."""
    return render_snippet("citations", query=query, hits=hits)


def build(ws: Workspace, project: gr.Dropdown) -> Screen:
    """Lay out the screen inside the current tab and wire its events."""
    gr.Markdown(
        "Add what your company already knows about its customers: brochures, FAQs, product "
        "pages, research. Documents are treated as data, never as instructions; hidden text "
        "and personal identifiers are removed before anything is indexed."
    )
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            files = gr.File(
                label="Documents",
                file_count="multiple",
                file_types=sorted(SUPPORTED_SUFFIXES),
                type="filepath",
                elem_id="docs-files",
            )
            add = gr.Button("Add documents", variant="primary", elem_id="docs-add")
        with gr.Column(scale=2):
            report = gr.Markdown(elem_id="docs-report")
    table = gr.Dataframe(
        headers=DOC_HEADERS,
        label="Documents in this project",
        interactive=False,
        max_height=320,
        elem_id="docs-table",
    )
    with gr.Row():
        pick = gr.Dropdown(label="Document to delete", choices=[], elem_id="docs-pick", scale=3)
        delete = gr.Button("Delete…", variant="stop", elem_id="docs-delete", scale=1)
        confirm = gr.Button(
            "Yes, delete it", variant="stop", visible=False, elem_id="docs-confirm", scale=1
        )
        cancel = gr.Button("Cancel", visible=False, elem_id="docs-cancel", scale=1)
    gr.Markdown("### Search the documents")
    with gr.Row():
        query = gr.Textbox(
            label="Question or keywords", scale=4, elem_id="docs-query", max_length=500
        )
        find = gr.Button("Search", scale=1, elem_id="docs-search")
    results = gr.HTML(elem_id="docs-results")

    def _confirming(asking: bool) -> tuple[Any, Any, Any]:
        return (
            gr.update(visible=not asking),
            gr.update(visible=asking),
            gr.update(visible=asking),
        )

    def listing(project_name: str) -> tuple[Any, Any]:
        frame, choices = document_rows(ws, project_name)
        return frame, gr.update(choices=choices, value=None)

    @boundary
    def on_add(
        project_name: str,
        paths: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # Gradio injects the tracker here
    ) -> tuple[Any, ...]:
        if not paths:
            raise gr.Error("Choose one or more documents first.", print_exception=False)
        services = ws.services(project_name)
        kept = ws.uploads.claim_all(paths)
        try:
            reports = add_documents(
                services.store, services.settings, kept, progress=progress_callback(progress)
            )
        finally:
            ws.uploads.discard(kept)  # the text is in the workspace now; the file may hold PII
        return (ingest_summary(reports), *listing(project_name), None)

    @boundary
    def on_delete(project_name: str, document_id: int | None) -> tuple[Any, ...]:
        services = ws.services(project_name)
        if document_id is None:
            raise gr.Error("Pick the document to delete first.", print_exception=False)
        removed = remove_document(services.store, services.settings, int(document_id))
        return (
            f"Deleted document {int(document_id)} and its {removed} chunk(s).",
            *listing(project_name),
            *_confirming(False),
        )

    @boundary
    def on_search(project_name: str, text: str) -> str:
        services = ws.services(project_name)
        hits = search(services.store, services.settings, text or "", k=SEARCH_RESULTS)
        return citations_html(text or "", hits)

    @boundary
    def on_refresh(project_name: str) -> tuple[Any, ...]:
        return listing(project_name)

    @boundary
    def ask_confirmation(document_id: int | None) -> tuple[Any, ...]:
        if document_id is None:
            raise gr.Error("Pick the document to delete first.", print_exception=False)
        return _confirming(True)

    add.click(on_add, [project, files], [report, table, pick, files], concurrency_id="heavy")
    delete.click(ask_confirmation, [pick], [delete, confirm, cancel])
    cancel.click(lambda: _confirming(False), None, [delete, confirm, cancel])
    confirm.click(on_delete, [project, pick], [report, table, pick, delete, confirm, cancel])
    find.click(on_search, [project, query], [results])
    query.submit(on_search, [project, query], [results])
    return Screen(refresh=on_refresh, outputs=[table, pick])
