"""Does a newer table fit the segmentation it refreshes? Clear errors before anything is saved.

A refresh reads the newer export the way the segmentation read its table (a
customer table, or a transaction log with the same columns), then checks:
every feature column is there with a usable type, the customer id column is
there without repeats, and the table shares customers with the project (else it
is another project's table). New columns are not features of the saved segments;
they are named in a note, and a re-fit (``--refit``) is the way to use them.
"""

from __future__ import annotations

import pandas as pd

import segments
from persona.errors import SnapshotError
from persona.snapshots import SnapshotSource
from segments.features import date_feature, prepare_frame

__all__ = ["check_customers", "check_overlap", "customers_of", "new_columns"]

_SHOWN = 8


def _names(columns: list[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:_SHOWN])
    return shown + (f" and {len(columns) - _SHOWN} more" if len(columns) > _SHOWN else "")


def customers_of(raw: pd.DataFrame, read_as: SnapshotSource, source: str) -> pd.DataFrame:
    """One row per customer: ``raw`` itself, or the log aggregated with the saved columns."""
    if read_as.kind != "log" or not read_as.log:
        return raw
    needed = [c for c in read_as.log.values() if c is not None]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise SnapshotError(
            f"{source}: the segmentation was made from a transaction log with the columns "
            f"{_names(needed)}; this file has no {_names(missing)} (it has "
            f"{_names([str(c) for c in raw.columns])}).",
            hint="Export the newer log with the same columns, or segment this file anew "
            "with `persona segment`.",
        )
    options = {k: v for k, v in read_as.log.items() if v is not None}
    return segments.transactions_to_customers(raw, **options)  # type: ignore[arg-type]


def new_columns(raw: pd.DataFrame, read_as: SnapshotSource) -> list[str]:
    """Columns of ``raw`` the segmentation's table did not have."""
    return [str(c) for c in raw.columns if str(c) not in set(read_as.columns)]


def check_customers(
    frame: pd.DataFrame, model: segments.AssignmentModel, source: str
) -> pd.DataFrame:
    """``frame`` checked against the saved model: features present and readable, ids unique.

    Raises:
        SnapshotError: naming the columns (or ids) and what to do; nothing is saved.
    """
    spec = model.feature_spec
    missing = [c for c in spec.sources if c not in frame.columns]
    if missing:
        raise SnapshotError(
            f"{source}: {len(missing)} feature column(s) of the segmentation are missing: "
            f"{_names(missing)}.",
            hint="Export the newer table with the same columns as the one that was segmented, "
            "or find the segments again on it with `persona refresh FILE --refit`.",
        )
    if model.id_column is not None:
        if model.id_column not in frame.columns:
            raise SnapshotError(
                f"{source}: the customer id column {model.id_column!r} of the segmentation "
                f"is not in this file (it has {_names([str(c) for c in frame.columns])}).",
                hint=f"Rename this file's customer id column to {model.id_column!r}; customers "
                "are matched across snapshots by it.",
            )
        ids = frame[model.id_column]
        if ids.isna().any():
            raise SnapshotError(
                f"{source}: {int(ids.isna().sum())} row(s) have no {model.id_column!r}.",
                hint="Every customer needs an id to be followed across snapshots.",
            )
        repeated = ids[ids.duplicated(keep=False)]
        if len(repeated):
            examples = ", ".join(map(str, pd.unique(repeated)[:5]))
            raise SnapshotError(
                f"{source}: {repeated.nunique()} customer id(s) in {model.id_column!r} appear "
                f"more than once (e.g. {examples}).",
                hint="Give one row per customer (aggregate repeated rows first).",
            )
    _check_types(frame, model, source)
    return frame


def _check_types(frame: pd.DataFrame, model: segments.AssignmentModel, source: str) -> None:
    """A numeric, yes/no or date feature whose values no longer read as such is an error."""
    spec = model.feature_spec
    prepared = prepare_frame(frame, spec.to_dict())
    changed = []
    for column, prepared_name in [
        *((c, c) for c in spec.numeric),
        *((c, c) for c in spec.boolean),
        *((c, date_feature(c)) for c in spec.datetime),
    ]:
        given = frame[column].notna()
        readable = prepared[prepared_name].notna()
        if given.sum() and (given & ~readable).sum() > 0.5 * given.sum():
            changed.append(column)
    if changed:
        raise SnapshotError(
            f"{source}: the column(s) {_names(changed)} changed type: most of their values "
            "no longer read as the numbers, yes/no flags or dates the segments were made with.",
            hint="Export them in the same format as before, or re-fit with `--refit`.",
        )


def check_overlap(in_both: int, previous: int, source: str) -> None:
    """No customer in common with the previous snapshot: another project's table."""
    if previous and in_both == 0:
        raise SnapshotError(
            f"{source}: none of its customers is in this project's previous snapshot "
            f"({previous:,} customers).",
            hint="Is it another project's table? Choose the project with --project, or "
            "start a new segmentation with `persona segment`.",
        )
