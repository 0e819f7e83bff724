"""Snapshots of the project's customers over time: the baseline and the history.

A segmentation's own table is its *baseline* snapshot, recorded in the same
transaction as the segmentation (:func:`baseline_of` measures it,
:func:`insert_baseline` stores it): reference buckets and counts for PSI, segment
shares and the assignment model's confidence, and how the table was read (a
customer table, or a transaction log with its columns) so a refresh reads the
newer export the same way. :func:`history` lists every snapshot with its shares
and alerts, oldest first.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import pandas as pd

import segments
from persona.repos import snapshots as repo
from persona.repos.snapshots import StoredSnapshot
from persona.services import Services
from segments.snapshot import SnapshotMeasures, measure_snapshot

__all__ = ["SnapshotSource", "StoredSnapshot", "baseline_of", "history", "insert_baseline"]


@dataclass(frozen=True)
class SnapshotSource:
    """How a snapshot's file was read: a customer table, or a log and its columns."""

    kind: str
    """``table`` or ``log``."""
    columns: list[str]
    """The file's columns as read (before a log is aggregated)."""
    log: dict[str, str | None] | None = None
    """For a log: :meth:`segments.LogColumns.options`."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"kind": self.kind, "columns": list(self.columns), "log": self.log}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SnapshotSource:
        """The source saved by :meth:`to_dict`."""
        return cls(str(data["kind"]), [str(c) for c in data["columns"]], data.get("log"))


def _fitted_rows(frame: pd.DataFrame, id_column: str | None) -> pd.DataFrame:
    """The rows :func:`segments.fit_segments` kept, in its order (see ``_customer_ids``)."""
    if id_column is None:
        return frame.reset_index(drop=True) if frame.index.has_duplicates else frame
    rows = frame.loc[frame[id_column].notna()]
    return rows.loc[~rows[id_column].duplicated(keep="first")]


def baseline_of(frame: pd.DataFrame, result: segments.SegmentationResult) -> SnapshotMeasures:
    """The segmentation's own table measured as a snapshot (its fitted labels kept)."""
    model = segments.load_model(result.model_state())
    rows = _fitted_rows(frame.rename(columns=str), result.id_column)
    labels = pd.Series(result.labels.to_numpy(), index=result.labels.index.map(str))
    return measure_snapshot(model, rows, labels=labels)


def insert_baseline(
    db: sqlite3.Connection,
    project_id: int,
    segmentation_id: int,
    measures: SnapshotMeasures,
    *,
    source: str,
    sha256: str,
    taken_at: str,
    read_as: SnapshotSource,
    created_at: str,
) -> int:
    """Store the baseline snapshot inside the segmentation's transaction; returns its id.

    Its labels are the segmentation's own (``segment_labels``), not copied.
    """
    return repo.insert_snapshot(
        db,
        project_id,
        segmentation_id,
        kind="baseline",
        source=source,
        sha256=sha256,
        taken_at=taken_at,
        n_rows=measures.n_customers,
        shares=measures.shares,
        counts={
            "bins": [b.to_dict() for b in measures.bins],
            **measures.counts.to_dict(),
        },
        summary={
            "confidence": round(measures.confidence, 4),
            "sizes": {str(k): v for k, v in measures.sizes.items()},
            "read_as": read_as.to_dict(),
        },
        created_at=created_at,
    )


def history(services: Services) -> list[StoredSnapshot]:
    """Every snapshot of the project (baselines and refreshes), oldest first."""
    return repo.list_snapshots(services.store, services.project_id)
