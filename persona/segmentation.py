"""Segment a customer table and keep the result in the workspace.

The numbers come from :mod:`segments`; this module only loads the file, runs
:func:`segments.fit_segments`, and stores the profiles (aggregates) and the
customer → segment labels (which never leave SQLite) in one transaction, with
the digests of the table's customer ids and names, which are then masked in the
project's documents (:mod:`persona.identifiers`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import segments
from persona.errors import NotFoundError
from persona.identifiers import identifier_rows
from persona.knowledge.manage import scrub_known_identifiers
from persona.repos.identifiers import project_salt, record_identifiers
from persona.services import Services
from persona.store import dumps, utc_now

__all__ = [
    "SegmentationRun",
    "StoredSegment",
    "assign_new_customers",
    "get_segment",
    "latest_segmentation",
    "load_segments",
    "run_segmentation",
]

Progress = Callable[[str, float], None]


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
        """Named statistics a persona may cite (``profile["facts"]``)."""
        return dict(self.profile.get("facts", {}))

    @property
    def scorecard(self) -> dict[str, Any]:
        """The six-criteria verdicts for this segment."""
        return dict(self.profile.get("scorecard", {}))


@dataclass(frozen=True)
class SegmentationRun:
    """What :func:`run_segmentation` did: ids, the result, and the load warnings."""

    dataset_id: int
    segmentation_id: int
    result: segments.SegmentationResult
    segments: list[StoredSegment]
    warnings: list[str]
    frame: Any = field(default=None, repr=False, compare=False)
    """The table that was segmented, one row per customer (a log already aggregated)."""


def run_segmentation(
    services: Services,
    path: Path,
    *,
    k: int | str = "auto",
    algorithm: str = "kmeans",
    id_column: str | None = None,
    roles: dict[str, str] | None = None,
    transactions: bool = False,
    customer_column: str = "customer_id",
    date_column: str = "date",
    amount_column: str = "amount",
    sheet: str | None = None,
    random_state: int = 0,
    progress: Progress | None = None,
) -> SegmentationRun:
    """Load ``path``, segment it and store the result; returns what was stored."""
    settings = services.settings
    report = progress or (lambda _stage, _fraction: None)
    report("Loading table", 0.0)
    loaded = segments.read_table(path, sheet=sheet, max_bytes=settings.max_upload_mb * 1024 * 1024)
    frame = loaded.frame
    if transactions:
        report("Turning transactions into customers", 0.1)
        frame = segments.transactions_to_customers(
            frame,
            customer_column=customer_column,
            date_column=date_column,
            amount_column=amount_column,
        )
        id_column = customer_column
    result = segments.fit_segments(
        frame,
        k=k,
        algorithm=algorithm,
        id_column=id_column,
        roles=roles,
        min_segment_size=settings.min_segment_size,
        random_state=random_state,
        progress=lambda stage, fraction: report(stage, 0.15 + 0.8 * fraction),
    )
    report("Saving", 0.95)
    warnings = [*loaded.warnings, *frame.attrs.get("warnings", []), *result.warnings]
    known = identifier_rows(project_salt(services.store, services.project_id), frame, result.roles)
    dataset_id, segmentation_id, added = _save(
        services, path, frame, result, warnings, algorithm, k, known
    )
    if added:
        report("Masking these customers' ids and names in the documents", 0.97)
        masked = scrub_known_identifiers(services.store, services.settings)
        if masked:
            warnings.append(
                f"{masked} document chunk(s) named customers of this table; their ids and "
                "names are now masked in the documents"
            )
    report("Done", 1.0)
    return SegmentationRun(
        dataset_id=dataset_id,
        segmentation_id=segmentation_id,
        result=result,
        segments=load_segments(services, segmentation_id),
        warnings=warnings,
        frame=frame,
    )


def _save(
    services: Services,
    path: Path,
    frame: Any,
    result: segments.SegmentationResult,
    warnings: list[str],
    algorithm: str,
    k: int | str,
    known: list[tuple[str, int, int]],
) -> tuple[int, int, int]:
    digest = _sha256(path)
    project_id = services.project_id
    now = utc_now()
    profiles = []
    for profile in result.profiles:
        data = profile.to_dict()
        data["facts"] = profile.facts()
        profiles.append((profile, data))
    labels = [(str(customer), int(segment)) for customer, segment in result.labels.items()]
    # The fitted result (pipeline + assignment model) is kept so new customers can be
    # assigned later; it is our own data in our own database, never user-supplied pickle.
    model_blob = pickle.dumps(result)
    with services.store.transaction() as db:
        dataset_id = db.execute(
            "INSERT INTO datasets (project_id, name, source, sha256, n_rows, n_columns, "
            "roles_json, warnings_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                project_id,
                path.name,
                str(path),
                digest,
                len(frame),
                frame.shape[1],
                dumps(result.roles),
                dumps(warnings),
                now,
            ),
        ).lastrowid
        segmentation_id = db.execute(
            "INSERT INTO segmentations (project_id, dataset_id, algorithm, k, params_json, "
            "result_json, model_blob, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                project_id,
                dataset_id,
                algorithm,
                int(result.k),
                dumps({"k": str(k), "algorithm": algorithm}),
                json.dumps(result.to_dict(), ensure_ascii=False, default=str),
                model_blob,
                now,
            ),
        ).lastrowid
        for profile, data in profiles:
            db.execute(
                "INSERT INTO segments (segmentation_id, segment_index, label, size, share, "
                "profile_json) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    segmentation_id,
                    int(profile.segment_id),
                    profile.label,
                    int(profile.size),
                    float(profile.share),
                    json.dumps(data, ensure_ascii=False, default=str),
                ),
            )
        db.executemany(
            "INSERT INTO segment_labels (segmentation_id, customer_id, segment_index) "
            "VALUES (?, ?, ?)",
            [(segmentation_id, customer, segment) for customer, segment in labels],
        )
        added = record_identifiers(db, project_id, known)
    assert dataset_id is not None and segmentation_id is not None
    return int(dataset_id), int(segmentation_id), added


def latest_segmentation(services: Services) -> int:
    """Id of the project's most recent segmentation, or :class:`NotFoundError`."""
    row = services.store.query_one(
        "SELECT id FROM segmentations WHERE project_id = ? ORDER BY id DESC LIMIT 1",
        (services.project_id,),
    )
    if row is None:
        raise NotFoundError(
            "segmentation",
            services.settings.project,
            hint="Segment a customer table first: `persona segment customers.csv`.",
        )
    return int(row["id"])


