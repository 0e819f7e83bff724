"""Property-based fuzz of the loader: any bytes either load sensibly or raise InputError."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segments import InputError, read_table

TOKENS = [
    "", "NA", "n/a", "null", "-", "inf", "-inf", "1e309", "NaN", "€1.234,50", "1,234.5",
    "12,5", "00123", "true", "FALSE", "yes", "2024-01-02", "01/02/2024", "13/02/2024",
    "=SUM(A1)", "@x", "+1", "-2+3", "  padded  ", '"', '""', "a\nb", "x;y", "\t", "\x00",
]  # fmt: skip

cells = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(TOKENS),
    st.text(max_size=12),
)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    width = draw(st.integers(1, 6))
    header = draw(
        st.lists(
            st.one_of(st.text(max_size=8), st.sampled_from(["id", "age", "email"])),
            min_size=width,
            max_size=width,
        )
    )
    rows = draw(
        st.lists(st.lists(cells, min_size=max(0, width - 1), max_size=width + 1), max_size=25)
    )
    quote_all = draw(st.booleans())

    def render(cell: str) -> str:
        if quote_all or any(ch in cell for ch in (delimiter, '"', "\n", "\r")):
            if draw(st.integers(0, 9)) == 0:
                return cell  # sometimes leave it broken on purpose
            return '"' + cell.replace('"', '""') + '"'
        return cell

    lines = [delimiter.join(render(c) for c in row) for row in [header, *rows]]
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    raw = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 4)) == 0:
        junk = draw(st.binary(min_size=1, max_size=4))
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + junk + raw[at:]
    return raw


def _check(raw: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(raw)
        started = time.perf_counter()
        try:
            table = read_table(path)
        except InputError as err:
            assert str(err).startswith(path.name)
            return
        assert time.perf_counter() - started < 2.0
        frame = table.frame
        assert len(frame) >= 1 and frame.shape[1] >= 1
        assert frame.columns.is_unique
        assert all(isinstance(c, str) and c for c in frame.columns)
        assert isinstance(frame.index, pd.RangeIndex)
        # Library warnings are recorded with their class name; none should occur.
        assert not any("Warning:" in w for w in table.warnings), table.warnings


@settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(csv_bytes())
def test_generated_csv_loads_or_raises_ingest_error(raw: bytes) -> None:
    _check(raw, ".csv")


@settings(max_examples=100, deadline=None, database=None)
@given(st.binary(max_size=300), st.sampled_from([".csv", ".json", ".jsonl", ".xlsx", ".parquet"]))
def test_random_bytes_load_or_raise_ingest_error(raw: bytes, suffix: str) -> None:
    _check(raw, suffix)
