"""The segmentation aggregate's tables: datasets, segmentations, segments, customer labels.

The only module with SQL for these tables, and the one place a ``segments``
row becomes a :class:`StoredSegment`. Writes take the connection of the
caller's transaction (:meth:`persona.store.Store.transaction`), so a dataset,
its segmentation, segments and labels commit together; reads take the store.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from persona.errors import NotFoundError
from persona.store import Store, dumps
from segments.facts import Fact
from segments.profile import stored_facts

__all__ = [
    "SavedModel",
    "StoredSegment",
    "data_dictionary",
    "dataset_source",
    "get_segment",
    "insert_dataset",
    "insert_labels",
    "insert_segment",
    "insert_segmentation",
    "latest_segmentation_id",
    "list_segments",
    "result_summary",
    "saved_model",
    "segment_from_row",
    "segment_members",
]


@dataclass(frozen=True)
class StoredSegment:
    """One segment as stored: its database id and its profile (aggregates only)."""

    id: int
    segmentation_id: int
    segment_index: int
    label: str
    size: int
    share: float
    profile: dict[str, Any]

    @property
    def facts(self) -> dict[str, Any]:
        """Named statistics a persona may cite (``profile["facts"]``): the flat view."""
        return dict(self.profile.get("facts", {}))

    @property
    def typed_facts(self) -> list[Fact]:
        """The same statistics as typed :class:`segments.Fact` objects.

        Rebuilt from the stored profile's structure (its statistics, rules and
        scorecard) with the stored values, so rows written before facts were typed
        yield them too; no fact name is parsed.
        """
        return stored_facts(self.profile)

    @property
    def scorecard(self) -> dict[str, Any]:
        """The six-criteria verdicts for this segment."""
        return dict(self.profile.get("scorecard", {}))


@dataclass(frozen=True)
class SavedModel:
    """What assigning new customers needs from a stored segmentation."""

    segmentation_id: int
    state: dict[str, Any] | None
    """The assignment model as data (:func:`segments.state.model_state`); ``None`` when
    it could not be carried over from an older workspace and needs a re-fit."""
    roles: dict[str, str]
    assignment_accuracy: float
    segment_labels: dict[int, str]


def segment_from_row(row: sqlite3.Row) -> StoredSegment:
    """The one mapping of a ``segments`` row to a :class:`StoredSegment`."""
    return StoredSegment(
        id=int(row["id"]),
        segmentation_id=int(row["segmentation_id"]),
        segment_index=int(row["segment_index"]),
        label=str(row["label"]),
        size=int(row["size"]),
        share=float(row["share"]),
        profile=json.loads(row["profile_json"]),
    )


# --------------------------------------------------------------------------- writes


def insert_dataset(
    db: sqlite3.Connection,
    project_id: int,
    *,
    name: str,
    source: str,
    sha256: str,
    n_rows: int,
    n_columns: int,
    roles: Mapping[str, str],
    warnings: Sequence[str],
    created_at: str,
) -> int:
    """Record the table that was segmented; returns the dataset id."""
    cursor = db.execute(
        "INSERT INTO datasets (project_id, name, source, sha256, n_rows, n_columns, "
        "roles_json, warnings_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            project_id,
            name,
            source,
            sha256,
            n_rows,
            n_columns,
            dumps(dict(roles)),
            dumps(list(warnings)),
            created_at,
        ),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def insert_segmentation(
    db: sqlite3.Connection,
    project_id: int,
    dataset_id: int,
    *,
    algorithm: str,
    k: int,
    params: Mapping[str, Any],
    result: Mapping[str, Any],
    model_state: Mapping[str, Any],
    created_at: str,
    dictionary: Mapping[str, Any] | None = None,
) -> int:
    """Record one segmentation run with its summary, model state and data dictionary.

    ``dictionary`` is :meth:`segments.DataDictionary.to_dict` (``None``: none given).
    Returns the new segmentation's id.
    """
    cursor = db.execute(
        "INSERT INTO segmentations (project_id, dataset_id, algorithm, k, params_json, "
        "result_json, model_state, created_at, dictionary_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            project_id,
            dataset_id,
            algorithm,
            k,
            dumps(dict(params)),
            json.dumps(dict(result), ensure_ascii=False, default=str),
            dumps(dict(model_state)),
            created_at,
            None if dictionary is None else dumps(dict(dictionary)),
        ),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def insert_segment(
    db: sqlite3.Connection,
    segmentation_id: int,
    *,
    segment_index: int,
    label: str,
    size: int,
    share: float,
    profile: Mapping[str, Any],
) -> int:
    """Record one segment's profile (aggregates only); returns the segment id."""
    cursor = db.execute(
        "INSERT INTO segments (segmentation_id, segment_index, label, size, share, "
        "profile_json) VALUES (?, ?, ?, ?, ?, ?)",
        (
            segmentation_id,
            segment_index,
            label,
            size,
            share,
            json.dumps(dict(profile), ensure_ascii=False, default=str),
        ),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def insert_labels(
    db: sqlite3.Connection, segmentation_id: int, labels: Iterable[tuple[str, int]]
) -> None:
    """Record customer id → segment number (these rows never leave SQLite)."""
    db.executemany(
        "INSERT INTO segment_labels (segmentation_id, customer_id, segment_index) VALUES (?, ?, ?)",
        [(segmentation_id, customer, segment) for customer, segment in labels],
    )


# --------------------------------------------------------------------------- reads


def latest_segmentation_id(store: Store, project_id: int) -> int | None:
    """Id of the project's most recent segmentation, or ``None``."""
    row = store.query_one(
        "SELECT id FROM segmentations WHERE project_id = ? ORDER BY id DESC LIMIT 1",
        (project_id,),
    )
    return None if row is None else int(row["id"])


def list_segments(store: Store, segmentation_id: int) -> list[StoredSegment]:
    """The segments of one segmentation, ordered by index."""
    rows = store.query(
        "SELECT * FROM segments WHERE segmentation_id = ? ORDER BY segment_index",
        (segmentation_id,),
    )
    return [segment_from_row(r) for r in rows]


def get_segment(store: Store, segment_id: int) -> StoredSegment:
    """One segment by database id, or :class:`NotFoundError`."""
    row = store.query_one("SELECT * FROM segments WHERE id = ?", (segment_id,))
    if row is None:
        raise NotFoundError("segment", segment_id, hint="See `persona segments show`.")
    return segment_from_row(row)


def data_dictionary(store: Store, segmentation_id: int) -> dict[str, Any] | None:
    """The data dictionary a segmentation was made with (``None``: none was given).

    Raises:
        NotFoundError: no segmentation has that id.
    """
    row = store.query_one(
        "SELECT dictionary_json FROM segmentations WHERE id = ?", (segmentation_id,)
    )
    if row is None:
        raise NotFoundError("segmentation", segmentation_id)
    text = row["dictionary_json"]
    return None if text is None else dict(json.loads(text))


def saved_model(store: Store, segmentation_id: int) -> SavedModel:
    """The stored model state and what assignment reports alongside it.

    Raises:
        NotFoundError: no segmentation has that id.
    """
    row = store.query_one(
        "SELECT id, result_json, model_state FROM segmentations WHERE id = ?",
        (segmentation_id,),
    )
    if row is None:
        raise NotFoundError("segmentation", segmentation_id)
    summary = json.loads(row["result_json"] or "{}")
    labels = {
        int(r["segment_index"]): str(r["label"])
        for r in store.query(
            "SELECT segment_index, label FROM segments WHERE segmentation_id = ?",
            (segmentation_id,),
        )
    }
    return SavedModel(
        segmentation_id=int(row["id"]),
        state=None if row["model_state"] is None else json.loads(row["model_state"]),
        roles=dict(summary.get("roles", {})),
        assignment_accuracy=float(summary.get("assignment_accuracy") or 0.0),
        segment_labels=labels,
    )


def result_summary(store: Store, segmentation_id: int) -> dict[str, Any]:
    """The stored :meth:`segments.SegmentationResult.to_dict` of a segmentation.

    Raises:
        NotFoundError: no segmentation has that id.
    """
    row = store.query_one("SELECT result_json FROM segmentations WHERE id = ?", (segmentation_id,))
    if row is None:
        raise NotFoundError("segmentation", segmentation_id)
    return dict(json.loads(row["result_json"] or "{}"))


def segment_members(store: Store, segmentation_id: int, segment_index: int) -> list[str]:
    """The customer ids labelled with one segment (for recruitment; they stay local)."""
    rows = store.query(
        "SELECT customer_id FROM segment_labels WHERE segmentation_id = ? AND segment_index = ?",
        (segmentation_id, segment_index),
    )
    return [str(r["customer_id"]) for r in rows]


def dataset_source(store: Store, segmentation_id: int) -> tuple[str, str]:
    """``(source path, sha256)`` of the table a segmentation was made from.

    Raises:
        NotFoundError: no segmentation has that id.
    """
    row = store.query_one(
        "SELECT d.source, d.sha256 FROM segmentations s JOIN datasets d ON d.id = s.dataset_id "
        "WHERE s.id = ?",
        (segmentation_id,),
    )
    if row is None:
        raise NotFoundError("segmentation", segmentation_id)
    return str(row["source"]), str(row["sha256"])
