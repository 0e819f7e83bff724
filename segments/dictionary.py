"""A data dictionary: what each column of a customer table means, in words.

Real CRM exports are full of coded names (``MOPLLAAG``, ``MZFONDS``); their owners
keep a dictionary beside them. With one, every name that reaches a person or a
model is its description; without one, names are humanised (``days_since_last_order``
→ "days since last order") and names that look like codes are reported once::

    dictionary = segments.read_dictionary("columns.csv", columns=frame.columns)
    dictionary.describe("MOPLLAAG")   # "lower level education (share of the area)"

The file is a CSV, XLSX, JSON or JSONL table with the columns ``column`` and
``description`` (``unit``, ``role`` and ``group`` are optional: a ``group`` names a
family of columns that together measure one thing, weighed as about one column in
the clustering, see :mod:`segments.balance`); a JSON object
``{"COLUMN": "description", ...}`` works too. A dictionary is applied whole or
not at all: every problem is reported before anything uses it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from segments.errors import ColumnNotFoundError, MalformedTableError
from segments.load import read_table

__all__ = ["ColumnInfo", "DataDictionary", "humanise", "looks_like_code", "read_dictionary"]

_NAME_COLUMNS = ("column", "name", "field", "variable", "column_name")
_DESCRIPTION_COLUMNS = ("description", "meaning", "label", "definition")
_MAX_DESCRIPTION = 120
_VOWELS = set("aeiouy")
_DAYS_AGO = "_days_ago"


@dataclass(frozen=True)
class ColumnInfo:
    """What one column means: a description, and optionally its unit, role and group."""

    description: str
    unit: str | None = None
    role: str | None = None
    group: str | None = None
    """The family of columns it belongs to (``area demographics``, ``policies`` …): a
    group weighs about as one column in the clustering (:mod:`segments.balance`)."""


def humanise(name: str) -> str:
    """A column name as words: ``days_since_last_order`` → ``days since last order``.

    camelCase and PascalCase are split (``avgBasketValue`` → ``avg basket value``);
    a trailing ``_days_ago`` is dropped (the value is a number of days already).
    """
    text = re.sub(r"_days_ago$", "", str(name))
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    words = re.split(r"[_\s.\-]+", text.strip())
    # Acronyms and codes (NPS, MOPLLAAG) keep their capitals; other words are lower case.
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words if w)


def looks_like_code(name: str) -> bool:
    """Whether a column name reads like a code rather than words (``MOPLLAAG``, ``Q17b``).

    A code: one word (no separator) that is letters glued to digits (``Q17b``; ``var_03``
    is not one), all capitals of five or more letters, a run of five consonants, or
    no vowel at all. Short acronyms (``NPS``, ``ARPU``) are not codes.
    """
    text = str(name).strip()
    words = [w for w in re.split(r"[_\s.\-]+", text) if w]
    if len(words) != 1:
        return False
    word = words[0]
    if re.fullmatch(r"[A-Za-z]+\d+[A-Za-z]*", word):
        return True
    letters = word.lower()
    if not letters.isalpha():
        return False
    if word.isupper():
        return len(word) >= 5  # NPS, VIP, ARPU are acronyms people read; MOPLLAAG is not
    return bool(re.search(r"[^aeiouy]{5,}", letters)) or not (_VOWELS & set(letters))


@dataclass(frozen=True)
class DataDictionary:
    """Descriptions of a table's columns; :meth:`describe` is the one name-to-words function."""

    columns: Mapping[str, ColumnInfo] = field(default_factory=dict)
    source: str | None = None

    def describe(self, column: str) -> str:
        """The words to show for ``column``: its description, else its humanised name."""
        name = str(column)
        info = self.columns.get(name)
        if info is None and name.endswith(_DAYS_AGO):
            # A date column is profiled as "<column>_days_ago"; its description still applies.
            info = self.columns.get(name[: -len(_DAYS_AGO)])
        return info.description if info is not None else humanise(name)

    def unit(self, column: str) -> str | None:
        """The unit of ``column`` from the dictionary, if it gives one."""
        info = self.columns.get(str(column))
        return info.unit if info is not None else None

    def roles(self) -> dict[str, str]:
        """Column → the role the dictionary gives it (lower case), where it gives one."""
        return {n: i.role.strip().lower() for n, i in self.columns.items() if i.role}

    def groups(self) -> dict[str, list[str]]:
        """Group name → its columns, for the groups the dictionary declares."""
        out: dict[str, list[str]] = {}
        for name, info in self.columns.items():
            if info.group:
                out.setdefault(info.group, []).append(name)
        return out

    def coded_names(self, columns: Iterable[str]) -> list[str]:
        """Columns that look like codes and that this dictionary does not describe."""
        return [str(c) for c in columns if str(c) not in self.columns and looks_like_code(str(c))]

    def warning(self, columns: Iterable[str]) -> str | None:
        """One sentence about coded names without a description, or ``None``."""
        coded = self.coded_names(columns)
        if not coded:
            return None
        shown = ", ".join(coded[:8]) + (f" and {len(coded) - 8} more" if len(coded) > 8 else "")
        return (
            f"{len(coded)} column name(s) look like codes ({shown}); labels, personas and "
            "prompts will show them as they are. Pass a data dictionary (a CSV with columns "
            "'column,description', --dictionary in the CLI) to have them described in words."
        )

    def to_dict(self) -> dict[str, dict[str, str | None]]:
        """JSON-safe form, for storing with a segmentation."""
        return {
            name: {
                "description": info.description,
                "unit": info.unit,
                "role": info.role,
                "group": info.group,
            }
            for name, info in self.columns.items()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, str | None]]) -> DataDictionary:
        """The inverse of :meth:`to_dict`."""
        return cls(
            {
                str(name): ColumnInfo(
                    str(info["description"]),
                    info.get("unit") or None,
                    info.get("role") or None,
                    info.get("group") or None,
                )
                for name, info in data.items()
            }
        )


