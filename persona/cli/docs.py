"""``persona docs …``: add, list, search, remove and reindex company documents."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from persona.cli._app import app, console
from persona.config import load_settings
from persona.errors import DocumentError
from persona.knowledge import (
    add_documents,
    describe_removals,
    document_paths,
    list_documents,
    reindex,
    remove_document,
    search,
)
from persona.services import Services
from persona.text import clip

__all__ = ["docs_app"]

docs_app = typer.Typer(
    help="Company documents that ground personas: add, list, search, remove, reindex.",
    no_args_is_help=True,
)
app.add_typer(docs_app, name="docs")


def _services(ctx: typer.Context) -> Services:
    """The root command's services, or fresh ones when this sub-app runs on its own."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Services) else Services(load_settings())


_SHORT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/markdown": "md",
    "text/html": "html",
    "text/plain": "txt",
}


def _counts(counts: dict[str, int]) -> str:
    return describe_removals(counts, empty="-")


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    )


@docs_app.command("add")
def add(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders: PDF, DOCX, Markdown, HTML, text.")
    ],
) -> None:
    """Add documents to the project's knowledge base (folders are searched recursively)."""
    services = _services(ctx)
    files = document_paths(paths)
    failures: list[DocumentError] = []
    with _progress_bar() as bar:
        task = bar.add_task("Adding documents", total=1.0)

        def step(message: str, fraction: float) -> None:
            bar.update(task, description=message, completed=fraction)

        reports = add_documents(
            services.store,
            services.settings,
            files,
            progress=step,
            on_error=failures.append,  # one bad file must not stop the others
        )
    table = Table("id", "file", "pages", "chunks", "hidden removed", "PII scrubbed", "note")
    for report in reports:
        note = "duplicate: skipped" if report.duplicate else "; ".join(report.warnings)
        table.add_row(
            str(report.document_id),
            report.filename,
            "-" if report.n_pages is None else str(report.n_pages),
            str(report.n_chunks),
            _counts(report.hidden_removed),
            _counts(report.pii_scrubbed),
            note,
        )
    if reports:
        console.print(table)
    for failure in failures:
        console.print(f"[bold red]Not added:[/] {failure}")
    if failures:
        raise typer.Exit(1)


@docs_app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the documents of the project."""
    services = _services(ctx)
    documents = list_documents(services.store, services.settings)
    if as_json:
        console.print_json(json.dumps([asdict(d) for d in documents]))
        return
    if not documents:
        console.print("No documents yet. Add some with `persona docs add PATH...`.")
        return
    table = Table(
        "id", "file", "type", "pages", "chunks", "hidden removed", "PII scrubbed", "added"
    )
    for doc in documents:
        table.add_row(
            str(doc.document_id),
            doc.filename,
            _SHORT_TYPES.get(doc.media_type, doc.media_type),
            "-" if doc.n_pages is None else str(doc.n_pages),
            str(doc.n_chunks),
            _counts(doc.hidden_removed),
            _counts(doc.pii_scrubbed),
            doc.created_at[:10],
        )
    console.print(table)


@docs_app.command("search")
def search_(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=50, help="How many chunks.")] = 5,
    mmr: Annotated[
        bool, typer.Option("--mmr", help="Prefer diverse results (maximal marginal relevance).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Search the project's documents; every result cites its file and page."""
    services = _services(ctx)
    hits = search(services.store, services.settings, query, k=k, mmr=mmr)
    if as_json:
        console.print_json(json.dumps([asdict(hit) for hit in hits]))
        return
    if not hits:
        console.print("No results (is the knowledge base empty? see `persona docs list`).")
        return
    for rank, hit in enumerate(hits, 1):
        snippet = clip(hit.text, 300, words=False)
        console.print(
            f"[bold]{rank}. {hit.source}[/]  score {hit.score:.3f}  [dim]{hit.chunk_id}[/]"
        )
        console.print(f"   {snippet}", markup=False)


@docs_app.command("remove")
def remove(
    ctx: typer.Context,
    document_id: Annotated[int, typer.Argument(help="Document id, from `persona docs list`.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a document and all of its chunks from the store and the index."""
    services = _services(ctx)
    if not yes:
        typer.confirm(f"Remove document {document_id} and all its chunks?", abort=True)
    removed = remove_document(services.store, services.settings, document_id)
    console.print(f"Removed document {document_id} ({removed} chunks).")


@docs_app.command("reindex")
def reindex_(ctx: typer.Context) -> None:
    """Rebuild the project's search index from the stored chunks (after a model change)."""
    services = _services(ctx)
    with _progress_bar() as bar:
        task = bar.add_task("Reindexing", total=1.0)

        def step(message: str, fraction: float) -> None:
            bar.update(task, description=message, completed=fraction)

        count = reindex(services.store, services.settings, progress=step)
    console.print(
        f"Indexed {count} chunks with {services.settings.embeddings} embeddings "
        f"(project {services.settings.project!r})."
    )
