"""Errors raised by the segmentation engine.

::

    SegmentsError
    ├── InputError (ValueError)       a customer table cannot be loaded as given
    │   │                             (also importable as IngestError, its former name)
    │   ├── FileMissingError          no such file, or a folder
    │   ├── FileTooLargeError         bigger than max_bytes (checked before reading)
    │   ├── TooManyRowsError          more than max_rows data rows
    │   ├── TooManyColumnsError       more than max_columns columns
    │   ├── UnsupportedFormatError    not CSV/Parquet/XLSX/JSON/JSONL, or compressed
    │   ├── EncodingError             bytes that are not text in any supported encoding
    │   ├── MalformedTableError       unclosed quote, invalid JSON, corrupt Parquet …
    │   │   └── RaggedRowsError       too many rows with the wrong number of fields
    │   ├── EmptyTableError           no data rows or no columns
    │   ├── SheetNotFoundError        the requested XLSX sheet does not exist
    │   ├── UnsafeFileError           zip bomb, XML entity declarations
    │   ├── UnsupportedColumnError    nested/binary columns (Parquet, JSON)
    │   └── DatabaseError             a database cannot be reached or read, a query fails
    ├── SegmentationError (ValueError) the table cannot be segmented as asked
    │   ├── InvalidOptionError        unknown algorithm, role, bad k …
    │   ├── ColumnNotFoundError       a named column is not in the table
    │   ├── TooFewRowsError           fewer customers than the segmentation needs
    │   ├── NoFeaturesError           no column is usable as a feature
    │   ├── NoStructureError          the algorithm found fewer than two segments
    │   └── ValueFitError             a value model cannot be fitted on this log
    └── ModelStateError (ValueError)  a saved assignment model cannot be used
                                      (another format, a newer schema, corrupt, or
                                      not carried over from an older workspace)

A caller that only tells the three situations apart catches the three bases:
:class:`InputError` (fix the file), :class:`SegmentationError` (change the
options or the columns), :class:`ModelStateError` (segment the table again).

Every subclass is built from *what went wrong* plus where (``source``, ``row``,
``column``) and *what to do* (``hint``); ``str(err)`` reads as one message fit to
show a user, for example::

    customers.csv, line 17: unterminated quoted field. Close the quote … and load again.

``segments`` does not depend on ``persona``; ``persona.errors.USER_ERRORS``
includes :class:`SegmentsError` so the shells show these messages too.
"""

from __future__ import annotations


class SegmentsError(Exception):
    """Base of every segmentation error. ``str(err)`` is fit to show a user."""


class InputError(SegmentsError, ValueError):
    """A customer table cannot be loaded; says which file, row or column and what to do."""


IngestError = InputError
"""The former name of :class:`InputError`, kept so existing ``except`` clauses work."""


class SegmentationError(SegmentsError, ValueError):
    """The data cannot be segmented as asked (too few rows, no usable features …)."""


class ModelStateError(SegmentsError, ValueError):
    """A saved assignment model cannot be used; the message says to segment again."""

    def __init__(self, problem: str, *, hint: str | None = None) -> None:
        self.problem = problem
        self.hint = hint or (
            "Segment the customer table again to assign new customers; the segments, "
            "their profiles and personas stay readable."
        )
        super().__init__(f"The saved segmentation model cannot be used: {problem} {self.hint}")


class _Located(Exception):
    """Mixin that builds the message from the problem, its place and the remedy.

    ``row_label`` names what ``row`` counts: ``"line"`` for text files (1-based
    physical line), ``"row"`` for spreadsheets, ``"record"`` for JSON arrays.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        row_label: str = "line",
    ) -> None:
        self.problem = problem
        self.source = source
        self.row = row
        self.column = column
        self.hint = hint
        where = []
        if source:
            where.append(source)
        if row is not None:
            where.append(f"{row_label} {row}")
        if column is not None:
            where.append(f"column {column!r}")
        message = f"{', '.join(where)}: {problem}" if where else problem
        if hint:
            message = f"{message} {hint}"
        super().__init__(message)


class FileMissingError(_Located, InputError):
    """The path does not exist, is a folder, or cannot be read."""


class FileTooLargeError(_Located, InputError):
    """The file is bigger than the byte cap; rejected before it is read."""


class TooManyRowsError(_Located, InputError):
    """The table has more data rows than the row cap."""


class TooManyColumnsError(_Located, InputError):
    """The table has more columns than the column cap."""


class UnsupportedFormatError(_Located, InputError):
    """The file is not one of the formats the loader reads."""


class EncodingError(_Located, InputError):
    """The bytes cannot be decoded as text (invalid UTF-8 mid-file, binary data)."""


class MalformedTableError(_Located, InputError):
    """The file's structure is broken: unclosed quote, invalid JSON, corrupt Parquet."""


class RaggedRowsError(MalformedTableError):
    """Too many rows have a different number of fields than the header."""


class EmptyTableError(_Located, InputError):
    """The table has no data rows or no columns."""


class SheetNotFoundError(_Located, InputError):
    """The workbook has no sheet with the requested name or index."""


class UnsafeFileError(_Located, InputError):
    """The file looks like an attack (zip bomb, XML entity expansion) and is refused."""


class UnsupportedColumnError(_Located, InputError):
    """A column holds nested or binary values that cannot become a table column."""


class DatabaseError(_Located, InputError):
    """A database source failed: unreachable, refused, timed out, missing table, bad query."""


class InvalidOptionError(_Located, SegmentationError):
    """An argument has a value the engine does not support."""


class ColumnNotFoundError(_Located, SegmentationError):
    """A column named in the arguments is not in the table."""


class TooFewRowsError(_Located, SegmentationError):
    """There are fewer customers than the requested segmentation needs."""


class NoFeaturesError(_Located, SegmentationError):
    """No column is usable as a clustering feature."""


class NoStructureError(_Located, SegmentationError):
    """The algorithm found fewer than two segments in the data."""


__all__ = [
    "ColumnNotFoundError",
    "DatabaseError",
    "EmptyTableError",
    "EncodingError",
    "FileMissingError",
    "FileTooLargeError",
    "IngestError",
    "InputError",
    "InvalidOptionError",
    "MalformedTableError",
    "ModelStateError",
    "NoFeaturesError",
    "NoStructureError",
    "RaggedRowsError",
    "SegmentationError",
    "SegmentsError",
    "SheetNotFoundError",
    "TooFewRowsError",
    "TooManyColumnsError",
    "TooManyRowsError",
    "UnsafeFileError",
    "UnsupportedColumnError",
    "UnsupportedFormatError",
    "ValueFitError",
]


class ValueFitError(_Located, SegmentationError):
    """A value model cannot be fitted on this log: too short, no repeat buyers, no spend …"""
