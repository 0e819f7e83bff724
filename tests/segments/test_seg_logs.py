"""Recognising transaction logs and their columns, by name and by values, on real and odd logs."""

from __future__ import annotations

import pandas as pd
import pytest

import segments
from segments.errors import ColumnNotFoundError
from segments.logs import log_columns, parse_dates, recognise_log
from tests.support.real_data import cdnow_log


def test_the_real_cdnow_log_is_recognised_by_its_column_names() -> None:
    log = cdnow_log()
    columns = recognise_log(log)
    assert columns is not None
    assert (columns.customer, columns.date, columns.amount) == (
        "customer_id",
        "order_date",
        "amount",
    )
    assert columns.quantity is None  # CDNOW's amount is the line total, not a unit price
    assert "order_date" in columns.describe()


def test_cdnow_aggregates_to_one_row_per_customer_with_yyyymmdd_dates() -> None:
    log = cdnow_log()
    customers = segments.transactions_to_customers(log, **recognise_log(log).options())
    assert len(customers) == log["customer_id"].nunique() == 2357
    # Every purchase is counted but exact duplicate lines; spend adds up to the log's total.
    kept = log.drop_duplicates()
    assert customers["frequency"].sum() == len(kept)
    assert customers["monetary"].sum() == pytest.approx(kept["amount"].sum())
    assert (
        customers["tenure_days"].max()
        == (pd.Timestamp("1998-06-30") - pd.Timestamp("1997-01-01")).days
    )


def test_a_customer_table_is_not_taken_for_a_log(sample_data) -> None:  # type: ignore[no-untyped-def]
    customers = pd.read_csv(sample_data / "customers.csv")
    assert recognise_log(customers) is None
    transactions = pd.read_csv(sample_data / "transactions.csv")
    found = recognise_log(transactions)
    assert found is not None
    assert (found.customer, found.date, found.amount) == ("customer_id", "date", "amount")


def test_unit_price_times_quantity_and_the_counts_of_odd_lines() -> None:
    log = pd.DataFrame(
        {
            "Client ID": ["a", "a", "b", "b", "b", "b"],
            "InvoiceDate": [
                "2024-01-01",
                "2024-02-01",
                "2024-01-05",
                "2024-01-05",
                "20240301",
                "x",
            ],
            "UnitPrice": [10.0, 5.0, 3.0, 3.0, 2.0, 1.0],
            "Qty": [1, -2, 0, 0, 4, 1],
        }
    )
    columns = log_columns(log)
    assert (columns.customer, columns.date, columns.amount, columns.quantity) == (
        "Client ID", "InvoiceDate", "UnitPrice", "Qty",
    )  # fmt: skip
    out = segments.transactions_to_customers(log, **columns.options())
    warnings = " ".join(out.attrs["warnings"])
    assert "1 of 6 transactions that repeat an earlier line" in warnings
    assert "1 lines with a quantity of 0" in warnings
    assert "1 of 6 transactions with a missing or unreadable" in warnings
    assert "Kept 1 returns" in warnings
    spend = dict(zip(out["Client ID"], out["monetary"], strict=True))
    assert spend == {"a": pytest.approx(10.0 - 10.0), "b": pytest.approx(8.0)}


def test_a_log_without_a_date_names_the_columns_seen_and_the_option() -> None:
    log = pd.DataFrame(
        {"customer_id": [1, 1, 2], "amount": [1.0, 2.0, 3.5], "note": ["x", "y", "z"]}
    )
    with pytest.raises(ColumnNotFoundError) as caught:
        log_columns(log)
    message = str(caught.value)
    assert "no date column" in message
    assert "'customer_id', 'amount', 'note'" in message
    assert "--date-column" in message


def test_a_given_column_that_is_missing_is_named() -> None:
    log = cdnow_log()
    with pytest.raises(ColumnNotFoundError, match=r"'when'.*date column"):
        log_columns(log, date="when")


def test_dates_in_several_formats_and_no_guessed_day_month_order() -> None:
    parsed = parse_dates(
        pd.Series(["2024-03-04", "20240305", "2024-03-06T10:00:00Z", "03/04/2024"])
    )
    assert list(parsed.dt.strftime("%Y-%m-%d")[:3]) == ["2024-03-04", "2024-03-05", "2024-03-06"]
    assert pd.isna(parsed.iloc[3])
    assert parse_dates(pd.Series([19970101, 19971231])).dt.year.tolist() == [1997, 1997]
