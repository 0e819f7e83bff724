"""``persona refresh``: a newer snapshot of the same customers against the saved segments.

:func:`refresh` reads the newer export the way the segmentation read its table,
checks it (:mod:`persona.snapshot_checks`), assigns every customer with the saved
model (segment definitions stay fixed), and measures the migration matrix against
the previous snapshot, PSI per feature against the segmentation's data, segment
shares and the model's confidence then and now, and ranked alerts
(:mod:`segments.alerts`, thresholds from settings). The snapshot, its labels and a
new version of every persona whose facts moved are stored in one transaction.

With ``refit=True`` the segments are then found again on the newer table
(:func:`persona.segmentation.run_segmentation`), old and new segments matched by
shared members (each customer's segment in the previous snapshot against the
re-fit) and centre distance (:mod:`segments.matching`); personas of kept, split
and merged segments follow their successor (a new version with its facts), and
personas of vanished segments are archived, never deleted. The snapshot, the new
segmentation and every persona change then commit in one transaction: a failure
anywhere (the fit included) leaves the project as it was.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

import segments
from persona import snapshot_checks as checks
from persona.errors import SnapshotError
from persona.fact_refresh import FactMove, refreshed_persona
from persona.repos import personas as persona_repo
from persona.repos import segmentations as segmentation_repo
from persona.repos import snapshots as repo
from persona.segmentation import (
    StoredSegment,
    latest_segmentation,
    load_assignment_model,
    load_dictionary,
    load_segments,
    run_segmentation,
)
from persona.services import Services
from persona.snapshots import SnapshotSource
from persona.store import utc_now
from segments.alerts import Alert, Thresholds, refit_advice, snapshot_alerts
from segments.drift import BucketCounts, FeatureBins, FeatureDrift, drift_table
from segments.matching import SegmentMatch, match_segments
from segments.migration import Migration, migration_matrix
from segments.profile import SegmentProfile
from segments.snapshot import SnapshotMeasures, measure_snapshot

__all__ = ["PersonaUpdate", "RefreshReport", "refresh", "thresholds"]

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class PersonaUpdate:
    """What a refresh did to one persona."""

    persona_id: int
    name: str
    action: str
    """``updated`` (new version), ``unchanged``, ``withheld`` (segment too small now),
    ``moved`` (follows a successor segment after a re-fit) or ``archived``."""
    version: int | None = None
    moves: list[FactMove] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "persona_id": self.persona_id,
            "name": self.name,
            "action": self.action,
            "version": self.version,
            "facts_moved": [m.to_dict() for m in self.moves],
        }


@dataclass(frozen=True)
class RefreshReport:
    """Everything one refresh measured and did (aggregates only)."""

    snapshot_id: int
    segmentation_id: int
    source: str
    taken_at: str
    n_customers: int
    labels: dict[int, str]
    migration: Migration
    shares_before: dict[int, float]
    shares_after: dict[int, float]
    drift: list[FeatureDrift]
    confidence_before: float | None
    confidence_after: float
    alerts: list[Alert]
    refit_reasons: list[str]
    personas: list[PersonaUpdate]
    notes: list[str]
    matches: list[SegmentMatch] = field(default_factory=list)
    refit_segmentation_id: int | None = None

    @property
    def customers(self) -> dict[str, int]:
        """``in_both``, ``only_old`` and ``only_new`` customer counts."""
        m = self.migration
        return {"in_both": m.in_both, "only_old": m.only_old, "only_new": m.only_new}

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``persona refresh --json``."""
        overall = {d.feature: d.to_dict() for d in self.drift if d.segment is None}
        by_segment: dict[str, dict[str, Any]] = {}
        for d in self.drift:
            if d.segment is not None:
                by_segment.setdefault(str(d.segment), {})[d.feature] = d.to_dict()
        matrix = self.migration.to_dict()
        return {
            "snapshot_id": self.snapshot_id,
            "segmentation_id": self.segmentation_id,
            "source": self.source,
            "taken_at": self.taken_at,
            "customers": self.customers,
            "segments": {str(k): v for k, v in self.labels.items()},
            "migration": matrix["counts"],
            "migration_shares": matrix["shares"],
            "migration_value": matrix["value"],
            "shares": {
                str(s): {
                    "before": round(self.shares_before.get(s, 0.0), 4),
                    "after": round(self.shares_after.get(s, 0.0), 4),
                }
                for s in sorted(set(self.shares_before) | set(self.shares_after))
            },
            "drift": overall,
            "drift_by_segment": by_segment,
            "confidence": {
                "before": None
                if self.confidence_before is None
                else round(self.confidence_before, 4),
                "after": round(self.confidence_after, 4),
            },
            "alerts": [a.text for a in self.alerts],
            "alert_details": [a.to_dict() for a in self.alerts],
            "refit_advised": bool(self.refit_reasons),
            "refit_reasons": self.refit_reasons,
            "refit": None
            if self.refit_segmentation_id is None
            else {
                "segmentation_id": self.refit_segmentation_id,
                "matches": [m.to_dict() for m in self.matches],
            },
            "personas": [p.to_dict() for p in self.personas],
            "notes": self.notes,
        }


