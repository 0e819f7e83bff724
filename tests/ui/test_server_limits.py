"""The served app's limits: upload cap, workspace not served, login when auth is set.

Against the running app on loopback (OWASP LLM10; the Gradio hardening list in
the reliability notes: GR-1 file access, GR-2 auth, GR-3 upload size).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from persona.config import Settings
from persona.services import Services
from tests.ui.conftest import Recorder, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_workspace_files_are_never_served(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash")
    services = Services(settings)
    database = settings.database_path
    services.store.projects()  # creates the database file
    assert database.is_file()
    with serve(services) as url:
        probes = [
            f"gradio_api/file={database}",
            f"gradio_api/file={quote(str(database))}",
            f"file={database}",
            f"gradio_api/file={database.parent}/../ws/{database.name}",
            "gradio_api/file=/etc/passwd",
        ]
        with httpx.Client(base_url=url, timeout=10) as client:
            for probe in probes:
                response = client.get(probe)
                assert response.status_code != 200, probe
                assert b"SQLite format" not in response.content


def test_login_is_required_when_auth_is_set(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "ws", llm_provider="fake", embeddings="hash", ui_auth=("ana", "s3cret")
    )
    with serve(Services(settings)) as url, httpx.Client(base_url=url, timeout=10) as client:
        assert client.get("config").status_code == 401
        assert client.get("gradio_api/info").status_code == 401
        login = client.post("login", data={"username": "ana", "password": "wrong"})
        assert login.status_code >= 400
        login = client.post("login", data={"username": "ana", "password": "s3cret"})
        assert login.status_code == 200
        assert client.get("config").status_code == 200


def test_upload_over_the_cap_is_refused(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]]
) -> None:
    settings = Settings(
        home=tmp_path / "ws", llm_provider="fake", embeddings="hash", max_upload_mb=1
    )
    big = tmp_path / "big.csv"
    row = "customer_id,age,spend\n" + "".join(f"C{i:07d},40,123.45\n" for i in range(80_000))
    big.write_text(row, encoding="utf-8")
    assert big.stat().st_size > 1024 * 1024
    with serve(Services(settings)) as url:
        page, _recorder = open_page(url)
        page.locator("#data-file input[type=file]").set_input_files(str(big))
        toast = page.locator(".toast-body").first
        toast.wait_for()
        assert "1 MB" in toast.inner_text() or "size" in toast.inner_text().lower()
        assert page.locator("#data-notes").inner_text().strip() == ""


def test_page_policy_forbids_loading_from_elsewhere(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]]
) -> None:
    """Even markup that slipped past escaping could not fetch a remote image or script."""
    settings = Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash")
    with serve(Services(settings)) as url:
        page, recorder = open_page(url)
        blocked = page.evaluate(
            """() => new Promise((resolve) => {
                const seen = [];
                document.addEventListener('securitypolicyviolation', (e) => {
                    seen.push(e.violatedDirective);
                    if (seen.length === 2) resolve(seen.sort());
                });
                const img = document.createElement('img');
                img.src = 'https://attacker.example/pixel.png';
                document.body.appendChild(img);
                const script = document.createElement('script');
                script.src = 'https://attacker.example/x.js';
                document.body.appendChild(script);
                setTimeout(() => resolve(seen.sort()), 5000);
            })"""
        )
        assert blocked == ["img-src", "script-src-elem"]
        assert recorder.outbound() == []
