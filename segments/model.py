"""``SegmentModel``: the segmentation as a scikit-learn clustering estimator.

::

    from sklearn.base import clone
    from sklearn.pipeline import Pipeline
    from segments import SegmentModel

    model = SegmentModel(k=4, algorithm="kmeans", random_state=0).fit(frame)
    model.labels_, model.profiles_, model.predict(new_customers)
    Pipeline([("select", selector), ("segments", SegmentModel(k="auto"))])

It follows scikit-learn's contract: ``__init__`` stores its arguments
verbatim, ``fit`` returns ``self``, learned attributes end in ``_``,
``predict`` checks the model is fitted, and ``fit_predict`` comes from
:class:`~sklearn.base.ClusterMixin`. It is DataFrame-first (mixed types,
missing values, text categories); a NumPy array is read as numeric columns
``x0``, ``x1`` …. :func:`fit_segments` is the one-call convenience over it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from segments.assign import assign_segments
from segments.dictionary import DataDictionary
from segments.errors import InvalidOptionError
from segments.fit import DEFAULT_K_RANGE, fit_result
from segments.result import SegmentationResult

__all__ = ["SegmentModel", "fit_segments"]

Progress = Callable[[str, float], None]


def _as_frame(x: Any) -> pd.DataFrame:
    """``x`` as a DataFrame: a frame as given, a 2-D array as columns ``x0`` … ``xn``."""
    if isinstance(x, pd.DataFrame):
        return x
    if hasattr(x, "toarray") or hasattr(x, "tocsr"):
        raise InvalidOptionError(
            "a sparse matrix cannot be segmented.",
            hint="Pass a pandas DataFrame (or a dense array) with one row per customer.",
        )
    array = np.asarray(x)
    if array.ndim != 2:
        raise InvalidOptionError(
            f"expected a 2-D table of customers, got an array of shape {array.shape}.",
            hint="Pass a pandas DataFrame with one row per customer.",
        )
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


class SegmentModel(ClusterMixin, BaseEstimator):
    """Customer segments of a table: clustering, profiles, scorecard, assignment model.

    Parameters are those of :func:`fit_segments` (``k``, ``algorithm``,
    ``method``, ``id_column``, ``roles``, ``dictionary``, ``min_segment_size``,
    ``random_state``, ``k_range``, ``bootstrap``, ``balance``).

    Attributes:
        result_: the full :class:`~segments.SegmentationResult`.
        labels_: segment number of each fitted row (0 is the largest segment).
        profiles_: one :class:`~segments.SegmentProfile` per segment.
        n_segments_: the number of segments found.
        n_features_in_: columns of the fitted table.
        feature_names_in_: their names, when the table was a DataFrame.
    """

    def __init__(
        self,
        k: int | str = "auto",
        algorithm: str = "kmeans",
        *,
        method: str = "cluster",
        id_column: str | None = None,
        roles: Mapping[str, str] | None = None,
        dictionary: DataDictionary | None = None,
        min_segment_size: int = 20,
        random_state: int = 0,
        k_range: tuple[int, int] = DEFAULT_K_RANGE,
        bootstrap: int = 20,
        balance: bool = True,
    ) -> None:
        self.k = k
        self.algorithm = algorithm
        self.method = method
        self.id_column = id_column
        self.roles = roles
        self.dictionary = dictionary
        self.min_segment_size = min_segment_size
        self.random_state = random_state
        self.k_range = k_range
        self.bootstrap = bootstrap
        self.balance = balance

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    def fit(self, X: Any, y: Any = None, *, progress: Progress | None = None) -> SegmentModel:
        """Segment the customers in ``X`` (``y`` is ignored); returns ``self``.

        Raises:
            SegmentationError: a subclass naming what to change (see :func:`fit_segments`).
        """
        frame = _as_frame(X)
        result = fit_result(frame, self.get_params(), progress)
        self.result_ = result
        self.labels_ = result.labels.to_numpy()
        self.profiles_ = result.profiles
        self.n_segments_ = result.k
        self.n_features_in_ = frame.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(frame.columns.map(str), dtype=object)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Segment numbers for the customers in ``X`` (same columns as the fitted table).

        Raises:
            NotFittedError: ``fit`` has not run.
            ColumnNotFoundError: a feature column of the segmentation is missing.
        """
        check_is_fitted(self, "result_")
        frame = _as_frame(X)
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise InvalidOptionError(
                f"X has {frame.shape[1]} columns; the segments were fitted on "
                f"{self.n_features_in_}.",
                hint="Pass a table with the same columns as the one the segments were fitted on.",
            )
        return assign_segments(self.result_, frame).to_numpy()


def fit_segments(
    frame: pd.DataFrame,
    *,
    k: int | str = "auto",
    algorithm: str = "kmeans",
    method: str = "cluster",
    id_column: str | None = None,
    roles: Mapping[str, str] | None = None,
    dictionary: DataDictionary | None = None,
    min_segment_size: int = 20,
    random_state: int = 0,
    k_range: tuple[int, int] = DEFAULT_K_RANGE,
    bootstrap: int = 20,
    balance: bool = True,
    progress: Progress | None = None,
) -> SegmentationResult:
    """Find customer segments in ``frame`` and describe them.

    The one-call form of ``SegmentModel(...).fit(frame).result_``.

    Args:
        frame: one row per customer (e.g. ``read_table(...).frame`` or the output of
            :func:`segments.transactions_to_customers`).
        k: number of segments, or ``"auto"`` to choose in ``k_range`` (ignored by
            ``hdbscan``, which finds its own number).
        algorithm: ``"kmeans"``, ``"gmm"``, ``"agglomerative"`` or ``"hdbscan"``.
        method: ``"cluster"`` (``algorithm`` finds the segments) or ``"rfm"``: the
            segments are the named RFM score segments of :func:`segments.rfm_scores`
            (the first matching rule of :data:`segments.RFM_RULES`), numbered by size,
            labelled by name; ``k`` and ``algorithm`` are then ignored. It needs the
            ``recency_days``, ``frequency`` and ``monetary`` columns of
            :func:`segments.transactions_to_customers`. Its assignment model is the
            15-nearest-neighbour stand-in (score cut-offs are quintiles of the fitted
            customers, so new customers are placed by their neighbours, not re-scored).
        id_column: the customer ID column; when None and exactly one column is
            recognised as an identifier, that one is used (and said in ``warnings``).
        roles: role overrides, ``{column: role}`` (see :func:`segments.infer_roles`).
        dictionary: column descriptions (:func:`segments.read_dictionary`) used for
            every column name in labels, rules and fact labels; without one, names
            are humanised.
        min_segment_size: segments smaller than this fail *sizable* and are not
            described; rarer category labels are grouped as "other".
        random_state: seed for every random step; the same seed gives the same result.
        k_range: inclusive range of k tried by ``k="auto"``.
        bootstrap: resamples for the stability criterion (0 skips it).
        balance: weigh each group of correlated numeric columns about as one column
            (:mod:`segments.balance`), so a table that measures one thing many times
            is not clustered on that thing alone.
        progress: called with (message, fraction 0–1) as the run advances.

    Raises:
        SegmentationError: a subclass naming what to change (bad option, missing
            column, too few rows, no usable feature, no structure found).
    """
    model = SegmentModel(
        k=k,
        algorithm=algorithm,
        method=method,
        id_column=id_column,
        roles=roles,
        dictionary=dictionary,
        min_segment_size=min_segment_size,
        random_state=random_state,
        k_range=k_range,
        bootstrap=bootstrap,
        balance=balance,
    )
    return model.fit(frame, progress=progress).result_
