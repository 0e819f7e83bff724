"""Interview transcripts exported as Markdown, CSV and JSON, and from the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import persona.cli.interview  # noqa: F401  (registers the commands on the app)
from persona.cli._app import app
from persona.config import Settings
from persona.errors import ExportError, NotFoundError
from persona.interview import ask, start_interview
from persona.interview.export import export_transcript
from persona.llm import ScriptedChatModel
from persona.repos.interviews import insert_question
from persona.services import Services

HOSTILE = '=HYPERLINK("http://evil.example") ![x](http://evil.example/a.png) \u200bok'


@pytest.fixture
def interview_id(services: Services, maya_id: int) -> int:
    services.use_model(ScriptedChatModel(replies=["I wait for offers.", HOSTILE]))
    interview = start_interview(services, maya_id)
    ask(services, interview, "How do you decide when to buy?")
    ask(services, interview, "Anything else?")
    insert_question(services.store, interview, "Lost question?", [], None)
    return interview


def test_markdown_is_labelled_neutralised_and_complete(
    services: Services, interview_id: int
) -> None:
    text = export_transcript(services, interview_id, "md").read_text(encoding="utf-8")
    assert text.startswith(f"# Interview {interview_id} with Maya Lindqvist")
    assert "Synthetic research" in text
    assert "**Researcher** (1): How do you decide when to buy?" in text
    assert "**Maya Lindqvist** (1): I wait for offers." in text
    assert "Lost question?" in text and "no answer was stored" in text
    assert "](http" not in text and "\u200b" not in text


def test_csv_is_formula_safe_with_one_row_per_turn(services: Services, interview_id: int) -> None:
    path = export_transcript(services, interview_id, "csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [(r["turn"], r["speaker"]) for r in rows] == [
        ("1", "Researcher"), ("1", "Maya Lindqvist"), ("2", "Researcher"),
        ("2", "Maya Lindqvist"), ("3", "Researcher"),
    ]  # fmt: skip
    for row in rows:
        for cell in row.values():
            assert not cell or cell[0] not in "=+-@\t\r\0", cell
    assert rows[3]["text"].startswith("'=HYPERLINK")
    assert rows[3]["synthetic"] == "simulated answer" and "no answer" in rows[4]["flags"]


def test_json_keeps_flags_sources_and_the_label(services: Services, interview_id: int) -> None:
    data = json.loads(export_transcript(services, interview_id, "json").read_text("utf-8"))
    assert data["synthetic"] is True and data["persona"] == "Maya Lindqvist"
    assert [t["speaker"] for t in data["turns"]][:2] == ["researcher", "persona"]
    hostile = data["turns"][3]
    assert any(flag["kind"] == "link" for flag in hostile["flags"]), hostile
    assert "\u200b" not in hostile["text"]


def test_bad_format_unknown_interview_and_unwritable_path_are_named(
    services: Services, interview_id: int, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="Use md, csv, json"):
        export_transcript(services, interview_id, "pdf")
    with pytest.raises(NotFoundError):
        export_transcript(services, 999)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="Cannot write"):
        export_transcript(services, interview_id, "md", blocker / "t.md")


def test_the_cli_writes_each_format(
    settings: Settings, services: Services, interview_id: int, tmp_path: Path
) -> None:
    runner = CliRunner()
    for fmt in ("md", "csv", "json"):
        target = tmp_path / f"t.{fmt}"
        result = runner.invoke(
            app,
            ["--home", str(settings.home), "transcript", str(interview_id), "--format", fmt,
             "--out", str(target)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 100
    result = runner.invoke(app, ["--home", str(settings.home), "transcript", "1", "--format", "x"])
    assert result.exit_code != 0 and "md, csv, json" in result.output