def load_segments(services: Services, segmentation_id: int | None = None) -> list[StoredSegment]:
    """Segments of ``segmentation_id`` (default: the latest), ordered by index."""
    if segmentation_id is None:
        segmentation_id = latest_segmentation(services)
    rows = services.store.query(
        "SELECT * FROM segments WHERE segmentation_id = ? ORDER BY segment_index",
        (segmentation_id,),
    )
    return [_stored_segment(r) for r in rows]


def get_segment(services: Services, segment_id: int) -> StoredSegment:
    """One segment by its database id (of any segmentation), or :class:`NotFoundError`."""
    row = services.store.query_one("SELECT * FROM segments WHERE id = ?", (segment_id,))
    if row is None:
        raise NotFoundError("segment", segment_id, hint="See `persona segments show`.")
    return _stored_segment(row)


def _stored_segment(row: sqlite3.Row) -> StoredSegment:
    return StoredSegment(
        id=int(row["id"]),
        segmentation_id=int(row["segmentation_id"]),
        segment_index=int(row["segment_index"]),
        label=str(row["label"]),
        size=int(row["size"]),
        share=float(row["share"]),
        profile=json.loads(row["profile_json"]),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assign_new_customers(
    services: Services, path: Path, output: Path, *, segmentation_id: int | None = None
) -> tuple[Path, float, int]:
    """Assign the customers in ``path`` to existing segments and write a labels CSV.

    Returns the written path, the assignment model's cross-validated accuracy, and the
    number of customers assigned.
    """
    if segmentation_id is None:
        segmentation_id = latest_segmentation(services)
    row = services.store.query_one(
        "SELECT model_blob FROM segmentations WHERE id = ?", (segmentation_id,)
    )
    if row is None or row["model_blob"] is None:
        raise NotFoundError("segmentation", segmentation_id)
    result: segments.SegmentationResult = pickle.loads(row["model_blob"])
    loaded = segments.read_table(path, max_bytes=services.settings.max_upload_mb * 1024 * 1024)
    labels = segments.assign_segments(result, loaded.frame)
    known = identifier_rows(
        project_salt(services.store, services.project_id), loaded.frame, result.roles
    )
    with services.store.transaction() as db:
        added = record_identifiers(db, services.project_id, known)
    if added:
        scrub_known_identifiers(services.store, services.settings)
    assigned = dataclasses.replace(result, labels=labels)
    written = segments.export_labels_csv(assigned, output)
    return written, float(result.assignment_accuracy), len(labels)
