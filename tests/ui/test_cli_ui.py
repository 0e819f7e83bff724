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


def test_persona_ui_refuses_to_listen_beyond_loopback_without_a_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    launched: list[object] = []
    monkeypatch.setattr(ui, "launch", lambda services, **options: launched.append(options))
    monkeypatch.setenv("PERSONA_UI_HOST", "0.0.0.0")
    assert main(["--home", str(tmp_path / "ws"), "ui"]) != 0
    out = capsys.readouterr().out
    assert "PERSONA_UI_HOST='0.0.0.0'" in out and "PERSONA_UI_AUTH" in out
    assert "Traceback" not in out and launched == []


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_a_login_allows_listening_beyond_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    launched: list[object] = []
    monkeypatch.setattr(ui, "launch", lambda services, **options: launched.append(options))
    monkeypatch.setenv("PERSONA_UI_HOST", host)
    monkeypatch.setenv("PERSONA_UI_AUTH", "ana:s3cret")
    assert main(["--home", str(tmp_path / "ws"), "ui"]) == 0
    assert len(launched) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_login(host: str, settings: Any) -> None:
    ui.check_exposure(settings.with_(ui_host=host))
