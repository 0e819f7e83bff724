"""Data dictionaries: read whole or not at all; the one function that turns a name into words."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from segments.dictionary import DataDictionary, humanise, looks_like_code, read_dictionary
from segments.errors import ColumnNotFoundError, MalformedTableError

COLUMNS = ["customer_id", "MOPLLAAG", "MZFONDS", "tenure"]


def _write(tmp_path: Path, text: str, name: str = "dictionary.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_dictionary_describes_coded_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "column,description,unit\n"
        "MOPLLAAG,lower level education in the area,%\n"
        "MZFONDS,national health service,\n",
    )
    dictionary = read_dictionary(path, columns=COLUMNS)
    assert dictionary.describe("MOPLLAAG") == "lower level education in the area"
    assert dictionary.unit("MOPLLAAG") == "%"
    assert dictionary.describe("tenure") == "tenure"  # not described: humanised
    assert dictionary.coded_names(COLUMNS) == []
    assert DataDictionary.from_dict(dictionary.to_dict()).describe("MZFONDS") == (
        "national health service"
    )


def test_a_json_object_dictionary(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"MOPLLAAG": "lower education"}', "d.json")
    assert read_dictionary(path, columns=COLUMNS).describe("MOPLLAAG") == "lower education"


def test_a_dictionary_naming_columns_not_in_the_table_is_refused_whole(tmp_path: Path) -> None:
    path = _write(tmp_path, "column,description\nMOPLLAAG,education\nMXYZ,unknown\nMQ,other\n")
    with pytest.raises(ColumnNotFoundError) as caught:
        read_dictionary(path, columns=COLUMNS)
    assert "2 column(s) that are not in the table: 'MXYZ', 'MQ'" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,words\nMOPLLAAG,education\n", "needs a 'column' and a 'description' column"),
        ("column,description\nMOPLLAAG,\n", "line 2: column 'MOPLLAAG' has an empty description"),
        ("column,description\nMZFONDS,a\nMZFONDS,b\n", "line 3: column 'MZFONDS' is described"),
    ],
)
def test_malformed_dictionaries_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MalformedTableError, match=message):
        read_dictionary(_write(tmp_path, text), columns=COLUMNS)


def test_without_a_dictionary_codes_are_reported_once() -> None:
    warning = DataDictionary().warning(COLUMNS)
    assert warning is not None
    assert "2 column name(s) look like codes (MOPLLAAG, MZFONDS)" in warning
    assert DataDictionary().warning(["customer_id", "tenure"]) is None


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("days_since_last_order", "days since last order"),
        ("avgBasketValue", "avg basket value"),
        ("NPS_score", "NPS score"),
        ("last_order_days_ago", "last order"),
    ],
)
def test_humanise(name: str, words: str) -> None:
    assert humanise(name) == words


@pytest.mark.parametrize(
    ("name", "coded"),
    [("MOPLLAAG", True), ("PWAPART", True), ("Q17b", True), ("tenure", False),
     ("household_size", False), ("NPS", False), ("monthly_charges", False)],
)  # fmt: skip
def test_looks_like_code(name: str, coded: bool) -> None:
    assert looks_like_code(name) is coded


def test_real_wa_churn_names_read_as_words() -> None:
    from tests.support.real_data import rdataset

    frame: pd.DataFrame = rdataset("modeldata", "wa_churn")
    assert DataDictionary().coded_names(frame.columns) == []
