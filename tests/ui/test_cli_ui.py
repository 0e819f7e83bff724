"""``persona ui`` parses its options and launches the app with the workspace's services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import persona.cli.ui  # noqa: F401 - registers the command
import ui
from persona.cli import main
from persona.services import Services


def test_persona_ui_launches_with_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_launch(services: Services, **options: Any) -> None:
        calls.append({"services": services, **options})

    monkeypatch.setattr(ui, "launch", fake_launch)
    monkeypatch.setenv("PERSONA_UI_AUTH", "ana:s3cret")
    code = main(["--home", str(tmp_path / "ws"), "--project", "shop", "ui", "--port", "7999"])
    assert code == 0
    (call,) = calls
    assert call["server_port"] == 7999 and call["inbrowser"] is False
    settings = call["services"].settings
    assert settings.project == "shop" and settings.ui_auth == ("ana", "s3cret")
    assert settings.ui_host == "127.0.0.1"
    assert "http://127.0.0.1:7999" in capsys.readouterr().out


def test_persona_ui_warns_when_exposed_without_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ui, "launch", lambda services, **options: None)
    monkeypatch.setenv("PERSONA_UI_HOST", "0.0.0.0")
    assert main(["--home", str(tmp_path / "ws"), "ui"]) == 0
    assert "without a password" in capsys.readouterr().out
