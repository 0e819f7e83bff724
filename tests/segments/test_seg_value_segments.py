"""Per-segment value and risk: shares that add up, VIPs as the top decile, clear errors."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from segments.errors import InvalidOptionError
from segments.value import predict_value
from segments.value_segments import segment_value, share_sentence, vip_flags
from tests.support.real_data import cdnow_log


def _ids(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def test_a_small_case_by_hand() -> None:
    ids = _ids(10)
    labels = pd.Series(["a"] * 2 + ["b"] * 8, index=ids)
    value = pd.Series([50.0, 30.0] + [2.5] * 8, index=ids)  # total 100
    p_alive = pd.Series([0.9, 0.7] + [0.5] * 8, index=ids)
    out = segment_value(labels, value=value, p_alive=p_alive)
    a = out.loc["a"]
    assert a["customers"] == 2 and a["customer_share"] == pytest.approx(0.2)
    assert a["predicted_value"] == pytest.approx(80) and a["value_share"] == pytest.approx(0.8)
    assert a["value_lift"] == pytest.approx(4.0) and a["mean_p_alive"] == pytest.approx(0.8)
    # One VIP out of ten customers: the customer worth 50, in segment a.
    assert a["vip_rate"] == pytest.approx(0.5) and a["share_of_vips"] == pytest.approx(1.0)
    assert out.loc["b", "share_of_vips"] == 0
    assert share_sentence(a) == "20 % of customers, 80 % of predicted value"
    assert "mean_churn_risk" not in out


def test_ties_do_not_inflate_the_vips() -> None:
    value = pd.Series([0.0] * 95 + [1.0] * 5, index=_ids(100))
    flags = vip_flags(value)
    assert flags.sum() == 10 and flags.iloc[-5:].all()


def test_customers_without_a_prediction_count_but_do_not_weigh() -> None:
    ids = _ids(4)
    labels = pd.Series(["a", "a", "b", None], index=ids)
    risk = pd.Series([0.2, 0.4, 0.9], index=ids[:3])
    out = segment_value(labels.iloc[:3].reindex(ids), churn_risk=risk)
    assert out["customers"].tolist() == [2, 1]
    assert out.loc["a", "mean_churn_risk"] == pytest.approx(0.3)
    partial = segment_value(labels.iloc[:3], churn_risk=risk.iloc[:2])
    assert partial.loc["b", "customers"] == 1 and pd.isna(partial.loc["b", "mean_churn_risk"])


def test_on_real_cdnow_predictions_the_shares_add_up() -> None:
    customers = predict_value(
        cdnow_log(), customer_column="customer_id", date_column="order_date",
        amount_column="amount", calibration_end="1997-09-30",
    ).customers  # fmt: skip
    labels = pd.cut(customers["x"], [-1, 0, 2, 1000], labels=["one-off", "few", "many"])
    out = segment_value(labels.astype(str), value=customers["clv"], p_alive=customers["p_alive"])
    assert out["customers"].sum() == len(customers) == 2357
    for column in ("customer_share", "value_share", "share_of_vips"):
        assert out[column].sum() == pytest.approx(1.0)
    vips = out["vip_rate"] * out["customers"]
    assert vips.sum() == pytest.approx(math.ceil(0.1 * len(customers)))
    # Frequent buyers are a minority holding most of the predicted value.
    assert out.loc["many", "value_share"] > 2 * out.loc["many", "customer_share"]
    # BG/NBD: a customer can only drop out after a repeat purchase.
    assert out.loc["one-off", "mean_p_alive"] == pytest.approx(1.0)
    assert out.loc["many", "mean_p_alive"] < 1


def test_bad_input_is_named() -> None:
    labels = pd.Series(["a", "b"], index=["x", "y"])
    with pytest.raises(InvalidOptionError, match="no prediction"):
        segment_value(labels)
    with pytest.raises(InvalidOptionError, match="no customer of the value predictions"):
        segment_value(labels, value=pd.Series([1.0], index=["z"]))
    with pytest.raises(InvalidOptionError, match="repeat a customer id"):
        segment_value(pd.Series(["a", "b"], index=["x", "x"]), value=pd.Series([1.0], index=["x"]))
    with pytest.raises(InvalidOptionError, match="between 0 and 1"):
        segment_value(labels, value=pd.Series([1.0, 2.0], index=["x", "y"]), vip_share=10)
