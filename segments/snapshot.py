"""One snapshot of the customers measured against a saved segmentation.

:func:`measure_snapshot` assigns every customer of a table with the saved
assignment model (segment definitions stay fixed), and measures what the
monitoring needs: segment shares, the model's confidence, every feature counted
in the reference buckets (overall and per segment, for PSI) and, when asked,
fresh segment profiles under the fixed assignment (for persona facts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segments.assign import assign_segments
from segments.drift import BucketCounts, FeatureBins, count_buckets, reference_bins
from segments.facts import humanise
from segments.features import prepare_frame
from segments.fit import _profile_frame
from segments.profile import SegmentProfile, build_profiles
from segments.state import AssignmentModel

__all__ = ["SnapshotMeasures", "measure_snapshot"]


@dataclass(frozen=True)
class SnapshotMeasures:
    """What :func:`measure_snapshot` found (aggregates, plus the labels kept in SQLite)."""

    labels: pd.Series
    """Customer id → segment number."""
    bins: list[FeatureBins]
    counts: BucketCounts
    confidence: float
    """Mean assignment confidence (:meth:`AssignmentModel.confidence`), 0–1."""
    shares: dict[int, float]
    sizes: dict[int, int]
    profiles: list[SegmentProfile] = field(default_factory=list)

    @property
    def n_customers(self) -> int:
        """Customers in the snapshot."""
        return len(self.labels)


def measure_snapshot(
    model: AssignmentModel,
    frame: pd.DataFrame,
    *,
    labels: pd.Series | None = None,
    bins: Sequence[FeatureBins] | None = None,
    outcomes: Sequence[str] = (),
    min_segment_size: int = 20,
    describe: Callable[[str], str] = humanise,
    profiles: bool = False,
) -> SnapshotMeasures:
    """Measure ``frame`` (one row per customer) against ``model``.

    ``labels``: the segment of each row when already known (the fitted labels of the
    reference snapshot, in ``frame``'s row order); otherwise the model assigns them.
    ``bins``: the reference buckets; None makes them from this frame (the reference).
    ``profiles``: also describe each segment under this assignment (size, share and
    statistics; rules and scorecards belong to the fit and are not redone).
    """
    if labels is None:
        labels = assign_segments(model, frame)
    values = labels.to_numpy(dtype="int64")
    spec = model.feature_spec
    prepared = prepare_frame(frame, spec.to_dict())
    prepared.index = labels.index
    chosen = list(bins) if bins is not None else reference_bins(prepared, spec)
    counts = count_buckets(prepared, values, chosen)
    confidence = float(np.mean(model.confidence(frame))) if len(frame) else 0.0
    segments, sizes = np.unique(values, return_counts=True)
    n = max(len(values), 1)
    described: list[SegmentProfile] = []
    if profiles and len(values):
        present = [c for c in outcomes if c in frame.columns]
        framed, columns = _profile_frame(frame, prepared.set_axis(frame.index), spec, present)
        described = build_profiles(
            framed, values, columns, min_segment_size=min_segment_size, describe=describe
        )
    return SnapshotMeasures(
        labels=labels,
        bins=chosen,
        counts=counts,
        confidence=confidence,
        shares={int(s): float(c / n) for s, c in zip(segments, sizes, strict=True)},
        sizes={int(s): int(c) for s, c in zip(segments, sizes, strict=True)},
        profiles=described,
    )
