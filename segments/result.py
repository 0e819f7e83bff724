"""The outcome of :func:`segments.fit_segments`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from segments.features import FeatureSpec
from segments.profile import SegmentProfile
from segments.scorecard import Scorecard
from segments.state import model_state

__all__ = ["SegmentationResult"]

SCHEMA_VERSION = 1


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


@dataclass
class SegmentationResult:
    """Segments of a customer table: labels, profiles, scorecard and the assignment model.

    ``labels`` is indexed by customer ID (the ID column's values, else the
    table's index) and holds segment numbers 0 … k-1, 0 being the largest.
    ``model`` is a fitted scikit-learn ``Pipeline`` (prepare → encode → assign)
    whose ``predict`` takes a table with the same columns; see
    :func:`segments.assign_segments`. To keep it, save :meth:`model_state` and
    rebuild it with :func:`segments.load_model`.
    """

    labels: pd.Series
    profiles: list[SegmentProfile]
    scorecard: Scorecard
    k: int
    algorithm: str
    roles: dict[str, str]
    warnings: list[str]
    model: Pipeline
    assignment_accuracy: float
    id_column: str | None = None
    feature_spec: FeatureSpec = field(default_factory=FeatureSpec)
    feature_names: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    k_selection: dict[str, Any] = field(default_factory=dict)
    random_state: int = 0
    min_segment_size: int = 20
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def n_customers(self) -> int:
        """Number of customers segmented."""
        return len(self.labels)

    def predict(self, frame: pd.DataFrame) -> Any:
        """Segment numbers for the rows of ``frame`` from the fitted assignment model."""
        return self.model.predict(frame)

    def model_state(self) -> dict[str, Any]:
        """The assignment model as versioned JSON-safe data (see :mod:`segments.state`)."""
        return model_state(self.model, self.feature_spec, self.id_column)

    def profile(self, segment_id: int) -> SegmentProfile:
        """The profile of one segment.

        Raises:
            KeyError: no segment has that number.
        """
        for p in self.profiles:
            if p.segment_id == segment_id:
                return p
        raise KeyError(segment_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary: aggregates, settings and verdicts.

        Contains no customer ID, no row and nothing from identifier or
        personal-data columns (their *names* appear in ``roles``).
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "algorithm": self.algorithm,
            "k": self.k,
            "n_customers": self.n_customers,
            "random_state": self.random_state,
            "min_segment_size": self.min_segment_size,
            "id_column": self.id_column,
            "roles": dict(self.roles),
            "features": list(self.feature_spec.sources),
            "feature_names": list(self.feature_names),
            "outcomes": list(self.outcomes),
            "channels": list(self.channels),
            "assignment_accuracy": _round(self.assignment_accuracy),
            "k_selection": self.k_selection,
            "scorecard": self.scorecard.to_dict(),
            "profiles": [p.to_dict() for p in self.profiles],
            "warnings": list(self.warnings),
            "timings": {k: _round(v, 3) for k, v in self.timings.items()},
        }
