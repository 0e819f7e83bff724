"""Segment a customer table and keep the result in the workspace.

The numbers come from :mod:`segments`; this module only loads the file, runs
:func:`segments.fit_segments`, and stores (through :mod:`persona.repos.segmentations`,
the only owner of these tables) the profiles (aggregates) and the
customer → segment labels (which never leave SQLite) in one transaction, with
the digests of the table's customer ids and names, which are then masked in the
project's documents (:mod:`persona.identifiers`).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import segments
from persona.errors import NotFoundError
from persona.identifiers import identifier_rows
from persona.knowledge.manage import scrub_known_identifiers
from persona.repos import segmentations as repo
from persona.repos.identifiers import project_salt, record_identifiers
from persona.repos.segmentations import SavedModel, StoredSegment
from persona.services import Services
from persona.snapshots import SnapshotSource, baseline_of, insert_baseline
from persona.sources import Source, frame_digest, read_source, resolve_source
from persona.store import utc_now
from segments.engines.outofcore import Scan, log_to_customers, wants_out_of_core
from segments.predictions import CustomerPredictions

__all__ = [
    "SavedModel",
    "SegmentationRun",
    "StoredSegment",
    "assign_new_customers",
    "get_segment",
    "latest_segmentation",
    "load_assignment_model",
    "load_dictionary",
    "load_segments",
    "run_segmentation",
]

Progress = Callable[[str, float], None]
OnSave = Callable[[sqlite3.Connection, int, segments.SegmentationResult, Any], None]
"""``on_save(db, segmentation_id, result, frame)``: more writes in the same transaction."""


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
    notes: list[str] = field(default_factory=list)
    """What was decided for the user: the log columns chosen, the dictionary used."""
    predictions: CustomerPredictions | None = field(default=None, repr=False, compare=False)
    """Per-customer predicted value / churn risk (only the labels file shows them)."""


def run_segmentation(
    services: Services,
    path: Path | str | None,
    *,
    query: str | None = None,
    table: str | None = None,
    password: str | None = None,
    k: int | str = "auto",
    k_range: tuple[int, int] = segments.DEFAULT_K_RANGE,
    algorithm: str = "kmeans",
    method: str = "cluster",
    id_column: str | None = None,
    roles: dict[str, str] | None = None,
    transactions: bool | None = None,
    customer_column: str | None = None,
    date_column: str | None = None,
    amount_column: str | None = None,
    quantity_column: str | None = None,
    dictionary: Path | None = None,
    sheet: str | None = None,
    random_state: int = 0,
    engine: str | None = None,
    progress: Progress | None = None,
    on_save: OnSave | None = None,
) -> SegmentationRun:
    """Load ``path``, segment it and store the result; returns what was stored.

    ``path`` is a file, or a database URL read with ``query`` or ``table``
    (:func:`persona.sources.read_source`; without a URL, ``PERSONA_DB_URL``);
    ``password`` is used for a URL that has none and is never stored.

    ``transactions``: True reads ``path`` as a transaction log, False as a customer
    table, None (the default) recognises a log by its shape
    (:func:`segments.recognise_log`) and says so in ``notes``. The log's columns are
    the ``*_column`` options where given, recognised otherwise. ``k`` is a number or
    ``"auto"`` (chosen in ``k_range``); ``method`` is ``"cluster"`` or ``"rfm"`` (the
    named RFM score segments of a log). ``dictionary`` is a data dictionary file
    (:func:`segments.read_dictionary`); it is checked against the table before
    anything is fitted or saved, and stored with the segmentation.

    ``engine`` (default ``PERSONA_ENGINE``): ``auto`` reads folders of Parquet files
    and CSV/Parquet files past ``PERSONA_MAX_UPLOAD_MB`` out of core with DuckDB
    (:mod:`segments.engines.outofcore`: a log is aggregated by SQL, never loaded
    whole), everything else with pandas; ``duckdb`` and ``pandas`` force one.

    ``on_save`` runs inside the transaction that stores the segmentation, after its
    segments and labels and before its baseline snapshot (a re-fit records the
    refresh and moves personas there, so everything commits together or not at all).
    """
    settings = services.settings
    report = progress or (lambda _stage, _fraction: None)
    report("Loading table", 0.0)
    source = resolve_source(settings, path, query=query, table=table)
    notes: list[str] = []
    options = {
        "customer": customer_column,
        "date": date_column,
        "amount": amount_column,
        "quantity": quantity_column,
    }
    chosen_engine = engine or settings.engine
    scan = _scan(source, settings, chosen_engine)
    if scan is not None:
        # Recognition and validation on a sample; the log itself stays on disk.
        view = scan.sample(seed=random_state)
        load_warnings: list[str] = []
        notes.append(
            f"Read {scan.source} out of core with DuckDB ({scan.rows:,} rows, memory limit "
            f"{settings.duckdb_memory})."
        )
    else:
        loaded = read_source(settings, source, sheet=sheet, password=password)
        view, load_warnings = loaded.frame, loaded.warnings
    frame = view
    log = _log_columns(view, transactions, **options)
    if log is not None:
        guessed = transactions is None and not any((date_column, amount_column, quantity_column))
        notes.append(
            (
                f"{'These rows look' if source.is_database else 'This file looks'} like a "
                "transaction log (one row per purchase; pass --no-transactions if it is not). "
                if guessed
                else ""
            )
            + log.describe()
        )
        report("Turning transactions into customers", 0.1)
        if scan is not None:
            frame = log_to_customers(scan, log)
        else:
            frame = segments.transactions_to_customers(
                view,
                customer_column=log.customer,
                date_column=log.date,
                amount_column=log.amount,
                quantity_column=log.quantity,
            )
        id_column = log.customer
    elif scan is not None:
        frame = scan.read(settings.max_rows)
    # A log's dictionary may describe the log's columns as well as the aggregated ones.
    words = _dictionary(dictionary, [*map(str, view.columns), *map(str, frame.columns)], notes)
    result = segments.fit_segments(
        frame,
        k=k,
        k_range=k_range,
        algorithm=algorithm,
        method=method,
        id_column=id_column,
        roles=roles,
        dictionary=words,
        min_segment_size=settings.min_segment_size,
        random_state=random_state,
        progress=lambda stage, fraction: report(stage, 0.15 + 0.8 * fraction),
    )
    report("Predicting value and churn risk", 0.92)
    # An out-of-core log never sits in memory whole, and the value models need every line.
    predictions = _predictions(None if scan is not None else view, log, frame, result, notes)
    report("Saving", 0.95)
    warnings = [*load_warnings, *frame.attrs.get("warnings", []), *result.warnings]
    known = identifier_rows(project_salt(services.store, services.project_id), frame, result.roles)
    read_as = SnapshotSource(
        "log" if log else "table",
        [str(c) for c in view.columns],
        None if log is None else log.options(),
    )
    digest = frame_digest(view) if source.path is None else _sha256(source.path)
    dataset_id, segmentation_id, added = _save(
        services,
        source,
        digest,
        frame,
        result,
        warnings,
        algorithm,
        k,
        known,
        words,
        read_as,
        on_save,
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
        notes=notes,
        predictions=predictions,
    )


def _scan(source: Source, settings: Any, engine: str) -> Scan | None:
    """The DuckDB scan of a file source when it is read out of core, else None."""
    if source.path is None or engine == "pandas":
        return None
    if engine == "duckdb" or wants_out_of_core(
        source.path, max_bytes=settings.max_upload_mb * 1024 * 1024
    ):
        return Scan(source.path, memory_limit=settings.duckdb_memory)
    return None


def _log_columns(
    frame: Any,
    transactions: bool | None,
    *,
    customer: str | None,
    date: str | None,
    amount: str | None,
    quantity: str | None,
) -> segments.LogColumns | None:
    """The log's columns when ``frame`` is (or is said to be) a transaction log."""
    named = any(c is not None for c in (date, amount, quantity))
    if transactions is False:
        return None
    if transactions or named:
        return segments.log_columns(
            frame, customer=customer, date=date, amount=amount, quantity=quantity
        )
    return segments.recognise_log(frame)