def thresholds(services: Services) -> Thresholds:
    """The alert thresholds of the user's settings."""
    s = services.settings
    return Thresholds(
        share_points=s.alert_share_points,
        psi=s.alert_psi,
        refit_psi=s.refit_psi,
        min_segment_size=s.min_segment_size,
    )


def _previous(services: Services, segmentation_id: int) -> tuple[pd.Series, dict[int, float], Any]:
    """Labels, shares and confidence of the newest snapshot of ``segmentation_id``."""
    latest = repo.latest_snapshot(services.store, segmentation_id)
    assert latest is not None
    labels = (
        segmentation_repo.customer_labels(services.store, segmentation_id)
        if latest.kind == "baseline"
        else repo.snapshot_labels(services.store, latest.id)
    )
    return labels, latest.shares, latest.summary.get("confidence")


def refresh(
    services: Services,
    path: Path,
    *,
    refit: bool = False,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> RefreshReport:
    """Measure the newer table ``path`` against the project's segmentation and store it.

    Raises:
        SnapshotError: the table does not fit (columns, ids, another project); the
            current segmentation and personas are untouched.
        NotFoundError: the project has no segmentation yet.
    """
    report = progress or (lambda _stage, _fraction: None)
    segmentation_id = latest_segmentation(services)
    baseline = repo.baseline_snapshot(services.store, segmentation_id)
    if baseline is None:
        raise SnapshotError(
            f"segmentation #{segmentation_id} was made before snapshots were kept, so there "
            "is no reference to compare with.",
            hint="Segment the original table again (`persona segment FILE`), then refresh.",
        )
    model, _saved = load_assignment_model(services, segmentation_id)
    report("Loading table", 0.0)
    loaded = segments.read_table(
        path, sheet=sheet, max_bytes=services.settings.max_upload_mb * 1024 * 1024
    )
    read_as = SnapshotSource.from_dict(baseline.summary["read_as"])
    notes = [f"Read as {'a transaction log' if read_as.kind == 'log' else 'a customer table'}, "
             "like the segmented table."]  # fmt: skip
    added = checks.new_columns(loaded.frame, read_as)
    if added:
        notes.append(
            f"New column(s) {', '.join(map(repr, added[:8]))} are not features of the saved "
            "segments and were not used; `--refit` finds segments with them."
        )
    frame = checks.customers_of(loaded.frame, read_as, path.name)
    frame = checks.check_customers(frame.rename(columns=str), model, path.name)
    report("Assigning customers with the saved model", 0.2)
    words = load_dictionary(services, segmentation_id)
    stored = {s.segment_index: s for s in load_segments(services, segmentation_id)}
    outcomes = list(_outcomes(services, segmentation_id))
    bins = [FeatureBins.from_dict(b) for b in baseline.counts["bins"]]
    measures = measure_snapshot(
        model, frame, bins=bins, outcomes=outcomes, profiles=True,
        min_segment_size=services.settings.min_segment_size, describe=words.describe,
    )  # fmt: skip
    previous, shares_before, confidence_before = _previous(services, segmentation_id)
    value = _predicted_value(loaded.frame, read_as, notes)
    migration = migration_matrix(previous, measures.labels, segments=sorted(stored), value=value)
    checks.check_overlap(migration.in_both, len(previous), path.name)
    report("Measuring drift", 0.6)
    drift = drift_table(BucketCounts.from_dict(baseline.counts), measures.counts)
    labels = {i: s.label for i, s in stored.items()}
    limits = thresholds(services)
    describe = {b.feature: words.describe(b.feature) for b in bins}
    alerts = snapshot_alerts(
        labels=labels, shares_before=shares_before, shares_after=measures.shares,
        migration=migration, drift=drift, confidence_before=confidence_before,
        confidence_after=measures.confidence, thresholds=limits, words=describe,
    )  # fmt: skip
    reasons = refit_advice(
        drift, baseline.summary.get("confidence"), measures.confidence, limits, describe
    )
    taken_at = str(frame.attrs.get("as_of") or utc_now()[:10])

    def record(db: sqlite3.Connection) -> RefreshReport:
        """Store the snapshot, its labels and the persona versions it causes."""
        snapshot_id = repo.insert_snapshot(
            db, services.project_id, segmentation_id, kind="refresh", source=path.name,
            sha256=_sha256(path), taken_at=taken_at, n_rows=measures.n_customers,
            shares=measures.shares, counts=measures.counts.to_dict(),
            drift=[d.to_dict() for d in drift], migration=migration.to_dict(),
            alerts=[a.to_dict() for a in alerts],
            summary={
                "confidence": round(measures.confidence, 4),
                "sizes": {str(k): v for k, v in measures.sizes.items()},
                "customers": {"in_both": migration.in_both, "only_old": migration.only_old,
                              "only_new": migration.only_new},
                "refit_reasons": reasons, "notes": notes,
            },
            created_at=utc_now(),
        )  # fmt: skip
        repo.insert_snapshot_labels(
            db,
            snapshot_id,
            zip(measures.labels.index.map(str), measures.labels.tolist(), strict=True),
        )
        updates = _update_personas(
            services, stored, measures, f"snapshot #{snapshot_id} ({path.name})", snapshot_id
        )
        return RefreshReport(
            snapshot_id=snapshot_id, segmentation_id=segmentation_id, source=path.name,
            taken_at=taken_at, n_customers=measures.n_customers, labels=labels,
            migration=migration, shares_before=shares_before, shares_after=measures.shares,
            drift=drift, confidence_before=confidence_before,
            confidence_after=measures.confidence, alerts=alerts, refit_reasons=reasons,
            personas=updates, notes=notes,
        )  # fmt: skip

    if refit:
        report("Finding the segments again", 0.7)
        result = _refit(services, path, record, previous, model, sheet, read_as)
    else:
        report("Saving the snapshot and persona versions", 0.8)
        with services.store.transaction() as db:
            result = record(db)
    report("Done", 1.0)
    return result


def _predicted_value(
    table: pd.DataFrame, read_as: SnapshotSource, notes: list[str]
) -> pd.Series | None:
    """Each customer's predicted value from a refreshed log (BG/NBD + Gamma-Gamma), if any.

    It weighs the migration matrix ("what moved is worth …"); only a log predicts value,
    and a fit that fails is a note, not an error: the counts stand on their own.
    """
    if read_as.kind != "log" or not read_as.log:
        return None
    options = read_as.log
    columns = segments.LogColumns(
        customer=str(options["customer_column"]),
        date=str(options["date_column"]),
        amount=str(options["amount_column"]),
        quantity=options.get("quantity_column"),
    )
    try:
        predictions = segments.log_predictions(table, columns)
    except segments.SegmentsError as error:
        notes.append(f"Predicted value was not computed for the migration: {error}")
        return None
    notes.append(
        f"The migration matrix also sums predicted value over the next "
        f"{predictions.horizon_weeks:g} weeks (BG/NBD + Gamma-Gamma on this log)."
    )
    return predictions.frame["predicted_value"]


def _outcomes(services: Services, segmentation_id: int) -> list[str]:
    summary = segmentation_repo.result_summary(services.store, segmentation_id)
    return [str(c) for c in summary.get("outcomes", [])]


def _update_personas(
    services: Services,
    stored: dict[int, Any],
    measures: SnapshotMeasures,
    snapshot: str,
    snapshot_id: int,
) -> list[PersonaUpdate]:
    """A new ``refreshed`` version of every persona of these segments whose facts moved."""
    by_segment_id = {s.id: s for s in stored.values()}
    profiles = {p.segment_id: p for p in measures.profiles}
    out = []
    for summary in persona_repo.list_personas(services.store, services.project_id):
        segment = by_segment_id.get(summary.segment_id) if summary.segment_id else None
        if segment is None or summary.archived_at:
            continue
        profile = profiles.get(segment.segment_index)
        if profile is None or profile.suppressed:
            out.append(PersonaUpdate(summary.id, summary.name, "withheld"))
            continue
        current = persona_repo.get_persona(services.store, services.project_id, summary.id)
        persona, moves = refreshed_persona(current.persona, profile, snapshot)
        if not moves:
            out.append(PersonaUpdate(summary.id, summary.name, "unchanged"))
            continue
        _pid, version = persona_repo.save_version(
            services.store, services.project_id, current.segment_id, summary.id, persona,
            "refreshed", current.model,
            {"snapshot_id": snapshot_id, "from_version": current.version,
             "facts_moved": [m.to_dict() for m in moves]},
        )  # fmt: skip
        out.append(PersonaUpdate(summary.id, summary.name, "updated", version, moves))
    return out


def _refit(
    services: Services,
    path: Path,
    record: Callable[[sqlite3.Connection], RefreshReport],
    old_labels: pd.Series,
    model: segments.AssignmentModel,
    sheet: str | None,
    read_as: SnapshotSource,
) -> RefreshReport:
    """Find the segments again on ``path``, match them to the old ones, move personas.

    The refresh (``record``), the new segmentation, the matches' persona moves and
    archives are one transaction: a failure anywhere leaves the project as it was.
    """
    log = read_as.log or {}
    done: dict[str, RefreshReport] = {}

    def follow(
        db: sqlite3.Connection, new_id: int, fitted: segments.SegmentationResult, frame: Any
    ) -> None:
        refreshed = record(db)
        new_labels = pd.Series(fitted.labels.to_numpy(), index=fitted.labels.index.map(str))
        matches = match_segments(old_labels, new_labels, _encoded(model, frame, new_labels))
        new_segments = {s.segment_index: s for s in load_segments(services, new_id)}
        profiles = {p.segment_id: p for p in fitted.profiles}
        moved = _move_personas(
            services, db, refreshed.segmentation_id, _successors(matches, new_segments),
            new_segments, profiles, new_id,
        )  # fmt: skip
        done["report"] = _with(
            refreshed, matches=matches, refit_segmentation_id=new_id,
            personas=[*refreshed.personas, *moved],
        )  # fmt: skip

    run = run_segmentation(
        services, path, transactions=read_as.kind == "log",
        customer_column=log.get("customer_column"), date_column=log.get("date_column"),
        amount_column=log.get("amount_column"), quantity_column=log.get("quantity_column"),
        id_column=model.id_column, sheet=sheet, on_save=follow,
    )  # fmt: skip
    result = done["report"]
    return _with(result, notes=[*result.notes, *(f"Re-fit: {n}" for n in run.notes)])


def _encoded(model: segments.AssignmentModel, frame: Any, labels: pd.Series) -> Any:
    """The old model's encoding of the re-fitted customers, rows in ``labels``' order."""
    frame = frame.rename(columns=str)
    if model.id_column is not None and model.id_column in frame.columns:
        frame = frame.drop_duplicates(model.id_column).set_index(
            frame[model.id_column].drop_duplicates().map(str)
        )
    else:
        frame.index = frame.index.map(str)
    return model.transform(frame.reindex(labels.index))


def _successors(
    matches: list[SegmentMatch], new_segments: dict[int, StoredSegment]
) -> dict[int, tuple[int | None, str]]:
    """Old segment number → (new segment number or None when vanished, transition)."""
    successor: dict[int, tuple[int | None, str]] = {}
    for m in matches:
        if m.transition == "vanished":
            successor[m.old[0]] = (None, m.transition)
        elif m.transition in ("kept", "merged"):
            for o in m.old:
                successor[o] = (m.new[0], m.transition)
        elif m.transition == "split":
            # A persona follows the largest part of its split segment.
            successor[m.old[0]] = (max(m.new, key=lambda n: new_segments[n].size), m.transition)
    return successor


def _move_personas(
    services: Services,
    db: sqlite3.Connection,
    old_segmentation_id: int,
    successor: dict[int, tuple[int | None, str]],
    new_segments: dict[int, StoredSegment],
    profiles: dict[int, SegmentProfile],
    new_segmentation_id: int,
) -> list[PersonaUpdate]:
    """Each persona of the old segments follows its successor (new facts) or is archived."""
    old_by_id = {s.id: s for s in load_segments(services, old_segmentation_id)}
    now = utc_now()
    out = []
    for summary in persona_repo.list_personas(services.store, services.project_id):
        old = old_by_id.get(summary.segment_id or -1)
        if old is None or summary.archived_at:
            continue
        target, transition = successor.get(old.segment_index, (None, "vanished"))
        if target is None:
            persona_repo.archive_persona(db, summary.id, now)
            out.append(PersonaUpdate(summary.id, summary.name, "archived"))
            continue
        segment = new_segments[target]
        current = persona_repo.get_persona(services.store, services.project_id, summary.id)
        persona, moves = refreshed_persona(
            current.persona, profiles[target], f"the re-fit (segmentation #{new_segmentation_id})"
        )
        facts = persona.facts.model_copy(
            update={"segment_id": segment.id, "segment_index": target, "label": segment.label}
        )
        _pid, version = persona_repo.save_version(
            services.store, services.project_id, segment.id, summary.id,
            persona.model_copy(update={"facts": facts}), "refreshed", current.model,
            {"refit_segmentation_id": new_segmentation_id, "transition": transition,
             "from_segment": old.id, "to_segment": segment.id, "from_version": current.version,
             "facts_moved": [m.to_dict() for m in moves]},
        )  # fmt: skip
        persona_repo.set_segment(db, summary.id, segment.id)
        out.append(PersonaUpdate(summary.id, summary.name, "moved", version, moves))
    return out


def _with(report: RefreshReport, **changes: Any) -> RefreshReport:
    return replace(report, **changes)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
