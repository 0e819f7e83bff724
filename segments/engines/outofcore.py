"""Large CSV/Parquet files (and folders of Parquet files) scanned with DuckDB, out of core.

A transaction log of hundreds of millions of rows never enters pandas: its
columns are recognised on a sample (:func:`segments.log_columns`), and
:func:`log_to_customers` turns it into one row per customer with one SQL
``GROUP BY`` whose result equals :func:`segments.transactions_to_customers`
(the same cleaning, the same columns, the same warnings). DuckDB works within
``memory_limit`` and spills to a temporary folder beyond it, so the memory used
is that limit plus the per-customer table (about 100 bytes a customer).

DuckDB's own CSV sniffer reads the files, in strict mode: a ragged row, an
unclosed quote or a cell of the wrong type is an error naming the file and the
line, not a silently shifted column.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from segments.errors import (
    ColumnNotFoundError,
    EmptyTableError,
    EncodingError,
    FileMissingError,
    MalformedTableError,
    TooManyRowsError,
    UnsupportedFormatError,
)
from segments.load import _records, _sniff_delimiter
from segments.logs import LogColumns

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "SAMPLE_ROWS",
    "Scan",
    "log_to_customers",
    "wants_out_of_core",
]

DEFAULT_MEMORY_LIMIT = "4GB"
SAMPLE_ROWS = 100_000
_CSV = {".csv", ".tsv", ".txt", ".tab"}
_PARQUET = {".parquet", ".pq"}
_HEAD_BYTES = 1 << 20


def wants_out_of_core(path: Path, *, max_bytes: int) -> bool:
    """Whether ``path`` is read with DuckDB: a folder, or a CSV/Parquet file past ``max_bytes``."""
    if path.is_dir():
        return True
    suffix = path.suffix.lower()
    return path.is_file() and suffix in _CSV | _PARQUET and path.stat().st_size > max_bytes


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def _connection(memory_limit: str, threads: int | None) -> Iterator[Any]:
    import duckdb

    spill = tempfile.mkdtemp(prefix="persona-duckdb-")
    connection = duckdb.connect(
        config={
            "memory_limit": memory_limit,
            "threads": threads or os.cpu_count() or 1,
            "temp_directory": spill,
            "preserve_insertion_order": False,
        }
    )
    try:
        connection.execute("SET TimeZone = 'UTC'")
        yield connection
    finally:
        connection.close()
        for leftover in Path(spill).glob("**/*"):
            if leftover.is_file():
                leftover.unlink(missing_ok=True)
        for folder in sorted(Path(spill).glob("**/"), reverse=True):
            folder.rmdir()


@dataclass
class Scan:
    """A large table on disk, as a DuckDB table function, with its size and columns.

    ``rows`` is exact (Parquet metadata, or a counting scan of a CSV file).
    """

    path: Path
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int | None = None
    source: str = field(init=False)
    rows: int = field(init=False, default=0)
    columns: list[str] = field(init=False, default_factory=list)
    format: str = field(init=False, default="")
    delimiter: str = field(init=False, default=",")

    def __post_init__(self) -> None:
        self.source = self.path.name or str(self.path)
        if not self.path.exists():
            raise FileMissingError(
                "file not found.", source=str(self.path), hint="Check the path and the file name."
            )
        self.format = self._format()
        if self.format == "csv":
            self.delimiter = _check_csv_head(self.path, self.source)
        with _connection(self.memory_limit, self.threads) as con:
            try:
                described = con.execute(f"DESCRIBE SELECT * FROM {self.relation}").fetchall()
                self.rows = int(con.execute(f"SELECT count(*) FROM {self.relation}").fetchone()[0])
            except Exception as exc:
                raise self._error(exc) from None
        self.columns = [str(row[0]) for row in described]
        if self.rows == 0 or not self.columns:
            raise EmptyTableError("has no data rows.", source=self.source, hint="Export it again.")

    def _format(self) -> str:
        if self.path.is_dir():
            if not any(self.path.rglob("*.parquet")):
                raise UnsupportedFormatError(
                    "the folder holds no .parquet files.",
                    source=self.source,
                    hint="Point at a folder of Parquet files (a partitioned dataset), or a file.",
                )
            return "parquet"
        suffix = self.path.suffix.lower()
        if suffix in _PARQUET:
            return "parquet"
        if suffix in _CSV:
            return "csv"
        raise UnsupportedFormatError(
            f"files ending in {suffix} are not read out of core.",
            source=self.source,
            hint="Export the table as CSV or Parquet.",
        )

    @property
    def relation(self) -> str:
        """The DuckDB table function that reads the file(s)."""
        if self.format == "parquet":
            target = str(self.path / "**" / "*.parquet") if self.path.is_dir() else str(self.path)
            return f"read_parquet({_quote(target)}, union_by_name = true)"
        # The delimiter and header come from the product's own sniffing of the head
        # (_check_csv_head): DuckDB's sniffer alone took a ragged last line for the header
        # and the lines above it for a preamble. skip = 0 keeps every line as data.
        return (
            f"read_csv({_quote(str(self.path))}, header = true, strict_mode = true, skip = 0, "
            f"delim = {_quote(self.delimiter)}, sample_size = 100000)"
        )

    def _error(self, exc: Exception) -> MalformedTableError:
        """A user's message for a DuckDB read error: the line and what was wrong there."""
        text = [t.strip() for t in str(exc).strip().splitlines() if t.strip()]
        first = text[0] if text else type(exc).__name__
        found = re.search(r"CSV Error on Line: (\d+)", first)
        if found:
            detail = next(
                (t for t in text if t.startswith(("Expected Number", "Error when converting"))),
                "",
            )
            shape = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", detail)
            problem = (
                f"this line has {shape.group(2)} fields; the header has {shape.group(1)}."
                if shape
                else f"this line does not fit the columns above it ({detail or first})."
            )
            return MalformedTableError(
                problem,
                source=self.source,
                row=int(found.group(1)),
                hint="Fix the line (a stray delimiter or quote, a value of another type) and "
                "load the file again.",
            )
        hint = (
            "Fix the file or export it again."
            if self.format == "csv"
            else "Write the file again and load it again."
        )
        return MalformedTableError(
            f"cannot be read ({first[:300]}).", source=self.source, hint=hint
        )

    def read(self, max_rows: int) -> pd.DataFrame:
        """The whole table as pandas, typed by DuckDB; for customer tables up to ``max_rows``.

        Raises:
            TooManyRowsError: the table has more rows than ``max_rows``.
        """
        if self.rows > max_rows:
            raise TooManyRowsError(
                f"{self.rows:,} rows; a customer table is segmented in memory up to "
                f"{max_rows:,} rows (PERSONA_MAX_ROWS).",
                source=self.source,
                hint="Raise PERSONA_MAX_ROWS if the machine has the memory, or segment a "
                "sample. A transaction log of any length is aggregated out of core: pass "
                "--transactions if this is one.",
            )
        with _connection(self.memory_limit, self.threads) as con:
            try:
                return con.execute(f"SELECT * FROM {self.relation}").df()
            except Exception as exc:
                raise self._error(exc) from None

    def sample(self, n: int = SAMPLE_ROWS, *, seed: int = 0) -> pd.DataFrame:
        """A uniform sample of ``n`` rows (all of them when fewer), as pandas."""
        with _connection(self.memory_limit, self.threads) as con:
            try:
                return con.execute(
                    f"SELECT * FROM {self.relation} "
                    f"USING SAMPLE reservoir({int(n)} ROWS) REPEATABLE ({int(seed)})"
                ).df()
            except Exception as exc:
                raise self._error(exc) from None


