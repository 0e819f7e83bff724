"""The data screen in a browser: a data dictionary uploaded for a coded table, RFM scores
chosen for a real log, and a dictionary that does not fit refused whole."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from persona.config import Settings
from persona.errors import NotFoundError
from persona.segmentation import load_segments
from persona.services import Services
from tests.support.real_data import cdnow_log, rdataset
from tests.ui.conftest import Recorder, serve
from tests.ui.helpers import choose, shoot, toasts, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DICTIONARY = Path(__file__).resolve().parents[2] / "eval" / "data" / "caravan_dictionary.csv"
CODE = re.compile(r"\b(?:M[A-Z]{3,}|P[A-Z]{4,}|A[A-Z]{4,})\b")


def _services(tmp_path: Path) -> Services:
    return Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))


def _upload_cdnow(page: Any, tmp_path: Path) -> None:
    """Upload the real CDNOW log and wait until the screen has recognised it."""
    log = tmp_path / "cdnow.csv"
    cdnow_log().to_csv(log, index=False)
    page.locator("#data-file input[type=file]").set_input_files(str(log))
    wait_for_text(page, "data-notes", r"transaction log")


def test_a_dictionary_uploaded_with_a_coded_table_names_every_column_in_words(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]], artifacts: Path
) -> None:
    table = tmp_path / "caravan.csv"
    rdataset("ISLR", "Caravan").to_csv(table, index=False)
    services = _services(tmp_path)
    with serve(services) as url:
        page, recorder = open_page(url)
        page.locator("#data-file input[type=file]").set_input_files(str(table))
        wait_for_text(page, "data-notes", r"5,822 rows")
        page.locator("#data-dictionary input[type=file]").set_input_files(str(DICTIONARY))
        choose(page, "data-k", "3", exact=True)
        page.locator("#data-run").click()
        page.wait_for_selector("#scorecard-table", timeout=180_000)
        summary = wait_for_text(page, "data-summary", r"3 segments")
        assert "Column descriptions from caravan_dictionary.csv: 86 column(s)" in summary
        labels = page.locator("#scorecard-table tbody tr td:first-child").all_inner_texts()
        assert len(labels) == 3
        shown = " ".join(labels) + " " + page.locator("#data-scorecard").inner_text()
        assert not CODE.findall(shown), CODE.findall(shown)
        assert "insurance" in shown or "area" in shown
        page.locator("#data-profile .js-plotly-plot").first.wait_for()
        assert not CODE.findall(page.locator("#data-profile").inner_text())
        shoot(page, artifacts, "dictionary-segments")
        assert not toasts(page) and not recorder.page_errors
    stored = load_segments(services)
    rules = " ".join(str(r.get("text", "")) for s in stored for r in s.profile["rules"])
    assert rules and not CODE.findall(rules), CODE.findall(rules)


def test_rfm_scores_chosen_on_the_screen_give_the_named_segments(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]], artifacts: Path
) -> None:
    services = _services(tmp_path)
    with serve(services) as url:
        page, recorder = open_page(url)
        _upload_cdnow(page, tmp_path)
        page.locator("#data-method label").filter(has_text="RFM scores").click()
        page.locator("#data-run").click()
        page.wait_for_selector("#scorecard-table", timeout=120_000)
        summary = wait_for_text(page, "data-summary", r"segments")
        assert "Champions" in summary and "Lost" in summary
        assert "of predicted value" in summary
        page.locator("#data-value .js-plotly-plot").first.wait_for()
        shoot(page, artifacts, "rfm-segments")
        assert not toasts(page) and not recorder.page_errors
    stored = load_segments(services)
    assert {s.label for s in stored} >= {"Champions", "Lost"}


def test_a_dictionary_for_another_table_is_refused_and_nothing_is_saved(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]]
) -> None:
    services = _services(tmp_path)
    with serve(services) as url:
        page, _recorder = open_page(url)
        _upload_cdnow(page, tmp_path)
        page.locator("#data-dictionary input[type=file]").set_input_files(str(DICTIONARY))
        page.locator("#data-run").click()
        page.locator(".toast-body").first.wait_for(timeout=60_000)
        message = " ".join(toasts(page))
        assert "describes 86 column(s) that are not in the table" in message, message
        assert "MOSTYPE" in message and "Traceback" not in message
    with pytest.raises(NotFoundError):
        load_segments(services)