def _predictions(
    table: Any,
    log: segments.LogColumns | None,
    frame: Any,
    result: segments.SegmentationResult,
    notes: list[str],
) -> CustomerPredictions | None:
    """Predict each customer's value (a log) or churn risk (a yes/no outcome) and put the
    per-segment aggregates on the profiles; a model that cannot be fitted is a note.

    The segmentation stands without predictions, so their failure never fails it.
    """
    outcome = None if log is not None else segments.churn_outcome(frame, result.outcomes)
    if log is None and outcome is None:
        return None
    if log is not None and table is None:
        notes.append(
            "Predicted value was not computed: the log was read out of core; "
            "`persona clv` predicts it from the log file."
        )
        return None
    try:
        if log is not None:
            predictions = segments.log_predictions(table, log)
        else:
            assert outcome is not None
            predictions = segments.churn_predictions(
                frame, outcome, id_column=result.id_column, roles=result.roles
            )
        segments.attach_predictions(result, predictions)
    except segments.SegmentsError as error:
        what = "Predicted value" if log is not None else f"Churn risk ({outcome})"
        notes.append(f"{what} was not computed: {error}")
        return None
    summary = predictions.summary
    if predictions.source == "value":
        notes.append(
            f"Predicted value over the next {predictions.horizon_weeks:g} weeks "
            f"(BG/NBD + Gamma-Gamma on {summary['customers']:,} customers): "
            f"{summary['predicted']['spend']:,.2f} in all; see the value and P(alive) columns."
        )
    else:
        notes.append(
            f"Churn risk: the probability of {outcome!r} from a cross-validated model "
            f"(AUC {summary['auc']:.2f}; logistic regression {summary['logistic_auc']:.2f}); "
            "`persona churn` shows its calibration and drivers."
        )
    return predictions