def _check_csv_head(path: Path, source: str) -> str:
    """The delimiter of a large CSV file, after checking its first records' shape.

    Raises:
        EncodingError: the head is not UTF-8 text.
        MalformedTableError: a record in the head has another number of fields.
    """
    with path.open("rb") as handle:
        raw = handle.read(_HEAD_BYTES)
    if len(raw) == _HEAD_BYTES and b"\n" in raw:
        raw = raw[: raw.rindex(b"\n") + 1]  # the head may cut the last record
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EncodingError(
            "a large CSV file is read out of core as UTF-8, and this one is not.",
            source=source,
            hint="Save it as UTF-8, or export Parquet.",
        ) from exc
    delimiter = _sniff_delimiter(text)
    width = None
    for line, fields in _records(text, delimiter, source):
        if width is None:
            width = len(fields)
        elif len(fields) != width:
            raise MalformedTableError(
                f"this line has {len(fields)} fields; the header has {width}.",
                source=source,
                row=line,
                hint="Fix the line (a stray delimiter or quote) and load the file again.",
            )
    return delimiter


def _date_sql(column: str, type_name: str) -> str:
    """SQL that reads ``column`` as a UTC timestamp the way :func:`segments.parse_dates` does."""
    c = _ident(column)
    upper = type_name.upper()
    if upper.startswith(("TIMESTAMP", "DATE")):
        return f"CAST({c} AS TIMESTAMP)"
    text = f"trim(CAST({c} AS VARCHAR))"
    if upper in {"BIGINT", "INTEGER", "HUGEINT", "UBIGINT", "UINTEGER"}:
        return f"try_strptime(CAST({c} AS VARCHAR), '%Y%m%d')"
    # Day/month order is never guessed: ISO text or 8-digit YYYYMMDD only.
    return (
        f"CASE WHEN regexp_full_match({text}, '(19|20)[0-9]{{2}}(0[1-9]|1[0-2])"
        f"(0[1-9]|[12][0-9]|3[01])') THEN try_strptime({text}, '%Y%m%d') "
        f"WHEN regexp_full_match({text}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}([T ].*)?') "
        f"THEN CAST(try_cast({text} AS TIMESTAMPTZ) AS TIMESTAMP) END"
    )


