"""The DuckDB out-of-core path: SQL aggregation equal to the pandas one, files, folders, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segments
from persona.cli import main
from persona.config import load_settings
from persona.services import Services
from segments.engines.outofcore import Scan, log_to_customers, wants_out_of_core
from segments.errors import MalformedTableError, TooManyRowsError
from tests.support.real_data import cdnow_log


def _same(ooc: pd.DataFrame, ref: pd.DataFrame, key: str) -> None:
    a = ooc.assign(**{key: ooc[key].astype(str)}).set_index(key).sort_index()
    b = ref.assign(**{key: ref[key].astype(str)}).set_index(key).sort_index()
    assert list(a.columns) == list(b.columns)
    assert a.index.equals(b.index)
    np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, equal_nan=True)
    assert ooc.attrs["warnings"] == ref.attrs["warnings"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_cdnow_log_aggregates_by_sql_exactly_as_with_pandas(
    tmp_path: Path, suffix: str
) -> None:
    log = cdnow_log()
    path = tmp_path / f"cdnow{suffix}"
    log.to_csv(path, index=False) if suffix == ".csv" else log.to_parquet(path)
    scan = Scan(path)
    assert scan.rows == len(log)
    columns = segments.recognise_log(scan.sample())
    assert columns is not None and columns.customer == "customer_id"
    _same(
        log_to_customers(scan, columns),
        segments.transactions_to_customers(log, **columns.options()),  # type: ignore[arg-type]
        "customer_id",
    )


def test_a_messy_log_is_cleaned_the_same_way(tmp_path: Path) -> None:
    rows = [
        ("a", "2024-01-05", 10.0, 1),
        ("a", "2024-01-05", 10.0, 1),  # exact repeat
        ("a", "2024-02-10T12:00:00Z", 5.0, 3),
        ("b", "20240301", 20.0, 2),
        ("b", "not a date", 20.0, 1),  # unreadable
        ("b", "2024-03-04", -8.0, 1),  # a return
        ("c", "2024-03-01", 7.5, 0),  # zero quantity
        ("c", "2024-03-02", None, 1),  # no amount
        ("c", "2024-03-03", 7.5, 2),
        (None, "2024-03-03", 7.5, 2),  # no customer
        ("d", "2024-01-01", 100.0, 1),
    ]
    log = pd.DataFrame(rows, columns=["customer_id", "order_date", "unit_price", "quantity"])
    path = tmp_path / "messy.csv"
    log.to_csv(path, index=False)
    scan = Scan(path)
    columns = segments.log_columns(scan.sample(), quantity="quantity", amount="unit_price")
    reread = pd.read_csv(path, dtype={"order_date": str})
    ref = segments.transactions_to_customers(reread, **columns.options())  # type: ignore[arg-type]
    _same(log_to_customers(scan, columns), ref, "customer_id")
    cut = log_to_customers(scan, columns, as_of="2024-02-01")
    assert set(cut["customer_id"]) == {"a", "d"}
    assert any("after 2024-02-01" in w for w in cut.attrs["warnings"])


def test_a_folder_of_parquet_parts_is_one_log(tmp_path: Path) -> None:
    log = cdnow_log()
    folder = tmp_path / "log"
    for part, chunk in enumerate([log.iloc[:2000], log.iloc[2000:4000], log.iloc[4000:]]):
        (folder / f"month={part}").mkdir(parents=True)
        chunk.to_parquet(folder / f"month={part}" / "part.parquet")
    assert wants_out_of_core(folder, max_bytes=10**12)
    scan = Scan(folder)
    assert scan.rows == len(log)
    columns = segments.recognise_log(scan.sample())
    assert columns is not None
    _same(
        log_to_customers(scan, columns),
        segments.transactions_to_customers(log, **columns.options()),  # type: ignore[arg-type]
        "customer_id",
    )


@pytest.mark.parametrize("good_lines", [50, 200_000], ids=["in-the-head", "past-the-head"])
def test_a_ragged_csv_is_an_error_naming_the_file_and_line(tmp_path: Path, good_lines: int) -> None:
    path = tmp_path / "broken.csv"
    body = "1,2024-01-01,5\n" * good_lines
    path.write_text("customer_id,order_date,amount\n" + body + "2,2024,1,9,9\n")
    with pytest.raises(MalformedTableError, match=r"broken\.csv.*line .*(fields|columns)"):
        scan = Scan(path)
        log_to_customers(scan, segments.log_columns(scan.sample()))


def test_a_big_customer_table_past_the_row_cap_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    pd.DataFrame({"customer_id": range(1000), "spend": np.arange(1000.0)}).to_parquet(path)
    with pytest.raises(TooManyRowsError, match="PERSONA_MAX_ROWS"):
        Scan(path).read(max_rows=999)


def test_persona_segment_reads_a_parquet_folder_out_of_core_and_matches_pandas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = cdnow_log()
    folder = tmp_path / "log"
    folder.mkdir()
    for part, chunk in enumerate([log.iloc[:3000], log.iloc[3000:]]):
        chunk.to_parquet(folder / f"part-{part}.parquet")
    assert main(["segment", str(folder), "--k", "3"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "out of core with DuckDB (6,919 rows" in out, out
    whole = tmp_path / "cdnow.csv"
    log.to_csv(whole, index=False)
    assert main(["segment", str(whole), "--k", "3", "--engine", "pandas"]) == 0
    services = Services(load_settings())
    try:
        rows = services.store.query(
            "SELECT segmentation_id, size FROM segments ORDER BY segmentation_id, segment_index"
        )
    finally:
        services.store.close()
    by_run: dict[int, list[int]] = {}
    for row in rows:
        by_run.setdefault(int(row[0]), []).append(int(row[1]))
    duck, pandas_sizes = by_run.values()
    assert duck == pandas_sizes  # same customers, same features, same seed


def test_a_value_of_another_type_past_the_sample_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    body = "1,2024-01-01,5\n2,2024-01-02,7\n" * 100_000
    path.write_text("customer_id,order_date,amount\n" + body + "2,2024-01-03,abc\n")
    scan = Scan(path)
    with pytest.raises(MalformedTableError, match=r'late\.csv, line 200002: .*"abc"'):
        log_to_customers(scan, segments.log_columns(scan.sample()))


def test_keeping_repeated_lines_counts_every_line(tmp_path: Path) -> None:
    log = cdnow_log()
    path = tmp_path / "cdnow.parquet"
    log.to_parquet(path)
    scan = Scan(path)
    columns = segments.recognise_log(scan.sample())
    assert columns is not None
    kept = log_to_customers(scan, columns, drop_repeats=False)
    dropped = log_to_customers(scan, columns)
    repeats = int(log.duplicated().sum())
    assert repeats > 0
    assert int(kept["frequency"].sum()) == len(log)
    assert int(dropped["frequency"].sum()) == len(log) - repeats
    assert kept["monetary"].sum() == pytest.approx(log["amount"].sum())
