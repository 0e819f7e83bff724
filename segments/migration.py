"""Which customers moved between segments from one snapshot to the next.

:func:`migration_matrix` joins two customer → segment assignments by customer id:
rows are the old segments plus :data:`NEW` (customers only in the newer
snapshot), columns the new segments plus :data:`GONE` (customers only in the
older one). Counts, row shares and, when a value per customer is known
(predicted value from :mod:`segments.value`), the value that moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["GONE", "NEW", "Migration", "migration_matrix"]

NEW = "new"
"""Row of the customers present only in the newer snapshot."""
GONE = "gone"
"""Column of the customers present only in the older snapshot."""

Key = int | str


@dataclass(frozen=True)
class Migration:
    """Old segment → new segment, by customer id."""

    counts: pd.DataFrame
    """Rows: old segments, then ``new``; columns: new segments, then ``gone``."""
    value: pd.DataFrame | None
    """The same layout summing each customer's value (``None``: no value given)."""

    @property
    def in_both(self) -> int:
        """Customers present in both snapshots (the matrix without ``new`` and ``gone``)."""
        return int(self.counts.drop(index=NEW, columns=GONE, errors="ignore").to_numpy().sum())

    @property
    def only_old(self) -> int:
        """Customers present only in the older snapshot."""
        return int(self.counts[GONE].sum()) if GONE in self.counts.columns else 0

    @property
    def only_new(self) -> int:
        """Customers present only in the newer snapshot."""
        return int(self.counts.loc[NEW].sum()) if NEW in self.counts.index else 0

    def shares(self) -> pd.DataFrame:
        """Each row as shares of its old segment (rows sum to 1; empty rows stay 0)."""
        totals = self.counts.sum(axis=1).replace(0, 1)
        return self.counts.div(totals, axis=0)

    def moved(self, old: Key, new: Key) -> int:
        """Customers that went from ``old`` to ``new``."""
        if old not in self.counts.index or new not in self.counts.columns:
            return 0
        return int(self.counts.loc[old, new])

    def to_dict(self) -> dict[str, Any]:
        """``{"counts": {old: {new: n}}, "shares": …, "value": … | None}`` with string keys."""

        def nested(frame: pd.DataFrame, digits: int | None) -> dict[str, dict[str, Any]]:
            return {
                str(row): {
                    str(col): (int(v) if digits is None else round(float(v), digits))
                    for col, v in frame.loc[row].items()
                }
                for row in frame.index
            }

        return {
            "counts": nested(self.counts, None),
            "shares": nested(self.shares(), 4),
            "value": None if self.value is None else nested(self.value, 2),
        }


def _positions(side: pd.Series, keys: np.ndarray) -> np.ndarray:
    present = side.notna().to_numpy()
    values = side.fillna(-1).to_numpy(dtype="int64")
    return np.where(present, np.searchsorted(keys, values), len(keys)).astype("int64")


def migration_matrix(
    old: pd.Series,
    new: pd.Series,
    value: pd.Series | None = None,
    *,
    segments: list[int] | None = None,
) -> Migration:
    """The migration matrix of two ``customer id → segment number`` series.

    ``segments``: every segment number to show as a row and a column, even if empty.

    Ids are compared as text (``1`` and ``"1"`` are the same customer). ``value`` is
    a ``customer id → value`` series; customers without a value count as 0.

    Raises:
        ValueError: an id appears twice in ``old`` or ``new``.
    """
    before = pd.Series(old.to_numpy(), index=old.index.map(str))
    after = pd.Series(new.to_numpy(), index=new.index.map(str))
    for name, series in (("old", before), ("new", after)):
        if series.index.has_duplicates:
            repeated = series.index[series.index.duplicated()][:5].tolist()
            raise ValueError(f"the {name} snapshot repeats customer ids: {repeated}")
    joined = pd.concat([before.rename("old"), after.rename("new")], axis=1, join="outer")
    extra = np.asarray(segments or [], dtype="int64")
    old_keys = np.union1d(np.unique(before.to_numpy(dtype="int64")), extra)
    new_keys = np.union1d(np.unique(after.to_numpy(dtype="int64")), extra)
    # Positions in the matrix: a missing side is the last row (new) / column (gone).
    rows = _positions(joined["old"], old_keys)
    columns = _positions(joined["new"], new_keys)
    width = len(new_keys) + 1
    cells = rows * width + columns
    size = (len(old_keys) + 1) * width
    index = [*map(int, old_keys), NEW]
    labels = [*map(int, new_keys), GONE]

    def table(weights: np.ndarray | None) -> pd.DataFrame:
        flat = np.bincount(cells, weights=weights, minlength=size)
        frame = pd.DataFrame(flat.reshape(-1, width), index=index, columns=labels)
        frame.index.name, frame.columns.name = "old", "new"
        return frame

    counts = table(None).astype("int64")
    worth = None
    if value is not None:
        amounts = pd.Series(value.to_numpy(dtype="float64"), index=value.index.map(str))
        weights = amounts.reindex(joined.index).fillna(0.0).to_numpy(dtype="float64")
        worth = table(weights)
    return Migration(counts=counts, value=worth)
