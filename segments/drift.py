"""Drift between two snapshots of the same customers: population stability index per feature.

The reference is the data a segmentation was fitted on. :func:`reference_bins`
fixes, per prepared feature, the buckets both snapshots are counted in: for a
number, the cut points of the reference's deciles (ties merged) plus a bucket
for missing values; for a category or a yes/no flag, its labels plus one bucket
for anything unseen or missing. :func:`count_buckets` counts a snapshot in those
buckets, overall and per segment, and :func:`drift_table` compares the counts.

PSI follows the usual convention (see ``/work/shared/reference/value-monitoring-voice.md``,
"Monitoring segments over time"; the same formula as Evidently's PSI test):

    PSI = Σ_b (a_b − e_b) · ln(a_b / e_b)

with ``e_b`` / ``a_b`` the reference / current share of bucket ``b``, each floored
at :data:`EPSILON` so an empty bucket does not divide by zero. The bands in common
use are < 0.1 stable, 0.1–0.2 moderate, ≥ 0.2 significant (:func:`psi_band`).

PSI of two samples of the *same* distribution is not zero: ``PSI · (1/n + 1/m)⁻¹``
is approximately χ² with ``B − 1`` degrees of freedom (``B`` buckets in use), so
small segments show PSI by chance. :class:`FeatureDrift` therefore carries that
test's p-value, and alerts (:mod:`segments.alerts`) ask for both a large PSI and
a small p-value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import chi2

from segments.features import FeatureSpec

__all__ = [
    "BANDS",
    "EPSILON",
    "BucketCounts",
    "FeatureBins",
    "FeatureDrift",
    "count_buckets",
    "drift_table",
    "psi",
    "psi_band",
    "psi_p_value",
    "reference_bins",
]

EPSILON = 1e-4
"""Floor of a bucket's share in the PSI sum (an empty bucket would be ln 0)."""

BANDS = ((0.1, "stable"), (0.2, "moderate"), (float("inf"), "significant"))
"""Upper bounds of the PSI bands: < 0.1 stable, 0.1–0.2 moderate, ≥ 0.2 significant."""

Band = Literal["stable", "moderate", "significant"]
DEFAULT_BINS = 10


def psi_band(value: float) -> Band:
    """``stable`` (< 0.1), ``moderate`` (0.1–0.2) or ``significant`` (≥ 0.2)."""
    for bound, name in BANDS:
        if value < bound:
            return name  # type: ignore[return-value]
    return "significant"