def _dictionary(path: Path | None, columns: list[str], notes: list[str]) -> segments.DataDictionary:
    """The data dictionary of ``path`` checked against ``columns``; without one, a warning."""
    if path is None:
        words = segments.DataDictionary()
        warning = words.warning(dict.fromkeys(columns))
        if warning:
            notes.append(warning)
        return words
    words = segments.read_dictionary(path, columns=columns)
    notes.append(f"Column descriptions from {words.source}: {len(words.columns)} column(s).")
    return words


def _save(
    services: Services,
    source: Source,
    digest: str,
    frame: Any,
    result: segments.SegmentationResult,
    warnings: list[str],
    algorithm: str,
    k: int | str,
    known: list[tuple[str, int, int]],
    words: segments.DataDictionary,
    read_as: SnapshotSource,
    on_save: OnSave | None = None,
) -> tuple[int, int, int]:
    project_id = services.project_id
    now = utc_now()
    profiles = []
    for profile in result.profiles:
        data = profile.to_dict()
        data["facts"] = profile.facts()
        profiles.append((profile, data))
    labels = [(str(customer), int(segment)) for customer, segment in result.labels.items()]
    # What assigning new customers needs, as versioned data (no pickle: see segments.state).
    state = result.model_state()
    # The segmentation's own table is the reference every later snapshot is compared with.
    baseline = baseline_of(frame, result)
    with services.store.transaction() as db:
        dataset_id = repo.insert_dataset(
            db,
            project_id,
            name=source.name,
            source=source.describe(),
            sha256=digest,
            n_rows=len(frame),
            n_columns=frame.shape[1],
            roles=result.roles,
            warnings=warnings,
            created_at=now,
        )
        segmentation_id = repo.insert_segmentation(
            db,
            project_id,
            dataset_id,
            algorithm=algorithm,
            k=int(result.k),
            params={"k": str(k), "algorithm": algorithm, "method": result.algorithm},
            result=result.to_dict(),
            model_state=state,
            created_at=now,
            dictionary=words.to_dict() if words.columns else None,
        )
        for profile, data in profiles:
            repo.insert_segment(
                db,
                segmentation_id,
                segment_index=int(profile.segment_id),
                label=profile.label,
                size=int(profile.size),
                share=float(profile.share),
                profile=data,
            )
        repo.insert_labels(db, segmentation_id, labels)
        if on_save is not None:
            on_save(db, segmentation_id, result, frame)
        insert_baseline(
            db, project_id, segmentation_id, baseline, source=source.name, sha256=digest,
            taken_at=str(frame.attrs.get("as_of") or now[:10]), read_as=read_as, created_at=now,
        )  # fmt: skip
        added = record_identifiers(db, project_id, known)
    return dataset_id, segmentation_id, added


