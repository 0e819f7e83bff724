"""Database sources against a real PostgreSQL server (Debian's, on loopback), SQLite and DuckDB.

One server for the module: a 100,000-customer table and a 1,000,000-row purchase
log made with ``generate_series``, segmented through ``persona segment URL
--table/--query``; each failure (wrong password, missing table, bad query, no
rows, too many rows, timeout, unreachable host) is a clear message and leaves
the workspace without a dataset; the password is never printed or stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from persona.cli import main
from persona.config import load_settings
from persona.services import Services
from persona.sources import read_source
from segments.database import redact_url
from segments.errors import DatabaseError
from tests.support.postgres import PASSWORD, PostgresServer, find_bin, start_postgres
from tests.support.real_data import cdnow_log

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_bin() is None, reason="PostgreSQL not installed: run `make postgres`"),
]

CUSTOMERS = 100_000
LOG_ROWS = 1_000_000


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        # Three planted groups of customers; a log of 10 purchases per customer on average.
        server.psql(
            f"""
            CREATE TABLE customers AS
              SELECT 'C' || i AS customer_id,
                     (i % 3) * 40 + 20 + (i * 7919 % 13) AS age,
                     ((i % 3) * 500 + 100 + (i * 104729 % 97))::numeric(10, 2) AS spend,
                     (i % 3) * 5 + (i * 31 % 4) AS visits
              FROM generate_series(1::bigint, {CUSTOMERS}) AS i;
            CREATE TABLE orders AS
              SELECT 'C' || (1 + i % {CUSTOMERS}) AS customer_id,
                     DATE '2024-01-01' + (i * 7919 % 700)::int AS order_date,
                     ((i % 3) * 40 + 5 + (i * 31 % 17))::numeric(10, 2) AS amount
              FROM generate_series(1::bigint, {LOG_ROWS}) AS i;
            CREATE TABLE empty_table (customer_id text, spend numeric);
            ALTER TABLE customers OWNER TO persona;
            ALTER TABLE orders OWNER TO persona;
            ALTER TABLE empty_table OWNER TO persona;
            """
        )
        yield server
    finally:
        server.stop()


def _datasets(home: Path) -> int:
    path = home / "persona.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM datasets").fetchone()[0])


def _workspace_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())


def test_a_customer_table_is_segmented_from_postgres_and_the_password_is_not_kept(
    pg: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["segment", pg.url_with_password, "--table", "customers", "--k", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Saved segmentation" in out and "k=3" in out
    assert PASSWORD not in out
    home = tmp_path / "workspace"
    services = Services(load_settings())
    try:
        row = services.store.query_one("SELECT name, source, n_rows FROM datasets")
        assert row is not None
        assert row[2] == CUSTOMERS
        assert row[1] == f"{pg.url} (table customers)"
        sizes = services.store.query("SELECT size FROM segments")
        assert sum(s[0] for s in sizes) == CUSTOMERS
    finally:
        services.store.close()
    assert PASSWORD.encode() not in _workspace_bytes(home)

    # New customers are assigned from the database too.
    out = tmp_path / "assigned.csv"
    query = "SELECT * FROM customers ORDER BY customer_id LIMIT 1000"
    args = ["segments", "assign", pg.url_with_password, "--query", query, "-o", str(out)]
    assert main(args) == 0, capsys.readouterr().out
    assigned = pd.read_csv(out)
    assert len(assigned) == 1000 and set(assigned["segment"]) <= {0, 1, 2}


def test_a_million_row_log_is_read_with_a_query_and_the_password_from_the_environment(
    pg: PostgresServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PERSONA_DB_PASSWORD", PASSWORD)
    query = "SELECT customer_id, order_date, amount FROM orders"
    code = main(["segment", pg.url, "--query", query, "--transactions", "--k", "3"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0, out
    assert "customer 'customer_id'" in out and "date 'order_date'" in out
    services = Services(load_settings())
    try:
        sizes = services.store.query("SELECT size FROM segments")
        assert sum(s[0] for s in sizes) == CUSTOMERS  # every customer has purchases
    finally:
        services.store.close()


def test_persona_db_url_and_pgpassword_serve_when_no_source_is_named(
    pg: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONA_DB_URL", pg.url)
    monkeypatch.setenv("PGPASSWORD", PASSWORD)  # libpq's own variable
    loaded = read_source(load_settings(), None, query="SELECT * FROM customers LIMIT 500")
    assert len(loaded.frame) == 500
    assert pd.api.types.is_numeric_dtype(loaded.frame["spend"])  # numeric(10,2) → numbers
    assert PASSWORD not in loaded.source


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--table", "customers", "--password-is-wrong"], "refused the user name or password"),
        (["--table", "no_such_table"], "does not exist"),
        (["--query", "SELEC customer_id FROM customers"], "not valid SQL"),
        (["--table", "empty_table"], "returned no rows"),
        (["--query", "SELECT pg_sleep(5), 1 AS x"], "longer than the time limit"),
        (["--query", "SELECT * FROM orders"], "more than 200,000 rows"),
    ],
    ids=["wrong-password", "missing-table", "bad-query", "no-rows", "timeout", "too-many-rows"],
)
def test_database_failures_are_clear_messages_and_save_nothing(
    pg: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    expected: str,
) -> None:
    monkeypatch.setenv("PERSONA_DB_TIMEOUT", "2")
    monkeypatch.setenv("PERSONA_MAX_ROWS", "200000")
    wrong = "--password-is-wrong" in args
    args = [a for a in args if a != "--password-is-wrong"]
    url = pg.url_with_password.replace(PASSWORD, "not-the-password") if wrong else pg.url
    monkeypatch.setenv("PERSONA_DB_PASSWORD", PASSWORD)
    code = main(["segment", url, *args, "--k", "3"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 1
    assert "Error:" in out and expected in out, out
    assert "Traceback" not in out and "not-the-password" not in out and PASSWORD not in out
    assert _datasets(tmp_path / "workspace") == 0


def test_an_unreachable_server_says_what_to_check(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["segment", "postgresql://me:pw@127.0.0.1:9/crm", "--table", "t"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 1
    assert "cannot be reached" in out and "Check the host, port" in out
    assert "me:pw" not in out and "postgresql://me@127.0.0.1:9/crm" in out


def test_sql_options_need_a_database_and_a_database_needs_sql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text("a,b\n1,2\n")
    assert main(["segment", str(csv), "--table", "customers"]) == 1
    assert "are for databases, not files" in capsys.readouterr().out
    assert main(["segment", "postgresql://me@127.0.0.1:9/crm"]) == 1
    assert "needs a query or a table" in capsys.readouterr().out
    assert main(["segment", "--table", "customers"]) == 1
    assert "PERSONA_DB_URL" in " ".join(capsys.readouterr().out.split())


def test_sqlite_and_duckdb_files_are_sources_too(tmp_path: Path) -> None:
    log = cdnow_log()
    lite = tmp_path / "crm.sqlite"
    with sqlite3.connect(lite) as db:
        log.to_sql("orders", db, index=False)
    duck = tmp_path / "crm.duckdb"
    with duckdb.connect(str(duck)) as db:
        db.register("log", log)
        db.execute("CREATE TABLE orders AS SELECT * FROM log")
    settings = load_settings()
    from_lite = read_source(settings, f"sqlite:///{lite}", table="orders")
    from_duck = read_source(settings, f"duckdb:///{duck}", query="SELECT * FROM orders")
    assert len(from_lite.frame) == len(from_duck.frame) == len(log)
    assert from_lite.frame["amount"].sum() == pytest.approx(log["amount"].sum())
    assert from_duck.frame["amount"].sum() == pytest.approx(log["amount"].sum())
    missing = tmp_path / "typo.sqlite"
    with pytest.raises(DatabaseError, match="cannot be reached"):
        read_source(settings, f"sqlite:///{missing}", table="orders")
    assert not missing.exists()  # read-only: a typo creates no empty database


def test_redacted_urls_keep_everything_but_the_password() -> None:
    assert redact_url("postgresql://ann:pw@db.example:5432/crm?sslmode=require") == (
        "postgresql://ann@db.example:5432/crm?sslmode=require"
    )
    assert redact_url("sqlite:///data/crm.db") == "sqlite:///data/crm.db"
