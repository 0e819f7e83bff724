"""Recruitment lists: N real customers of one segment to invite to an interview.

The customers are the segment's members as labelled when the table was
segmented, drawn from the segmented table (or a newer export of it with the
same ids), stratified over the segment's two main traits (a number in three
bands of the segment's own values, a category label as in or out) so the list
is not all from one corner of the segment. Customers recruited before are left
out unless asked, and so is every customer whose do-not-contact column is set.

The list is a CSV of customer ids only, written like the labels export
(formula-safe cells, atomic write) to the workspace's exports. The ids never
reach a model, Chroma or any other export; the recruited set is recorded as
keyed digests (:mod:`persona.repos.research`) in the same transaction as the
file is written, so a failed write records nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import segments
from persona.errors import ResearchError
from persona.repos import research as research_repo
from persona.repos import segmentations as segmentation_repo
from persona.repos.identifiers import project_salt
from persona.repos.segmentations import StoredSegment
from persona.segmentation import load_assignment_model
from persona.services import Services
from persona.store import utc_now
from segments.export import safe_cell, write_atomic
from segments.features import FeatureSpec, prepare_frame

__all__ = ["Recruitment", "customer_digest", "recruit"]

MAX_TRAITS = 2
_NOT_SET = frozenset({"", "0", "0.0", "false", "no", "n", "f", "none", "nan", "null", "off"})


@dataclass(frozen=True)
class Recruitment:
    """What :func:`recruit` wrote: the file, and counts (never an id)."""

    path: Path
    segment: int
    label: str
    drawn: int
    members: int
    excluded_do_not_contact: int
    excluded_recruited: int
    missing_from_table: int
    strata: list[tuple[str, int, int]] = field(default_factory=list)
    """``(stratum, customers available, customers drawn)`` for each stratum."""
    traits: list[str] = field(default_factory=list)


def customer_digest(salt: bytes, customer: str) -> int:
    """The project's keyed 64-bit digest of one customer id (as a signed SQLite integer)."""
    raw = hashlib.blake2b(str(customer).encode("utf-8"), key=salt, digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


def _table(services: Services, segmentation_id: int, table: Path | None) -> pd.DataFrame:
    """The segmented table, one row per customer (a log is aggregated again)."""
    source, _sha = segmentation_repo.dataset_source(services.store, segmentation_id)
    path = table or Path(source)
    if not path.is_file():
        raise ResearchError(
            f"the segmented table {source} is no longer at that path.",
            hint="Pass the table (or a newer export with the same customer ids) with --table.",
        )
    settings = services.settings
    loaded = segments.read_table(path, max_bytes=settings.max_upload_mb * 1024 * 1024)
    frame = loaded.frame.rename(columns=str)
    log = segments.recognise_log(frame)
    if log is not None:
        frame = segments.transactions_to_customers(
            frame,
            customer_column=log.customer,
            date_column=log.date,
            amount_column=log.amount,
            quantity_column=log.quantity,
        )
    return frame


def _flagged(series: pd.Series) -> np.ndarray:
    """Rows whose do-not-contact value is set (yes, true, 1, a date, any other text)."""
    text = series.astype("string").str.strip().str.lower().fillna("")
    return ~text.isin(_NOT_SET).to_numpy()


def _strata(
    members: pd.DataFrame, spec: FeatureSpec, traits: list[str], words: dict[str, str]
) -> tuple[pd.Series, list[str]]:
    """A stratum name per member from the first traits that the table has."""
    prepared = prepare_frame(members, spec.to_dict())
    keys = pd.Series([""] * len(members), index=members.index, dtype="object")
    used: list[str] = []
    for trait in traits:
        column, _eq, level = trait.partition(" = ")
        if column not in prepared.columns:
            continue
        values = prepared[column]
        said = words.get(column, column)
        if level:
            part = np.where(
                values.astype("string") == level, f"{said} = {level}", f"{said} ≠ {level}"
            )
        else:
            number = pd.to_numeric(values, errors="coerce")
            if number.nunique() < 3:
                continue
            bands = pd.qcut(number.rank(method="first"), 3, labels=["low", "middle", "high"])
            part = (said + " " + bands.astype("string").fillna("unknown")).to_numpy()
        keys = keys + np.where(keys == "", "", "; ") + part
        used.append(said if not level else f"{said} = {level}")
        if len(used) >= MAX_TRAITS:
            break
    return keys.where(keys != "", "all"), used


def _allocate(sizes: pd.Series, n: int) -> dict[str, int]:
    """Proportional allocation with largest remainders, never more than a stratum holds."""
    share = sizes / sizes.sum() * n
    quota = np.minimum(np.floor(share).astype(int), sizes)
    left = n - int(quota.sum())
    order = (share - np.floor(share)).sort_values(ascending=False).index
    while left > 0:
        moved = False
        for key in order:
            if left and quota[key] < sizes[key]:
                quota[key] += 1
                left -= 1
                moved = True
        if not moved:
            break
    return {str(k): int(v) for k, v in quota.items()}


def recruit(
    services: Services,
    segment: StoredSegment,
    n: int,
    *,
    output: Path | None = None,
    exclude_column: str | None = None,
    allow_repeat: bool = False,
    table: Path | None = None,
    seed: int | None = None,
) -> Recruitment:
    """Draw ``n`` customers of ``segment``, write their ids as a CSV and record them.

    Raises:
        ResearchError: the segment is smaller than the minimum segment size, ``n``
            is not positive or larger than the customers left to invite, or the
            do-not-contact column is not in the table.
    """
    minimum = services.settings.min_segment_size
    name = f"segment {segment.segment_index} ({segment.label})"
    if segment.size < minimum:
        raise ResearchError(
            f"{name} has {segment.size} customers, fewer than the minimum segment size "
            f"({minimum}): too small to recruit from.",
            hint="Recruit from a larger segment.",
        )
    if n < 1:
        raise ResearchError(f"--n must be at least 1, not {n}.", hint="Ask for 1 or more.")
    if n > segment.size:
        raise ResearchError(
            f"{name} has {segment.size} customers; {n} cannot be drawn from it.",
            hint=f"Ask for at most {segment.size} (--n).",
        )
    model, _saved = load_assignment_model(services, segment.segmentation_id)
    frame = _table(services, segment.segmentation_id, table)
    id_column = model.id_column
    if id_column is None or id_column not in frame.columns:
        raise ResearchError(
            f"the table has no customer id column{f' {id_column!r}' if id_column else ''}.",
            hint="Pass the segmented table with --table.",
        )
    if exclude_column is not None and exclude_column not in frame.columns:
        raise ResearchError(
            f"the table has no column {exclude_column!r} to mark do-not-contact customers.",
            hint=f"Use one of: {', '.join(map(str, frame.columns))}.",
        )
    ids = segmentation_repo.segment_members(
        services.store, segment.segmentation_id, segment.segment_index
    )
    frame = frame.drop_duplicates(subset=id_column, keep="first")
    frame = frame.assign(_id=frame[id_column].astype(str))
    members = frame[frame["_id"].isin(set(ids))]
    missing = len(set(ids)) - len(members)
    dnc = _flagged(members[exclude_column]) if exclude_column else np.zeros(len(members), bool)
    salt = project_salt(services.store, services.project_id)
    digests = np.fromiter(
        (customer_digest(salt, c) for c in members["_id"]), dtype=np.int64, count=len(members)
    )
    before = (
        np.zeros(len(members), bool)
        if allow_repeat
        else np.isin(
            digests, list(research_repo.recruited_digests(services.store, services.project_id))
        )
    )
    eligible = ~dnc & ~before
    available = int(eligible.sum())
    if n > available:
        raise ResearchError(
            f"{name} has {available} customers left to invite ({segment.size} in the segment, "
            f"{int(dnc.sum())} do-not-contact, {int((before & ~dnc).sum())} recruited before, "
            f"{missing} not in the table); {n} cannot be drawn.",
            hint=f"Ask for at most {available} (--n), or allow customers recruited before "
            "(--allow-repeat).",
        )
    pool = members[eligible]
    pool_digests = digests[eligible]
    strata, traits = _strata(
        pool,
        model.feature_spec,
        list(segment.profile.get("top_features", [])),
        dict(segment.profile.get("descriptions", {})),
    )
    sizes = strata.value_counts().sort_index()
    quota = _allocate(sizes, n)
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for key, count in quota.items():
        rows = np.flatnonzero(strata.to_numpy() == key)
        chosen += [int(i) for i in rng.choice(rows, size=count, replace=False)]
    chosen.sort()
    picked = pool.iloc[chosen]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(id_column)])
    for customer in picked[id_column]:
        writer.writerow([safe_cell(customer)])
    with services.store.transaction() as db:
        batch = research_repo.insert_batch(
            db,
            services.project_id,
            segmentation_id=segment.segmentation_id,
            segment_index=segment.segment_index,
            digests=[int(d) for d in pool_digests[chosen]],
            created_at=utc_now(),
        )
        # Named by the batch id: two lists never overwrite each other.
        target = output or services.settings.exports_path / (
            f"recruits-{segment.segment_index}-{batch}.csv"
        )
        research_repo.name_batch(db, batch, target.name)
        try:
            written = write_atomic(target, buffer.getvalue())
        except OSError as error:
            raise ResearchError(
                f"cannot write {target}: {error.strerror or error}; nothing was recorded.",
                hint="Choose a writable folder with -o.",
            ) from error
    drawn_per = pd.Series(strata.to_numpy()[chosen]).value_counts()
    return Recruitment(
        path=written,
        segment=segment.segment_index,
        label=segment.label,
        drawn=len(picked),
        members=segment.size,
        excluded_do_not_contact=int(dnc.sum()),
        excluded_recruited=int((before & ~dnc).sum()),
        missing_from_table=missing,
        strata=[(str(k), int(sizes[k]), int(drawn_per.get(k, 0))) for k in sizes.index],
        traits=traits,
    )
