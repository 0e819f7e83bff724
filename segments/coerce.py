"""Typing raw cells: text (or mixed Python values) into numbers, booleans, dates or strings.

One rule set for every file format, so a column means the same thing whether it
came from CSV, XLSX or JSON:

* missing: empty cells and the usual tokens (``NA``, ``n/a``, ``null``, ``-``, ``#DIV/0!`` …);
* boolean: only ``true``/``false``/``yes``/``no`` (any case);
* numeric: at least 90 % of the non-missing cells read as numbers, allowing a
  currency symbol, thousands separators and a decimal comma; codes with leading
  zeros (``00123``) and digit strings of 16+ characters stay text; infinities
  become missing;
* datetime: at least 90 % ISO dates, or day/month/year dates whose order is
  unambiguous; mixed or ambiguous formats stay text, with a warning;
* everything else: stripped strings.

Every value changed on the way (not a number, infinite, not a date) is counted in
a warning; nothing is printed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

NA_TOKENS = frozenset(
    {
        "", "na", "n/a", "n.a.", "nan", "null", "none", "nil", "-", "--", "?", "missing",
        "#n/a", "#na", "#null!", "#div/0!", "#value!", "#ref!", "#name?", "#num!",
    }
)  # fmt: skip
_TRUE = frozenset({"true", "yes"})
_FALSE = frozenset({"false", "no"})

NUMERIC_SHARE = 0.9
"""Share of non-missing cells that must read as numbers (or dates) for the column to."""

_CURRENCY = r"[€$£¥]"
_CURRENCY_STRIP = re.compile(rf"^{_CURRENCY}\s?|\s?{_CURRENCY}$")
_SPACE_GROUPS = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?:\D|$))")
_LEADING_ZERO = r"[+-]?0\d"
_LONG_DIGITS = r"\d{16,}"
# Decimal-comma style: 1.234,56 / 1234,5 / 1.234
_EU = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"
# Decimal-point style with comma groups: 1,234.56 / 1,234
_US_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
# Values that can only be read one way.
_EU_ONLY = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+,\d+|\d+,(?:\d{1,2}|\d{4,}))")
_US_ONLY = re.compile(
    r"[+-]?(?:\d{1,3}(?:,\d{3})+\.\d+|\d*\.(?:\d{1,2}|\d{4,})|\d+\.\d*[eE][+-]?\d+)"
)

_ISO_DATE = (
    r"\d{4}-\d{1,2}-\d{1,2}"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
_DMY_DATE = r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?"

_SNIFF_SIZE = 1000
DATETIME_DTYPE = "datetime64[us]"


def _examples(values: pd.Series, n: int = 3) -> str:
    shown = [repr(v if len(v) <= 30 else v[:27] + "...") for v in pd.unique(values)[:n]]
    return ", ".join(shown)


def _prefix(source: str, column: str) -> str:
    return f"{source}, column {column!r}:"


def _normalise(text: pd.Series) -> pd.Series:
    text = text.astype("str").str.strip()
    missing = text.isna() | text.str.lower().isin(NA_TOKENS)
    return text.mask(missing)


def normalise_missing(values: pd.Series) -> pd.Series:
    """Strip whitespace and turn missing-value tokens into NaN; returns a ``str`` Series."""
    if len(values) < 10_000 or values.iloc[:10_000].nunique() > 2_500:
        return _normalise(values)
    # Long columns usually repeat a few labels: clean each distinct label once.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) > len(values) // 4:
        return _normalise(values)
    cleaned = _normalise(pd.Series(uniques, dtype="object")).to_numpy(dtype=object)
    table = np.append(cleaned, np.nan)
    return pd.Series(table[codes], index=values.index, dtype="str")


def _to_boolean(present: pd.Series, index: pd.Index) -> pd.Series | None:
    words = list(_TRUE | _FALSE)
    if not present.iloc[:_SNIFF_SIZE].str.lower().isin(words).all():
        return None
    lowered = present.str.lower()
    if not lowered.isin(words).all():
        return None
    out = pd.Series(pd.NA, index=index, dtype="boolean")
    out[present.index] = lowered.isin(_TRUE).to_numpy()
    return out


def _decimal_convention(uniques: np.ndarray, decimal_comma: bool) -> str:
    eu = sum(1 for v in uniques if _EU_ONLY.fullmatch(v))
    us = sum(1 for v in uniques if _US_ONLY.fullmatch(v))
    if eu != us:
        return "eu" if eu > us else "us"
    return "eu" if decimal_comma else "us"


def _parse_numbers(present: pd.Series, decimal_comma: bool) -> tuple[pd.Series, list[str]]:
    """Parse stripped non-missing strings; NaN where a value is not a number."""
    notes: list[str] = []
    text = present
    has_currency = text.str.contains(_CURRENCY, regex=True)
    if has_currency.any():
        symbols = sorted(set("".join(text[has_currency].tolist())) & set("€$£¥"))
        text = text.str.replace(_CURRENCY_STRIP, "", regex=True)
        notes.append(f"removed currency symbols ({''.join(symbols)})")
    text = text.str.replace(_SPACE_GROUPS, "", regex=True)
    punctuated = text[text.str.contains(r"[.,]", regex=True)]
    if punctuated.empty:
        return pd.to_numeric(text, errors="coerce").astype("float64"), notes
    uniques = pd.unique(punctuated)[:5000]
    if _decimal_convention(uniques, decimal_comma) == "eu":
        valid = text.str.fullmatch(_EU)
        cleaned = text.where(valid).str.replace(".", "", regex=False)
        cleaned = cleaned.str.replace(",", ".", regex=False)
        if text.str.contains(",", regex=False).any():
            notes.append("read ',' as the decimal mark")
        return pd.to_numeric(cleaned, errors="coerce").astype("float64"), notes
    grouped = text.str.fullmatch(_US_GROUPED)
    cleaned = text.mask(grouped, text.str.replace(",", "", regex=False))
    return pd.to_numeric(cleaned, errors="coerce").astype("float64"), notes


def _looks_like_codes(present: pd.Series) -> bool:
    return bool(present.str.match(_LEADING_ZERO).any() or present.str.fullmatch(_LONG_DIGITS).any())


def _finish_numbers(
    numbers: pd.Series, *, source: str, column: str, warnings: list[str]
) -> pd.Series:
    """Infinities to NaN (with a count); int64 when every value is a whole number."""
    infinite = np.isinf(numbers.to_numpy())
    if infinite.any():
        warnings.append(
            f"{_prefix(source, column)} {int(infinite.sum())} infinite or out-of-range values "
            "(inf, 1e309 …) were treated as missing."
        )
        numbers = numbers.mask(infinite)
    values = numbers.to_numpy()
    if (
        len(values)
        and not np.isnan(values).any()
        and np.all(np.mod(values, 1) == 0)
        and np.all(np.abs(values) < 2**53)
    ):
        return numbers.astype("int64")
    return numbers.astype("float64")


def _try_numeric(
    text: pd.Series,
    present: pd.Series,
    *,
    source: str,
    column: str,
    decimal_comma: bool,
    warnings: list[str],
) -> pd.Series | None:
    head = present.iloc[:_SNIFF_SIZE]
    if _looks_like_codes(head):
        return None
    sniffed, _ = _parse_numbers(head, decimal_comma)
    if sniffed.notna().mean() < NUMERIC_SHARE:
        return None
    if _looks_like_codes(present):
        return None
    parsed, notes = _parse_numbers(present, decimal_comma)
    ok = parsed.notna()
    if ok.mean() < NUMERIC_SHARE:
        return None
    messages = list(notes)
    bad = present[~ok]
    if len(bad):
        messages.append(
            f"{len(bad)} of {len(present)} values are not numbers and were treated as "
            f"missing (e.g. {_examples(bad)})"
        )
    if messages:
        warnings.append(f"{_prefix(source, column)} {'; '.join(messages)}.")
    numbers = pd.Series(np.nan, index=text.index, dtype="float64")
    numbers[present.index] = parsed.to_numpy()
    return _finish_numbers(numbers, source=source, column=column, warnings=warnings)


def _dmy_order(parts: pd.DataFrame) -> str | None:
    """'dmy', 'mdy', or None when the order cannot be told or contradicts itself."""
    first = parts[0].astype("int64")
    second = parts[2].astype("int64")
    if (parts[1] == ".").all():
        return "dmy"
    day_first = bool((first > 12).any())
    month_first = bool((second > 12).any())
    if day_first and not month_first:
        return "dmy"
    if month_first and not day_first:
        return "mdy"
    return None


def _try_datetime(
    text: pd.Series, present: pd.Series, *, source: str, column: str, warnings: list[str]
) -> pd.Series | None:
    head = present.iloc[:_SNIFF_SIZE]
    iso_head = head.str.fullmatch(_ISO_DATE)
    dmy_head = head.str.fullmatch(_DMY_DATE)
    if (iso_head | dmy_head).mean() < NUMERIC_SHARE:
        return None
    iso = present.str.fullmatch(_ISO_DATE)
    dmy = present.str.fullmatch(_DMY_DATE)
    if (iso | dmy).mean() < NUMERIC_SHARE:
        return None
    where = _prefix(source, column)
    if iso.any() and dmy.any():
        warnings.append(
            f"{where} dates in mixed formats (e.g. {_examples(present[dmy], 1)} and "
            f"{_examples(present[iso], 1)}); kept as text. Convert the column to YYYY-MM-DD."
        )
        return None
    if iso.any():
        parsed = pd.to_datetime(present.where(iso), format="ISO8601", errors="coerce", utc=True)
        parsed = parsed.dt.tz_localize(None)
        candidates = iso
    else:
        parts = present[dmy].str.extract(_DMY_DATE)
        order = _dmy_order(parts)
        if order is None:
            warnings.append(
                f"{where} dates such as {_examples(present[dmy], 1)} could be day/month or "
                "month/day; kept as text. Convert the column to YYYY-MM-DD."
            )
            return None
        day, month = (parts[0], parts[2]) if order == "dmy" else (parts[2], parts[0])
        iso_text = parts[3] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
        iso_text = iso_text.mask(parts[4].notna(), iso_text + " " + parts[4].fillna(""))
        parsed = pd.to_datetime(iso_text, format="ISO8601", errors="coerce")
        parsed = parsed.reindex(present.index)
        candidates = dmy
    bad = present[candidates & parsed.isna()]
    other = present[~candidates]
    if len(bad) or len(other):
        warnings.append(
            f"{where} {len(bad) + len(other)} of {len(present)} values are not valid dates and "
            f"were treated as missing (e.g. {_examples(pd.concat([bad, other]))})."
        )
    out = pd.Series(pd.NaT, index=text.index, dtype=DATETIME_DTYPE)
    out[present.index] = parsed.astype(DATETIME_DTYPE).to_numpy()
    return out


def coerce_text_column(
    values: pd.Series,
    *,
    column: str,
    source: str,
    warnings: list[str],
    decimal_comma: bool = False,
) -> pd.Series:
    """Type one column of text cells; appends a sentence to ``warnings`` per change.

    ``decimal_comma`` breaks ties for values such as ``1,234`` (a ``;``-separated
    file is a European export).
    """
    text = normalise_missing(values)
    present = text.dropna()
    if present.empty:
        return pd.Series(np.nan, index=text.index, dtype="float64")
    as_bool = _to_boolean(present, text.index)
    if as_bool is not None:
        return as_bool
    numbers = _try_numeric(
        text, present, source=source, column=column, decimal_comma=decimal_comma,
        warnings=warnings,
    )  # fmt: skip
    if numbers is not None:
        return numbers
    dates = _try_datetime(text, present, source=source, column=column, warnings=warnings)
    if dates is not None:
        return dates
    return text


def _cell_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def coerce_value_column(
    values: Sequence[object],
    *,
    column: str,
    source: str,
    warnings: list[str],
) -> pd.Series:
    """Type one column of Python values (from XLSX or JSON) with the same rules as text.

    A column of only numbers, only booleans or only dates keeps that type; anything
    mixed is read as text and typed like a CSV column.
    """
    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    index = pd.RangeIndex(len(values))
    if not present:
        return pd.Series(np.nan, index=index, dtype="float64")
    if all(isinstance(v, bool) for v in present):
        return pd.Series(values, index=index, dtype="boolean")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        try:
            floats = np.array([np.nan if v is None else float(v) for v in values], dtype="float64")  # type: ignore[arg-type]
        except OverflowError:
            floats = None
        if floats is not None:
            return _finish_numbers(
                pd.Series(floats, index=index), source=source, column=column, warnings=warnings
            )
    if all(isinstance(v, dt.datetime | dt.date) for v in present):
        stamps = pd.to_datetime(
            pd.Series([None if v is None else pd.Timestamp(v) for v in values], dtype="object"),
            errors="coerce",
            utc=True,
        ).dt.tz_localize(None)
        return stamps.astype(DATETIME_DTYPE).set_axis(index)
    text = pd.Series(
        [None if v is None else _cell_text(v) for v in values], index=index, dtype="str"
    )
    return coerce_text_column(text, column=column, source=source, warnings=warnings)
