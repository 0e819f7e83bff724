"""The persona card's research controls in a real browser: Screener, kit, real notes box."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from persona.config import Settings
from persona.generate import generate_personas
from persona.llm import ScriptedChatModel
from persona.segmentation import run_segmentation
from persona.services import Services
from tests.generate.conftest import draft
from tests.ui.conftest import Recorder, serve
from tests.ui.helpers import choose, click_tab, shoot, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "persona" / "sample_data" / "customers.csv"


@pytest.mark.timeout(600)
def test_screener_button_and_real_notes_box(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]], artifacts: Path
) -> None:
    services = Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))
    run_segmentation(services, SAMPLE, k=5)
    services.use_model(ScriptedChatModel(replies=[json.dumps(draft(name="Ava Stone"))]))
    [result] = generate_personas(services, segment_indexes=[1])
    assert result.status == "generated", result.reason
    notes = tmp_path / "p3.md"
    notes.write_text("P3: My refund came back within two days. Mail me at anna@example.com.\n")
    with serve(services) as url:
        page, recorder = open_page(url)
        click_tab(page, "personas")
        choose(page, "personas-pick", "Ava Stone")
        wait_for_text(page, "personas-card", r"Ava Stone")
        page.locator("#personas-screener").click()
        view = wait_for_text(page, "personas-screener-view", r"precision")
        assert "Screener" in view and "qualif" in view
        page.locator('#personas-kit-files a[download$=".html"]').wait_for()
        page.get_by_text("Add notes of a real interview").click()
        page.locator("#personas-notes-file input[type=file]").set_input_files(str(notes))
        page.locator("#personas-notes-add").click()
        wait_for_text(page, "personas-notes-status", r"Added p3\.md as real research")
        real = wait_for_text(page, "personas-real-above", r"Real interviews")
        assert "two days" in real and "anna@example.com" not in real
        shoot(page, artifacts, "research-panel")
    assert not recorder.page_errors
