"""After a user's mistake every screen stays usable: one clear message, no stale choices.

Driven in Debian's Chromium: a picture renamed ``.csv``, an empty file, then a
good table in the same page, without a reload.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from persona.config import Settings
from persona.services import Services
from tests.ui.conftest import Recorder, serve
from tests.ui.helpers import click_tab, shoot, toasts, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "persona" / "sample_data"
# The first bytes of a PNG file: what a screenshot saved as "customers.csv" starts with.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def _upload(page: Any, path: Path) -> None:
    """Put ``path`` in the table box, clearing what it held (as a user's "x" does)."""
    clear = page.locator("#data-file button[aria-label='Clear']")
    if clear.count():
        clear.first.click()
    page.locator("#data-file input[type=file]").set_input_files(str(path))


def _error_pills(page: Any) -> int:
    return int(page.locator(".error, [data-testid=status-tracker] .error").count())


def test_a_rejected_upload_leaves_the_data_screen_usable(
    tmp_path: Path,
    open_page: Callable[..., tuple[Any, Recorder]],
    artifacts: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))
    picture = tmp_path / "customers.csv"
    picture.write_bytes(PNG * 40)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    caplog.set_level(logging.INFO)
    with serve(services) as url:
        page, recorder = open_page(url)
        # A good table first, so that there are choices to go stale.
        _upload(page, SAMPLE / "customers.csv")
        wait_for_text(page, "data-notes", r"2,000 rows")

        _upload(page, picture)
        notes = wait_for_text(page, "data-notes", r"[Cc]ould not read")
        assert "customers.csv" in notes
        assert page.locator("#data-preview").inner_text().count("days_since") == 0
        page.locator("#data-run").click()
        page.get_by_text("Upload a customer table").first.wait_for()
        shoot(page, artifacts, "recovery-bad-upload")
        messages = toasts(page)
        assert not any("not in the list of choices" in m for m in messages), messages
        assert _error_pills(page) == 0

        _upload(page, empty)
        wait_for_text(page, "data-notes", r"[Ee]mpty")
        assert _error_pills(page) == 0

        _upload(page, SAMPLE / "customers.csv")
        wait_for_text(page, "data-notes", r"2,000 rows")
        page.locator("#data-run").click()
        page.wait_for_selector("#scorecard-table", timeout=120_000)
        assert not recorder.page_errors
    assert not [r for r in caplog.records if r.exc_info], "a traceback reached the log"


def test_the_page_shows_no_internal_names_or_stray_marks(
    tmp_path: Path, open_page: Callable[..., tuple[Any, Recorder]]
) -> None:
    services = Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))
    with serve(services) as url:
        page, _recorder = open_page(url)
        assert page.locator("footer").inner_text().replace("Settings", "").strip() == ""
        click_tab(page, "interview")
        assert page.locator("#interview-question").get_by_text("Your question").count() == 1
        click_tab(page, "data")
        _upload(page, SAMPLE / "customers.csv")
        preview = wait_for_text(page, "data-preview", r"\d")
        # Floats for people: no binary noise such as 14.890999999999998.
        assert not re.search(r"\d\.\d{6,}", preview), preview
