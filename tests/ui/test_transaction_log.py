"""A transaction log uploaded in the browser is recognised, aggregated per customer, segmented."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from persona.config import Settings
from persona.segmentation import load_segments
from persona.services import Services
from tests.ui.conftest import Recorder, serve
from tests.ui.helpers import choose, shoot, toasts, type_into, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "persona" / "sample_data"


def test_a_transaction_log_becomes_one_row_per_customer(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]], artifacts: Path
) -> None:
    services = Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))
    log = SAMPLE / "transactions.csv"
    customers = pd.read_csv(log)["customer_id"].nunique()
    with serve(services) as url:
        page, recorder = open_page(url)
        page.locator("#data-file input[type=file]").set_input_files(str(log))
        wait_for_text(page, "data-notes", r"transaction log")
        assert page.locator("#data-log input").is_checked()
        assert page.locator("#data-log-customer input").input_value() == "customer_id"
        assert page.locator("#data-log-date input").input_value() == "date"
        assert page.locator("#data-log-amount input").input_value() == "amount"
        choose(page, "data-k", "3", exact=True)
        page.locator("#data-run").click()
        page.wait_for_selector("#scorecard-table", timeout=120_000)
        wait_for_text(page, "data-summary", r"3 segments")
        page.locator("#data-map .js-plotly-plot").first.wait_for()
        # Predicted value per segment: columns on the table and the share chart.
        page.locator("#data-value .js-plotly-plot").first.wait_for()
        headers = page.locator("#scorecard-table th").all_inner_texts()
        assert {"value share", "VIPs", "P(alive)"} <= set(headers), headers
        assert "BG/NBD" in page.locator("#scorecard-legend").inner_text()
        assert "share of predicted value" in page.locator("#data-value").inner_text()
        shoot(page, artifacts, "transaction-log-segments")
        with page.expect_download() as info:
            page.locator("#data-labels").click()
        rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
        assert rows[0][:2] == ["customer_id", "segment"] and len(rows) == customers + 1
        assert "predicted_value_52w" in rows[0] and "p_alive" in rows[0]
        assert not toasts(page) and not recorder.page_errors

    stored = load_segments(services)
    assert sum(s.size for s in stored) == customers
    features = {name for s in stored for name in s.facts}
    assert any("frequency" in name or "recency" in name for name in features), features
    assert all("value_summary" in s.facts for s in stored if not s.profile["suppressed"])


def test_a_customer_table_is_not_taken_for_a_log(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]]
) -> None:
    services = Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))
    with serve(services) as url:
        page, _recorder = open_page(url)
        page.locator("#data-file input[type=file]").set_input_files(str(SAMPLE / "customers.csv"))
        wait_for_text(page, "data-notes", r"2,000 rows")
        assert not page.locator("#data-log input").is_checked()
        assert "transaction log" not in page.locator("#data-notes").inner_text()


def test_a_log_read_from_a_database_is_segmented_and_the_password_is_not_kept(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]], artifacts: Path
) -> None:
    log = pd.read_csv(SAMPLE / "transactions.csv")
    database = tmp_path / "crm.sqlite"
    with sqlite3.connect(database) as db:
        log.to_sql("orders", db, index=False)
    services = Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))
    secret = "pw-typed-once"
    with serve(services) as url:
        page, recorder = open_page(url)
        page.get_by_text("…or from a database").click()
        type_into(page, "data-db-url", f"sqlite:///{database}")
        type_into(page, "data-db-password", secret)
        type_into(page, "data-db-query", "SELECT customer_id, date, amount FROM orders")
        page.locator("#data-db-read").click()
        wait_for_text(page, "data-notes", rf"{len(log):,} rows")
        assert page.locator("#data-log input").is_checked()
        assert page.locator("#data-db-password input").input_value() == ""
        choose(page, "data-k", "3", exact=True)
        page.locator("#data-run").click()
        page.wait_for_selector("#scorecard-table", timeout=120_000)
        wait_for_text(page, "data-summary", r"3 segments")
        shoot(page, artifacts, "database-log-segments")
        assert secret not in page.content()
        assert not toasts(page) and not recorder.page_errors

    stored = load_segments(services)
    assert sum(s.size for s in stored) == log["customer_id"].nunique()
    source = services.store.query_one("SELECT source FROM datasets")
    assert source is not None and str(source[0]).startswith("sqlite:///")
    assert secret.encode() not in (tmp_path / "ws" / "persona.sqlite3").read_bytes()