def latest_segmentation(services: Services) -> int:
    """Id of the project's most recent segmentation, or :class:`NotFoundError`."""
    found = repo.latest_segmentation_id(services.store, services.project_id)
    if found is None:
        raise NotFoundError(
            "segmentation",
            services.settings.project,
            hint="Segment a customer table first: `persona segment customers.csv`.",
        )
    return found


def load_segments(services: Services, segmentation_id: int | None = None) -> list[StoredSegment]:
    """Segments of ``segmentation_id`` (default: the latest), ordered by index."""
    if segmentation_id is None:
        segmentation_id = latest_segmentation(services)
    return repo.list_segments(services.store, segmentation_id)


def get_segment(services: Services, segment_id: int) -> StoredSegment:
    """One stored segment by its database id, or :class:`NotFoundError`."""
    return repo.get_segment(services.store, segment_id)


def load_dictionary(
    services: Services, segmentation_id: int | None = None
) -> segments.DataDictionary:
    """The data dictionary of ``segmentation_id`` (default: the latest); empty if none."""
    if segmentation_id is None:
        segmentation_id = latest_segmentation(services)
    stored = repo.data_dictionary(services.store, segmentation_id)
    return (
        segments.DataDictionary() if stored is None else segments.DataDictionary.from_dict(stored)
    )


def load_assignment_model(
    services: Services, segmentation_id: int | None = None
) -> tuple[segments.AssignmentModel, SavedModel]:
    """The saved assignment model of ``segmentation_id`` (default: the latest), rebuilt.

    Raises:
        NotFoundError: no such segmentation.
        ModelStateError: the model was not carried over from an older workspace, or
            its state cannot be read; the message says to segment the table again.
    """
    if segmentation_id is None:
        segmentation_id = latest_segmentation(services)
    saved = repo.saved_model(services.store, segmentation_id)
    if saved.state is None:
        raise segments.ModelStateError(
            f"segmentation #{segmentation_id} was saved by an older version whose model "
            "could not be carried over."
        )
    return segments.load_model(saved.state), saved


def _sha256(path: Path) -> str:
    """Digest of a file, or of a folder's files (names and contents, in name order)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def assign_new_customers(
    services: Services,
    path: Path | str | None,
    output: Path,
    *,
    segmentation_id: int | None = None,
    query: str | None = None,
    table: str | None = None,
    password: str | None = None,
) -> tuple[Path, float, int]:
    """Assign the customers in ``path`` to existing segments and write a labels CSV.

    ``path`` is a file, or a database URL read with ``query`` or ``table``
    (:func:`persona.sources.read_source`). Returns the written path, the assignment
    model's cross-validated accuracy, and the number of customers assigned.
    """
    model, saved = load_assignment_model(services, segmentation_id)
    loaded = read_source(services.settings, path, query=query, table=table, password=password)
    labels = segments.assign_segments(model, loaded.frame)
    known = identifier_rows(
        project_salt(services.store, services.project_id), loaded.frame, saved.roles
    )
    with services.store.transaction() as db:
        added = record_identifiers(db, services.project_id, known)
    if added:
        scrub_known_identifiers(services.store, services.settings)
    written = segments.write_labels_csv(labels, saved.segment_labels, model.id_column, output)
    return written, saved.assignment_accuracy, len(labels)
