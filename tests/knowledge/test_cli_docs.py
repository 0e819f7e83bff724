"""``persona docs …`` through Typer's CliRunner on the sub-app itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from persona.cli.docs import docs_app
from persona.knowledge import close_clients
from tests.knowledge import files


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("PERSONA_EMBEDDINGS", "hash")
    monkeypatch.setenv("COLUMNS", "240")  # rich wraps table cells to the terminal width
    yield CliRunner()
    close_clients()


def test_add_list_search_remove_reindex(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    files.html_file(folder)
    files.docx_file(folder)

    added = runner.invoke(docs_app, ["add", str(folder)])
    assert added.exit_code == 0, added.output
    assert "returns.html" in added.output and "notes.docx" in added.output
    assert "3 hidden page elements" in added.output
    assert "1 e-mail address" in added.output

    again = runner.invoke(docs_app, ["add", str(folder / "returns.html")])
    assert again.exit_code == 0 and "duplicate" in again.output

    listed = runner.invoke(docs_app, ["list", "--json"])
    documents = json.loads(listed.output)
    assert sorted(d["filename"] for d in documents) == ["notes.docx", "returns.html"]

    found = runner.invoke(docs_app, ["search", "refunds arrive in five working days", "-k", "2"])
    assert found.exit_code == 0, found.output
    assert "1. returns.html, “Refunds”" in found.output

    as_json = runner.invoke(docs_app, ["search", "refunds", "--json", "--mmr"])
    hits = json.loads(as_json.output)
    assert hits and {"chunk_id", "filename", "page", "heading", "text", "score"} <= set(hits[0])

    html_id = next(d["document_id"] for d in documents if d["filename"] == "returns.html")
    refused = runner.invoke(docs_app, ["remove", str(html_id)], input="n\n")
    assert refused.exit_code != 0
    removed = runner.invoke(docs_app, ["remove", str(html_id), "--yes"])
    assert removed.exit_code == 0 and "Removed document" in removed.output

    rebuilt = runner.invoke(docs_app, ["reindex"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Indexed" in rebuilt.output and "hash" in rebuilt.output


def test_add_reports_bad_files_and_keeps_the_good_ones(runner: CliRunner, tmp_path: Path) -> None:
    good = files.markdown_file(tmp_path)
    bad = files.image_only_pdf(tmp_path)
    result = runner.invoke(docs_app, ["add", str(bad), str(good)])
    assert result.exit_code == 1
    assert "Not added:" in result.output and "no text layer" in result.output
    assert "loyalty.md" in result.output
    listed = runner.invoke(docs_app, ["list"])
    assert "loyalty.md" in listed.output and "scan.pdf" not in listed.output


def test_empty_workspace_messages(runner: CliRunner) -> None:
    assert "No documents yet" in runner.invoke(docs_app, ["list"]).output
    assert "No results" in runner.invoke(docs_app, ["search", "tents"]).output
