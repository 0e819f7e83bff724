"""The bad-input corpus: every file loads to an exact frame or raises the named error.

Each case writes its file into ``tmp_path`` (nothing is checked in), then
``read_table`` must either return exactly the expected frame (and the expected
warnings) or raise exactly the expected :class:`IngestError` subclass with a
message naming the file and, where there is one, the line.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segments import read_table
from segments.errors import (
    EmptyTableError,
    EncodingError,
    FileMissingError,
    FileTooLargeError,
    IngestError,
    MalformedTableError,
    RaggedRowsError,
    SheetNotFoundError,
    TooManyColumnsError,
    TooManyRowsError,
    UnsafeFileError,
    UnsupportedColumnError,
    UnsupportedFormatError,
)

Maker = Callable[[Path], Path]


@dataclass
class Case:
    """One corpus entry: how to make the file and what must come out."""

    id: str
    make: Maker
    expected: pd.DataFrame | type[IngestError]
    kwargs: dict[str, object] = field(default_factory=dict)
    warns: tuple[str, ...] = ()
    message: tuple[str, ...] = ()
    """Substrings the error message must contain (besides the file name)."""


def text_file(name: str, content: str | bytes, encoding: str = "utf-8") -> Maker:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return make


def frame(**columns: object) -> pd.DataFrame:
    return pd.DataFrame(columns)


def s(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def dates(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), format="ISO8601"), dtype="datetime64[us]")


def ragged(bad_rows: int, total: int) -> Maker:
    lines = ["id,score,group"]
    for i in range(total):
        lines.append(f"{i},{i % 7},g{i % 3},extra" if i < bad_rows else f"{i},{i % 7},g{i % 3}")
    return text_file("ragged.csv", "\n".join(lines) + "\n")


def ragged_expected() -> pd.DataFrame:
    kept = range(1, 200)
    return frame(
        id=np.array(list(kept), dtype="int64"),
        score=np.array([i % 7 for i in kept], dtype="int64"),
        group=s(*[f"g{i % 3}" for i in kept]),
    )


def wide(tmp: Path) -> Path:
    path = tmp / "wide.csv"
    header = ",".join(f"c{i}" for i in range(5000))
    path.write_text(header + "\n" + ",".join("1" for _ in range(5000)) + "\n")
    return path


def long_file(tmp: Path) -> Path:
    path = tmp / "long.csv"
    path.write_text("id,v\n" + "".join(f"{i},{i}\n" for i in range(50)))
    return path


def big_file(tmp: Path) -> Path:
    path = tmp / "big.csv"
    path.write_text("id,v\n" + "".join(f"{i},{i}\n" for i in range(2000)))
    return path


def workbook(tmp: Path) -> Path:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["read me first"])
    notes.sheet_state = "hidden"
    customers = book.create_sheet("Customers")
    customers.append(["id", "age", "joined", "vip", "formula"])
    customers.append(["007", 31, pd.Timestamp("2024-01-05").to_pydatetime(), True, "=1+1"])
    customers.append(["008", 45.5, pd.Timestamp("2023-03-01").to_pydatetime(), False, "=2+2"])
    other = book.create_sheet("Other")
    other.append(["x", "y"])
    other.append([1, "a"])
    path = tmp / "book.xlsx"
    book.save(path)
    return path


def merged_header(tmp: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Customer", None, "Spend"])
    sheet.merge_cells("A1:B1")
    sheet.append(["c1", "north", 10])
    sheet.append(["c2", "south", 20])
    path = tmp / "merged.xlsx"
    book.save(path)
    return path


def laughs(tmp: Path) -> Path:
    path = tmp / "laughs.xlsx"
    entity = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheets>&lol2;</sheets></workbook>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", entity)
    return path


def zip_bomb(tmp: Path) -> Path:
    path = tmp / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    return path


def parquet(table: pa.Table, name: str = "t.parquet") -> Maker:
    def make(tmp: Path) -> Path:
        path = tmp / name
        pq.write_table(table, path)
        return path

    return make


def parquet_as_csv(tmp: Path) -> Path:
    path = tmp / "actually_parquet.csv"
    pq.write_table(pa.table({"a": [1, 2]}), path)
    return path


BOM_CSV = b"\xef\xbb\xbfid,city\nA1,K\xc3\xb6ln\nA2,Berlin\n"
MIXED = 'v\n12\n12\nn/a\n"12,5"\nabc\n' + "7\n" * 15
FORMULAS = (
    'id,note\n1,"=HYPERLINK(""http://evil.example"",""click"")"\n2,@SUM(A1:A9)\n'
    "3,+cmd|' /C calc'!A0\n4,-2+3\n5,\t=1+1\n"
)

# fmt: off
CASES = [
    Case("01-utf8-bom", text_file("bom.csv", BOM_CSV),
         frame(id=s("A1", "A2"), city=s("Köln", "Berlin"))),
    Case("02-cp1252", text_file("legacy.csv", "id,name\n1,Müller\n2,Straße\n", "cp1252"),
         frame(id=np.array([1, 2]), name=s("Müller", "Straße")), warns=("CP1252",)),
    Case("03-utf16-bom", text_file("utf16.csv", "a,b\n1,x\n2,ÿ\n", "utf-16"),
         frame(a=np.array([1, 2]), b=s("x", "ÿ")), warns=("UTF-16",)),
    Case("03b-utf16le-no-bom", text_file("utf16le.csv", "a,b\n1,x\n2,y\n", "utf-16-le"),
         frame(a=np.array([1, 2]), b=s("x", "y")), warns=("UTF-16-LE",)),
    Case("04-invalid-utf8-mid-file",
         text_file("broken.csv", b"id,name\n1,M\xc3\xbcller\n2,Bad\xff\n"),
         EncodingError, message=("line 3", "0xff")),
    Case("05-semicolon-decimal-comma",
         text_file("german.csv", "id;amount;score\nA;1.234,50;3,5\nB;12,00;4,0\n"),
         frame(id=s("A", "B"), amount=[1234.5, 12.0], score=[3.5, 4.0]),
         warns=("decimal mark",)),
    Case("06-tab", text_file("tabs.tsv", "a\tb\n1\tx y\n2\tz\n"),
         frame(a=np.array([1, 2]), b=s("x y", "z"))),
    Case("06b-pipe", text_file("pipes.txt", "a|b\n1|x,y\n2|z\n"),
         frame(a=np.array([1, 2]), b=s("x,y", "z"))),
    Case("07-quoted-newline-and-delimiter",
         text_file("quoted.csv", 'id,comment\n1,"hello, world\nsecond line"\n2,plain\n'),
         frame(id=np.array([1, 2]), comment=s("hello, world\nsecond line", "plain"))),
    Case("08-unterminated-quote", text_file("open.csv", 'id,comment\n1,ok\n2,"broken\n3,x\n'),
         MalformedTableError, message=("line 3", "never closed")),
    Case("09-ragged-few-skipped", ragged(1, 200), ragged_expected(),
         warns=("skipped 1 rows", "lines 2")),
    Case("09b-ragged-many", ragged(30, 200), RaggedRowsError, message=("line 2", "30 of 200")),
    Case("10-header-only", text_file("header.csv", "id,age\n"), EmptyTableError,
         message=("no data rows",)),
    Case("10b-empty-file", text_file("empty.csv", b""), EmptyTableError, message=("empty",)),
    Case("10c-whitespace-only", text_file("blank.csv", "  \n\t\n  \n"), EmptyTableError),
    Case("11-duplicate-columns", text_file("dupes.csv", "a,a,b,a_2\n1,2,3,4\n"),
         frame(a=np.array([1]), a_3=np.array([2]), b=np.array([3]), a_2=np.array([4])),
         warns=("duplicate column names",)),
    Case("12-no-header", text_file("noheader.csv", "1,2.5,3\n4,5.5,6\n"),
         frame(column_1=np.array([1, 4]), column_2=[2.5, 5.5], column_3=np.array([3, 6])),
         warns=("looks like data",)),
    Case("13-all-null-column", text_file("nulls.csv", "id,x,y\n1,,5\n2,NA,6\n"),
         frame(id=np.array([1, 2]), x=[np.nan, np.nan], y=np.array([5, 6]))),
    Case("14-constant-column", text_file("const.csv", "id,c\n1,k\n2,k\n"),
         frame(id=np.array([1, 2]), c=s("k", "k"))),
    Case("15-mixed-types", text_file("mixed.csv", MIXED),
         frame(v=[12.0, 12.0, np.nan, 12.5, np.nan] + [7.0] * 15),
         warns=("1 of 19 values are not numbers", "'abc'")),
    Case("16-currency-eu", text_file("prices.csv", "item;price\nx;€1.234,50\ny;99,90 €\n"),
         frame(item=s("x", "y"), price=[1234.5, 99.9]), warns=("currency",)),
    Case("16b-currency-us", text_file("usd.csv", 'item,price\nx,"$1,234.50"\ny,$99.90\n'),
         frame(item=s("x", "y"), price=[1234.5, 99.9]), warns=("currency symbols ($)",)),
    Case("17-inf-nan-empty",
         text_file("inf.csv", "id,v\n1,1\n2,inf\n3,-inf\n4,NaN\n5,1e309\n6,\n7,2\n"),
         frame(id=np.arange(1, 8), v=[1.0, np.nan, np.nan, np.nan, np.nan, np.nan, 2.0]),
         warns=("3 infinite",)),
    Case("18-duplicate-ids-loaded-as-is", text_file("dupids.csv", "id,v\nA,1\nA,2\nB,3\n"),
         frame(id=s("A", "A", "B"), v=np.array([1, 2, 3]))),
    Case("19-leading-zero-ids", text_file("zeros.csv", "id,v\n00123,1\n00456,2\n"),
         frame(id=s("00123", "00456"), v=np.array([1, 2]))),
    Case("20-mixed-date-formats", text_file("dates.csv", "d\n01/02/2024\n2024-02-01\n"),
         frame(d=s("01/02/2024", "2024-02-01")), warns=("mixed formats",)),
    Case("20b-ambiguous-dates", text_file("amb.csv", "d\n01/02/2024\n03/04/2024\n"),
         frame(d=s("01/02/2024", "03/04/2024")), warns=("day/month",)),
    Case("20c-day-first-dates", text_file("dmy.csv", "d\n13/02/2024\n01/03/2024\n"),
         frame(d=dates("2024-02-13", "2024-03-01"))),
    Case("20d-iso-dates", text_file("iso.csv", "d\n2024-02-13\n2024-03-01T10:30:00\n"),
         frame(d=dates("2024-02-13", "2024-03-01 10:30:00"))),
    Case("21-too-wide", wide, TooManyColumnsError, message=("5,000 columns",)),
    Case("21b-too-long", long_file, TooManyRowsError, kwargs={"max_rows": 10},
         message=("more than 10",)),
    Case("21c-too-big", big_file, FileTooLargeError, kwargs={"max_bytes": 1000},
         message=("limit is 1,000",)),
    Case("24-formula-cells-kept-as-text", text_file("formulas.csv", FORMULAS),
         frame(id=np.arange(1, 6), note=s('=HYPERLINK("http://evil.example","click")',
                                          "@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3", "=1+1"))),
    Case("25-xlsx-first-visible-sheet", workbook,
         frame(id=s("007", "008"), age=[31.0, 45.5], joined=dates("2024-01-05", "2023-03-01"),
               vip=pd.array([True, False], dtype="boolean"), formula=[np.nan, np.nan]),
         warns=("read sheet 'Customers'", "'Notes'")),
    Case("25b-xlsx-named-sheet", workbook, frame(x=np.array([1]), y=s("a")),
         kwargs={"sheet": "Other"}),
    Case("25c-xlsx-missing-sheet", workbook, SheetNotFoundError, kwargs={"sheet": "Nope"},
         message=("'Customers'",)),
    Case("25d-xlsx-sheet-index-out-of-range", workbook, SheetNotFoundError, kwargs={"sheet": 7}),
    Case("25e-xlsx-merged-header", merged_header,
         frame(Customer=s("c1", "c2"), column_2=s("north", "south"), Spend=np.array([10, 20])),
         warns=("no name",)),
    Case("25f-xlsx-billion-laughs", laughs, UnsafeFileError, message=("entities",)),
    Case("25g-xlsx-zip-bomb", zip_bomb, UnsafeFileError, message=("zip bomb",)),
    Case("25h-old-xls", text_file("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100),
         UnsupportedFormatError, message=(".xlsx",)),
    Case("26-parquet-list-column", parquet(pa.table({"id": [1], "tags": [["a", "b"]]})),
         UnsupportedColumnError, message=("'tags'",)),
    Case("26b-parquet-struct-column", parquet(pa.table({"id": [1], "addr": [{"x": 1}]})),
         UnsupportedColumnError, message=("'addr'",)),
    Case("26c-parquet-types",
         parquet(pa.table({
             "id": pa.array(["a", "b", "c"]).dictionary_encode(),
             "flag": pa.array([True, None, False]),
             "price": pa.array([Decimal("1.50"), Decimal("2.25"), None], pa.decimal128(5, 2)),
             "seen": pa.array([0, 86_400_000_000, None], pa.timestamp("us", tz="Europe/Berlin")),
             "n": pa.array([1, 2, 3], pa.int32()),
             "x": pa.array([1.0, float("inf"), 2.0]),
         })),
         frame(id=s("a", "b", "c"), flag=pd.array([True, None, False], dtype="boolean"),
               price=[1.5, 2.25, np.nan],
               seen=dates("1970-01-01", "1970-01-02", None),
               n=np.array([1, 2, 3], dtype="int64"), x=[1.0, np.nan, 2.0]),
         warns=("infinite",)),
    Case("26d-corrupt-parquet", text_file("bad.parquet", b"PAR1" + b"garbage" * 10),
         MalformedTableError, message=("Parquet",)),
    Case("26e-parquet-named-csv", parquet_as_csv, frame(a=np.array([1, 2])),
         warns=("is PARQUET",)),
    Case("28-json-records", text_file("r.json", json.dumps(
        [{"id": "a", "n": 1, "info": {"tier": "gold"}, "tags": ["x"]},
         {"id": "b", "n": 2.5, "info": {"tier": None}, "tags": []}])),
         frame(**{"id": s("a", "b"), "n": [1.0, 2.5], "tags": s('["x"]', "[]"),
                  "info.tier": s("gold", None)}),
         warns=("hold lists",)),
    Case("28b-json-wrapped", text_file("w.json", json.dumps({"customers": [{"a": 1}, {"a": 2}]})),
         frame(a=np.array([1, 2])), warns=("under 'customers'",)),
    Case("28c-jsonl", text_file("r.jsonl", '{"a": 1, "b": "x"}\n\n{"a": 2, "b": true}\n'),
         frame(a=np.array([1, 2]), b=s("x", "true"))),
    Case("29-invalid-json", text_file("bad.json", '[{"a": 1},\n {"a": 2,,}]'),
         MalformedTableError, message=("line 2", "invalid JSON")),
    Case("30-jsonl-bad-line", text_file("bad.jsonl", '{"a": 1}\n{"a": \n'),
         MalformedTableError, message=("line 2",)),
    Case("31-json-scalar", text_file("scalar.json", "42"), MalformedTableError,
         message=("list of records",)),
    Case("31b-json-deep-nesting", text_file("deep.json", "[" * 100_000 + "]" * 100_000),
         MalformedTableError),
    Case("32-missing-file", lambda tmp: tmp / "nope.csv", FileMissingError,
         message=("not found",)),
    Case("33-unsupported-suffix", text_file("notes.docx", b"PK\x03\x04rest"),
         UnsupportedFormatError, message=(".docx",)),
    Case("33b-compressed", text_file("c.csv.gz", b"\x1f\x8b\x08\x00"), UnsupportedFormatError,
         message=("Decompress",)),
    Case("34-binary-as-csv", text_file("blob.csv", bytes(range(256)) * 4), EncodingError,
         message=("binary",)),
    Case("35-nul-in-text", text_file("nul.csv", b"a,b\n1,x\x00y\n"), EncodingError,
         message=("line 2",)),
    Case("36-crlf-and-blank-lines", text_file("crlf.csv", b"a,b\r\n\r\n1,x\r\n2,y\r\n\r\n"),
         frame(a=np.array([1, 2]), b=s("x", "y"))),
    Case("37-booleans", text_file("bools.csv", "a,b\nyes,TRUE\nno,false\n,True\n"),
         frame(a=pd.array([True, False, None], dtype="boolean"),
               b=pd.array([True, False, True], dtype="boolean"))),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_corpus(case: Case, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    if isinstance(case.expected, pd.DataFrame):
        table = read_table(path, **case.kwargs)  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(table.frame, case.expected)
        joined = "\n".join(table.warnings)
        for fragment in case.warns:
            assert fragment in joined, table.warnings
        if not case.warns:
            assert table.warnings == []
        assert table.source == str(path)
    else:
        with pytest.raises(case.expected) as caught:
            read_table(path, **case.kwargs)  # type: ignore[arg-type]
        assert type(caught.value) is case.expected
        message = str(caught.value)
        assert path.name in message
        for fragment in case.message:
            assert fragment in message, message


def test_corpus_covers_at_least_25_cases() -> None:
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


def test_oversized_file_is_rejected_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:  # sparse: 10× the cap without writing the bytes
        fh.truncate(10 * 1_000_000)
    started = time.perf_counter()
    with pytest.raises(FileTooLargeError):
        read_table(path, max_bytes=1_000_000)
    assert time.perf_counter() - started < 1.0


def test_row_cap_stops_before_parsing_everything(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("a\n" + "1\n" * 100_000)
    with pytest.raises(TooManyRowsError) as caught:
        read_table(path, max_rows=1000)
    assert caught.value.row == 1002


def test_every_error_is_in_the_tree_and_a_value_error() -> None:
    for case in CASES:
        if not isinstance(case.expected, pd.DataFrame):
            assert issubclass(case.expected, IngestError)
            assert issubclass(case.expected, ValueError)


def test_excel_export_with_utf16_tabs(tmp_path: Path) -> None:
    # Excel's "Unicode text" export: UTF-16 with BOM, tab-separated.
    path = tmp_path / "excel.txt"
    path.write_bytes("Kunde\tUmsatz\nA\t1.234,5\nB\t99\n".encode("utf-16"))
    table = read_table(path)
    assert table.delimiter == "\t"
    assert table.frame["Kunde"].tolist() == ["A", "B"]
    assert table.frame["Umsatz"].dtype == "float64"


def test_xlsx_reads_cached_formula_values(tmp_path: Path) -> None:
    # openpyxl cannot compute formulas; a workbook saved by Excel carries the cached value.
    # Simulate it by writing the cached <v> element next to the formula.
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.active.append([1, 2])
    raw = io.BytesIO()
    book.save(raw)
    source = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    path = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                cell = b'<c r="B2" t="n"><v>2</v></c>'
                assert cell in data
                data = data.replace(cell, b'<c r="B2"><f>A2*2</f><v>4</v></c>')
            out.writestr(item, data)
    table = read_table(path)
    assert table.frame["b"].tolist() == [4]
