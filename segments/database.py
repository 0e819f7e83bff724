"""Reading a customer table or transaction log from a database, through SQLAlchemy.

:func:`read_database` runs one ``SELECT`` (or reads one table) and returns the
same :class:`~segments.load.LoadedTable` as :func:`segments.read_table`, typed
with the same rules (:mod:`segments.coerce`). PostgreSQL goes through psycopg;
SQLite files and any other SQLAlchemy dialect work the same way; DuckDB files
(``duckdb:///path.duckdb``) are read with DuckDB itself, read-only.

Rows are fetched in batches and counted as they come: a query that returns more
than ``max_rows`` stops at the first row past the cap, before the rest is read.
Every failure is a :class:`~segments.errors.DatabaseError` (or an empty/too-large
table error) whose message names the database *without its password*.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from segments.coerce import coerce_value_column
from segments.errors import DatabaseError, EmptyTableError, TooManyRowsError
from segments.load import LoadedTable

__all__ = ["is_database_url", "read_database", "redact_url"]

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_FETCH_BATCH = 50_000
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")


def is_database_url(text: str) -> bool:
    """Whether ``text`` is a database URL (``postgresql://…``, ``sqlite:///…``), not a path."""
    return bool(_URL.match(text.strip())) and not text.lower().startswith(("file://",))


def redact_url(url: str) -> str:
    """``url`` with its password removed, fit to log, show or store."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*):[^@]*@", r"\1@", url)
    # URL.set(password=None) means "leave it"; the named-tuple replace drops it.
    return parsed._replace(password=None).render_as_string(hide_password=False)


def read_database(
    url: str,
    *,
    query: str | None = None,
    table: str | None = None,
    password: str | None = None,
    timeout: float = 30.0,
    max_rows: int = 5_000_000,
    max_columns: int = 1_000,
) -> LoadedTable:
    """Rows of ``query`` (or all of ``table``) from the database at ``url``.

    ``password`` is used when the URL has none (PostgreSQL also honours
    ``PGPASSWORD`` and ``~/.pgpass`` through libpq). ``timeout`` bounds the
    connection and, on PostgreSQL, each statement (seconds).

    Raises:
        DatabaseError: unreachable, wrong password, missing table, bad query, timeout.
        EmptyTableError: the query returned no rows or no columns.
        TooManyRowsError: more than ``max_rows`` rows.
    """
    if (query is None) == (table is None):
        raise DatabaseError(
            "name exactly one of a query and a table.",
            source=redact_url(url),
            hint='Pass --query "SELECT …" or --table NAME.',
        )
    if table is not None and not _NAME.match(table):
        raise DatabaseError(
            f"{table!r} is not a table name.",
            source=redact_url(url),
            hint="Give a plain name such as customers or schema.customers, or use --query.",
        )
    sql = query if query is not None else f"SELECT * FROM {table}"
    shown = redact_url(url)
    if url.lower().startswith("duckdb:"):
        columns, batches = _duckdb_rows(url, sql, shown, max_rows)
    else:
        columns, batches = _sqlalchemy_rows(url, sql, shown, password, timeout, max_rows)
    if len(columns) > max_columns:
        raise DatabaseError(
            f"the query returns {len(columns):,} columns; the limit is {max_columns:,}.",
            source=shown,
            hint="Select only the columns needed for segmentation.",
        )
    rows = [row for batch in batches for row in batch]
    what = "the query" if query is not None else f"table {table}"
    if not columns or not rows:
        raise EmptyTableError(
            f"{what} returned no rows.",
            source=shown,
            hint="Check the query's WHERE clause and that the table holds data.",
        )
    return _table(columns, rows, shown)


def _too_many(shown: str, max_rows: int) -> TooManyRowsError:
    return TooManyRowsError(
        f"the query returns more than {max_rows:,} rows.",
        source=shown,
        hint="Aggregate in SQL (one row per customer), add a WHERE clause or a LIMIT, or raise "
        "PERSONA_MAX_ROWS; for larger logs export Parquet and segment the file (read out of core).",
    )


def _capped(fetchmany: Any, shown: str, max_rows: int) -> list[Sequence[Any]]:
    """Batches of rows from ``fetchmany``, stopping at the first row past ``max_rows``."""
    batches: list[Sequence[Any]] = []
    count = 0
    while batch := fetchmany(_FETCH_BATCH):
        count += len(batch)
        if count > max_rows:
            raise _too_many(shown, max_rows)
        batches.append([tuple(row) for row in batch])
    return batches


def _sqlalchemy_rows(
    url: str, sql: str, shown: str, password: str | None, timeout: float, max_rows: int
) -> tuple[list[str], list[Sequence[Any]]]:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(
            "is not a database URL SQLAlchemy can read.",
            source=shown,
            hint="Write it as dialect://user@host:port/database, e.g. postgresql://me@db/crm.",
        ) from exc
    connect_args: dict[str, Any] = {}
    backend = parsed.get_backend_name()
    if parsed.password is None and password and backend not in {"sqlite", "duckdb"}:
        parsed = parsed.set(password=password)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        connect_args = {
            "connect_timeout": max(1, round(timeout)),
            "options": f"-c statement_timeout={round(timeout * 1000)}",
        }
    elif backend == "sqlite":
        connect_args = {"timeout": timeout}
        database = parsed.database or ""
        if database and database != ":memory:":
            # Read-only: a typo in the path must not create an empty database file.
            parsed = parsed.set(database=f"file:{database}?mode=ro", query={"uri": "true"})
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args, poolclass=sa.pool.NullPool)
    except ArgumentError as exc:
        raise DatabaseError(
            f"the URL cannot be used ({_first_line(exc)}).",
            source=shown,
            hint="Write it as dialect://user@host:port/database, or sqlite:///path/to/file.db.",
        ) from None
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DatabaseError(
            f"no driver for {parsed.drivername!r} is installed.",
            source=shown,
            hint="Install the SQLAlchemy dialect for this database (PostgreSQL, SQLite and "
            "DuckDB work out of the box).",
        ) from exc
    try:
        with engine.connect() as connection:
            result = connection.execution_options(stream_results=True).execute(sa.text(sql))
            if not result.returns_rows:
                raise DatabaseError(
                    "the statement returns no rows.",
                    source=shown,
                    hint="Give a SELECT query.",
                )
            columns = [str(c) for c in result.keys()]  # noqa: SIM118 (a Result, not a dict)
            batches = _capped(result.fetchmany, shown, max_rows)
    except sa.exc.DBAPIError as exc:
        raise _explain(exc, shown) from None
    finally:
        engine.dispose()
    return columns, batches


def _duckdb_rows(
    url: str, sql: str, shown: str, max_rows: int
) -> tuple[list[str], list[Sequence[Any]]]:
    import duckdb

    # As with sqlite: duckdb:///relative.duckdb, duckdb:////absolute/path.duckdb.
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path:
        raise DatabaseError(
            "names no DuckDB file.",
            source=shown,
            hint="Write it as duckdb:///file.duckdb (or duckdb:////absolute/path.duckdb).",
        )
    try:
        connection = duckdb.connect(path, read_only=True)
    except duckdb.Error as exc:
        raise DatabaseError(
            f"the DuckDB file cannot be opened ({_first_line(exc)}).",
            source=shown,
            hint="Check the path after duckdb:/// and that no other program writes to it.",
        ) from None
    try:
        cursor = connection.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        batches = _capped(cursor.fetchmany, shown, max_rows)
    except duckdb.Error as exc:
        raise DatabaseError(
            f"the query failed: {_first_line(exc)}",
            source=shown,
            hint="Check the table and column names in the query.",
        ) from None
    finally:
        connection.close()
    return columns, batches


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _explain(exc: Any, shown: str) -> DatabaseError:
    """A user's message for a driver error: which of the usual causes, and what to do."""
    detail = _first_line(exc)
    low = detail.lower()
    code = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    if "password authentication failed" in low or code == "28P01" or "no password" in low:
        problem, hint = (
            "the database refused the user name or password.",
            "Check the user in the URL and the password (asked separately, or from "
            "PERSONA_DB_PASSWORD / PGPASSWORD).",
        )
    elif code.startswith("28") or "authentication" in low:
        problem, hint = (
            f"the database refused the connection ({detail}).",
            "Check the user name and that this user may connect to this database.",
        )
    elif code == "42P01" or "no such table" in low or ("relation" in low and "does not" in low):
        problem, hint = (
            f"a table in the query does not exist ({detail}).",
            "Check the table name and schema (e.g. public.customers).",
        )
    elif code == "57014" or "statement timeout" in low or "canceling statement" in low:
        problem, hint = (
            "the query took longer than the time limit and was cancelled.",
            "Make the query cheaper (filter, aggregate, index) or raise PERSONA_DB_TIMEOUT.",
        )
    elif code.startswith("42") or "syntax error" in low:
        problem, hint = (
            f"the query is not valid SQL for this database ({detail}).",
            "Fix the query and run it again.",
        )
    elif "timeout expired" in low or "timed out" in low:
        problem, hint = (
            "the database did not answer in time.",
            "Check the host and port, the network or VPN, and PERSONA_DB_TIMEOUT.",
        )
    elif "connection" in low or "could not" in low or "unable to open" in low:
        problem, hint = (
            f"the database cannot be reached ({detail}).",
            "Check the host, port and database name in the URL, and that the server runs.",
        )
    else:
        problem, hint = (f"the query failed ({detail}).", "Check the query and the connection.")
    return DatabaseError(problem, source=shown, hint=hint)


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def _table(columns: list[str], rows: Iterable[Sequence[Any]], shown: str) -> LoadedTable:
    warnings: list[str] = []
    records = list(rows)
    names: list[str] = []
    for i, name in enumerate(columns):
        candidate = name or f"column_{i + 1}"
        while candidate in names:
            candidate = f"{candidate}_{i + 1}"
        if candidate != name:
            warnings.append(f"{shown}: column {i + 1} renamed to {candidate!r} (repeated name).")
        names.append(candidate)
    data: dict[str, pd.Series] = {}
    for i, name in enumerate(names):
        values = [_plain(row[i]) for row in records]
        data[name] = coerce_value_column(values, column=name, source=shown, warnings=warnings)
    return LoadedTable(pd.DataFrame(data), warnings, source=shown, format="sql")
