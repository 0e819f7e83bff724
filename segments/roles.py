"""Column roles: what each column of a customer table is for.

A role decides whether a column becomes a clustering feature and how:

============  ==============================================================
identifier    customer IDs and other keys: never a feature
personal      names, emails, phones, addresses, IBANs, card numbers …: never a
              feature, never profiled, never exported (found by name and content)
numeric       numbers (scaled, log-transformed when skewed)
categorical   a handful of labels (one-hot, rare labels grouped as "other")
boolean       two values (yes/no, 0/1, true/false)
datetime      dates (turned into "days before the newest date")
text          free text: excluded
ignore        constant, empty, or an outcome kept out of clustering
============  ==============================================================

Outcome columns (campaign response, churn, conversion …) are found by name and
set to ``ignore`` so that segments are built from who customers are and how they
behave; the scorecard then judges whether the segments *respond differently* on
those outcomes (:func:`outcome_columns`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from segments.errors import ColumnNotFoundError, InvalidOptionError

__all__ = [
    "FEATURE_ROLES",
    "ROLES",
    "channel_columns",
    "infer_roles",
    "is_outcome_name",
    "outcome_columns",
    "type_role",
]

ROLES = (
    "identifier", "personal", "numeric", "categorical", "boolean", "datetime", "text", "ignore",
)  # fmt: skip
FEATURE_ROLES = frozenset({"numeric", "categorical", "boolean", "datetime"})

CATEGORY_LIMIT = 50
"""More distinct labels than this, in mostly distinct rows, makes a text column free text."""
_CONTENT_SAMPLE = 1000
_CONTENT_SHARE = 0.5

_PERSONAL_NAMES = re.compile(
    r"""^(?:
        (?:first|last|full|given|family|middle|sur|fore|customer|contact|user|account|
           holder|card_?holder|maiden|nick)_?name|name|surname|forename|names|
        e_?mail(?:_?addr\w*)?|mail|\w+_e_?mail(?:_?address)?|
        (?:mobile|cell|home|work|contact)?_?(?:phone|telephone|tel|mobile|fax)(?:_?(?:number|no|nr))?|
        \w+_phone(?:_?(?:number|no|nr))?|
        (?:street|home|postal|billing|shipping|mailing|delivery|email|ip|mac)?_?address(?:_?line_?\d)?|
        street|house_?(?:number|no)|addr\w*|post_?code|postal_?code|zip|zip_?code|
        iban|bic|swift|account_?(?:number|no|nr)|bank_?account|sort_?code|routing_?number|
        (?:credit_?|debit_?)?card(?:_?(?:number|no|nr))?|ccn|pan|cvv|cvc|
        ssn|social_?security(?:_?number)?|national_?(?:id|insurance)(?:_?number)?|nino|
        passport(?:_?(?:number|no))?|tax_?(?:id|number)|vat_?(?:id|number)|driver_?licen[cs]e\w*|
        dob|date_?of_?birth|birth_?date|birthday|
        ip|ip_?addr\w*|mac_?addr\w*|password|passwd|pwd|username|user_?name|login|
        latitude|longitude|lat|lon|lng|geo_?location|gps\w*
    )$""",
    re.VERBOSE,
)
_IDENTIFIER_NAMES = re.compile(
    r"^(?:id|uuid|guid|key|pk|\w+_id|\w+_uuid|\w+_key|"
    r"(?:customer|client|member|account|user|contact|person|cust|household|record|row)id|"
    r"(?:customer|client|member|account|user|contact|loyalty)_?(?:number|no|nr|num|code|ref))$"
)
_OUTCOME_NAMES = re.compile(
    r"(?:^|_)(?:respon(?:se|ded|der|ds)|converted|conversion|churn(?:ed)?|retained|retention|"
    r"clicked|opened|redeemed|unsubscribed|outcome|target|attrited|attrition|lapsed_flag)(?:_|$)"
)
_CHANNEL_NAMES = re.compile(
    r"(?:^|_)(?:channel|contact_?pref\w*|preferred_?contact\w*|opt_?in|opted_?in|consent|"
    r"newsletter|subscribed|marketing_?(?:ok|allowed|consent))(?:_|$)"
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?[\d\s().\-/]{7,24}")
_DATE_LIKE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
_CARD = re.compile(r"(?:\d[ -]?){13,19}")
_STREET = re.compile(
    r"^\d+[a-zA-Z]?,?\s+.*\b(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|close|court|"
    r"ct|place|pl|crescent|boulevard|blvd|terrace|square|sq|strasse|straße|str|weg|platz|allee|"
    r"gasse|rue|via|calle)\b|\b(?:street|road|lane|avenue|strasse|straße|weg)\s+\d+",
    re.IGNORECASE,
)
_PERSON = re.compile(r"[A-Z][a-zà-öø-ÿ'’\-]+(?: [A-Z][a-zà-öø-ÿ'’\-]+){1,2}")
_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_CODE = re.compile(r"[A-Za-z0-9_\-./#:]+")


def _normalise(name: object) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name).strip())
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def is_outcome_name(column: object) -> bool:
    """Whether a column name reads like an outcome (response, churn, conversion …)."""
    return bool(_OUTCOME_NAMES.search(_normalise(column)))


def _iban_ok(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    if not _IBAN.fullmatch(compact):
        return False
    moved = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def _luhn_ok(value: str) -> bool:
    digits = [int(ch) for ch in value if ch.isdigit()]
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _personal_by_content(values: pd.Series) -> str | None:
    """The kind of personal data most cells hold, or None."""
    sample = values.dropna().astype("str").str.strip()
    sample = sample[sample != ""].iloc[:_CONTENT_SAMPLE]
    if sample.empty:
        return None
    n = len(sample)

    def share(mask: pd.Series | list[bool]) -> float:
        return float(np.mean(mask)) if n else 0.0

    if share(sample.str.fullmatch(_EMAIL)) >= _CONTENT_SHARE:
        return "email"
    if share([_iban_ok(v) for v in sample]) >= _CONTENT_SHARE:
        return "IBAN"
    if share([bool(_CARD.fullmatch(v)) and _luhn_ok(v) for v in sample]) >= _CONTENT_SHARE:
        return "card number"
    phone = sample.str.fullmatch(_PHONE) & ~sample.str.fullmatch(_DATE_LIKE)
    phone &= sample.str.count(r"\d") >= 7
    phone &= sample.str.match(r"[+(0]") | sample.str.contains(r"\d[\s\-.]\d", regex=True)
    if share(phone) >= _CONTENT_SHARE:
        return "phone number"
    if share(sample.str.contains(_STREET)) >= _CONTENT_SHARE:
        return "postal address"
    if share(sample.str.fullmatch(_IP)) >= _CONTENT_SHARE:
        return "IP address"
    distinct = sample.nunique() / n
    if distinct >= 0.5 and n >= 5 and share(sample.str.fullmatch(_PERSON)) >= 0.8:
        return "person name"
    return None


def type_role(series: pd.Series) -> str:
    """The role a column gets from its values alone (no PII or identifier checks)."""
    present = series.dropna()
    if present.empty:
        return "ignore"
    if isinstance(series.dtype, pd.BooleanDtype) or pd.api.types.is_bool_dtype(series.dtype):
        return "boolean" if present.nunique() > 1 else "ignore"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "datetime" if present.nunique() > 1 else "ignore"
    n_unique = present.nunique()
    if n_unique <= 1:
        return "ignore"
    if pd.api.types.is_numeric_dtype(series.dtype):
        if n_unique == 2 and set(pd.unique(present)) <= {0, 1}:
            return "boolean"
        return "numeric"
    if isinstance(series.dtype, pd.CategoricalDtype):
        return "categorical"
    text = present.astype("str")
    if n_unique > CATEGORY_LIMIT and n_unique / len(present) > 0.5:
        return "text"
    if text.str.len().mean() > 60:
        return "text"
    return "categorical"


def _is_identifier(name: str, series: pd.Series, role: str) -> bool:
    present = series.dropna()
    if len(present) < 2:
        return False
    distinct = present.nunique() / len(present)
    if _IDENTIFIER_NAMES.match(name):
        return distinct >= 0.9 or role == "text"
    if distinct < 0.999 or len(present) < 20:
        return False
    if pd.api.types.is_integer_dtype(series.dtype):
        values = np.sort(present.to_numpy())
        return bool(np.all(np.diff(values) == 1))
    if role in ("text", "categorical"):
        sample = present.astype("str").iloc[:_CONTENT_SAMPLE]
        if sample.str.fullmatch(_UUID).mean() >= 0.9:
            return True
        lengths = sample.str.len()
        return bool(sample.str.fullmatch(_CODE).all() and lengths.max() - lengths.min() <= 2)
    return False


def infer_roles(
    frame: pd.DataFrame,
    *,
    overrides: Mapping[str, str] | None = None,
    id_column: str | None = None,
) -> dict[str, str]:
    """Give every column of ``frame`` a role (see the module docstring).

    ``overrides`` maps column names to roles and wins over inference (except that
    ``id_column``, when given, is always ``"identifier"``). Personal data is
    found by column name (``email``, ``phone``, ``iban`` …) and by content
    (e-mail addresses, IBANs with a valid checksum, Luhn-valid card numbers, phone
    numbers, street addresses, person names).

    Raises:
        ColumnNotFoundError: ``id_column`` or an override names a missing column.
        InvalidOptionError: an override is not one of :data:`ROLES`.
    """
    overrides = dict(overrides or {})
    columns = [str(c) for c in frame.columns]
    for column, role in overrides.items():
        if column not in columns:
            raise ColumnNotFoundError(
                "is named in the role overrides but is not in the table.",
                column=column,
                hint=f"Columns: {', '.join(map(repr, columns[:20]))}.",
            )
        if role not in ROLES:
            raise InvalidOptionError(
                f"role {role!r} is not known.",
                column=column,
                hint=f"Use one of: {', '.join(ROLES)}.",
            )
    if id_column is not None and id_column not in columns:
        raise ColumnNotFoundError(
            "is given as the customer ID column but is not in the table.",
            column=id_column,
            hint=f"Columns: {', '.join(map(repr, columns[:20]))}.",
        )
    roles: dict[str, str] = {}
    for original, column in zip(frame.columns, columns, strict=True):
        if column == id_column:
            roles[column] = "identifier"
        elif column in overrides:
            roles[column] = overrides[column]
        else:
            roles[column] = _infer_one(column, frame[original])
    return roles


def _infer_one(column: str, series: pd.Series) -> str:
    name = _normalise(column)
    if _PERSONAL_NAMES.match(name):
        return "personal"
    role = type_role(series)
    if _is_identifier(name, series, role):
        return "identifier"
    if role in ("text", "categorical") and _personal_by_content(series) is not None:
        return "personal"
    if role in ("numeric",) and pd.api.types.is_integer_dtype(series.dtype):
        digits = series.dropna().astype("int64").abs().astype("str").iloc[:_CONTENT_SAMPLE]
        if len(digits) and np.mean([_luhn_ok(v) and len(v) >= 15 for v in digits]) >= 0.5:
            return "personal"
    if role != "ignore" and is_outcome_name(column):
        return "ignore"
    return role


def outcome_columns(frame: pd.DataFrame, roles: Mapping[str, str]) -> list[str]:
    """Columns that measure a response (by name) and are not identifiers or personal data."""
    out = []
    for column in frame.columns:
        if roles.get(str(column)) in ("identifier", "personal", "text"):
            continue
        if is_outcome_name(column) and type_role(frame[column]) in ("boolean", "numeric"):
            out.append(str(column))
    return out


def channel_columns(frame: pd.DataFrame, roles: Mapping[str, str]) -> list[str]:
    """Columns that say how customers can be reached (channel, contact preference, opt-in)."""
    out = []
    for column in frame.columns:
        if roles.get(str(column)) not in ("categorical", "boolean", "ignore"):
            continue
        if _CHANNEL_NAMES.search(_normalise(column)) and type_role(frame[column]) in (
            "categorical",
            "boolean",
        ):
            out.append(str(column))
    return out
