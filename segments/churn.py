"""Churn risk from an outcome column: a cross-validated, calibrated classifier.

Given a customer table with a binary outcome (churned, cancelled, responded …),
:func:`fit_churn` predicts each customer's probability of that outcome from the
columns that describe who customers are and how they behave, and says how good
the prediction is and what drives it::

    report = segments.fit_churn(frame, outcome="churn")
    report.auc, report.baseline_auc, report.logistic_auc   # measured in the same run
    report.probabilities                                   # one per customer

How it stays honest:

* **Out of fold.** Every customer's probability, the AUC, the Brier score and the
  calibration table come from 5-fold cross-validation: no customer is scored by a
  model that saw her outcome.
* **Baselines in the same run.** A majority-class predictor (AUC 0.5) and a plain
  logistic regression on the same features, next to gradient boosting.
* **Leak guard.** A column that predicts the outcome almost perfectly on its own
  (single-column cross-validated AUC ≥ :data:`LEAK_AUC`), or whose name contains
  the outcome's name (``churn_date`` for ``churn``), is left out and reported:
  such columns are usually recorded *because of* the outcome.
* Identifier, personal-data and free-text columns and other outcome columns are
  never features.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import (
    StratifiedKFold,
    StratifiedShuffleSplit,
    cross_val_predict,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from segments.errors import ColumnNotFoundError, InvalidOptionError, NoFeaturesError
from segments.features import (
    FeatureSpec,
    build_pipeline,
    date_feature,
    plan_features,
    prepare_frame,
)
from segments.roles import infer_roles, outcome_columns, type_role

__all__ = ["LEAK_AUC", "ChurnReport", "fit_churn", "outcome_flags"]

LEAK_AUC = 0.98
FOLDS = 5
CALIBRATION_SHARE = 0.25
# One OpenMP thread: on the small shared machines this runs on, gradient boosting's
# default of one thread per core fought the other jobs and a fit took minutes.
THREADS = 1
_TRUE = {"1", "1.0", "true", "yes", "y", "t", "churned", "churn", "cancelled", "left"}
_FALSE = {"0", "0.0", "false", "no", "n", "f", "stayed", "active", "retained"}


@dataclass
class ChurnReport:
    """A fitted churn model's quality, drivers and per-customer probabilities."""

    outcome: str
    positive_rate: float
    auc: float
    logistic_auc: float
    baseline_auc: float
    brier: float
    logistic_brier: float
    baseline_brier: float
    calibration: list[dict[str, float]]
    drivers: list[dict[str, float | str]]
    probabilities: pd.Series
    features: list[str]
    left_out: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-safe aggregates (no customer ids)."""
        return {
            "outcome": self.outcome,
            "customers": len(self.probabilities),
            "positive_rate": round(self.positive_rate, 4),
            "auc": round(self.auc, 4),
            "logistic_auc": round(self.logistic_auc, 4),
            "baseline_auc": round(self.baseline_auc, 4),
            "brier": round(self.brier, 4),
            "logistic_brier": round(self.logistic_brier, 4),
            "baseline_brier": round(self.baseline_brier, 4),
            "calibration": self.calibration,
            "drivers": self.drivers,
            "features": self.features,
            "left_out": self.left_out,
        }


def outcome_flags(values: pd.Series, column: str, positive: str | None = None) -> pd.Series:
    """The outcome as 0/1 (yes/no, true/false, 1/0 …); missing stays missing.

    With ``positive``, that label is 1 and every other label 0 (``Status`` with
    ``positive="bad"``).

    Raises:
        InvalidOptionError: the column does not hold exactly two outcomes.
    """
    text = values.astype("string").str.strip().str.lower()
    flags = pd.Series(np.nan, index=values.index, dtype="float64")
    if positive is not None:
        flags[text.notna()] = (text[text.notna()] == positive.strip().lower()).astype(float)
        if not (flags == 1).any():
            raise InvalidOptionError(
                f"has no {positive!r} outcome.",
                column=column,
                hint=f"Its values are {', '.join(map(repr, text.dropna().unique()[:5]))}.",
            )
    else:
        flags[text.isin(_TRUE)] = 1.0
        flags[text.isin(_FALSE)] = 0.0
    unread = text.notna() & flags.isna()
    if unread.any():
        seen = ", ".join(map(repr, text[unread].unique()[:5]))
        raise InvalidOptionError(
            f"is not a yes/no outcome: it holds {seen}.",
            source=None,
            column=column,
            hint="Name the label that counts as the outcome (positive='bad', "
            "--positive in the CLI), or use a yes/no column.",
        )
    if flags.nunique() < 2:
        raise InvalidOptionError(
            "holds one outcome only, so there is nothing to predict.",
            column=column,
            hint="Check that the table includes customers of both outcomes.",
        )
    return flags


def _stem(name: str) -> str:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return re.sub(r"(ed|ing|s)$", "", re.split(r"[^a-z0-9]+", words)[0])


def _single_column_auc(series: pd.Series, y: np.ndarray) -> float:
    """How well one column alone ranks the outcome (0.5 = not at all, 1 = perfectly).

    Numbers and dates rank by value; labels by their outcome rate. Both directions
    count: a column that is low exactly for churners leaks as much as a high one.
    """
    if type_role(series) == "categorical" or not pd.api.types.is_numeric_dtype(series.dtype):
        text = series.astype("string").fillna("(missing)")
        score = text.map(pd.Series(y, index=series.index).groupby(text).mean())
    else:
        score = pd.to_numeric(series, errors="coerce")
        score = score.fillna(score.median())
    values = score.to_numpy(dtype="float64")
    if np.nanstd(values) == 0:
        return 0.5
    auc = float(roc_auc_score(y, values))
    return max(auc, 1 - auc)


def _calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    edges = np.quantile(p, np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            rows.append(
                {
                    "predicted": round(float(p[inside].mean()), 4),
                    "observed": round(float(y[inside].mean()), 4),
                    "customers": int(inside.sum()),
                }
            )
    return rows


def fit_churn(
    frame: pd.DataFrame,
    *,
    outcome: str,
    positive: str | None = None,
    roles: Mapping[str, str] | None = None,
    id_column: str | None = None,
    random_state: int = 0,
) -> ChurnReport:
    """Predict ``outcome`` (a yes/no column) for every customer of ``frame``.

    Raises:
        ColumnNotFoundError: ``outcome`` is not in the table.
        InvalidOptionError: it is not a two-valued outcome, or a class has fewer
            customers than there are folds.
        NoFeaturesError: no column is left to predict from.
    """
    if outcome not in frame.columns:
        raise ColumnNotFoundError(
            "is named as the outcome but is not in the table.",
            column=outcome,
            hint=f"Columns: {', '.join(map(repr, map(str, frame.columns[:20])))}.",
        )
    flags = outcome_flags(frame[outcome], outcome, positive)
    known = flags.notna()
    data = frame[known]
    y = flags[known].to_numpy().astype(int)
    if min(np.bincount(y)) < FOLDS:
        raise InvalidOptionError(
            f"has fewer than {FOLDS} customers of one outcome.",
            column=outcome,
            hint="Use a table with more customers of each outcome.",
        )
    roles = dict(roles or infer_roles(data, id_column=id_column))
    others = set(outcome_columns(data, roles)) - {outcome}
    left_out: dict[str, str] = {}
    stem = _stem(outcome)
    candidates = []
    for column, role in roles.items():
        if column == outcome:
            continue
        if role in ("identifier", "personal", "text"):
            continue
        if column in others:
            left_out[column] = "another outcome column"
            continue
        # Before the role filter: a leak named after the outcome is often mostly
        # empty (``churn_date`` is set for churners only) and so 'ignore'd, yet the
        # user must still hear that it was left out.
        if len(stem) >= 4 and stem in column.lower():
            left_out[column] = f"its name contains the outcome's ({outcome!r}): a likely leak"
            continue
        if role not in ("numeric", "categorical", "boolean", "datetime"):
            continue
        candidates.append(column)
    for column in list(candidates):
        auc = _single_column_auc(data[column], y)
        if auc >= LEAK_AUC:
            left_out[column] = (
                f"predicts the outcome almost perfectly on its own (AUC {auc:.3f}): a likely leak"
            )
            candidates.remove(column)
    if not candidates:
        raise NoFeaturesError(
            f"no column is left to predict {outcome!r} from.",
            hint="Add columns that describe the customers (identifiers, personal data and "
            "leaks are never used).",
        )
    feature_roles = {c: roles[c] for c in candidates}
    spec, _ = plan_features(data[candidates], feature_roles)
    # Preparing is stateless, so it is done once here rather than in every fit
    # (it was a fifth of the time); imputing, scaling and encoding stay per fold.
    prepared = prepare_frame(data[candidates], spec.to_dict())
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=random_state)
    with warnings.catch_warnings(), threadpool_limits(THREADS):
        warnings.simplefilter("ignore")
        p = cross_val_predict(
            _boosted(spec, random_state), prepared, y, cv=folds, method="predict_proba"
        )[:, 1]
        p_logistic = cross_val_predict(
            _encoded(spec, LogisticRegression(max_iter=2000)), prepared, y, cv=folds,
            method="predict_proba",
        )[:, 1]  # fmt: skip
        drivers = _drivers(_boosted(spec, random_state), prepared, y, spec, random_state)
    rate = float(y.mean())
    probabilities = pd.Series(np.nan, index=frame.index, name=f"{outcome}_probability")
    probabilities[known.to_numpy()] = p
    return ChurnReport(
        outcome=outcome,
        positive_rate=rate,
        auc=float(roc_auc_score(y, p)),
        logistic_auc=float(roc_auc_score(y, p_logistic)),
        baseline_auc=0.5,
        brier=float(brier_score_loss(y, p)),
        logistic_brier=float(brier_score_loss(y, p_logistic)),
        baseline_brier=float(brier_score_loss(y, np.full(len(y), rate))),
        calibration=_calibration_table(y, p),
        drivers=drivers,
        probabilities=probabilities,
        features=candidates,
        left_out=left_out,
    )


def _encoded(spec: FeatureSpec, estimator: object) -> Pipeline:
    """``estimator`` after the encode steps of the feature pipeline (on a prepared frame)."""
    return Pipeline([("features", build_pipeline(spec)[1:]), ("model", estimator)])


def _boosted(spec: FeatureSpec, random_state: int) -> Pipeline:
    """Small-leaf gradient boosting with early stopping, Platt-calibrated on one split.

    Measured on all 7,043 wa_churn customers against 100 full rounds with 3-fold
    isotonic calibration: AUC 0.846 instead of 0.838, five times faster.
    """
    boosting = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=400,
        max_leaf_nodes=8,
        min_samples_leaf=40,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=random_state,
    )
    calibrated = CalibratedClassifierCV(
        boosting,
        method="sigmoid",
        cv=StratifiedShuffleSplit(1, test_size=CALIBRATION_SHARE, random_state=random_state),
    )
    return _encoded(spec, calibrated)


def _drivers(
    pipeline: Pipeline,
    x: pd.DataFrame,
    y: np.ndarray,
    spec: FeatureSpec,
    random_state: int,
    top: int = 10,
) -> list[dict[str, float | str]]:
    """Permutation importance (drop in AUC) of each source column on a held-out quarter.

    ``x`` is the prepared frame: one column per source column, so shuffling it is
    shuffling the source column.
    """
    source = {date_feature(c): c for c in spec.datetime}
    train_x, test_x, train_y, test_y = train_test_split(
        x, y, test_size=0.25, stratify=y, random_state=random_state
    )
    pipeline.fit(train_x, train_y)
    found = permutation_importance(
        pipeline, test_x, test_y, scoring="roc_auc", n_repeats=3, random_state=random_state
    )
    order = np.argsort(-found.importances_mean)
    return [
        {
            "feature": source.get(str(x.columns[i]), str(x.columns[i])),
            "auc_drop": round(float(found.importances_mean[i]), 4),
            "spread": round(float(found.importances_std[i]), 4),
        }
        for i in order[:top]
        if found.importances_mean[i] > 0
    ]