def _number_sql(column: str) -> str:
    value = f"try_cast({_ident(column)} AS DOUBLE)"
    return f"CASE WHEN isfinite({value}) THEN {value} END"


def log_to_customers(
    scan: Scan,
    columns: LogColumns,
    *,
    as_of: str | pd.Timestamp | None = None,
    drop_repeats: bool = True,
) -> pd.DataFrame:
    """One row per customer from a large log, by SQL; equal to ``transactions_to_customers``.

    ``drop_repeats=False`` skips the exact-repeat rule (its GROUP BY over whole lines
    is most of the cost on a long log): every line then counts, as in a plain
    ``GROUP BY customer``; the benchmark uses it to show that cost.

    Exact duplicate lines, rows with a missing or unreadable customer, date or
    amount, zero-quantity lines and rows after ``as_of`` are left out; returns
    reduce spend. ``result.attrs["warnings"]`` says how many of each.

    Raises:
        ColumnNotFoundError: a named column is not in the file.
        EmptyTableError: no row is usable.
    """
    for column, what in (
        (columns.customer, "customer"),
        (columns.date, "date"),
        (columns.amount, "amount"),
        (columns.quantity, "quantity"),
    ):
        if column is not None and column not in scan.columns:
            raise ColumnNotFoundError(
                f"is given as the {what} column but is not in the transactions.",
                column=column,
                hint=f"Columns: {', '.join(map(repr, scan.columns[:20]))}.",
            )
    every = ", ".join(_ident(c) for c in scan.columns)
    cutoff = None if as_of is None else pd.Timestamp(as_of).to_pydatetime()
    with _connection(scan.memory_limit, scan.threads) as con:
        described = con.execute(f"DESCRIBE SELECT * FROM {scan.relation}").fetchall()
        types = {str(row[0]): str(row[1]) for row in described}
        date = _date_sql(columns.date, str(types[columns.date]))
        amount = _number_sql(columns.amount)
        quantity = _number_sql(columns.quantity) if columns.quantity else None
        line_amount = f"{amount} * {quantity}" if quantity else amount
        zero = f"coalesce({quantity} = 0, false)" if quantity else "false"
        # One pass: exact repeats of a whole line are one purchase (as in the pandas path),
        # folded and counted by the inner GROUP BY ALL; the outer one aggregates each
        # customer and counts what was left out, summed below.
        good = "ts IS NOT NULL AND amount IS NOT NULL AND NOT zero_quantity"
        limit = "" if cutoff is None else f"TIMESTAMP {_quote(cutoff.isoformat(sep=' '))}"
        kept = good if cutoff is None else f"{good} AND ts <= {limit}"
        after = "false" if cutoff is None else f"ts > {limit}"
        inner = (
            f"SELECT {every}, count(*) AS copies FROM {scan.relation} GROUP BY ALL"
            if drop_repeats
            else f"SELECT {every}, 1 AS copies FROM {scan.relation}"
        )
        grouped = con.execute(
            f"""
            WITH lines AS (
                SELECT {_ident(columns.customer)} AS customer, {date} AS ts,
                       {line_amount} AS amount, {zero} AS zero_quantity, copies
                FROM ({inner})
            )
            SELECT customer,
                   min(epoch(ts)) FILTER (WHERE {kept}) AS first_s,
                   max(epoch(ts)) FILTER (WHERE {kept}) AS last_s,
                   count(*) FILTER (WHERE {kept}) AS frequency,
                   sum(amount) FILTER (WHERE {kept}) AS monetary,
                   sum(copies) AS n_lines,
                   sum(copies - 1) AS repeats,
                   count(*) FILTER (WHERE zero_quantity) AS zeros,
                   count(*) FILTER (WHERE NOT zero_quantity AND (customer IS NULL
                       OR ts IS NULL OR amount IS NULL)) AS unreadable,
                   count(*) FILTER (WHERE {good} AND customer IS NOT NULL
                       AND amount < 0) AS returns,
                   count(*) FILTER (WHERE {good} AND customer IS NOT NULL AND {after}) AS late
            FROM lines
            GROUP BY customer
            ORDER BY customer
            """
        ).df()
    totals = grouped[["n_lines", "repeats", "zeros", "unreadable", "returns", "late"]].sum()
    n_lines, repeats, zeros, unreadable, returns, late = (int(v) for v in totals)
    usable = grouped[grouped["customer"].notna() & grouped["frequency"].gt(0)]
    if usable.empty and not late:
        raise EmptyTableError(
            "no transaction has a customer, a date and an amount.",
            column=columns.date,
            hint="Check the column names and the date and amount formats.",
        )
    reference = (
        pd.Timestamp(cutoff)
        if cutoff is not None
        else pd.Timestamp(usable["last_s"].max(), unit="s")
    )
    if usable.empty:
        raise EmptyTableError(
            f"every transaction is after as_of={reference.date()}.",
            column=columns.date,
            hint="Choose a later as_of date.",
        )
    day = 86400.0
    ref_s = reference.timestamp() if reference.tzinfo else reference.tz_localize("UTC").timestamp()
    frequency = usable["frequency"].to_numpy().astype("int64")
    span = (usable["last_s"] - usable["first_s"]).to_numpy() / day
    frame = pd.DataFrame(
        {
            columns.customer: usable["customer"].to_numpy(),
            "recency_days": (ref_s - usable["last_s"].to_numpy()) / day,
            "frequency": frequency,
            "monetary": usable["monetary"].to_numpy().astype("float64"),
            "tenure_days": (ref_s - usable["first_s"].to_numpy()) / day,
            "avg_order_value": usable["monetary"].to_numpy() / frequency,
            # The mean gap between consecutive purchases telescopes to (last - first)/(n - 1).
            "interpurchase_days": [
                s / (n - 1) if n > 1 else float("nan") for s, n in zip(span, frequency, strict=True)
            ],
        }
    )
    warnings: list[str] = []
    if repeats:
        warnings.append(
            f"Left out {int(repeats)} of {int(n_lines)} transactions that repeat an "
            "earlier line exactly (same customer, date, amount and every other column)."
        )
    if zeros:
        warnings.append(f"Left out {int(zeros)} lines with a quantity of 0.")
    if unreadable:
        warnings.append(
            f"Left out {int(unreadable)} of {int(n_lines)} transactions with a missing or "
            f"unreadable {columns.customer!r}, {columns.date!r} or {columns.amount!r}."
        )
    if returns:
        warnings.append(
            f"Kept {int(returns)} returns (negative amounts): they reduce the customer's spend."
        )
    if late:
        warnings.append(f"Left out {late} transactions after {reference.date()}.")
    frame.attrs["warnings"] = warnings
    return frame
