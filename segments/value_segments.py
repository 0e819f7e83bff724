"""Predicted value and risk per segment, from per-customer predictions and labels.

Pure pandas: given each customer's segment and her predictions (``clv`` and
``p_alive`` from :func:`segments.value.predict_value`, or a churn probability
from :func:`segments.churn.fit_churn`), :func:`segment_value` says per segment::

    segment  customers  customer_share  value_share  mean_p_alive  vip_rate  share_of_vips …
          2        330           0.14         0.41          0.71      0.29           0.41

so a persona can state "14 % of customers, 41 % of predicted value"
(:func:`share_sentence`). VIPs are the top decile of predicted value over all
customers. Customers are matched by index (the customer id); the result holds
aggregates only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from segments.errors import InvalidOptionError

__all__ = [
    "VIP_SHARE",
    "SegmentPrediction",
    "Source",
    "segment_value",
    "share_sentence",
    "vip_flags",
]

VIP_SHARE = 0.10
Source = Literal["value", "churn"]
"""Where predictions come from: a log's value models, or a churn model on an outcome."""


def vip_flags(value: pd.Series, share: float = VIP_SHARE) -> pd.Series:
    """True for the ``share`` of customers with the highest predicted value.

    Exactly ``ceil(share × customers with a value)`` customers, ties broken by
    order in ``value``, so tied values (many customers worth 0) cannot inflate
    the VIP group; customers without a value are never VIPs.
    """
    if not 0 < share < 1:
        raise InvalidOptionError(
            f"vip share {share!r} is not between 0 and 1.", hint="Use 0.1 for the top decile."
        )
    known = value.dropna()
    count = math.ceil(share * len(known))
    rank = known.rank(method="first", ascending=False)
    return (rank <= count).reindex(value.index, fill_value=False).astype(bool)


def _aligned(labels: pd.Series, named: dict[str, pd.Series | None]) -> pd.DataFrame:
    if labels.index.has_duplicates:
        raise InvalidOptionError(
            "the segment labels repeat a customer id.",
            hint="Give one label per customer, indexed by customer id.",
        )
    frame = pd.DataFrame({"segment": labels})
    for name, series in named.items():
        if series is None:
            continue
        if series.index.has_duplicates:
            raise InvalidOptionError(
                f"the {name} predictions repeat a customer id.",
                hint="Give one prediction per customer, indexed by customer id.",
            )
        if not series.index.isin(labels.index).any():
            raise InvalidOptionError(
                f"no customer of the {name} predictions has a segment label.",
                hint="Index the predictions and the labels by the same customer ids.",
            )
        frame[name] = pd.to_numeric(series, errors="coerce").reindex(labels.index)
    return frame[frame["segment"].notna()]


def segment_value(
    labels: pd.Series,
    *,
    value: pd.Series | None = None,
    p_alive: pd.Series | None = None,
    churn_risk: pd.Series | None = None,
    vip_share: float = VIP_SHARE,
) -> pd.DataFrame:
    """Per segment: customers, their share, mean P(alive) / churn risk, predicted value.

    Columns (those of predictions not given are left out): ``customers``,
    ``customer_share``; with ``value``: ``predicted_value`` (the sum), ``mean_value``,
    ``value_share`` of the total, ``value_lift`` (value share ÷ customer share),
    ``vip_rate`` (share of the segment's customers who are VIPs) and
    ``share_of_vips`` (share of all VIPs who are in the segment); ``mean_p_alive``;
    ``mean_churn_risk``. A customer without a prediction counts as a customer
    but not in that prediction's means and sums.

    Raises:
        InvalidOptionError: no prediction given, an id repeated, no id in common, or
            ``vip_share`` outside (0, 1).
    """
    named = {"value": value, "p_alive": p_alive, "churn_risk": churn_risk}
    if all(series is None for series in named.values()):
        raise InvalidOptionError(
            "no prediction to aggregate per segment.",
            hint="Pass value=, p_alive= or churn_risk=.",
        )
    frame = _aligned(labels, named)
    grouped = frame.groupby("segment", sort=True)
    out = pd.DataFrame({"customers": grouped.size()})
    out["customer_share"] = out["customers"] / len(frame)
    if value is not None:
        total = frame["value"].sum()
        frame["vip"] = vip_flags(frame["value"], vip_share)
        vips = frame["vip"].sum()
        out["predicted_value"] = grouped["value"].sum()
        out["mean_value"] = grouped["value"].mean()
        out["value_share"] = out["predicted_value"] / total if total > 0 else np.nan
        out["value_lift"] = out["value_share"] / out["customer_share"]
        vip_counts = frame.groupby("segment", sort=True)["vip"].sum()
        out["vip_rate"] = vip_counts / out["customers"]
        out["share_of_vips"] = vip_counts / vips if vips > 0 else np.nan
    if p_alive is not None:
        out["mean_p_alive"] = grouped["p_alive"].mean()
    if churn_risk is not None:
        out["mean_churn_risk"] = grouped["churn_risk"].mean()
    out.index.name = "segment"
    return out


def share_sentence(row: pd.Series) -> str:
    """ "14 % of customers, 41 % of predicted value" for one row of :func:`segment_value`."""
    text = f"{row['customer_share']:.0%} of customers"
    if "value_share" in row and pd.notna(row["value_share"]):
        text += f", {row['value_share']:.0%} of predicted value"
    return text.replace("%", " %")


@dataclass(frozen=True)
class SegmentPrediction:
    """Predicted value and risk of one segment: aggregates of its customers' predictions.

    Shares are fractions (0–1). Value fields are ``None`` without a value
    prediction; ``mean_p_alive`` without a log, ``mean_churn_risk`` without an outcome.
    """

    source: Source
    customer_share: float
    value_at_risk: float
    """Σ predicted value × (1 − P(alive)); with churn risk only, Σ risk (customers)."""
    value_at_risk_share: float | None
    horizon_weeks: float | None = None
    outcome: str | None = None
    predicted_value: float | None = None
    mean_value: float | None = None
    value_share: float | None = None
    vip_rate: float | None = None
    """Share of the segment's customers who are VIPs (top decile of predicted value)."""
    share_of_vips: float | None = None
    mean_p_alive: float | None = None
    mean_churn_risk: float | None = None

    @property
    def risk(self) -> float | None:
        """The segment's risk of losing a customer: churn risk, else 1 − mean P(alive)."""
        if self.mean_churn_risk is not None:
            return self.mean_churn_risk
        return None if self.mean_p_alive is None else 1.0 - self.mean_p_alive

    def share_sentence(self) -> str:
        """ "14 % of customers, 41 % of predicted value" (the value part when known)."""
        text = f"{self.customer_share:.0%} of customers"
        if self.value_share is not None:
            text += f", {self.value_share:.0%} of predicted value"
        return text.replace("%", " %")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (what the profile stores)."""
        return {
            key: (round(v, 6) if isinstance(v, float) else v) for key, v in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SegmentPrediction:
        """The prediction stored by :meth:`to_dict`."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
