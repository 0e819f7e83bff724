"""The ``persona generate`` / ``personas`` / ``guide`` commands as thin shells."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import persona.cli.generate  # noqa: F401  (registers the commands)
from persona.cli._app import app
from persona.config import load_settings
from persona.llm import ScriptedChatModel
from persona.services import Services
from tests.generate.conftest import add_segments, profile, reply


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """The CLI's workspace (PERSONA_HOME) with two segments and a scripted model."""
    monkeypatch.setenv("COLUMNS", "200")  # rich tables would wrap names at 80
    built = Services(load_settings())
    add_segments(built, [profile(0), profile(1, size=5, share=0.01)])
    model = ScriptedChatModel(
        replies=[reply(name="Maya Lindqvist <b>x</b>"), reply(name="Maya Lindqvist")] * 3
    )
    monkeypatch.setattr(Services, "chat_model", lambda self: model)
    yield built
    built.store.close()


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_generate_list_show_export_diff_and_guide(workspace: Services, tmp_path: Path) -> None:
    out = _run("generate", "--segments", "0,1")
    assert "generated" in out and "skipped" in out and "fewer than the minimum" in out
    assert "Maya Lindqvist" in _run("personas", "list")
    shown = _run("personas", "show", "maya lindqvist")
    assert "Synthetic persona" in shown and "stat: age_median = 39" in shown
    target = tmp_path / "brief.html"
    assert "Wrote" in _run("personas", "export", "1", "--format", "html", "-o", str(target))
    assert "Synthetic persona" in target.read_text(encoding="utf-8")
    _run("personas", "edit", "1", "occupation", "Nurse")
    diff = _run("personas", "diff", "1")
    assert "occupation" in diff and "+ Nurse [user]" in diff
    assert "Saved version 3" in _run("personas", "regenerate", "1")
    guide = _run("guide", "Maya Lindqvist")
    assert "Interview guide for Maya Lindqvist" in guide and "How do you usually" in guide


def test_a_failed_segment_gives_exit_code_1(
    workspace: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = ScriptedChatModel(replies=["not json"] * 3)
    monkeypatch.setattr(Services, "chat_model", lambda self: broken)
    result = CliRunner().invoke(app, ["generate", "--segments", "0"])
    assert result.exit_code == 1
    assert "did not validate" in result.output


def test_bad_segment_list_is_a_usage_error(workspace: Services) -> None:
    result = CliRunner().invoke(app, ["generate", "--segments", "a,b"])
    assert result.exit_code == 2
