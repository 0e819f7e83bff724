"""Churn risk on a real telecom table: out-of-fold AUC against baselines, leaks left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segments.churn import fit_churn, outcome_flags
from segments.errors import ColumnNotFoundError, InvalidOptionError
from tests.support.real_data import rdataset


@pytest.fixture(scope="module")
def telecom() -> pd.DataFrame:
    # 1,500 of the 7,043 customers keep the test quick; the eval runs the whole table.
    return rdataset("modeldata", "wa_churn").sample(1500, random_state=0).reset_index(drop=True)


def test_churn_beats_the_baseline_and_is_calibrated(telecom: pd.DataFrame) -> None:
    report = fit_churn(telecom, outcome="churn")
    assert report.baseline_auc == 0.5
    assert report.auc > 0.78  # published models reach about 0.84 on the full table
    assert report.logistic_auc > 0.75
    assert report.brier < report.baseline_brier
    assert report.probabilities.between(0, 1).all()
    assert len(report.probabilities) == len(telecom)
    # Out-of-fold probabilities are calibrated: observed churn rises with predicted risk.
    observed = [row["observed"] for row in report.calibration]
    assert observed[-1] > observed[0] + 0.3
    assert abs(np.mean(report.probabilities) - report.positive_rate) < 0.03
    drivers = [d["feature"] for d in report.drivers]
    assert "contract" in drivers[:3] or "tenure" in drivers[:3]
    assert "churn" not in report.features


def test_leaks_are_left_out_and_reported(telecom: pd.DataFrame) -> None:
    leaky = telecom.assign(
        churn_date=telecom["churn"].map({"Yes": "2024-01-31", "No": None}),
        exit_code=(telecom["churn"] == "Yes").astype(int) * 7 + 1,
    )
    report = fit_churn(leaky, outcome="churn")
    assert "churn_date" in report.left_out and "name" in report.left_out["churn_date"]
    assert "exit_code" in report.left_out and "AUC 1.000" in report.left_out["exit_code"]
    assert "exit_code" not in report.features


def test_outcome_flags_read_yes_no_and_refuse_other_values() -> None:
    flags = outcome_flags(pd.Series(["Yes", "no", None, "TRUE", "0"]), "churn")
    assert flags.tolist()[:2] == [1.0, 0.0] and np.isnan(flags.iloc[2])
    with pytest.raises(InvalidOptionError, match="not a yes/no outcome: it holds 'good', 'bad'"):
        outcome_flags(pd.Series(["good", "bad", "good"]), "Status")
    with pytest.raises(InvalidOptionError, match="one outcome only"):
        outcome_flags(pd.Series(["yes", "yes"]), "churn")


def test_a_missing_outcome_column_is_named(telecom: pd.DataFrame) -> None:
    with pytest.raises(ColumnNotFoundError, match="'cancelled'"):
        fit_churn(telecom, outcome="cancelled")


def test_a_named_positive_label() -> None:
    flags = outcome_flags(pd.Series(["good", "bad", "good"]), "Status", positive="bad")
    assert flags.tolist() == [0.0, 1.0, 0.0]
