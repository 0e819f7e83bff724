"""The ``snapshots`` and ``snapshot_labels`` tables: the project's customers over time.

The only module with SQL for these tables. A snapshot row holds aggregates only
(shares, bucket counts, PSI, migration counts, alerts); the customer → segment
labels of a snapshot sit in ``snapshot_labels`` and never leave SQLite. Writes
take the caller's transaction connection, so a snapshot, its labels and the
persona versions it causes commit together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from persona.store import Store, dumps

__all__ = [
    "StoredSnapshot",
    "baseline_snapshot",
    "insert_snapshot",
    "insert_snapshot_labels",
    "latest_snapshot",
    "list_snapshots",
    "segmentation_labels",
    "snapshot_labels",
]


@dataclass(frozen=True)
class StoredSnapshot:
    """One snapshot as stored (aggregates only)."""

    id: int
    segmentation_id: int
    kind: Literal["baseline", "refresh"]
    source: str
    sha256: str
    taken_at: str
    n_rows: int
    shares: dict[int, float]
    counts: dict[str, Any]
    drift: list[dict[str, Any]]
    migration: dict[str, Any]
    alerts: list[dict[str, Any]]
    summary: dict[str, Any]
    created_at: str


def _from_row(row: sqlite3.Row) -> StoredSnapshot:
    return StoredSnapshot(
        id=int(row["id"]),
        segmentation_id=int(row["segmentation_id"]),
        kind=row["kind"],
        source=str(row["source"]),
        sha256=str(row["sha256"]),
        taken_at=str(row["taken_at"]),
        n_rows=int(row["n_rows"]),
        shares={int(k): float(v) for k, v in json.loads(row["shares_json"]).items()},
        counts=json.loads(row["counts_json"]),
        drift=json.loads(row["drift_json"]),
        migration=json.loads(row["migration_json"]),
        alerts=json.loads(row["alerts_json"]),
        summary=json.loads(row["summary_json"]),
        created_at=str(row["created_at"]),
    )


def insert_snapshot(
    db: sqlite3.Connection,
    project_id: int,
    segmentation_id: int,
    *,
    kind: Literal["baseline", "refresh"],
    source: str,
    sha256: str,
    taken_at: str,
    n_rows: int,
    shares: Mapping[int, float],
    counts: Mapping[str, Any],
    created_at: str,
    drift: Sequence[Mapping[str, Any]] = (),
    migration: Mapping[str, Any] | None = None,
    alerts: Sequence[Mapping[str, Any]] = (),
    summary: Mapping[str, Any] | None = None,
) -> int:
    """Record one snapshot's aggregates; returns its id."""
    cursor = db.execute(
        "INSERT INTO snapshots (project_id, segmentation_id, kind, source, sha256, taken_at, "
        "n_rows, shares_json, counts_json, drift_json, migration_json, alerts_json, "
        "summary_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            project_id,
            segmentation_id,
            kind,
            source,
            sha256,
            taken_at,
            n_rows,
            dumps({str(k): v for k, v in shares.items()}),
            dumps(dict(counts)),
            dumps([dict(d) for d in drift]),
            dumps(dict(migration or {})),
            dumps([dict(a) for a in alerts]),
            dumps(dict(summary or {})),
            created_at,
        ),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def insert_snapshot_labels(
    db: sqlite3.Connection, snapshot_id: int, labels: Iterable[tuple[str, int]]
) -> None:
    """Record customer id → segment number of a snapshot (never leaves SQLite)."""
    db.executemany(
        "INSERT INTO snapshot_labels (snapshot_id, customer_id, segment_index) VALUES (?, ?, ?)",
        ((snapshot_id, customer, segment) for customer, segment in labels),
    )


def baseline_snapshot(store: Store, segmentation_id: int) -> StoredSnapshot | None:
    """The snapshot of the data the segmentation was fitted on, or ``None`` (older runs)."""
    row = store.query_one(
        "SELECT * FROM snapshots WHERE segmentation_id = ? AND kind = 'baseline' "
        "ORDER BY id LIMIT 1",
        (segmentation_id,),
    )
    return None if row is None else _from_row(row)


def latest_snapshot(store: Store, segmentation_id: int) -> StoredSnapshot | None:
    """The newest snapshot measured against ``segmentation_id``, or ``None``."""
    row = store.query_one(
        "SELECT * FROM snapshots WHERE segmentation_id = ? ORDER BY id DESC LIMIT 1",
        (segmentation_id,),
    )
    return None if row is None else _from_row(row)


def list_snapshots(store: Store, project_id: int) -> list[StoredSnapshot]:
    """Every snapshot of the project, oldest first."""
    rows = store.query("SELECT * FROM snapshots WHERE project_id = ? ORDER BY id", (project_id,))
    return [_from_row(r) for r in rows]


def _series(rows: list[sqlite3.Row]) -> pd.Series:
    return pd.Series(
        [int(r["segment_index"]) for r in rows],
        index=pd.Index([str(r["customer_id"]) for r in rows], name="customer_id"),
        dtype="int64",
        name="segment",
    )


def snapshot_labels(store: Store, snapshot_id: int) -> pd.Series:
    """Customer id → segment number of a snapshot."""
    rows = store.query(
        "SELECT customer_id, segment_index FROM snapshot_labels WHERE snapshot_id = ?",
        (snapshot_id,),
    )
    return _series(rows)


def segmentation_labels(store: Store, segmentation_id: int) -> pd.Series:
    """Customer id → segment number as the segmentation fitted them."""
    rows = store.query(
        "SELECT customer_id, segment_index FROM segment_labels WHERE segmentation_id = ?",
        (segmentation_id,),
    )
    return _series(rows)
