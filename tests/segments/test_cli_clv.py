"""``persona clv`` on the real CDNOW log: columns recognised, JSON keys, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persona.cli import main


def test_clv_json_has_the_parameters_and_the_holdout(
    cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["clv", str(cdnow_csv), "--calibration-end", "1997-09-30", "--json",
                 "--horizon-weeks", "39"])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["bgnbd"]["r"] == pytest.approx(0.243, rel=0.02)
    assert data["gamma_gamma"]["p"] == pytest.approx(6.25, rel=0.02)
    assert data["customers"] == 2357
    assert data["columns"] == {
        "customer_column": "customer_id", "date_column": "order_date", "amount_column": "amount"
    }  # fmt: skip
    assert {"mean_absolute_error", "correlation", "actual_purchases", "predicted_purchases"} <= set(
        data["holdout"]
    )


def test_clv_prints_a_summary(cdnow_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clv", str(cdnow_csv)]) == 0
    out = capsys.readouterr().out
    assert "BG/NBD" in out and "Next 52 weeks" in out and "order_date" in out


def test_clv_bad_calibration_end_is_a_message(
    cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["clv", str(cdnow_csv), "--calibration-end", "2001-01-01"]) == 1
    out = capsys.readouterr().out
    assert "outside the log" in out and "Traceback" not in out


def test_clv_names_a_missing_date_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "log.csv"
    path.write_text("customer_id,amount\n1,2.0\n1,3.0\n2,4.0\n", encoding="utf-8")
    assert main(["clv", str(path)]) == 1
    out = capsys.readouterr().out
    assert "--date-column" in out and "'customer_id', 'amount'" in out
