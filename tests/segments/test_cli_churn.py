"""``persona churn`` on the real wa_churn table: JSON keys, printed report, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from persona.cli import main
from tests.support.real_data import rdataset


@pytest.fixture(scope="module")
def telecom() -> pd.DataFrame:
    table = rdataset("modeldata", "wa_churn").sample(1200, random_state=1).reset_index(drop=True)
    return table.assign(customer_id=[f"C{i:05d}" for i in range(len(table))])


@pytest.fixture
def telecom_csv(tmp_path: Path, telecom: pd.DataFrame) -> Path:
    path = tmp_path / "telecom.csv"
    telecom.assign(
        churned_on=telecom["churn"].map({"Yes": "2024-01-31"}),
        exit_code=(telecom["churn"] == "Yes").astype(int) * 7 + 1,
    ).to_csv(path, index=False)
    return path


def test_churn_json_has_the_auc_baselines_drivers_and_leaks(
    telecom_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["churn", str(telecom_csv), "--outcome", "churn", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert {"auc", "logistic_auc", "baseline_auc", "drivers", "left_out", "calibration"} <= set(
        data
    )
    assert data["auc"] > data["baseline_auc"] == 0.5
    assert data["customers"] == 1200
    assert {"churned_on", "exit_code"} <= set(data["left_out"])
    assert data["drivers"] and all(d["auc_drop"] > 0 for d in data["drivers"])
    assert "customer_id" not in data["features"] and "C00001" not in out


def test_churn_prints_quality_calibration_and_drivers(
    telecom_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["churn", str(telecom_csv), "--outcome", "churn"]) == 0
    out = capsys.readouterr().out
    assert "logistic regression" in out and "majority class" in out
    assert "Calibration" in out and "What drives the risk" in out
    assert "Left out 'exit_code'" in out


def test_a_named_positive_label(
    tmp_path: Path, telecom: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "status.csv"
    telecom.assign(churn=telecom["churn"].map({"Yes": "gone", "No": "kept"})).to_csv(path)
    assert main(["churn", str(path), "--outcome", "churn"]) == 1
    out = capsys.readouterr().out
    assert "not a yes/no outcome" in out and "--positive" in out and "Traceback" not in out
    assert main(["churn", str(path), "--outcome", "churn", "--positive", "gone", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["positive_rate"] == pytest.approx(
        (telecom["churn"] == "Yes").mean(), abs=1e-4
    )


def test_a_missing_outcome_column_is_named(
    telecom_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["churn", str(telecom_csv), "--outcome", "cancelled"]) == 1
    out = capsys.readouterr().out
    assert "'cancelled'" in out and "'tenure'" in out and "Traceback" not in out


def test_a_missing_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["churn", str(tmp_path / "nope.csv"), "--outcome", "churn"]) == 1
    out = capsys.readouterr().out
    assert "nope.csv" in out and "Traceback" not in out
