"""Transactions to one row per customer (RFM plus)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segments import transactions_to_customers
from segments.errors import ColumnNotFoundError, EmptyTableError
from segments.sample import AS_OF, make_transactions


def test_rfm_values_are_exact() -> None:
    log = pd.DataFrame(
        {
            "cust": ["b", "a", "a", "a", "b", "c"],
            "when": ["2024-01-10", "2024-01-01", "2024-01-11", "2024-01-31", "2024-01-30", "bad"],
            "eur": [10.0, 5.0, 15.0, -5.0, 30.0, 1.0],
        }
    )
    out = transactions_to_customers(
        log, customer_column="cust", date_column="when", amount_column="eur", as_of="2024-02-01"
    )
    expected = pd.DataFrame(
        {
            "cust": ["a", "b"],
            "recency_days": [1.0, 2.0],
            "frequency": np.array([3, 2], dtype="int64"),
            "monetary": [15.0, 40.0],
            "tenure_days": [31.0, 22.0],
            "avg_order_value": [5.0, 20.0],
            "interpurchase_days": [15.0, 20.0],
        }
    )
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)
    assert out["cust"].tolist() == ["a", "b"]
    assert "Left out 1 of 6" in out.attrs["warnings"][0]


def test_single_purchase_has_no_interpurchase_time_and_late_rows_are_left_out() -> None:
    log = pd.DataFrame(
        {
            "c": ["x", "y", "y"],
            "d": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-03-01"]),
            "a": [1.0, 2.0, 3.0],
        }
    )
    out = transactions_to_customers(
        log, customer_column="c", date_column="d", amount_column="a", as_of="2024-02-01"
    )
    assert np.isnan(out.loc[out["c"] == "x", "interpurchase_days"].item())
    assert out.loc[out["c"] == "y", "frequency"].item() == 1
    assert any("after 2024-02-01" in w for w in out.attrs["warnings"])


def test_sample_log_reproduces_the_customer_table(
    customers: tuple[pd.DataFrame, pd.Series],
) -> None:
    frame, _ = customers
    log = make_transactions(frame, random_state=0)
    out = transactions_to_customers(
        log, customer_column="customer_id", date_column="date", amount_column="amount",
        as_of=AS_OF,
    ).set_index("customer_id")  # fmt: skip
    table = frame.set_index("customer_id").loc[out.index]
    assert np.array_equal(out["recency_days"].to_numpy(), table["days_since_last_order"].to_numpy())
    active = table["orders_12m"] > 0
    assert np.array_equal(out.loc[active, "frequency"], table.loc[active, "orders_12m"])
    assert np.allclose(out.loc[active, "monetary"], table.loc[active, "spend_12m"], atol=0.011)
    assert len(out) == len(frame)


def test_rfm_errors_are_named() -> None:
    log = pd.DataFrame({"c": ["x"], "d": ["2024-01-01"], "a": [1.0]})
    with pytest.raises(ColumnNotFoundError, match="'amount'"):
        transactions_to_customers(log, customer_column="c", date_column="d", amount_column="amount")
    bad = pd.DataFrame({"c": ["x"], "d": ["not a date"], "a": [1.0]})
    with pytest.raises(EmptyTableError):
        transactions_to_customers(bad, customer_column="c", date_column="d", amount_column="a")
