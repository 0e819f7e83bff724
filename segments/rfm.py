"""Transaction logs to one row per customer: recency, frequency, monetary value and more."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from segments.errors import ColumnNotFoundError, EmptyTableError
from segments.logs import parse_dates

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
    quantity_column: str | None = None,
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

    With ``quantity_column``, ``amount_column`` is a unit price and each line is
    worth ``price × quantity``. Dates may be datetimes, ISO text or ``YYYYMMDD``.
    ``as_of`` defaults to the newest transaction date. Rows with a missing or
    unreadable customer, date or amount, zero-quantity lines, exact duplicate
    lines and rows after ``as_of`` are left out; returns (negative amounts) are
    kept and reduce spend. Sentences saying how many of each are in
    ``result.attrs["warnings"]``.

    Raises:
        ColumnNotFoundError: a named column is missing.
        EmptyTableError: no transaction row is usable.
    """
    named = [(customer_column, "customer"), (date_column, "date"), (amount_column, "amount")]
    if quantity_column is not None:
        named.append((quantity_column, "quantity"))
    for column, what in named:
        _require(frame, column, what)
    warnings: list[str] = []
    n_lines = len(frame)
    duplicated = frame.duplicated(keep="first")
    if duplicated.any():
        warnings.append(
            f"Left out {int(duplicated.sum())} of {n_lines} transactions that repeat an "
            "earlier line exactly (same customer, date, amount and every other column)."
        )
        frame = frame[~duplicated]
    customers = frame[customer_column]
    # Day/month order is never guessed: ISO text, YYYYMMDD or typed datetimes only.
    dates = parse_dates(frame[date_column])
    amounts = _numbers(frame[amount_column])
    zero = pd.Series(False, index=frame.index)
    if quantity_column is not None:
        quantities = _numbers(frame[quantity_column])
        zero = quantities.eq(0)
        if zero.any():
            warnings.append(f"Left out {int(zero.sum())} lines with a quantity of 0.")
        amounts = (amounts * quantities).mask(zero)
    bad = customers.isna() | dates.isna() | amounts.isna()
    unreadable = bad & ~zero
    if unreadable.any():
        warnings.append(
            f"Left out {int(unreadable.sum())} of {n_lines} transactions with a missing or "
            f"unreadable {customer_column!r}, {date_column!r} or {amount_column!r}."
        )
    returns = int((amounts[~bad] < 0).sum())
    if returns:
        warnings.append(
            f"Kept {returns} returns (negative amounts): they reduce the customer's spend."
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


def _numbers(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    return numbers.mask(np.isinf(numbers.to_numpy()))
