"""Assigning customers to existing segments, and how reliably that works."""

from __future__ import annotations

import warnings as pywarnings
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid

from segments.errors import ColumnNotFoundError
from segments.features import FeatureSpec
from segments.state import AssignmentModel

__all__ = [
    "Assigner",
    "assign_prepared",
    "assign_segments",
    "assignment_accuracy",
    "make_classifier",
]

CHUNK = 100_000
"""Rows encoded at a time (bounds the encoded matrix's memory)."""
CV_SAMPLE = 10_000
CV_FOLDS = 5


def make_classifier(algorithm: str) -> Any:
    """The classifier that stands in for ``algorithm`` on new rows.

    k-means and Ward segments are convex, so the nearest segment centre decides;
    mixture and density segments can be any shape, so 15 nearest neighbours vote.
    """
    if algorithm in ("kmeans", "agglomerative"):
        return NearestCentroid()
    return KNeighborsClassifier(n_neighbors=15)


def assignment_accuracy(
    x: np.ndarray, labels: np.ndarray, *, algorithm: str, random_state: int
) -> float:
    """Cross-validated accuracy of :func:`make_classifier` at predicting ``labels``."""
    n = len(x)
    rng = np.random.default_rng([random_state, 13])
    rows = np.sort(rng.choice(n, size=CV_SAMPLE, replace=False)) if n > CV_SAMPLE else np.arange(n)
    y = labels[rows]
    smallest = int(np.bincount(y).min()) if len(y) else 0
    folds: KFold | StratifiedKFold
    if smallest >= CV_FOLDS:
        folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=random_state)
    else:
        folds = KFold(min(CV_FOLDS, len(y)), shuffle=True, random_state=random_state)
    scores = cross_val_score(make_classifier(algorithm), x[rows], y, cv=folds)
    return float(np.mean(scores))


class Assigner(Protocol):
    """What assigns customers: a :class:`~segments.SegmentationResult` or a loaded
    :class:`~segments.AssignmentModel`."""

    @property
    def feature_spec(self) -> FeatureSpec: ...

    @property
    def id_column(self) -> str | None: ...

    def predict(self, frame: pd.DataFrame) -> Any: ...


def assign_segments(result: Assigner, frame: pd.DataFrame) -> pd.Series:
    """Segment numbers for the customers in ``frame`` (same columns as the fitted table).

    ``result`` is a fitted :class:`~segments.SegmentationResult` or an
    :class:`~segments.AssignmentModel` rebuilt with :func:`segments.load_model`.

    The index is the customer ID column when ``frame`` has it, else ``frame``'s
    index. Unseen category labels count as "other"; missing values are imputed
    as during fitting. Personal-data columns may be present and are ignored.

    Raises:
        ColumnNotFoundError: a feature column of the segmentation is missing.
    """
    index = _checked_index(result, frame)
    labels = np.empty(len(frame), dtype="int64")
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")
        for start in range(0, len(frame), CHUNK):
            part = frame.iloc[start : start + CHUNK]
            labels[start : start + len(part)] = result.predict(part)
    return pd.Series(labels, index=index, name="segment")


def _checked_index(result: Assigner, frame: pd.DataFrame) -> pd.Index:
    """The customer index of ``frame``, once every feature column is known present."""
    missing = [c for c in result.feature_spec.sources if c not in frame.columns]
    if missing:
        raise ColumnNotFoundError(
            f"{len(missing)} feature column(s) of the segmentation are missing: "
            f"{', '.join(map(repr, missing[:10]))}.",
            hint="Load a table with the same columns as the one the segments were fitted on.",
        )
    if result.id_column is not None and result.id_column in frame.columns:
        return pd.Index(frame[result.id_column], name=result.id_column)
    return frame.index


def assign_prepared(
    model: AssignmentModel,
    frame: pd.DataFrame,
    prepared: pd.DataFrame,
    labels: pd.Series | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """Segment numbers and assignment confidence of every customer, encoding each row once.

    ``prepared`` is :func:`~segments.features.prepare_frame` of ``frame`` with the model's
    spec. ``labels``: the segments when already known (then only the confidence is
    computed). Same results as :func:`assign_segments` and ``model.confidence``.
    """
    index = _checked_index(model, frame)
    known = labels is not None
    values = labels.to_numpy(dtype="int64") if labels is not None else np.empty(len(frame), "int64")
    confidence = np.empty(len(frame), dtype="float64")
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")
        for start in range(0, len(frame), CHUNK):
            x = model.encode(prepared.iloc[start : start + CHUNK])
            stop = start + len(x)
            if not known:
                values[start:stop] = model.predict_encoded(x)
            confidence[start:stop] = model.confidence_encoded(x)
    out = labels if labels is not None else pd.Series(values, index=index, name="segment")
    return out, confidence
