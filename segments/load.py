"""Reading a customer table from CSV, Parquet, XLSX, JSON or JSON Lines.

:func:`read_table` checks the size and shape caps before a full parse, decodes
text (BOM, UTF-8, UTF-16, Windows-1252), sniffs the CSV dialect, types the cells
with one rule set (:mod:`segments.coerce`) and returns a :class:`LoadedTable`
whose ``warnings`` say what was changed on the way. Every failure is a named
:class:`~segments.errors.IngestError` subclass that names the file, the line or
column, and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import warnings as pywarnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from segments.coerce import coerce_text_column, coerce_value_column
from segments.errors import (
    EmptyTableError,
    EncodingError,
    FileMissingError,
    FileTooLargeError,
    MalformedTableError,
    RaggedRowsError,
    SheetNotFoundError,
    TooManyColumnsError,
    TooManyRowsError,
    UnsafeFileError,
    UnsupportedColumnError,
    UnsupportedFormatError,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_COLUMNS",
    "DEFAULT_MAX_ROWS",
    "LoadedTable",
    "read_table",
]

DEFAULT_MAX_BYTES = 1 << 30
DEFAULT_MAX_ROWS = 5_000_000
DEFAULT_MAX_COLUMNS = 1_000
RAGGED_SKIP_SHARE = 0.01
"""Rows with the wrong number of fields are skipped (and reported) up to this share."""

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 200
_ZIP_MAX_RATIO = 200
_XML_PROLOG_BYTES = 4096

_SUFFIXES = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".tab": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
}  # fmt: skip
_GENERIC_SUFFIXES = {".dat", ".data", ".export", ".out"}
_COMPRESSED = {".gz", ".bz2", ".xz", ".zip", ".zst", ".7z"}


@dataclass
class LoadedTable:
    """A loaded customer table and what happened while reading it.

    ``frame`` has a fresh ``RangeIndex``; columns are ``int64``/``float64``
    numbers, ``boolean``, ``datetime64[us]`` or ``str``. ``warnings`` are whole
    sentences for the user (values changed, rows skipped, sheets not read).
    """

    frame: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    format: str = ""
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True)
class _Caps:
    max_bytes: int
    max_rows: int
    max_columns: int


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    max_columns: int | None = None,
) -> LoadedTable:
    """Load a customer table from CSV/TSV, Parquet, XLSX, JSON or JSON Lines.

    The format comes from the file's suffix, or from its first bytes when the
    suffix is unknown or contradicts them. ``sheet`` picks an XLSX sheet by name
    or 0-based index (default: the first visible one). The caps (defaults
    :data:`DEFAULT_MAX_BYTES`, :data:`DEFAULT_MAX_ROWS`,
    :data:`DEFAULT_MAX_COLUMNS`) are checked before a full parse.

    Raises:
        IngestError: one of its subclasses, naming the file, the place and the remedy.
    """
    p = Path(path)
    name = p.name or str(p)
    caps = _Caps(
        DEFAULT_MAX_BYTES if max_bytes is None else int(max_bytes),
        DEFAULT_MAX_ROWS if max_rows is None else int(max_rows),
        DEFAULT_MAX_COLUMNS if max_columns is None else int(max_columns),
    )
    if not p.exists():
        raise FileMissingError(
            "file not found.", source=str(p), hint="Check the path and the file name."
        )
    if not p.is_file():
        raise FileMissingError("is not a file.", source=str(p), hint="Choose a table file.")
    size = p.stat().st_size
    if size > caps.max_bytes:
        raise FileTooLargeError(
            f"the file is {size:,} bytes; the limit is {caps.max_bytes:,}.",
            source=name,
            hint="Split the table, drop unneeded columns, or raise the limit.",
        )
    if size == 0:
        raise EmptyTableError("the file is empty.", source=name, hint="Export the table again.")
    warnings: list[str] = []
    try:
        with p.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise FileMissingError(
            f"cannot be read ({exc.strerror}).", source=name, hint="Check its permissions."
        ) from exc
    fmt = _detect_format(p, head, name, warnings)
    table: LoadedTable
    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        if fmt == "csv":
            table = _read_csv(p, name, caps, warnings)
        elif fmt == "parquet":
            table = _read_parquet(p, name, caps, warnings)
        elif fmt == "xlsx":
            table = _read_xlsx(p, name, sheet, caps, warnings)
        else:
            table = _read_json(p, name, caps, warnings, lines=fmt == "jsonl")
    for item in caught:
        # Library warnings (openpyxl styles, pyarrow) are noise for the user; keep
        # only the ones that say something about the data.
        if issubclass(item.category, DeprecationWarning):
            continue
        text = str(item.message).splitlines()[0][:200] if str(item.message) else ""
        if "style" in text.lower() or "extension is not supported" in text:
            continue
        table.warnings.append(f"{name}: {item.category.__name__}: {text}")
    table.source = str(p)
    return table


def _detect_format(p: Path, head: bytes, name: str, warnings: list[str]) -> str:
    suffix = p.suffix.lower()
    if suffix in _COMPRESSED:
        raise UnsupportedFormatError(
            f"compressed files ({suffix}) are not read directly.",
            source=name,
            hint="Decompress it and load the CSV, Parquet, XLSX or JSON file inside.",
        )
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFormatError(
            "old Excel (.xls) workbooks are not supported.",
            source=name,
            hint="Save it as .xlsx or CSV in Excel and load that.",
        )
    by_content = None
    if head.startswith(b"PAR1"):
        by_content = "parquet"
    elif head.startswith(b"PK\x03\x04"):
        by_content = "xlsx"
    by_suffix = _SUFFIXES.get(suffix)
    if by_content and by_suffix and by_content != by_suffix:
        warnings.append(f"{name}: the file is {by_content.upper()}, not {suffix}; read it as such.")
        return by_content
    if by_suffix:
        return by_suffix
    if suffix and suffix not in _GENERIC_SUFFIXES:
        raise UnsupportedFormatError(
            f"files ending in {suffix} are not supported.",
            source=name,
            hint="Export the table as CSV, Parquet, XLSX, JSON or JSON Lines.",
        )
    if by_content:
        return by_content
    if head.lstrip()[:1] in (b"[", b"{"):
        return "json"
    return "csv"


# --- text decoding -----------------------------------------------------------


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _decode(raw: bytes, name: str, warnings: list[str]) -> tuple[str, str]:
    """Decode bytes to text; returns (text, encoding name)."""
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    encoding = None
    for bom, candidate in boms:
        if raw.startswith(bom):
            encoding = candidate
            break
    if encoding is None and b"\x00" in raw[:4096]:
        sample = raw[:4096]
        odd = sample[1::2].count(0) / max(1, len(sample[1::2]))
        even = sample[0::2].count(0) / max(1, len(sample[0::2]))
        if odd > 0.3 and even < 0.05:
            encoding = "utf-16-le"
        elif even > 0.3 and odd < 0.05:
            encoding = "utf-16-be"
        else:
            raise EncodingError(
                "the file contains binary data, not text.",
                source=name,
                row=_line_of(raw, raw.index(b"\x00")),
                hint="Export the table as CSV (UTF-8) or use the original XLSX/Parquet file.",
            )
    if encoding is not None:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"invalid {encoding.upper()} bytes.",
                source=name,
                hint="Save the file again as UTF-8 and load it again.",
            ) from exc
        if encoding.startswith(("utf-16", "utf-32")):
            warnings.append(f"{name}: decoded as {encoding.upper()}.")
        return _reject_nul(text, name), encoding
    try:
        return _reject_nul(raw.decode("utf-8"), name), "utf-8"
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    # A file with valid multi-byte UTF-8 and a few invalid bytes is damaged UTF-8;
    # one with no UTF-8 sequences at all is a legacy single-byte export.
    if re.search(rb"[\xc2-\xf4][\x80-\xbf]", raw):
        raise EncodingError(
            f"invalid UTF-8 byte 0x{raw[bad_at]:02x} in a UTF-8 file.",
            source=name,
            row=_line_of(raw, bad_at),
            hint="Fix or remove that character, or save the file again as UTF-8.",
        )
    for legacy in ("cp1252", "latin-1"):
        try:
            text = raw.decode(legacy)
        except UnicodeDecodeError:
            continue
        warnings.append(f"{name}: not UTF-8; decoded as {legacy.upper()} (check accented letters).")
        return _reject_nul(text, name), legacy
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _reject_nul(text: str, name: str) -> str:
    at = text.find("\x00")
    if at >= 0:
        raise EncodingError(
            "the text contains a NUL character (binary data).",
            source=name,
            row=text.count("\n", 0, at) + 1,
            hint="Remove it, or export the table again as CSV (UTF-8).",
        )
    return text


# --- CSV ---------------------------------------------------------------------


def _sniff_delimiter(text: str) -> str:
    sample = text[:_SNIFF_CHARS]
    best, best_score = ",", (0.0, 0)
    for delimiter in _DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        counts = []
        try:
            for row in itertools.islice(reader, _SNIFF_RECORDS):
                if row and any(cell.strip() for cell in row):
                    counts.append(len(row))
        except csv.Error:
            pass
        if len(sample) == _SNIFF_CHARS and len(counts) > 1:
            counts = counts[:-1]  # the sample may cut the last record
        if not counts:
            continue
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        if mode < 2:
            continue
        score = (round(counts.count(mode) / len(counts), 2), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _records(text: str, delimiter: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line of the record, fields); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if "end of data" in message:
                problem = "a quoted field is never closed."
                hint = 'Close the quote (") or remove the stray quote character, then load again.'
            elif "field larger" in message:
                problem = f"a field is longer than {csv.field_size_limit():,} characters."
                hint = "Look for a quote that is never closed, or shorten the field."
            else:
                problem = f"malformed quoting ({message})."
                hint = 'Quote fields that contain quotes as "" and load again.'
            raise MalformedTableError(problem, source=name, row=start, hint=hint) from exc
        line = start
        start = reader.line_num + 1
        if not row or not any(cell.strip() for cell in row):
            continue
        yield line, row


def _looks_like_data(header: list[str]) -> bool:
    cells = [c.strip() for c in header]
    if not all(cells):
        return False
    numeric = re.compile(r"[+-]?[\d.,]+(?:[eE][+-]?\d+)?|\d{4}-\d{2}-\d{2}.*")
    return all(numeric.fullmatch(c) for c in cells)


def _read_csv(p: Path, name: str, caps: _Caps, warnings: list[str]) -> LoadedTable:
    raw = p.read_bytes()
    text, encoding = _decode(raw, name, warnings)
    del raw
    if not text.strip():
        raise EmptyTableError(
            "the file has no data (only whitespace).", source=name, hint="Export the table again."
        )
    delimiter = _sniff_delimiter(text)
    records = _records(text, delimiter, name)
    first = next(records, None)
    if first is None:
        raise EmptyTableError("the file has no data.", source=name, hint="Export the table again.")
    _, header = first
    if len(header) > caps.max_columns:
        raise TooManyColumnsError(
            f"{len(header):,} columns; the limit is {caps.max_columns:,}.",
            source=name,
            row=1,
            hint="Keep only the columns needed for segmentation, or raise the limit.",
        )
    rows: list[list[str]] = []
    if _looks_like_data(header):
        warnings.append(
            f"{name}: the first line looks like data, not column names; the columns were "
            "named column_1, column_2 … Add a header row to name them."
        )
        rows.append(header)
        header = [f"column_{i + 1}" for i in range(len(header))]
    width = len(header)
    bad_lines: list[int] = []
    trimmed = 0
    for line, row in records:
        if len(row) != width:
            if len(row) > width and not any(cell.strip() for cell in row[width:]):
                row = row[:width]
                trimmed += 1
            else:
                bad_lines.append(line)
                continue
        rows.append(row)
        if len(rows) > caps.max_rows:
            raise TooManyRowsError(
                f"more than {caps.max_rows:,} data rows.",
                source=name,
                row=line,
                hint="Load a sample or split the file, or raise the row limit.",
            )
    total = len(rows) + len(bad_lines)
    if bad_lines:
        shown = ", ".join(str(n) for n in bad_lines[:5]) + (" …" if len(bad_lines) > 5 else "")
        if len(bad_lines) > RAGGED_SKIP_SHARE * total:
            raise RaggedRowsError(
                f"{len(bad_lines)} of {total} rows do not have {width} fields like the "
                f"header (lines {shown}).",
                source=name,
                row=bad_lines[0],
                hint="Quote fields that contain the delimiter, or fix those rows.",
            )
        warnings.append(
            f"{name}: skipped {len(bad_lines)} rows whose number of fields differs from the "
            f"header's {width} (lines {shown})."
        )
    if trimmed:
        warnings.append(f"{name}: ignored empty trailing fields on {trimmed} rows.")
    if not rows:
        raise EmptyTableError(
            "the file has a header but no data rows.",
            source=name,
            hint="Export the table again with its rows.",
        )
    columns = _unique_names(header, name, warnings)
    matrix = np.array(rows, dtype=object)
    del rows
    frame = pd.DataFrame(
        {
            column: coerce_text_column(
                pd.Series(matrix[:, i], dtype="str"),
                column=column,
                source=name,
                warnings=warnings,
                decimal_comma=delimiter == ";",
            )
            for i, column in enumerate(columns)
        }
    )
    return LoadedTable(
        frame, warnings, source=name, format="csv", encoding=encoding, delimiter=delimiter
    )


def _unique_names(header: list[Any], name: str, warnings: list[str]) -> list[str]:
    names: list[str] = []
    blank: list[int] = []
    for i, cell in enumerate(header):
        text = "" if cell is None else str(cell).replace("\ufeff", "").strip()
        if not text:
            text = f"column_{i + 1}"
            blank.append(i + 1)
        names.append(text)
    if blank:
        warnings.append(
            f"{name}: {len(blank)} columns have no name (positions "
            f"{', '.join(map(str, blank[:10]))}); they were named column_N."
        )
    seen: dict[str, int] = {}
    taken = set(names)
    out: list[str] = []
    renamed: list[str] = []
    for text in names:
        if text in seen:
            n = seen[text] + 1
            while f"{text}_{n}" in taken:
                n += 1
            seen[text] = n
            new = f"{text}_{n}"
            taken.add(new)
            renamed.append(f"{text!r} → {new!r}")
            out.append(new)
        else:
            seen[text] = 1
            out.append(text)
    if renamed:
        warnings.append(f"{name}: duplicate column names were renamed ({', '.join(renamed[:10])}).")
    return out


# --- Parquet -----------------------------------------------------------------


def _read_parquet(p: Path, name: str, caps: _Caps, warnings: list[str]) -> LoadedTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(p)
        n_rows = pf.metadata.num_rows
        schema = pf.schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise MalformedTableError(
            f"not a readable Parquet file ({exc}).",
            source=name,
            hint="Write the file again (pandas.DataFrame.to_parquet) and load it again.",
        ) from exc
    if len(schema) > caps.max_columns:
        raise TooManyColumnsError(
            f"{len(schema):,} columns; the limit is {caps.max_columns:,}.",
            source=name,
            hint="Keep only the columns needed for segmentation, or raise the limit.",
        )
    if n_rows > caps.max_rows:
        raise TooManyRowsError(
            f"{n_rows:,} rows; the limit is {caps.max_rows:,}.",
            source=name,
            hint="Load a sample or split the file, or raise the row limit.",
        )
    for fld in schema:
        t = fld.type
        if (
            pa.types.is_nested(t)
            or pa.types.is_binary(t)
            or pa.types.is_large_binary(t)
            or pa.types.is_fixed_size_binary(t)
        ):
            raise UnsupportedColumnError(
                f"holds {t} values, which cannot be a table column.",
                source=name,
                column=fld.name,
                hint="Flatten or drop this column before exporting.",
            )
    try:
        arrow = pf.read()
    except (pa.ArrowException, OSError) as exc:
        raise MalformedTableError(
            f"the Parquet data cannot be read ({exc}).",
            source=name,
            hint="Write the file again and load it again.",
        ) from exc
    names = _unique_names(list(arrow.column_names), name, warnings)
    arrow = arrow.rename_columns(names)
    if n_rows == 0:
        raise EmptyTableError("the file has no rows.", source=name, hint="Export it again.")
    columns: dict[str, pd.Series] = {}
    for column, chunked in zip(names, arrow.columns, strict=True):
        columns[column] = _arrow_column(chunked, column, name, warnings)
    frame = pd.DataFrame(columns)
    return LoadedTable(frame, warnings, source=name, format="parquet")


def _arrow_column(chunked: Any, column: str, name: str, warnings: list[str]) -> pd.Series:
    import pyarrow as pa

    t = chunked.type
    if pa.types.is_dictionary(t):
        chunked = chunked.cast(t.value_type)
        t = t.value_type
    if pa.types.is_boolean(t):
        return pd.Series(chunked.to_pandas(), dtype="boolean")
    if pa.types.is_decimal(t):
        chunked = chunked.cast(pa.float64())
        t = pa.float64()
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        values = pd.Series(chunked.to_numpy(zero_copy_only=False))
        numbers = values.astype("float64") if values.isna().any() else values
        if pa.types.is_floating(t) or numbers.dtype == "float64":
            numbers = numbers.astype("float64")
            infinite = np.isinf(numbers.to_numpy())
            if infinite.any():
                warnings.append(
                    f"{name}, column {column!r}: {int(infinite.sum())} infinite values were "
                    "treated as missing."
                )
                numbers = numbers.mask(infinite)
            return numbers
        return numbers.astype("int64")
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        stamps = pd.to_datetime(pd.Series(chunked.to_pandas()), utc=True, errors="coerce")
        return stamps.dt.tz_localize(None).astype("datetime64[us]")
    if pa.types.is_null(t):
        return pd.Series(np.nan, index=pd.RangeIndex(len(chunked)), dtype="float64")
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        text = pd.Series(chunked.to_pandas(), dtype="str")
        return coerce_text_column(text, column=column, source=name, warnings=warnings)
    raise UnsupportedColumnError(
        f"holds {t} values, which are not supported.",
        source=name,
        column=column,
        hint="Cast it to a number, text or timestamp before exporting.",
    )


# --- XLSX --------------------------------------------------------------------


def _check_zip(p: Path, name: str, caps: _Caps) -> None:
    try:
        with zipfile.ZipFile(p) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > caps.max_bytes:
                raise UnsafeFileError(
                    f"the workbook unpacks to {total:,} bytes; the limit is {caps.max_bytes:,}.",
                    source=name,
                    hint="This can be a zip bomb. Export the sheet as CSV instead.",
                )
            for member in members:
                if member.file_size > 1_000_000 and member.file_size > _ZIP_MAX_RATIO * max(
                    1, member.compress_size
                ):
                    raise UnsafeFileError(
                        f"part {member.filename!r} expands {member.file_size:,} bytes from "
                        f"{member.compress_size:,} (more than {_ZIP_MAX_RATIO}×).",
                        source=name,
                        hint="This looks like a zip bomb. Export the sheet as CSV instead.",
                    )
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as fh:
                        prolog = fh.read(_XML_PROLOG_BYTES)
                    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
                        raise UnsafeFileError(
                            f"part {member.filename!r} declares XML entities (entity "
                            "expansion attack).",
                            source=name,
                            hint="Excel never writes these; export the sheet as CSV instead.",
                        )
    except zipfile.BadZipFile as exc:
        raise MalformedTableError(
            "not a valid XLSX workbook (broken zip).",
            source=name,
            hint="Open and save it again in Excel, or export the sheet as CSV.",
        ) from exc


def _read_xlsx(
    p: Path, name: str, sheet: str | int | None, caps: _Caps, warnings: list[str]
) -> LoadedTable:
    _check_zip(p, name, caps)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for broken files
        raise MalformedTableError(
            f"the workbook cannot be opened ({type(exc).__name__}: {exc}).",
            source=name,
            hint="Open and save it again in Excel, or export the sheet as CSV.",
        ) from exc
    try:
        return _read_sheet(workbook, name, sheet, caps, warnings)
    finally:
        workbook.close()


def _read_sheet(
    workbook: Any, name: str, sheet: str | int | None, caps: _Caps, warnings: list[str]
) -> LoadedTable:
    titles = list(workbook.sheetnames)
    visible = [ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"]
    if sheet is None:
        if not visible:
            raise SheetNotFoundError(
                "the workbook has no visible sheet.", source=name, hint="Pass sheet= by name."
            )
        chosen = visible[0]
        others = [t for t in titles if t != chosen]
        if others:
            warnings.append(
                f"{name}: read sheet {chosen!r}; not read: {', '.join(map(repr, others))}. "
                "Pass sheet= to choose another."
            )
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(titles):
            raise SheetNotFoundError(
                f"there is no sheet number {sheet} (the workbook has {len(titles)}).",
                source=name,
                hint=f"Sheets: {', '.join(map(repr, titles))}; numbers start at 0.",
            )
        chosen = titles[sheet]
    else:
        if sheet not in titles:
            raise SheetNotFoundError(
                f"there is no sheet {sheet!r}.",
                source=name,
                hint=f"Sheets: {', '.join(map(repr, titles))}.",
            )
        chosen = str(sheet)
    ws = workbook[chosen]
    where = f"{name} [{chosen}]"
    rows: list[tuple[Any, ...]] = []
    header: tuple[Any, ...] | None = None
    for row in ws.iter_rows(values_only=True):
        if not any(v is not None and str(v).strip() != "" for v in row):
            continue
        if header is None:
            header = row
            if _trimmed_width(row) > caps.max_columns:
                raise TooManyColumnsError(
                    f"{_trimmed_width(row):,} columns; the limit is {caps.max_columns:,}.",
                    source=where,
                    hint="Keep only the columns needed for segmentation, or raise the limit.",
                )
            continue
        rows.append(row)
        if len(rows) > caps.max_rows:
            raise TooManyRowsError(
                f"more than {caps.max_rows:,} data rows.",
                source=where,
                hint="Load a sample or split the sheet, or raise the row limit.",
            )
    if header is None:
        raise EmptyTableError(
            "the sheet is empty.", source=where, hint="Choose another sheet with sheet=."
        )
    if not rows:
        raise EmptyTableError(
            "the sheet has a header but no data rows.",
            source=where,
            hint="Choose another sheet with sheet=, or add the rows.",
        )
    width = max([_trimmed_width(header), *(_trimmed_width(r) for r in rows)])
    if width > caps.max_columns:
        raise TooManyColumnsError(
            f"{width:,} columns; the limit is {caps.max_columns:,}.",
            source=where,
            hint="Keep only the columns needed for segmentation, or raise the limit.",
        )
    header_cells = list(header[:width]) + [None] * (width - len(header))
    columns = _unique_names(header_cells, where, warnings)
    frame = pd.DataFrame(
        {
            column: coerce_value_column(
                [r[i] if i < len(r) else None for r in rows],
                column=column,
                source=where,
                warnings=warnings,
            )
            for i, column in enumerate(columns)
        }
    )
    return LoadedTable(frame, warnings, source=name, format="xlsx")


def _trimmed_width(row: tuple[Any, ...]) -> int:
    width = len(row)
    while width and (row[width - 1] is None or str(row[width - 1]).strip() == ""):
        width -= 1
    return width


# --- JSON --------------------------------------------------------------------


def _json_error(exc: Exception, name: str, row: int | None = None) -> MalformedTableError:
    if isinstance(exc, json.JSONDecodeError):
        return MalformedTableError(
            f"invalid JSON ({exc.msg}, column {exc.colno}).",
            source=name,
            row=row if row is not None else exc.lineno,
            hint="Fix the JSON (a validator shows the spot) and load again.",
        )
    return MalformedTableError(
        "the JSON is nested too deeply to read.",
        source=name,
        row=row,
        hint="Flatten the records to one level of fields.",
    )


def _read_json(p: Path, name: str, caps: _Caps, warnings: list[str], *, lines: bool) -> LoadedTable:
    text, encoding = _decode(p.read_bytes(), name, warnings)
    records: list[dict[str, Any]] = []
    if lines:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise _json_error(exc, name, number) from exc
            if not isinstance(record, dict):
                raise MalformedTableError(
                    f"expected an object per line, found {type(record).__name__}.",
                    source=name,
                    row=number,
                    hint="Write one JSON object {…} per line.",
                )
            records.append(record)
            if len(records) > caps.max_rows:
                raise TooManyRowsError(
                    f"more than {caps.max_rows:,} records.",
                    source=name,
                    row=number,
                    hint="Load a sample or split the file, or raise the row limit.",
                )
    else:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise _json_error(exc, name) from exc
        records = _json_records(data, name, warnings)
        if len(records) > caps.max_rows:
            raise TooManyRowsError(
                f"{len(records):,} records; the limit is {caps.max_rows:,}.",
                source=name,
                hint="Load a sample or split the file, or raise the row limit.",
            )
    if not records:
        raise EmptyTableError("no records.", source=name, hint="Export the table again.")
    keys: dict[str, None] = {}
    for record in records:
        for key in record:
            keys.setdefault(key, None)
            if len(keys) > caps.max_columns:
                raise TooManyColumnsError(
                    f"more than {caps.max_columns:,} distinct fields.",
                    source=name,
                    hint="Keep only the fields needed for segmentation, or raise the limit.",
                )
    try:
        flat = pd.json_normalize(records, sep=".")
    except RecursionError as exc:
        raise _json_error(exc, name) from exc
    if flat.shape[1] > caps.max_columns:
        raise TooManyColumnsError(
            f"{flat.shape[1]:,} fields after flattening nested objects; the limit is "
            f"{caps.max_columns:,}.",
            source=name,
            hint="Drop nested fields that are not needed, or raise the limit.",
        )
    if flat.shape[1] == 0:
        raise EmptyTableError("the records have no fields.", source=name, hint="Export again.")
    names = _unique_names(list(flat.columns), name, warnings)
    columns: dict[str, pd.Series] = {}
    listy: list[str] = []
    for column, original in zip(names, flat.columns, strict=True):
        values = flat[original].tolist()
        if any(isinstance(v, list | dict) for v in values):
            listy.append(column)
            values = [
                json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                for v in values
            ]
        columns[column] = coerce_value_column(values, column=column, source=name, warnings=warnings)
    if listy:
        warnings.append(
            f"{name}: fields {', '.join(map(repr, listy))} hold lists; kept as JSON text."
        )
    frame = pd.DataFrame(columns)
    return LoadedTable(
        frame, warnings, source=name, format="jsonl" if lines else "json", encoding=encoding
    )


def _json_records(data: Any, name: str, warnings: list[str]) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        lists = [k for k, v in data.items() if isinstance(v, list)]
        if len(lists) == 1 and all(isinstance(r, dict) for r in data[lists[0]]):
            warnings.append(f"{name}: read the records under {lists[0]!r}.")
            data = data[lists[0]]
        elif data and all(isinstance(v, list) for v in data.values()):
            lengths = {len(v) for v in data.values()}
            if len(lengths) != 1:
                raise MalformedTableError(
                    "the column lists have different lengths.",
                    source=name,
                    hint="Give every column the same number of values.",
                )
            keys = list(data)
            return [
                dict(zip(keys, values, strict=True)) for values in zip(*data.values(), strict=True)
            ]
        else:
            raise MalformedTableError(
                "expected a list of records ([{…}, {…}]).",
                source=name,
                hint="Export the table as a JSON array of objects, or as JSON Lines.",
            )
    if not isinstance(data, list):
        raise MalformedTableError(
            "expected a list of records ([{…}, {…}]).",
            source=name,
            hint="Export the table as a JSON array of objects, or as JSON Lines.",
        )
    for i, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            raise MalformedTableError(
                f"expected an object, found {type(record).__name__}.",
                source=name,
                row=i,
                row_label="record",
                hint="Every element of the array must be an object {…}.",
            )
    return data
