"""Predicted value and churn risk joined to a segmentation: per customer and per segment.

Two sources of predictions, whichever the data allow:

* a **transaction log** → :func:`segments.value.predict_value` (BG/NBD + Gamma-Gamma):
  each customer's P(alive), expected purchases and predicted value over a horizon;
* a table with a **yes/no outcome** (churned, cancelled …) →
  :func:`segments.churn.fit_churn`: each customer's out-of-fold probability.

:func:`log_predictions` and :func:`churn_predictions` make the per-customer
:class:`CustomerPredictions` (indexed by customer id; it stays in the product and
reaches people only through the labels file). :func:`attach_predictions` turns
them into one :class:`SegmentPrediction` per segment of at least the minimum size
(aggregates only), stored on :attr:`SegmentProfile.prediction`, where they become
facts, and re-judges the scorecard's *responds differently* with them.

**Value at risk** ranks segments for "which segment to save first": the sum over
the segment's customers of predicted value × (1 − P(alive)) for a log, so valuable
customers who may already be leaving weigh most; with churn risk only (no value
prediction), the number of customers expected to leave (the sum of their risk).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import segments.scorecard as sc
from segments.churn import ChurnReport, fit_churn, outcome_flags
from segments.errors import InvalidOptionError
from segments.value import ValueReport, predict_value
from segments.value_segments import VIP_SHARE, SegmentPrediction, Source, segment_value, vip_flags

if TYPE_CHECKING:
    from segments.logs import LogColumns
    from segments.result import SegmentationResult

__all__ = [
    "CHURN_MAX_CUSTOMERS",
    "CustomerPredictions",
    "SegmentPrediction",
    "attach_predictions",
    "churn_outcome",
    "churn_predictions",
    "log_predictions",
]

# Five-fold gradient boosting with one thread: about 4 s on 7,000 customers here; past
# this size a segmentation would wait minutes for it (`persona churn` still runs it).
CHURN_MAX_CUSTOMERS = 100_000
_CRITERION = "responds_differently"


@dataclass
class CustomerPredictions:
    """Per-customer predictions, indexed by customer id (never shown, never exported
    except in the labels file).

    ``frame`` columns: for ``source="value"`` ``p_alive``, ``expected_purchases``,
    ``predicted_value`` and ``vip``; for ``source="churn"`` ``churn_risk``.
    """

    source: Source
    frame: pd.DataFrame
    horizon_weeks: float | None = None
    outcome: str | None = None
    """The outcome column whose probability ``churn_risk`` is (churn source)."""
    summary: dict[str, Any] = field(default_factory=dict)
    """The model's aggregates (:meth:`ValueReport.to_dict` / :meth:`ChurnReport.to_dict`)."""

    def export_columns(self) -> dict[str, pd.Series]:
        """Header → per-customer column, as the labels file writes them."""
        frame = self.frame
        if self.source == "churn":
            return {f"{self.outcome}_risk": frame["churn_risk"].round(4)}
        weeks = f"{self.horizon_weeks:g}w"
        return {
            "p_alive": frame["p_alive"].round(4),
            f"expected_purchases_{weeks}": frame["expected_purchases"].round(3),
            f"predicted_value_{weeks}": frame["predicted_value"].round(2),
            "vip": frame["vip"].map({True: "yes", False: "no"}),
        }


def log_predictions(
    log: pd.DataFrame, columns: LogColumns, *, horizon_weeks: float = 52.0
) -> CustomerPredictions:
    """BG/NBD + Gamma-Gamma predictions for every customer of a transaction log.

    Raises:
        ValueFitError: the models cannot be fitted (the message says why).
    """
    report: ValueReport = predict_value(
        log,
        **{k: v for k, v in columns.options().items() if v is not None},
        horizon=horizon_weeks,
    )
    customers = report.customers
    frame = pd.DataFrame(
        {
            "p_alive": customers["p_alive"],
            "expected_purchases": customers["expected_purchases"],
            "predicted_value": customers["clv"],
        }
    )
    frame["vip"] = vip_flags(frame["predicted_value"])
    return CustomerPredictions("value", frame, float(horizon_weeks), summary=report.to_dict())


def churn_outcome(frame: pd.DataFrame, outcomes: list[str]) -> str | None:
    """The first outcome column that reads as yes/no (what churn risk predicts), if any."""
    for column in outcomes:
        if column not in frame.columns:
            continue
        try:
            flags = outcome_flags(frame[column], column)
        except InvalidOptionError:
            continue
        if flags.notna().any() and flags.dropna().nunique() == 2:
            return column
    return None