def psi(expected: Iterable[float], actual: Iterable[float], epsilon: float = EPSILON) -> float:
    """Population stability index of two bucket counts (or shares) over the same buckets."""
    e = np.asarray(list(expected), dtype="float64")
    a = np.asarray(list(actual), dtype="float64")
    if e.shape != a.shape:
        raise ValueError(f"bucket counts differ in length: {e.shape} vs {a.shape}")
    if e.sum() <= 0 or a.sum() <= 0:
        return 0.0
    e = np.maximum(e / e.sum(), epsilon)
    a = np.maximum(a / a.sum(), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_p_value(value: float, n_expected: int, n_actual: int, buckets: int) -> float:
    """Chance of a PSI at least ``value`` between two samples of one distribution.

    Uses ``PSI · (1/n + 1/m)⁻¹ ~ χ²(buckets − 1)``; 1.0 when there is nothing to test.
    """
    if n_expected <= 0 or n_actual <= 0 or buckets < 2:
        return 1.0
    statistic = value / (1.0 / n_expected + 1.0 / n_actual)
    return float(chi2.sf(statistic, buckets - 1))


@dataclass(frozen=True)
class FeatureBins:
    """The buckets one prepared feature is counted in, fixed by the reference data."""

    feature: str
    kind: Literal["numeric", "category"]
    edges: tuple[float, ...] = ()
    """Numeric: inner cut points; bucket ``i`` is ``edges[i-1] < x ≤ edges[i]``."""
    levels: tuple[str, ...] = ()
    """Category: the labels counted apart."""

    @property
    def n_buckets(self) -> int:
        """Buckets, the one for missing / unseen values included."""
        if self.kind == "numeric":
            return len(self.edges) + 2
        return len(self.levels) + 1

    def bucket(self, values: pd.Series) -> np.ndarray:
        """The bucket number of every value (the last bucket: missing or unseen)."""
        if self.kind == "numeric":
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
            out = np.searchsorted(np.asarray(self.edges, dtype="float64"), numbers, side="left")
            out[~np.isfinite(numbers)] = len(self.edges) + 1
            return out.astype("int64")
        codes = pd.Categorical(values.astype("object").astype("str"), categories=self.levels).codes
        out = np.asarray(codes, dtype="int64")
        out[out < 0] = len(self.levels)
        out[values.isna().to_numpy()] = len(self.levels)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (:meth:`from_dict` reads it back)."""
        return {
            "feature": self.feature,
            "kind": self.kind,
            "edges": list(self.edges),
            "levels": list(self.levels),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureBins:
        """The buckets saved by :meth:`to_dict`."""
        return cls(
            feature=str(data["feature"]),
            kind=data["kind"],
            edges=tuple(float(v) for v in data.get("edges", [])),
            levels=tuple(str(v) for v in data.get("levels", [])),
        )


def reference_bins(
    prepared: pd.DataFrame, spec: FeatureSpec, bins: int = DEFAULT_BINS
) -> list[FeatureBins]:
    """Buckets for every feature of ``spec``, from the reference snapshot ``prepared``.

    ``prepared`` is :func:`segments.features.prepare_frame` of the reference table.
    """
    out: list[FeatureBins] = []
    for column in spec.prepared_numeric:
        values = pd.to_numeric(prepared[column], errors="coerce").to_numpy(dtype="float64")
        values = values[np.isfinite(values)]
        if len(values) == 0:
            edges: tuple[float, ...] = ()
        else:
            cuts = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
            # Ties merge buckets; a cut at the maximum would leave an always-empty bucket.
            edges = tuple(float(c) for c in np.unique(cuts) if c < values.max())
        out.append(FeatureBins(column, "numeric", edges=edges))
    for column in spec.boolean:
        out.append(FeatureBins(column, "category", levels=("0.0", "1.0")))
    for column in spec.categorical:
        levels = sorted({str(v) for v in prepared[column].dropna().unique()})
        out.append(FeatureBins(column, "category", levels=tuple(levels)))
    return out


@dataclass(frozen=True)
class BucketCounts:
    """A snapshot counted in the reference buckets: overall and per segment."""

    overall: dict[str, list[int]]
    """Feature → count per bucket."""
    by_segment: dict[int, dict[str, list[int]]] = field(default_factory=dict)
    """Segment number → feature → count per bucket."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (segment numbers become strings)."""
        return {
            "overall": self.overall,
            "by_segment": {str(k): v for k, v in self.by_segment.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BucketCounts:
        """The counts saved by :meth:`to_dict`."""
        return cls(
            overall={str(k): [int(x) for x in v] for k, v in data["overall"].items()},
            by_segment={
                int(s): {str(k): [int(x) for x in v] for k, v in features.items()}
                for s, features in data.get("by_segment", {}).items()
            },
        )


def count_buckets(
    prepared: pd.DataFrame, labels: np.ndarray, bins: Iterable[FeatureBins]
) -> BucketCounts:
    """Count the rows of ``prepared`` (segment ``labels``) in the buckets ``bins``."""
    labels = np.asarray(labels, dtype="int64")
    segments = np.unique(labels)
    overall: dict[str, list[int]] = {}
    by_segment: dict[int, dict[str, list[int]]] = {int(s): {} for s in segments}
    for feature in bins:
        buckets = feature.bucket(prepared[feature.feature])
        width = feature.n_buckets
        overall[feature.feature] = np.bincount(buckets, minlength=width).tolist()
        # One pass for all segments: flat index segment * width + bucket.
        position = np.searchsorted(segments, labels)
        table = np.bincount(position * width + buckets, minlength=len(segments) * width)
        for i, segment in enumerate(segments):
            by_segment[int(segment)][feature.feature] = table[i * width : (i + 1) * width].tolist()
    return BucketCounts(overall=overall, by_segment=by_segment)


@dataclass(frozen=True)
class FeatureDrift:
    """PSI of one feature, overall (``segment`` None) or within one segment."""

    feature: str
    segment: int | None
    psi: float
    p_value: float
    n_reference: int
    n_current: int

    @property
    def band(self) -> Band:
        """``stable``, ``moderate`` or ``significant``."""
        return psi_band(self.psi)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, PSI rounded to 4 decimals."""
        return {
            "feature": self.feature,
            "segment": self.segment,
            "psi": round(self.psi, 4),
            "band": self.band,
            "p_value": float(f"{self.p_value:.4g}"),
            "n_reference": self.n_reference,
            "n_current": self.n_current,
        }


def _compare(feature: str, segment: int | None, e: list[int], a: list[int]) -> FeatureDrift:
    value = psi(e, a)
    used = int(np.count_nonzero(np.asarray(e) + np.asarray(a)))
    n_e, n_a = int(sum(e)), int(sum(a))
    return FeatureDrift(feature, segment, value, psi_p_value(value, n_e, n_a, used), n_e, n_a)


def drift_table(reference: BucketCounts, current: BucketCounts) -> list[FeatureDrift]:
    """PSI of every feature, overall then per segment present in both snapshots."""
    out = [
        _compare(feature, None, counts, current.overall[feature])
        for feature, counts in reference.overall.items()
        if feature in current.overall
    ]
    for segment in sorted(set(reference.by_segment) & set(current.by_segment)):
        old, new = reference.by_segment[segment], current.by_segment[segment]
        out.extend(_compare(f, segment, old[f], new[f]) for f in old if f in new)
    return out
