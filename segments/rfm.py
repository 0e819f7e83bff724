"""Transaction logs to one row per customer: recency, frequency, monetary value and more."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from segments.errors import ColumnNotFoundError, EmptyTableError

__all__ = ["RFM_COLUMNS", "transactions_to_customers"]

RFM_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_order_value",
    "interpurchase_days",
)


def _require(frame: pd.DataFrame, column: str, what: str) -> None:
    if column not in frame.columns:
        raise ColumnNotFoundError(
            f"is given as the {what} column but is not in the transactions.",
            column=column,
            hint=f"Columns: {', '.join(map(repr, map(str, frame.columns[:20])))}.",
        )


def transactions_to_customers(
    frame: pd.DataFrame,
    *,
    customer_column: str,
    date_column: str,
    amount_column: str,
    as_of: str | dt.date | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Aggregate a transaction log (one row per purchase) into one row per customer.

    Columns of the result, after ``customer_column`` (sorted by customer):

    * ``recency_days``: days from the last purchase to ``as_of``
    * ``frequency``: number of transactions
    * ``monetary``: total amount (refunds as negative amounts reduce it)
    * ``tenure_days``: days from the first purchase to ``as_of``
    * ``avg_order_value``: ``monetary / frequency``
    * ``interpurchase_days``: mean days between consecutive purchases (NaN with one)

    ``as_of`` defaults to the newest transaction date. Rows with a missing or
    unreadable customer, date or amount, and rows after ``as_of``, are left out;
    sentences saying how many are in ``result.attrs["warnings"]``.

    Raises:
        ColumnNotFoundError: a named column is missing.
        EmptyTableError: no transaction row is usable.
    """
    for column, what in (
        (customer_column, "customer"),
        (date_column, "date"),
        (amount_column, "amount"),
    ):
        _require(frame, column, what)
    warnings: list[str] = []
    customers = frame[customer_column]
    if pd.api.types.is_datetime64_any_dtype(frame[date_column].dtype):
        dates = pd.to_datetime(frame[date_column])
    else:
        # Only ISO dates: day/month order cannot be guessed safely here (read_table
        # types unambiguous dates already and warns about the others).
        dates = pd.to_datetime(
            frame[date_column].astype("str"), format="ISO8601", errors="coerce", utc=True
        ).dt.tz_localize(None)
    amounts = pd.to_numeric(frame[amount_column], errors="coerce").astype("float64")
    amounts = amounts.mask(np.isinf(amounts.to_numpy()))
    bad = customers.isna() | dates.isna() | amounts.isna()
    if bad.any():
        warnings.append(
            f"Left out {int(bad.sum())} of {len(frame)} transactions with a missing or "
            f"unreadable {customer_column!r}, {date_column!r} or {amount_column!r}."
        )
    log = pd.DataFrame({"customer": customers[~bad], "date": dates[~bad], "amount": amounts[~bad]})
    if log.empty:
        raise EmptyTableError(
            "no transaction has a customer, a date and an amount.",
            column=date_column,
            hint="Check the column names and the date and amount formats.",
        )
    reference = log["date"].max() if as_of is None else pd.Timestamp(as_of)
    late = log["date"] > reference
    if late.any():
        warnings.append(f"Left out {int(late.sum())} transactions after {reference.date()}.")
        log = log[~late]
        if log.empty:
            raise EmptyTableError(
                f"every transaction is after as_of={reference.date()}.",
                column=date_column,
                hint="Choose a later as_of date.",
            )
    log = log.sort_values(["customer", "date"], kind="stable")
    grouped = log.groupby("customer", sort=True)
    first = grouped["date"].min()
    last = grouped["date"].max()
    frequency = grouped["amount"].size()
    monetary = grouped["amount"].sum()
    gaps = log["date"].diff().dt.total_seconds() / 86400.0
    gaps[log["customer"].ne(log["customer"].shift())] = np.nan
    interpurchase = gaps.groupby(log["customer"]).mean()
    day = 86400.0
    result = pd.DataFrame(
        {
            customer_column: first.index,
            "recency_days": ((reference - last).dt.total_seconds() / day).to_numpy(),
            "frequency": frequency.to_numpy().astype("int64"),
            "monetary": monetary.to_numpy(),
            "tenure_days": ((reference - first).dt.total_seconds() / day).to_numpy(),
            "avg_order_value": (monetary / frequency).to_numpy(),
            "interpurchase_days": interpurchase.reindex(first.index).to_numpy(),
        }
    )
    result.attrs["warnings"] = warnings
    return result