def churn_predictions(
    frame: pd.DataFrame, outcome: str, *, id_column: str | None, roles: Mapping[str, str]
) -> CustomerPredictions:
    """Out-of-fold churn risk (:func:`segments.churn.fit_churn`) for every customer.

    Raises:
        InvalidOptionError: more than :data:`CHURN_MAX_CUSTOMERS` customers, or an
            outcome :func:`fit_churn` cannot use.
        NoFeaturesError: no column is left to predict from.
    """
    if len(frame) > CHURN_MAX_CUSTOMERS:
        raise InvalidOptionError(
            f"churn risk is predicted during segmentation for up to "
            f"{CHURN_MAX_CUSTOMERS:,} customers; this table has {len(frame):,}.",
            hint=f"Run `persona churn FILE --outcome {outcome}` for the whole table.",
        )
    report: ChurnReport = fit_churn(frame, outcome=outcome, id_column=id_column, roles=roles)
    risk = report.probabilities
    if id_column is not None and id_column in frame.columns:
        risk = pd.Series(risk.to_numpy(), index=pd.Index(frame[id_column], name=id_column))
        risk = risk[~risk.index.duplicated(keep="first") & risk.index.notna()]
    return CustomerPredictions(
        "churn",
        pd.DataFrame({"churn_risk": risk}),
        outcome=outcome,
        summary=report.to_dict(),
    )


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _at_risk(frame: pd.DataFrame, source: Source) -> pd.Series:
    if source == "value":
        return frame["predicted_value"] * (1.0 - frame["p_alive"])
    return frame["churn_risk"].astype("float64")


def attach_predictions(result: SegmentationResult, predictions: CustomerPredictions) -> None:
    """Give each described profile its :class:`SegmentPrediction`; re-judge *responds
    differently* with the predictions.

    Customers are matched by id (``result.labels``' index). Segments smaller than
    the minimum size keep no prediction (aggregates of small groups are withheld).
    The predictions join the outcome columns of the scorecard: per segment and
    overall the larger effect decides; they replace spend when spend stood in for
    a missing outcome.

    Raises:
        InvalidOptionError: no customer of the predictions is in the segmentation.
    """
    frame = predictions.frame.reindex(result.labels.index)
    if frame.notna().all(axis=1).sum() == 0:
        raise InvalidOptionError(
            "no customer of the predictions is in the segmentation.",
            hint="Index the predictions by the segmentation's customer ids.",
        )
    value = frame["predicted_value"] if predictions.source == "value" else None
    table = segment_value(
        result.labels,
        value=value,
        p_alive=frame["p_alive"] if predictions.source == "value" else None,
        churn_risk=frame["churn_risk"] if predictions.source == "churn" else None,
        vip_share=VIP_SHARE,
    )
    at_risk = _at_risk(frame, predictions.source)
    risk_by_segment = at_risk.groupby(result.labels).sum()
    total_risk = float(at_risk.sum())
    for profile in result.profiles:
        if profile.suppressed or profile.segment_id not in table.index:
            continue
        row = table.loc[profile.segment_id]
        risk = float(risk_by_segment.get(profile.segment_id, 0.0))
        profile.prediction = SegmentPrediction(
            source=predictions.source,
            customer_share=float(row["customer_share"]),
            value_at_risk=risk,
            value_at_risk_share=risk / total_risk if total_risk > 0 else None,
            horizon_weeks=predictions.horizon_weeks,
            outcome=predictions.outcome,
            predicted_value=_number(row.get("predicted_value")),
            mean_value=_number(row.get("mean_value")),
            value_share=_number(row.get("value_share")),
            vip_rate=_number(row.get("vip_rate")),
            share_of_vips=_number(row.get("share_of_vips")),
            mean_p_alive=_number(row.get("mean_p_alive")),
            mean_churn_risk=_number(row.get("mean_churn_risk")),
        )
    _rejudge(result, _outcome_arrays(frame, predictions))


def _outcome_arrays(frame: pd.DataFrame, predictions: CustomerPredictions) -> dict[str, np.ndarray]:
    if predictions.source == "churn":
        return {f"predicted {predictions.outcome} risk": frame["churn_risk"].to_numpy("float64")}
    weeks = f"{predictions.horizon_weeks:g}"
    return {
        f"predicted value (next {weeks} weeks)": frame["predicted_value"].to_numpy("float64"),
        "P(alive)": frame["p_alive"].to_numpy("float64"),
    }


def _stronger(old: sc.Criterion | None, new: sc.Criterion, replace: bool) -> sc.Criterion:
    if old is None or replace or old.value is None:
        return new if new.value is not None or old is None else old
    if new.value is not None and new.value > old.value:
        return new
    return old


def _rejudge(result: SegmentationResult, outcomes: dict[str, np.ndarray]) -> None:
    labels = result.labels.to_numpy()
    # Spend stood in for an outcome only when the table had none (fit._outcome_values).
    replace = not result.outcomes
    for profile in result.profiles:
        members = labels == profile.segment_id
        new = sc.responds(outcomes, members, fallback=False)
        profile.scorecard[_CRITERION] = _stronger(profile.scorecard.get(_CRITERION), new, replace)
    criteria = result.scorecard.criteria
    overall = sc.responds_overall(outcomes, labels, fallback=False)
    criteria[_CRITERION] = _stronger(criteria.get(_CRITERION), overall, replace)
