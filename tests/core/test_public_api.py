"""The public API: ``persona.__all__`` is what a notebook needs, and the README example runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import persona
import segments
from persona.llm import ScriptedChatModel
from persona.services import Services
from tests.ui.helpers import draft_reply

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's 'From Python' section has no python block"
    return match.group(1)


def test_every_public_name_is_documented() -> None:
    assert sorted(persona.__all__) == persona.__all__
    for name in persona.__all__:
        value = getattr(persona, name)
        assert (value.__doc__ or "").strip(), f"persona.{name} has no docstring"


def test_the_readme_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A scripted model (valid persona drafts, then one answer for everything) and the
    # model-free embeddings keep it quick; the README's code runs unchanged.
    names = ["Maya Lindqvist", "Jonas Okafor", "Ada Brennan", "Ines Moreau", "Tomas Ruiz"]
    model = ScriptedChatModel(
        replies=[draft_reply(name) for name in names],
        default_reply="I look for a tent that lasts, and clear advice on what fits.",
    )
    monkeypatch.setattr(Services, "chat_model", lambda self: model)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PERSONA_EMBEDDINGS", "hash")
    exec(compile(_readme_example(), str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "segments:" in out
    assert "Maya Lindqvist" in out
    written = Path(out.strip().splitlines()[-1])
    assert written.is_file() and written.suffix == ".md"
    assert (tmp_path / "workspace" / "persona.sqlite3").is_file()


def test_open_project_arguments_override_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONA_PROJECT", "from-env")
    project = persona.open_project(tmp_path / "ws", llm="fake")
    assert project.settings.project == "from-env"
    assert project.settings.home == tmp_path / "ws"
    assert project.settings.llm_provider == "fake"
    assert persona.open_project(tmp_path / "ws", "other").settings.project == "other"


def test_segments_exports_the_estimator_and_the_error_bases() -> None:
    for name in ("SegmentModel", "fit_segments", "SegmentsError", "SegmentationError"):
        assert name in segments.__all__
