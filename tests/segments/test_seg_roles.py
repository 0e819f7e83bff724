"""Column roles: personal data by name and by content, identifiers, types, overrides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segments import infer_roles
from segments.errors import ColumnNotFoundError, InvalidOptionError
from segments.roles import channel_columns, outcome_columns

N = 60


def _texts(values: list[str]) -> pd.Series:
    return pd.Series((values * N)[:N], dtype="str")


@pytest.mark.parametrize(
    "column",
    ["name", "First Name", "lastName", "email", "E-Mail", "work_email", "phone", "mobile",
     "phone_number", "iban", "address", "street_address", "postcode", "zip", "card_number",
     "ssn", "date_of_birth", "DOB", "ip_address", "username", "passport_no"],
)  # fmt: skip
def test_personal_data_found_by_name(column: str) -> None:
    frame = pd.DataFrame({column: np.arange(N) % 3, "spend": np.arange(N, dtype=float)})
    assert infer_roles(frame)[column] == "personal"


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["ada@example.com", "ben.x@example.org", "cy@mail.example.net"], "email"),
        (
            ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "GB33BUKB20201555555555"],
            "IBAN",
        ),
        (["4111 1111 1111 1111", "5500-0000-0000-0004", "340000000000009"], "card"),
        (["+44 20 7946 0958", "030 1234567", "(555) 010-4477"], "phone"),
        (["12 Birch Lane, Eastbrook", "7 High Street", "Hauptstraße 5"], "address"),
        (
            ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Tim Berners Lee"],
            "name",
        ),
    ],
)
def test_personal_data_found_by_content(values: list[str], kind: str) -> None:
    # Column names say nothing; the content must give it away.
    if kind == "name":
        column = pd.Series(
            [
                f"{v.split()[0]} {v.split()[-1]}{'x' * (i % 7)}"
                for i, v in enumerate(values * (N // len(values)))
            ],
            dtype="str",
        )
    else:
        column = _texts(values)
    frame = pd.DataFrame({"field_7": column, "spend": np.arange(N, dtype=float)})
    assert infer_roles(frame)["field_7"] == "personal", kind


def test_invalid_checksums_are_not_personal() -> None:
    frame = pd.DataFrame({"code": _texts(["GB00 WEST 1234 5698 7654 32", "XX12ABCDEFGHIJKLM"])})
    assert infer_roles(frame)["code"] != "personal"


def test_types_identifiers_and_ignored_columns() -> None:
    n = 100
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "row": np.arange(n),
            "age": np.arange(n) % 50 + 18,
            "spend": np.linspace(0, 1000, n),
            "channel": ["email", "app", "store", "sms"] * 25,
            "vip": pd.array([True, False] * 50, dtype="boolean"),
            "opted_in": [0, 1] * 50,
            "joined": pd.date_range("2020-01-01", periods=n, freq="D"),
            "comment": [f"free text number {i} with some words in it" for i in range(n)],
            "constant": ["x"] * n,
            "empty": [np.nan] * n,
            "churned": [0, 1] * 50,
        }
    )
    roles = infer_roles(frame)
    assert roles == {
        "customer_id": "identifier",
        "row": "identifier",
        "age": "numeric",
        "spend": "numeric",
        "channel": "categorical",
        "vip": "boolean",
        "opted_in": "boolean",
        "joined": "datetime",
        "comment": "text",
        "constant": "ignore",
        "empty": "ignore",
        "churned": "ignore",
    }
    assert outcome_columns(frame, roles) == ["churned"]
    assert channel_columns(frame, roles) == ["channel", "opted_in"]


def test_id_named_low_cardinality_column_is_a_category() -> None:
    frame = pd.DataFrame({"store_id": ["s1", "s2", "s3"] * 20, "spend": np.arange(60.0)})
    assert infer_roles(frame)["store_id"] == "categorical"


def test_overrides_and_id_column_win() -> None:
    frame = pd.DataFrame({"email": ["a@example.com"] * 3, "key": [1, 2, 3], "x": [1.0, 2.0, 3.0]})
    roles = infer_roles(frame, overrides={"x": "ignore"}, id_column="key")
    assert roles["key"] == "identifier"
    assert roles["x"] == "ignore"
    assert roles["email"] == "personal"


def test_bad_overrides_raise_named_errors() -> None:
    frame = pd.DataFrame({"x": [1, 2]})
    with pytest.raises(ColumnNotFoundError, match="'nope'"):
        infer_roles(frame, overrides={"nope": "numeric"})
    with pytest.raises(InvalidOptionError, match="role 'feature'"):
        infer_roles(frame, overrides={"x": "feature"})
    with pytest.raises(ColumnNotFoundError, match="customer ID"):
        infer_roles(frame, id_column="id")
