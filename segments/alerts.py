"""Plain-sentence alerts about a new snapshot, ranked by how far past its threshold each is.

:func:`snapshot_alerts` turns what a refresh measured — segment shares then and
now, the migration matrix, PSI per feature, the assignment model's confidence —
into sentences such as "At Risk grew from 12 % to 19 % (+1,640 customers, most
from Loyal Customers)". Every alert has a ``severity``: its measure divided by its
threshold (1.0 is exactly at the threshold), and the list is sorted by it, so the
largest change comes first whatever its kind. :func:`refit_advice` says whether
the drift is large enough that the segments should be found again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from segments.drift import FeatureDrift
from segments.migration import GONE, NEW, Migration

__all__ = ["Alert", "Thresholds", "refit_advice", "snapshot_alerts"]

AlertKind = Literal["share", "drift", "segment_drift", "confidence", "customers"]


@dataclass(frozen=True)
class Thresholds:
    """When a change becomes an alert (``persona.config.Settings`` holds the user's)."""

    share_points: float = 3.0
    """A segment's share moved by at least this many percentage points."""
    psi: float = 0.2
    """A feature's PSI reached this (the lower bound of the 'significant' band)."""
    p_value: float = 0.01
    """…and chance alone would give such a PSI less often than this."""
    confidence_drop: float = 0.05
    """The assignment model's mean confidence fell by at least this much (0–1 scale)."""
    customer_turnover: float = 0.10
    """New or vanished customers are at least this share of the older snapshot."""
    refit_psi: float = 0.25
    """Re-fit advised when a feature's overall PSI reaches this…"""
    refit_confidence_drop: float = 0.10
    """…or the mean confidence fell by this much."""
    min_segment_size: int = 20
    """Per-segment drift is only judged on segments this large in both snapshots."""


@dataclass(frozen=True)
class Alert:
    """One sentence, what it is about, and how far past its threshold it is."""

    kind: AlertKind
    text: str
    severity: float
    segment: int | None = None
    feature: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        data = asdict(self)
        data["severity"] = round(self.severity, 3)
        return data


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


def _share_alerts(
    labels: Mapping[int, str],
    before: Mapping[int, float],
    after: Mapping[int, float],
    migration: Migration,
    thresholds: Thresholds,
) -> list[Alert]:
    out = []
    for segment in sorted(set(before) | set(after)):
        old, new = before.get(segment, 0.0), after.get(segment, 0.0)
        points = (new - old) * 100
        if abs(points) < thresholds.share_points:
            continue
        name = labels.get(segment, f"Segment {segment}")
        counts = migration.counts
        grew = points > 0
        if grew:
            arrived = counts[segment] if segment in counts.columns else None
            flows = {} if arrived is None else arrived.drop(segment, errors="ignore").to_dict()
        else:
            left = counts.loc[segment] if segment in counts.index else None
            flows = {} if left is None else left.drop(segment, errors="ignore").to_dict()
        moved_in = int(counts[segment].sum()) if segment in counts.columns else 0
        moved_out = int(counts.loc[segment].sum()) if segment in counts.index else 0
        net = moved_in - moved_out
        detail = f"{net:+,} customers"
        biggest = max(flows.items(), key=lambda item: item[1], default=(None, 0))
        if biggest[0] is not None and biggest[1] > 0:
            source = biggest[0]
            other = (
                "new customers"
                if source == NEW
                else "customers who left"
                if source == GONE
                else labels.get(int(source), f"Segment {source}")
            )
            detail += f", most {'from' if grew else 'to'} {other}"
        verb = "grew" if grew else "shrank"
        out.append(
            Alert(
                kind="share",
                text=f"{name} {verb} from {_pct(old)} to {_pct(new)} ({detail})",
                severity=abs(points) / thresholds.share_points,
                segment=segment,
            )
        )
    return out


def _passes(row: FeatureDrift, thresholds: Thresholds) -> bool:
    if row.psi < thresholds.psi or row.p_value >= thresholds.p_value:
        return False
    return row.segment is None or min(row.n_reference, row.n_current) >= (
        thresholds.min_segment_size
    )


def _drift_alerts(
    labels: Mapping[int, str],
    drift: Sequence[FeatureDrift],
    words: Mapping[str, str],
    thresholds: Thresholds,
) -> list[Alert]:
    """One alert per drifted feature: across all customers, else in its worst segment."""
    out = []
    features = list(dict.fromkeys(row.feature for row in drift))
    for feature in features:
        rows = [r for r in drift if r.feature == feature and _passes(r, thresholds)]
        if not rows:
            continue
        overall = next((r for r in rows if r.segment is None), None)
        within = sorted((r for r in rows if r.segment is not None), key=lambda r: -r.psi)
        name = words.get(feature, feature)
        if overall is not None:
            band = "significantly" if overall.band == "significant" else "moderately"
            text = f"{name} drifted {band} across all customers (PSI {overall.psi:.2f})"
            if within:
                text += f"; most in {labels.get(within[0].segment or 0, within[0].segment)}"
                text += f" (PSI {within[0].psi:.2f}, {len(within)} segment(s) in all)"
            out.append(Alert("drift", text, overall.psi / thresholds.psi, None, feature))
            continue
        worst = within[0]
        band = "significantly" if worst.band == "significant" else "moderately"
        where = labels.get(worst.segment or 0, f"segment {worst.segment}")
        text = f"{name} drifted {band} in {where} (PSI {worst.psi:.2f})"
        if len(within) > 1:
            text += f" and in {len(within) - 1} other segment(s)"
        # A drift within one segment ranks a little below the same PSI across all customers.
        out.append(
            Alert("segment_drift", text, 0.9 * worst.psi / thresholds.psi, worst.segment, feature)
        )
    return out


def snapshot_alerts(
    *,
    labels: Mapping[int, str],
    shares_before: Mapping[int, float],
    shares_after: Mapping[int, float],
    migration: Migration,
    drift: Sequence[FeatureDrift],
    confidence_before: float | None,
    confidence_after: float | None,
    thresholds: Thresholds,
    words: Mapping[str, str] | None = None,
) -> list[Alert]:
    """Every change past its threshold as a sentence, largest first.

    ``labels``: segment number → name; ``shares_*``: segment number → share (0–1) in
    the older and newer snapshot; ``drift``: :func:`segments.drift.drift_table`
    against the segmentation's data; ``words``: feature → words for sentences.
    """
    alerts = _share_alerts(labels, shares_before, shares_after, migration, thresholds)
    alerts += _drift_alerts(labels, drift, words or {}, thresholds)
    if confidence_before is not None and confidence_after is not None:
        drop = confidence_before - confidence_after
        if drop >= thresholds.confidence_drop:
            alerts.append(
                Alert(
                    kind="confidence",
                    text=(
                        f"customers fit the segments less clearly: assignment confidence fell "
                        f"from {confidence_before:.2f} to {confidence_after:.2f}"
                    ),
                    severity=drop / thresholds.confidence_drop,
                )
            )
    base = migration.in_both + migration.only_old
    for count, what in ((migration.only_new, "new"), (migration.only_old, "gone")):
        share = count / base if base else 0.0
        if count and share >= thresholds.customer_turnover:
            sentence = (
                f"{count:,} new customers ({_pct(share)} of the previous snapshot)"
                if what == "new"
                else f"{count:,} customers of the previous snapshot are gone ({_pct(share)})"
            )
            alerts.append(
                Alert(
                    kind="customers",
                    text=sentence,
                    severity=share / thresholds.customer_turnover,
                )
            )
    return sorted(alerts, key=lambda a: (-a.severity, a.text))


def refit_advice(
    drift: Sequence[FeatureDrift],
    confidence_before: float | None,
    confidence_after: float | None,
    thresholds: Thresholds,
    words: Mapping[str, str] | None = None,
) -> list[str]:
    """Reasons to find the segments again (empty: the saved segments still fit)."""
    words = words or {}
    reasons = [
        f"{words.get(row.feature, row.feature)} drifted across all customers (PSI {row.psi:.2f})"
        for row in sorted(drift, key=lambda r: -r.psi)
        if row.segment is None
        and row.psi >= thresholds.refit_psi
        and row.p_value < thresholds.p_value
    ]
    if confidence_before is not None and confidence_after is not None:
        drop = confidence_before - confidence_after
        if drop >= thresholds.refit_confidence_drop:
            reasons.append(
                f"assignment confidence fell from {confidence_before:.2f} to {confidence_after:.2f}"
            )
    return reasons
