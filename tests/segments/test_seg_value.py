"""BG/NBD and Gamma-Gamma reproduce the published CDNOW figures; bad logs get clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segments.value import (
    _UNDEFINED,
    ValueFitError,
    _maximise,
    customer_summary,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
    predict_value,
)
from tests.support.real_data import cdnow_log

COLUMNS = {"customer_column": "customer_id", "date_column": "order_date", "amount_column": "amount"}
# Fader, Hardie & Lee (2005), and Fader & Hardie's note on the Gamma-Gamma model.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return customer_summary(cdnow_log(), calibration_end="1997-09-30", **COLUMNS)


def test_summary_matches_hardies_cdnow_summary(summary: pd.DataFrame) -> None:
    assert len(summary) == 2357
    assert int(summary["x"].sum()) == 2457  # repeat purchase days in weeks 1–39
    assert summary["T"].max() == pytest.approx(38.857, abs=1e-3)  # 272 days from 1997-01-01
    assert int((summary["x"] > 0).sum()) == 946


def test_bgnbd_reproduces_the_paper_within_2_percent(summary: pd.DataFrame) -> None:
    fitted = fit_bgnbd(summary["x"], summary["t_x"], summary["T"])
    for name, value in PUBLISHED_BGNBD.items():
        assert getattr(fitted, name) == pytest.approx(value, rel=0.02), name
    assert fitted.log_likelihood == pytest.approx(-9582.4, abs=0.5)


def test_gamma_gamma_reproduces_the_note_within_2_percent(summary: pd.DataFrame) -> None:
    fitted = fit_gamma_gamma(summary["x"], summary["m_x"])
    for name, value in PUBLISHED_GG.items():
        assert getattr(fitted, name) == pytest.approx(value, rel=0.02), name
    assert fitted.customers == 946
    assert fitted.log_likelihood == pytest.approx(-4055.9, abs=0.5)


def test_predictions_behave(summary: pd.DataFrame) -> None:
    fitted = fit_bgnbd(summary["x"], summary["t_x"], summary["T"])
    alive = p_alive(fitted, summary["x"], summary["t_x"], summary["T"])
    assert np.all((alive > 0) & (alive <= 1))
    assert np.all(alive[summary["x"].to_numpy() == 0] == 1.0)
    # A frequent buyer who has been silent a long time is less likely alive than a recent one.
    a = p_alive(fitted, np.array([10, 10]), np.array([5.0, 38.0]), np.array([38.86, 38.86]))
    assert a[0] < a[1]
    week = expected_purchases(fitted, 1, summary["x"], summary["t_x"], summary["T"])
    year = expected_purchases(fitted, 52, summary["x"], summary["t_x"], summary["T"])
    assert np.all(year > week) and np.all(week >= 0)


def test_predict_value_with_a_holdout_on_cdnow() -> None:
    report = predict_value(cdnow_log(), calibration_end="1997-09-30", horizon=39, **COLUMNS)
    data = report.to_dict()
    assert set(data["bgnbd"]) >= {"r", "alpha", "a", "b"}
    assert set(data["gamma_gamma"]) >= {"p", "q", "v"}
    assert data["customers"] == 2357
    holdout = data["holdout"]
    assert holdout["length"] == pytest.approx(39.0)
    assert holdout["actual_purchases"] == 1882
    # The model tracks the holdout: within 15 % in total, clearly correlated per customer.
    assert abs(holdout["predicted_purchases"] / holdout["actual_purchases"] - 1) < 0.15
    assert holdout["correlation"] > 0.5
    assert "customer_id" not in str(data)
    frame = report.customers
    assert (frame["clv"] >= 0).all()
    assert frame["clv"].sum() == pytest.approx(data["predicted"]["spend"], rel=1e-6)


def _log(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])


def test_a_calibration_end_outside_the_log_is_named() -> None:
    with pytest.raises(ValueFitError, match="outside the log, which runs from 1997-01-01"):
        predict_value(cdnow_log(), calibration_end="1999-01-01", **COLUMNS)


def test_single_purchase_customers_only() -> None:
    log = _log([(f"c{i}", f"2024-01-{1 + i % 28:02d}", 10.0) for i in range(50)])
    with pytest.raises(ValueFitError, match="no customer bought more than once"):
        predict_value(log, **COLUMNS)


def test_all_zero_spend_cannot_be_modelled() -> None:
    log = _log(
        [(f"c{i}", f"2024-0{1 + d}-{1 + i % 28:02d}", 0.0) for i in range(40) for d in range(3)]
    )
    with pytest.raises(ValueFitError, match="all-zero spend"):
        predict_value(log, **COLUMNS)


def test_too_few_customers() -> None:
    log = _log([("a", "2024-01-01", 5.0), ("a", "2024-02-01", 5.0)])
    with pytest.raises(ValueFitError, match="too few"):
        predict_value(log, **COLUMNS)


def test_the_optimiser_falls_back_and_refuses_a_likelihood_that_is_never_finite() -> None:
    # |log θ − 1| stalls BFGS (not smooth at the optimum); Nelder-Mead then finds e, e.
    found = _maximise(lambda lp: float(np.abs(lp - 1).sum()), np.ones(2), "test")
    assert found == pytest.approx([np.e, np.e], rel=1e-4)
    with pytest.raises(ValueFitError, match="the test fit did not converge"):
        _maximise(lambda lp: _UNDEFINED, np.ones(2), "test")
