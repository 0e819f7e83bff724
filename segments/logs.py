"""Transaction logs: recognise one, pick its columns, and clean it before aggregation.

A transaction log has one row per purchase: a customer column whose ids repeat,
a date column and an amount column (or a unit price and a quantity). The CLI and
the app recognise it the same way, by column names first and by the values
second, and say which columns they chose::

    columns = segments.recognise_log(frame)          # None when it is not a log
    columns = segments.log_columns(frame, date="order_date")   # fill in the rest
    customers = segments.transactions_to_customers(frame, **columns.options())
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from segments.errors import ColumnNotFoundError

__all__ = ["LogColumns", "log_columns", "parse_dates", "recognise_log"]

# Name cues, strongest first. Names are compared in snake_case (``OrderDate`` → order_date).
_CUSTOMER_NAMES = (
    "customer_id", "customerid", "cust_id", "client_id", "member_id", "account_id",
    "user_id", "shopper_id", "buyer_id", "customer", "client", "member", "account", "user",
)  # fmt: skip
_DATE_NAMES = (
    "order_date", "invoice_date", "purchase_date", "transaction_date", "sale_date",
    "date", "order_time", "invoice_time", "purchase_time", "timestamp", "datetime",
    "created_at", "ordered_at", "purchased_at", "time", "day",
)  # fmt: skip
_AMOUNT_NAMES = (
    "amount", "revenue", "sales", "sale_amount", "order_value", "order_total", "total",
    "line_total", "value", "spend", "monetary", "net_amount", "gross_amount", "sum",
    "payment", "price_total",
)  # fmt: skip
_PRICE_NAMES = ("unit_price", "price", "unitprice", "item_price", "price_each")
_QUANTITY_NAMES = ("quantity", "qty", "units", "unit_count", "items", "n_items", "count")

# A date written as 8 digits (19970101) or in a common textual form.
_YYYYMMDD = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_SAMPLE = 500
# Share of readable cells a column needs: a column named like a date may hold some
# bad cells (counted later); a column picked by its values alone must be clean.
_SHARE_BY_NAME = 0.5
_SHARE_BY_VALUES = 0.9


@dataclass(frozen=True)
class LogColumns:
    """The columns of a transaction log, and how each was chosen.

    ``quantity`` is set only when ``amount`` is a unit price: the line amount is
    then ``amount × quantity``. ``how`` says in words how the columns were found.
    """

    customer: str
    date: str
    amount: str
    quantity: str | None = None
    how: tuple[str, ...] = ()

    def options(self) -> dict[str, str | None]:
        """Keyword arguments for :func:`segments.transactions_to_customers`."""
        return {
            "customer_column": self.customer,
            "date_column": self.date,
            "amount_column": self.amount,
            "quantity_column": self.quantity,
        }

    def describe(self) -> str:
        """One sentence a user can check: which column plays which part."""
        amount = (
            f"amount = {self.amount!r} × {self.quantity!r}"
            if self.quantity
            else f"amount {self.amount!r}"
        )
        return f"Transaction log columns: customer {self.customer!r}, date {self.date!r}, {amount}."


def _snake(name: object) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name).strip())
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _by_name(columns: Iterable[str], cues: tuple[str, ...]) -> list[str]:
    """Columns whose snake_case name is a cue or ends in ``_<cue>``, best cue first."""
    ranked: list[tuple[int, int, str]] = []
    for position, column in enumerate(columns):
        name = _snake(column)
        for rank, cue in enumerate(cues):
            if name == cue or name.endswith(f"_{cue}") or name.startswith(f"{cue}_"):
                ranked.append((rank, position, column))
                break
    return [column for _, _, column in sorted(ranked)]


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates from ``values``: datetimes as they are, ISO text, or 8-digit ``YYYYMMDD``.

    Cells that are none of these become ``NaT``. Day/month order is never guessed:
    ``03/04/2024`` is left unread unless every such cell is unambiguous ISO.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.to_datetime(values)
        return parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed
    text = values.astype("string").str.strip()
    if pd.api.types.is_numeric_dtype(values.dtype):
        text = text.str.replace(r"\.0$", "", regex=True)
    compact = text.str.fullmatch(_YYYYMMDD.pattern).fillna(False).astype(bool)
    result = pd.to_datetime(text.where(~compact), format="ISO8601", errors="coerce", utc=True)
    result = result.dt.tz_localize(None)
    if compact.any():
        result[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
    return result


def _looks_like_dates(values: pd.Series, share: float) -> bool:
    sample = values.dropna().iloc[:_SAMPLE]
    if sample.empty:
        return False
    if pd.api.types.is_numeric_dtype(sample.dtype) and not pd.api.types.is_integer_dtype(
        sample.dtype
    ):
        return False
    return float(parse_dates(sample).notna().mean()) >= share


def _looks_like_amounts(values: pd.Series, share: float) -> bool:
    if pd.api.types.is_bool_dtype(values.dtype):
        return False
    numbers = pd.to_numeric(values.iloc[:_SAMPLE], errors="coerce")
    return bool(numbers.notna().mean() >= share and numbers.nunique() > 2)


def _repeats(values: pd.Series, _share: float = 0.0) -> bool:
    present = values.dropna()
    return len(present) > 0 and present.nunique() < len(present)


def _pick(
    frame: pd.DataFrame,
    given: str | None,
    what: str,
    cues: tuple[str, ...],
    shape: Callable[[pd.Series, float], bool] | None,
    taken: set[str],
    how: list[str],
) -> str | None:
    columns = [str(c) for c in frame.columns]
    if given is not None:
        if given not in columns:
            raise ColumnNotFoundError(
                f"is given as the {what} column but is not in the table.",
                column=given,
                hint=f"Columns seen: {_listing(columns)}.",
            )
        how.append(f"{what} {given!r} as given")
        return given
    check = shape or (lambda _series, _share: True)
    for column in _by_name([c for c in columns if c not in taken], cues):
        if check(frame[column], _SHARE_BY_NAME):
            how.append(f"{what} {column!r} by its name")
            return column
    for column in columns:
        if column not in taken and check(frame[column], _SHARE_BY_VALUES):
            how.append(f"{what} {column!r} by its values")
            return column
    return None


def _listing(columns: list[str], limit: int = 20) -> str:
    shown = ", ".join(map(repr, columns[:limit]))
    return shown + (f" and {len(columns) - limit} more" if len(columns) > limit else "")


def log_columns(
    frame: pd.DataFrame,
    *,
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    quantity: str | None = None,
    roles: Mapping[str, str] | None = None,
) -> LogColumns:
    """The log's customer, date and amount columns: the given ones, the rest found.

    A column named like a unit price (``price``, ``unit_price``) with a quantity
    column next to it becomes ``price × quantity``; a ``quantity`` given by the
    caller always means that ``amount`` is a unit price.

    Raises:
        ColumnNotFoundError: a given column is missing, or one of the three cannot
            be found; the message lists the columns seen and the options to name them.
    """
    how: list[str] = []
    taken: set[str] = set()
    identifiers = {c for c, r in (roles or {}).items() if r == "identifier"}
    found_customer = _pick(
        frame,
        customer,
        "customer",
        _CUSTOMER_NAMES,
        lambda series, _share: series.name in identifiers or _repeats(series),
        taken,
        how,
    )
    taken |= {found_customer} if found_customer else set()
    found_date = _pick(frame, date, "date", _DATE_NAMES, _looks_like_dates, taken, how)
    taken |= {found_date} if found_date else set()
    found_quantity = quantity
    if quantity is not None:
        _pick(frame, quantity, "quantity", (), None, taken, how)
        taken.add(quantity)
    found_amount = _pick(frame, amount, "amount", _AMOUNT_NAMES, _looks_like_amounts, taken, how)
    if amount is None and (found_amount is None or how[-1].endswith("by its values")):
        price = _by_name([c for c in map(str, frame.columns) if c not in taken], _PRICE_NAMES)
        units = found_quantity or next(
            iter(_by_name([c for c in map(str, frame.columns) if c not in taken], _QUANTITY_NAMES)),
            None,
        )
        if price and units and _looks_like_amounts(frame[price[0]], _SHARE_BY_NAME):
            if found_amount is not None:
                how.pop()
            found_amount, found_quantity = price[0], units
            how.append(f"amount {price[0]!r} × {units!r} (a unit price times a quantity)")
    missing = [
        (what, option)
        for what, option, value in (
            ("customer", "--customer-column", found_customer),
            ("date", "--date-column", found_date),
            ("amount", "--amount-column", found_amount),
        )
        if value is None
    ]
    if missing:
        columns = [str(c) for c in frame.columns]
        whats = " and ".join(what for what, _ in missing)
        options = ", ".join(option for _, option in missing)
        raise ColumnNotFoundError(
            f"no {whats} column was recognised in the transaction log.",
            column=None,
            hint=f"Columns seen: {_listing(columns)}. Name them with {options}.",
        )
    assert found_customer and found_date and found_amount
    return LogColumns(found_customer, found_date, found_amount, found_quantity, tuple(how))


def recognise_log(frame: pd.DataFrame, roles: Mapping[str, str] | None = None) -> LogColumns | None:
    """The log's columns when ``frame`` has the shape of a purchase log, else ``None``.

    The shape: a customer column (named like one, or given the identifier role)
    whose ids repeat, a date column and an amount column. A customer table, with
    one row per customer, is never taken for a log.
    """
    try:
        columns = log_columns(frame, roles=roles)
    except ColumnNotFoundError:
        return None
    customer_by_values = columns.how[0].endswith("by its values")
    identifier = (roles or {}).get(columns.customer) == "identifier"
    if (customer_by_values and not identifier) or not _repeats(frame[columns.customer]):
        return None
    return columns