def _pick(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lowered = {str(c).strip().lower(): str(c) for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _frame_of(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise MalformedTableError(
                f"the data dictionary is not valid JSON ({error}).",
                source=path.name,
                hint="Write it as a CSV with columns 'column,description', or fix the JSON.",
            ) from error
        if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
            return pd.DataFrame({"column": list(data), "description": list(data.values())})
    return read_table(path).frame


def read_dictionary(path: Path | str, *, columns: Iterable[str] | None = None) -> DataDictionary:
    """Read a data dictionary file and check it against the table's ``columns``.

    Raises:
        MalformedTableError: the file has no column/description columns, an empty
            description, or names a column twice (the row is named).
        ColumnNotFoundError: it describes columns that are not in the table.
        segments.IngestError: the file cannot be read at all (missing, wrong format…).
    """
    p = Path(path)
    frame = _frame_of(p)
    name_column = _pick(frame, _NAME_COLUMNS)
    description_column = _pick(frame, _DESCRIPTION_COLUMNS)
    if name_column is None or description_column is None:
        raise MalformedTableError(
            "a data dictionary needs a 'column' and a 'description' column; it has "
            f"{', '.join(map(repr, map(str, frame.columns[:10])))}.",
            source=p.name,
            hint="Name the first two columns 'column' and 'description'.",
        )
    unit_column = _pick(frame, ("unit", "units"))
    role_column = _pick(frame, ("role",))
    group_column = _pick(frame, ("group", "block", "family"))
    entries: dict[str, ColumnInfo] = {}
    for row, record in enumerate(frame.to_dict("records"), start=2):
        name = _text(record.get(name_column))
        description = _text(record.get(description_column))
        if not name:
            continue
        if not description:
            raise MalformedTableError(
                f"column {name!r} has an empty description.",
                source=p.name,
                row=row,
                hint="Describe it in a few words, or leave its row out.",
            )
        if name in entries:
            raise MalformedTableError(
                f"column {name!r} is described twice.",
                source=p.name,
                row=row,
                hint="Keep one row per column.",
            )
        entries[name] = ColumnInfo(
            _clip(description),
            _text(record.get(unit_column)) or None if unit_column else None,
            _text(record.get(role_column)) or None if role_column else None,
            _text(record.get(group_column)) or None if group_column else None,
        )
    if not entries:
        raise MalformedTableError(
            "the data dictionary describes no column.",
            source=p.name,
            hint="Add one row per column: its name, then its description.",
        )
    if columns is not None:
        known = {str(c) for c in columns}
        unknown = [name for name in entries if name not in known]
        if unknown:
            shown = ", ".join(map(repr, unknown[:10]))
            raise ColumnNotFoundError(
                f"the data dictionary {p.name} describes {len(unknown)} column(s) that are not "
                f"in the table: {shown}.",
                hint="Check that the dictionary belongs to this table (names are compared "
                "exactly, letter case included), or remove those rows.",
            )
    return DataDictionary(entries, source=p.name)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


def _clip(text: str) -> str:
    # Descriptions become labels and prompt lines: keep them to a short phrase.
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 1].rstrip() + "…"
