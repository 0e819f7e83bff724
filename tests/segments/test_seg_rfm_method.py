"""``method="rfm"``: the named RFM segments of the real CDNOW log, with the usual outputs."""

from __future__ import annotations

import pandas as pd
import pytest

import segments
from segments.errors import ColumnNotFoundError
from tests.support.real_data import cdnow_log


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return segments.transactions_to_customers(
        cdnow_log(), customer_column="customer_id", date_column="order_date",
        amount_column="amount",
    )  # fmt: skip


def test_rfm_segments_are_the_named_scores_numbered_by_size(customers: pd.DataFrame) -> None:
    result = segments.fit_segments(customers, method="rfm", id_column="customer_id")
    names = segments.rfm_scores(customers)["rfm_segment"]
    assert result.algorithm == "rfm"
    assert result.k == names.nunique()
    sizes = [p.size for p in result.profiles]
    assert sizes == sorted(sizes, reverse=True)
    by_label = {p.label.removesuffix(" (too small to describe)"): p.size for p in result.profiles}
    assert by_label == names.value_counts().to_dict()
    described = [p for p in result.profiles if not p.suppressed]
    assert all(p.rules and p.scorecard for p in described)
    assert result.profiles[0].facts()["segment_label"] == result.profiles[0].label


def test_the_saved_rfm_model_assigns_new_customers(customers: pd.DataFrame) -> None:
    result = segments.fit_segments(customers, method="rfm", id_column="customer_id")
    model = segments.load_model(result.model_state())
    labels = segments.assign_segments(model, customers)
    agreement = float((labels.to_numpy() == result.labels.to_numpy()).mean())
    assert agreement >= 0.9


def test_rfm_needs_recency_frequency_and_monetary() -> None:
    table = pd.DataFrame({"customer_id": range(100), "age": range(100)})
    with pytest.raises(ColumnNotFoundError, match="recency_days, frequency and monetary"):
        segments.fit_segments(table, method="rfm", id_column="customer_id")


def test_an_unknown_method_is_named() -> None:
    with pytest.raises(segments.SegmentationError, match="'kmeans'"):
        segments.fit_segments(pd.DataFrame({"a": range(50)}), method="kmeans")
