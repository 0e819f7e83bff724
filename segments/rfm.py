"""Transaction logs to one row per customer: recency, frequency, monetary value and more."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segments.errors import ColumnNotFoundError, EmptyTableError
from segments.logs import parse_dates

__all__ = [
    "RFM_COLUMNS",
    "RFM_OTHERS",
    "RFM_RULES",
    "RFMRule",
    "quintile_scores",
    "rfm_scores",
    "rfm_segments",
    "transactions_to_customers",
]

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
    result.attrs["as_of"] = reference.date().isoformat()
    return result


def _numbers(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    return numbers.mask(np.isinf(numbers.to_numpy()))


@dataclass(frozen=True)
class RFMRule:
    """One named RFM segment: inclusive score ranges for recency, frequency and monetary."""

    name: str
    recency: tuple[int, int]
    frequency: tuple[int, int]
    monetary: tuple[int, int]

    def matches(self, r: pd.Series, f: pd.Series, m: pd.Series) -> pd.Series:
        """Which customers' scores fall in all three ranges."""
        return r.between(*self.recency) & f.between(*self.frequency) & m.between(*self.monetary)


# The ranges of the R package rfm (rfm_segment, v0.2.2), with its "Lost / Hibernating"
# row split by recency. The ranges overlap, so ORDER MATTERS: the first rule that matches
# wins. The most specific rules come first; in rfm's own order (last match wins) Champions
# would all become Loyal Customers. Every rule here is reachable; 36 of the 125 score
# cells match none and are "Others".
RFM_RULES: tuple[RFMRule, ...] = (
    RFMRule("Champions", (4, 5), (4, 5), (4, 5)),
    RFMRule("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    RFMRule("New Customers", (4, 5), (1, 1), (1, 1)),
    RFMRule("Promising", (3, 4), (1, 1), (1, 1)),
    RFMRule("Lost", (1, 1), (1, 2), (1, 2)),
    RFMRule("Hibernating", (2, 2), (1, 2), (1, 2)),
    RFMRule("About To Sleep", (2, 3), (1, 2), (1, 2)),
    RFMRule("Need Attention", (2, 3), (2, 3), (2, 3)),
    RFMRule("At Risk", (1, 2), (2, 5), (2, 5)),
    RFMRule("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    RFMRule("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
)
RFM_OTHERS = "Others"


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Scores 1–5 by quintile of ``values`` (5 = best); ties share one score.

    A tie takes the score of its lowest-ranked member, so the 60 % of a log's
    customers who bought once all score 1 for frequency rather than being spread
    over 1–3 by row order (as ``ntile`` does).
    """
    ordered = values if higher_is_better else -values
    ranks = ordered.rank(method="min", na_option="bottom")
    scores = 1 + np.floor(5 * (ranks - 1) / max(1, len(values)))
    return scores.clip(1, 5).astype("int64")


def rfm_scores(customers: pd.DataFrame) -> pd.DataFrame:
    """R, F and M scores (1–5) and the named RFM segment of each customer.

    ``customers`` is the output of :func:`transactions_to_customers` (it needs
    ``recency_days``, ``frequency`` and ``monetary``). Recent customers score high
    on R. The segment is the first of :data:`RFM_RULES` that matches, else
    :data:`RFM_OTHERS`.

    Raises:
        ColumnNotFoundError: one of the three columns is missing.
    """
    for column in ("recency_days", "frequency", "monetary"):
        if column not in customers.columns:
            raise ColumnNotFoundError(
                "is needed for RFM scores but is not in the table.",
                column=column,
                hint="Score the output of transactions_to_customers (a transaction log).",
            )
    r = quintile_scores(customers["recency_days"], higher_is_better=False)
    f = quintile_scores(customers["frequency"])
    m = quintile_scores(customers["monetary"])
    segment = pd.Series(RFM_OTHERS, index=customers.index, dtype="object")
    unassigned = pd.Series(True, index=customers.index)
    for rule in RFM_RULES:
        hit = unassigned & rule.matches(r, f, m)
        segment[hit] = rule.name
        unassigned &= ~hit
    return pd.DataFrame(
        {"r_score": r, "f_score": f, "m_score": m, "rfm_segment": segment}, index=customers.index
    )


def rfm_segments(customers: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Segment numbers (0 = largest) and names of the named RFM segments of ``customers``.

    The segments of :func:`rfm_scores`; ``names[i]`` is the RFM name of segment ``i``.
    Ties in size are broken by the order of :data:`RFM_RULES` (``Others`` last).

    Raises:
        ColumnNotFoundError: ``recency_days``, ``frequency`` or ``monetary`` is missing.
    """
    named = rfm_scores(customers)["rfm_segment"].to_numpy()
    order = [rule.name for rule in RFM_RULES] + [RFM_OTHERS]
    counts = pd.Series(named).value_counts()
    names = sorted(counts.index, key=lambda name: (-int(counts[name]), order.index(name)))
    number = {name: i for i, name in enumerate(names)}
    return np.array([number[name] for name in named], dtype="int64"), list(names)
