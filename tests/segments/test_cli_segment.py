"""``persona segment`` on the real CDNOW log: the log recognised, k chosen and explained."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from persona.cli import main
from persona.cli.segment import parse_k
from segments import DEFAULT_K_RANGE
from tests.support.real_data import cdnow_log, rdataset


def test_a_log_is_recognised_without_the_flag_and_k_is_explained(
    cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["segment", str(cdnow_csv), "--k", "3-5"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "looks like a transaction log" in out
    assert "customer 'customer_id'" in out and "date 'order_date'" in out
    assert "Number of segments:" in out and "Runner-up:" in out
    chosen = int(out.split("Saved segmentation")[1].split("k=")[1].split(")")[0])
    assert 3 <= chosen <= 5


def test_rfm_method_labels_segments_by_rfm_name(
    cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["segment", str(cdnow_csv), "--transactions", "--method", "rfm"]) == 0
    out = capsys.readouterr().out
    assert "rfm, k=" in out
    assert "Champions" in out and "Lost" in out


def test_named_columns_override_recognition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = cdnow_log().rename(columns={"order_date": "when", "amount": "paid"})
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    code = main(["segment", str(path), "--k", "3", "--date-column", "when",
                 "--amount-column", "paid"])  # fmt: skip
    assert code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "date 'when'" in out and "amount 'paid'" in out


def test_a_log_without_a_date_column_names_the_columns_and_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = cdnow_log().drop(columns=["order_date"]).assign(note="x")
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    assert main(["segment", str(path), "--transactions"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "no date column was recognised" in out
    assert "'customer_id'" in out and "'note'" in out and "--date-column" in out
    assert "Traceback" not in out


def test_rfm_on_a_customer_table_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": range(60), "age": range(60), "visits": [1, 2, 3] * 20}).to_csv(
        path, index=False
    )
    assert main(["segment", str(path), "--method", "rfm"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "recency_days" in out and "--transactions" in out and "Traceback" not in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [("auto", ("auto", DEFAULT_K_RANGE)), ("4", (4, DEFAULT_K_RANGE)), ("2-6", ("auto", (2, 6)))],
)
def test_k_takes_auto_a_number_or_a_range(text: str, expected: object) -> None:
    assert parse_k(text) == expected


def test_a_bad_k_is_a_usage_error(cdnow_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["segment", str(cdnow_csv), "--k", "three"]) == 2
    captured = capsys.readouterr()
    assert "range such as 3-6" in captured.out + captured.err


def test_the_segment_table_shows_predicted_value_and_risk(
    cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["segment", str(cdnow_csv), "--k", "4"]) == 0
    out = capsys.readouterr().out
    assert "Predicted value over the next 52 weeks (BG/NBD + Gamma-Gamma on 2,357" in out
    for header in ("value share", "VIPs", "P(alive)", "at risk"):
        assert header in out
    assert "(value × (1 − P(alive)))" in " ".join(out.split())
    assert main(["segments", "show"]) == 0
    assert "value share" in capsys.readouterr().out


def test_a_churn_table_gets_a_churn_risk_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wa_churn.csv"
    rdataset("modeldata", "wa_churn").to_csv(path, index=False)
    assert main(["segment", str(path), "--k", "3"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Churn risk: the probability of 'churn' from a cross-validated model (AUC 0.8" in out
    assert "churn risk" in out and "value share" not in out
    assert "mean predicted probability of 'churn'" in out
