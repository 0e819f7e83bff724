"""Predicted value and churn risk joined to real segmentations: facts, scorecard, labels, chart."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segments
from segments.profile import stored_facts
from tests.support.real_data import cdnow_log, rdataset


@pytest.fixture(scope="module")
def cdnow() -> tuple[segments.SegmentationResult, segments.CustomerPredictions]:
    log = cdnow_log()
    columns = segments.log_columns(log)
    frame = segments.transactions_to_customers(log, **columns.options())
    result = segments.fit_segments(frame, id_column=columns.customer, bootstrap=0)
    predictions = segments.log_predictions(log, columns)
    segments.attach_predictions(result, predictions)
    return result, predictions


def test_every_segment_gets_its_share_of_customers_and_of_predicted_value(
    cdnow: tuple[segments.SegmentationResult, segments.CustomerPredictions],
) -> None:
    result, predictions = cdnow
    described = [p for p in result.profiles if not p.suppressed]
    assert described and all(p.prediction is not None for p in described)
    shares = [p.prediction.value_share for p in described if p.prediction]
    assert sum(s for s in shares if s is not None) == pytest.approx(1.0, abs=1e-6)
    total = predictions.frame["predicted_value"].sum()
    for profile in described:
        assert profile.prediction is not None
        members = result.labels.index[result.labels == profile.segment_id]
        inside = predictions.frame.loc[members]
        assert profile.prediction.predicted_value == pytest.approx(inside["predicted_value"].sum())
        assert profile.prediction.value_share == pytest.approx(
            inside["predicted_value"].sum() / total
        )
        assert profile.prediction.mean_p_alive == pytest.approx(inside["p_alive"].mean())
        expected_risk = (inside["predicted_value"] * (1 - inside["p_alive"])).sum()
        assert profile.prediction.value_at_risk == pytest.approx(expected_risk)
    # The top decile holds far more than a tenth of the value on real data.
    best = max(described, key=lambda p: p.prediction.value_share or 0 if p.prediction else 0)
    assert best.prediction is not None and best.prediction.value_share is not None
    assert best.prediction.value_share > 2 * best.prediction.customer_share


def test_predictions_are_facts_that_survive_storage(
    cdnow: tuple[segments.SegmentationResult, segments.CustomerPredictions],
) -> None:
    result, _ = cdnow
    profile = next(p for p in result.profiles if p.prediction is not None)
    facts = {f.name: f for f in profile.fact_list()}
    summary = facts["value_summary"]
    assert summary.statistic == "value_summary" and summary.unit == "text"
    assert summary.value == profile.prediction.share_sentence()  # type: ignore[union-attr]
    assert "of customers" in str(summary.value) and "of predicted value" in str(summary.value)
    assert facts["p_alive_pct"].unit == "percent"
    assert "52 weeks" in facts["predicted_value"].label
    stored = profile.to_dict() | {"facts": profile.facts()}
    rebuilt = {f.name: f for f in stored_facts(stored)}
    for name in ("value_summary", "predicted_value_share_pct", "vip_pct", "value_at_risk"):
        assert rebuilt[name] == facts[name]


def test_responds_differently_is_judged_on_the_predictions(
    cdnow: tuple[segments.SegmentationResult, segments.CustomerPredictions],
) -> None:
    result, _ = cdnow
    overall = result.scorecard["responds_differently"]
    # A log has no outcome column: spend stood in, and the predictions replace it.
    assert "predicted value" in overall.explanation or "P(alive)" in overall.explanation
    assert "Spend was used" not in overall.explanation
    assert overall.verdict == "pass"
    for profile in result.profiles:
        text = profile.scorecard["responds_differently"].explanation
        assert "predicted value" in text or "P(alive)" in text


def test_the_labels_file_gains_the_predictions_formula_safe(
    cdnow: tuple[segments.SegmentationResult, segments.CustomerPredictions], tmp_path: Path
) -> None:
    result, predictions = cdnow
    path = segments.export_labels_csv(
        result, tmp_path / "labels.csv", predictions=predictions.export_columns()
    )
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    assert header[:3] == ["customer_id", "segment", "segment_label"]
    assert header[3:] == ["p_alive", "expected_purchases_52w", "predicted_value_52w", "vip"]
    assert len(rows) == len(result.labels) + 1
    first = dict(zip(header, rows[1], strict=True))
    customer = int(first["customer_id"])
    assert float(first["predicted_value_52w"]) == pytest.approx(
        predictions.frame.loc[customer, "predicted_value"], abs=0.01
    )
    assert sum(row[-1] == "yes" for row in rows[1:]) == int(predictions.frame["vip"].sum())
    # A header or value a spreadsheet would run is defused.
    hostile = segments.export_labels_csv(
        result, tmp_path / "hostile.csv", predictions={"=cmd": pd.Series({customer: "-1+1"})}
    )
    text = hostile.read_text(encoding="utf-8")
    assert "'=cmd" in text and "'-1+1" in text


def test_the_value_chart_sets_customer_share_against_value_share(
    cdnow: tuple[segments.SegmentationResult, segments.CustomerPredictions],
) -> None:
    result, _ = cdnow
    figure = segments.value_share_figure(result.profiles)
    assert figure is not None
    customers, value = figure.data
    assert customers.name == "share of customers" and value.name == "share of predicted value"
    assert sum(customers.y) == pytest.approx(1.0, abs=1e-6)
    assert sum(value.y) == pytest.approx(1.0, abs=1e-6)
    plain = segments.fit_segments(pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) % 7}))
    assert segments.value_share_figure(plain.profiles) is None


def test_churn_risk_per_segment_on_a_real_churn_table() -> None:
    frame = rdataset("modeldata", "mlc_churn")
    frame["churn"] = frame["churn"].eq("yes")
    result = segments.fit_segments(frame, bootstrap=0)
    outcome = segments.churn_outcome(frame, result.outcomes)
    assert outcome == "churn"
    predictions = segments.churn_predictions(
        frame, outcome, id_column=result.id_column, roles=result.roles
    )
    assert predictions.summary["auc"] > 0.8
    segments.attach_predictions(result, predictions)
    described = [p for p in result.profiles if p.prediction is not None]
    assert described
    for profile in described:
        assert profile.prediction is not None
        members = result.labels == profile.segment_id
        assert profile.prediction.mean_churn_risk == pytest.approx(
            predictions.frame["churn_risk"][members.to_numpy()].mean()
        )
        assert profile.prediction.value_share is None and profile.prediction.mean_p_alive is None
        facts = {f.name: f for f in profile.fact_list()}
        assert facts["churn_risk_pct"].label == "mean predicted risk of churn (%)"
        assert facts["value_at_risk"].unit == "count"
    if len(described) == len(result.profiles):
        weighted = sum(
            p.prediction.customer_share * (p.prediction.mean_churn_risk or 0)
            for p in described
            if p.prediction
        )
        assert weighted == pytest.approx(predictions.frame["churn_risk"].mean())
    assert list(predictions.export_columns()) == ["churn_risk"]


def test_small_segments_keep_no_prediction(
    cdnow: tuple[segments.SegmentationResult, segments.CustomerPredictions],
) -> None:
    log = cdnow_log()
    columns = segments.log_columns(log)
    frame = segments.transactions_to_customers(log, **columns.options())
    result = segments.fit_segments(
        frame, k=8, id_column=columns.customer, bootstrap=0, min_segment_size=250
    )
    segments.attach_predictions(result, cdnow[1])
    small = [p for p in result.profiles if p.suppressed]
    assert small, "k=8 with a minimum of 250 leaves a segment too small to describe"
    assert all(p.prediction is None for p in small)
    assert all(p.prediction is not None for p in result.profiles if not p.suppressed)


def test_predictions_for_other_customers_are_refused(
    cdnow: tuple[segments.SegmentationResult, segments.CustomerPredictions],
) -> None:
    result, predictions = cdnow
    stranger = segments.CustomerPredictions(
        "value", predictions.frame.set_axis([f"x{i}" for i in range(len(predictions.frame))])
    )
    with pytest.raises(segments.SegmentationError, match="no customer of the predictions"):
        segments.attach_predictions(result, stranger)
