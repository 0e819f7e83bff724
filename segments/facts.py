"""Typed facts: the named statistics of a segment that a persona may cite.

A :class:`Fact` says what it is — which statistic of which feature (and which
category label), in which unit — so code that uses facts reads its fields,
never its name. :func:`fact_name` is the one function that names a fact; the
names (``age_median``, ``region_north_share_pct``, ``rule_1``, ``coherent_verdict``
…) are what prompts cite and what :meth:`SegmentProfile.facts` returns as a
flat name → value view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

__all__ = [
    "Fact",
    "Statistic",
    "Unit",
    "fact_name",
    "facts_view",
    "feature_words",
    "humanise",
    "slug",
]

Statistic = Literal[
    "segment_id",
    "segment_label",
    "size",
    "share",
    "mean",
    "median",
    "q1",
    "q3",
    "base_mean",
    "base_median",
    "vs_base",
    "label_share",
    "label_base_share",
    "rule",
    "rule_precision",
    "rule_recall",
    "verdict",
    "predicted_value",
    "mean_predicted_value",
    "value_share",
    "vip_rate",
    "share_of_vips",
    "mean_p_alive",
    "mean_churn_risk",
    "value_at_risk",
    "value_at_risk_share",
    "value_summary",
]
"""What a fact measures. ``vs_base`` is the percent difference of the segment's
mean from all customers'; ``label_share``/``label_base_share`` are the percent of
the segment / of all customers with one category label (``true`` for yes/no). The
``predicted_*``/``value_*``/``vip_*``/``mean_p_alive``/``mean_churn_risk`` statistics are
a segment's predicted value and risk (:class:`segments.value_segments.SegmentPrediction`)."""

Unit = Literal["count", "percent", "value", "text"]
"""``value`` is in the feature's own unit (years, orders, days ago …)."""

_STATISTICS = frozenset(get_args(Statistic))
_UNITS = frozenset(get_args(Unit))


# A segment has one prediction of each kind, so these names need no feature.
_PREDICTION_NAMES: dict[str, str] = {
    "predicted_value": "predicted_value",
    "mean_predicted_value": "predicted_value_per_customer",
    "value_share": "predicted_value_share_pct",
    "vip_rate": "vip_pct",
    "share_of_vips": "share_of_vips_pct",
    "mean_p_alive": "p_alive_pct",
    "mean_churn_risk": "churn_risk_pct",
    "value_at_risk": "value_at_risk",
    "value_at_risk_share": "value_at_risk_share_pct",
    "value_summary": "value_summary",
}


def slug(text: str) -> str:
    """``Preferred Channel`` → ``preferred_channel``: the part of a fact name from a label."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "value"


def humanise(feature: str) -> str:
    """``days_since_last_order`` → ``days since last order``; ``x_days_ago`` → ``x``."""
    text = re.sub(r"_days_ago$", "", feature)
    return re.sub(r"[_\s]+", " ", text).strip()


def fact_name(
    statistic: Statistic,
    *,
    feature: str | None = None,
    category: str | None = None,
    index: int | None = None,
) -> str:
    """The name a fact is cited by; the only place fact names are made."""
    if statistic == "segment_id":
        return "segment_id"
    if statistic == "segment_label":
        return "segment_label"
    if statistic == "size":
        return "segment_size"
    if statistic == "share":
        return "share_pct"
    if statistic in ("rule", "rule_precision", "rule_recall"):
        suffix = {"rule": "", "rule_precision": "_precision_pct", "rule_recall": "_recall_pct"}
        return f"rule_{index}{suffix[statistic]}"
    if statistic == "verdict":
        return f"{feature}_verdict"
    if statistic in _PREDICTION_NAMES:
        return _PREDICTION_NAMES[statistic]
    key = slug(feature or "")
    if statistic == "vs_base":
        return f"{key}_vs_base_pct"
    if statistic == "label_share":
        return f"{key}_{slug(category or '')}_share_pct"
    if statistic == "label_base_share":
        return f"{key}_{slug(category or '')}_base_share_pct"
    return f"{key}_{statistic}"


def _label(
    statistic: Statistic,
    feature: str | None,
    category: str | None,
    index: int | None,
    words: str | None = None,
) -> str:
    words = words or humanise(feature or "")
    return {
        "segment_id": "segment number",
        "segment_label": "segment label",
        "size": "customers in the segment",
        "share": "share of all customers (%)",
        "mean": f"mean {words}",
        "median": f"median {words}",
        "q1": f"lower quartile of {words}",
        "q3": f"upper quartile of {words}",
        "base_mean": f"mean {words} of all customers",
        "base_median": f"median {words} of all customers",
        "vs_base": f"{words} compared with all customers (%)",
        "label_share": f"{words}: {category} (% of the segment)",
        "label_base_share": f"{words}: {category} (% of all customers)",
        "rule": f"rule {index}",
        "rule_precision": f"precision of rule {index} (%)",
        "rule_recall": f"recall of rule {index} (%)",
        "verdict": f"{words} verdict",
        "predicted_value": "predicted value of the segment's customers",
        "mean_predicted_value": "predicted value per customer",
        "value_share": "share of all predicted value (%)",
        "vip_rate": "customers among the top tenth by predicted value (% of the segment)",
        "share_of_vips": "share of the top tenth by predicted value in this segment (%)",
        "mean_p_alive": "mean probability that a customer is still active (%)",
        "mean_churn_risk": f"mean predicted risk of {words} (%)",
        "value_at_risk": "value at risk",
        "value_at_risk_share": "share of all value at risk (%)",
        "value_summary": "share of customers and of predicted value",
    }[statistic]


@dataclass(frozen=True)
class Fact:
    """One named statistic of a segment.

    ``feature`` is the profiled column (for a verdict, the criterion); ``category``
    the label of a categorical or yes/no feature (``"true"``); ``index`` the
    number of a rule. Build facts with :meth:`of`, which names and labels them.
    """

    name: str
    value: float | int | str
    statistic: Statistic
    unit: Unit
    label: str
    feature: str | None = None
    category: str | None = None
    index: int | None = None
    outcome: bool = False
    """The feature is an outcome column (kept out of the clustering)."""
    words: str | None = None
    """What the feature is called for people: its data-dictionary description, if any."""

    @classmethod
    def of(
        cls,
        statistic: Statistic,
        value: float | int | str,
        *,
        unit: Unit,
        feature: str | None = None,
        category: str | None = None,
        index: int | None = None,
        outcome: bool = False,
        words: str | None = None,
        label: str | None = None,
    ) -> Fact:
        """The fact of ``statistic`` with its name and human label.

        ``words`` is what the label calls ``feature`` (its data-dictionary
        description); by default the humanised name. ``label`` replaces the
        statistic's usual label when it needs a detail (a forecast's horizon). The
        name never changes.
        """
        return cls(
            name=fact_name(statistic, feature=feature, category=category, index=index),
            value=value,
            statistic=statistic,
            unit=unit,
            label=label or _label(statistic, feature, category, index, words),
            feature=feature,
            category=category,
            index=index,
            outcome=outcome,
            words=words,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (what the workspace stores)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fact:
        """The fact stored by :meth:`to_dict`.

        Raises:
            ValueError: the statistic or unit is unknown.
        """
        if data["statistic"] not in _STATISTICS or data["unit"] not in _UNITS:
            raise ValueError(f"unknown fact statistic or unit in {dict(data)!r}")
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)


def facts_view(facts: Iterable[Fact]) -> dict[str, str | float | int]:
    """Name → value, in order (the flat view prompts and number checks use)."""
    return {fact.name: fact.value for fact in facts}


def feature_words(facts: Iterable[Fact], feature: str) -> str:
    """What ``feature`` is called for people: the words its facts carry, else humanised.

    Facts made with a data dictionary carry its description of the column; this is
    how prompts and persona traits name a column without the dictionary at hand.
    """
    for fact in facts:
        if fact.feature == feature and fact.words:
            return fact.words
    return humanise(feature)
