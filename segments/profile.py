"""Segment profiles: aggregate statistics of each segment against the whole base.

A profile holds aggregates only (no row, no ID, no personal-data column), and
only for segments of at least ``min_segment_size`` customers; smaller segments
keep their size and share but their statistics are withheld (``suppressed``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from segments.facts import Fact, Statistic, Unit, facts_view, humanise, slug
from segments.features import MISSING_CATEGORY, OTHER_CATEGORY
from segments.rules import Rule
from segments.scorecard import Criterion
from segments.value_segments import SegmentPrediction

__all__ = [
    "CategoryStat",
    "NumericStat",
    "ProfileColumns",
    "SegmentProfile",
    "build_profiles",
    "humanise",
    "prediction_facts",
    "slug",
    "stored_facts",
]

TOP_FEATURES = 5
# The statistics of a numeric feature that are facts, in the order facts list them.
_NUMERIC_FACTS: tuple[Statistic, ...] = ("mean", "median", "q1", "q3", "base_mean", "base_median")
_POOLED = (OTHER_CATEGORY, MISSING_CATEGORY)


def json_float(value: Any, digits: int = 6) -> float | None:
    """A finite float rounded for display, or None (JSON has no NaN)."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return round(number, digits)


@dataclass
class NumericStat:
    """One numeric feature in a segment against the whole base."""

    feature: str
    mean: float | None
    median: float | None
    q1: float | None
    q3: float | None
    base_mean: float | None
    base_median: float | None
    lift: float | None
    """Segment mean / base mean (None when the base mean is 0 or of another sign)."""
    std_diff: float | None
    """(segment mean − base mean) / base standard deviation."""
    outcome: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "feature": self.feature,
            **{
                key: json_float(getattr(self, key)) for key in (*_NUMERIC_FACTS, "lift", "std_diff")
            },
            "outcome": self.outcome,
        }


@dataclass
class CategoryStat:
    """One label of a categorical (or yes/no) feature in a segment against the base."""

    feature: str
    value: str
    share: float
    base_share: float
    lift: float | None
    std_diff: float | None = None
    """(share − base share) / sqrt(base share · (1 − base share))."""
    outcome: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "feature": self.feature,
            "value": self.value,
            "share": json_float(self.share),
            "base_share": json_float(self.base_share),
            "lift": json_float(self.lift),
            "std_diff": json_float(self.std_diff),
            "outcome": self.outcome,
        }


@dataclass
class SegmentProfile:
    """What sets one segment apart: sizes, statistics, rules, a label and a scorecard."""

    segment_id: int
    label: str
    size: int
    share: float
    numeric: list[NumericStat] = field(default_factory=list)
    categorical: list[CategoryStat] = field(default_factory=list)
    top_features: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    scorecard: dict[str, Criterion] = field(default_factory=dict)
    suppressed: bool = False
    """True when the segment is smaller than the minimum size: statistics withheld."""
    descriptions: dict[str, str] = field(default_factory=dict)
    """Feature → the words shown for it (from the data dictionary, else humanised)."""
    prediction: SegmentPrediction | None = None
    """Predicted value and churn risk of its customers (:mod:`segments.predictions`)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of aggregates (no customer rows, IDs or personal data)."""
        return {
            "segment_id": self.segment_id,
            "label": self.label,
            "size": self.size,
            "share": json_float(self.share),
            "suppressed": self.suppressed,
            "numeric": [s.to_dict() for s in self.numeric],
            "categorical": [s.to_dict() for s in self.categorical],
            "top_features": list(self.top_features),
            "rules": [r.to_dict() for r in self.rules],
            "scorecard": {name: c.to_dict() for name, c in self.scorecard.items()},
            "descriptions": dict(self.descriptions),
            "prediction": None if self.prediction is None else self.prediction.to_dict(),
        }

    def fact_list(self) -> list[Fact]:
        """The typed facts of this segment, to be cited as evidence.

        Size and share; per numeric feature its mean, median, quartiles, the base
        mean and median, and the percent difference from the base; per category
        label its share in the segment and in the base; the rules with their
        precision and recall; the six verdicts; with predictions, the segment's
        predicted value, its share, VIPs, P(alive) or churn risk and value at risk
        (:func:`prediction_facts`). Percentages are rounded to 0.1, other numbers to
        2 decimals.
        """
        return list(
            _facts(
                self.segment_id,
                self.label,
                self.size,
                self.share,
                numeric=[
                    (s.feature, {n: getattr(s, n) for n in _NUMERIC_FACTS}, s.lift, s.outcome)
                    for s in self.numeric
                ],
                categorical=[
                    (c.feature, c.value, c.share, c.base_share, c.outcome) for c in self.categorical
                ],
                rules=[(r.text, r.precision, r.recall) for r in self.rules],
                verdicts=[(name, c.verdict) for name, c in self.scorecard.items()],
                words=self.descriptions,
                prediction=self.prediction,
            )
        )

    def facts(self) -> dict[str, str | float | int]:
        """The flat name → value view of :meth:`fact_list` (names by :func:`fact_name`):
        ``segment_size``, ``share_pct``, ``<feature>_mean``/``_median``/``_q1``/``_q3``/
        ``_base_mean``/``_base_median``/``_vs_base_pct``,
        ``<feature>_<value>_share_pct``/``_base_share_pct``,
        ``rule_<n>``/``rule_<n>_precision_pct``/``rule_<n>_recall_pct``,
        ``<criterion>_verdict``.
        """
        return facts_view(self.fact_list())


def _facts(
    segment_id: int,
    label: str,
    size: int,
    share: float,
    *,
    numeric: list[tuple[str, dict[str, Any], Any, bool]],
    categorical: list[tuple[str, str, Any, Any, bool]],
    rules: list[tuple[str, Any, Any]],
    verdicts: list[tuple[str, str]],
    words: Mapping[str, str],
    prediction: SegmentPrediction | None = None,
) -> Iterator[Fact]:
    yield Fact.of("segment_id", segment_id, unit="count")
    yield Fact.of("segment_label", label, unit="text")
    yield Fact.of("size", size, unit="count")
    yield Fact.of("share", round(100 * share, 1), unit="percent")
    for feature, stats, lift, outcome in numeric:
        for name in _NUMERIC_FACTS:
            value = json_float(stats.get(name), 2)
            if value is not None:
                yield Fact.of(
                    name, value, unit="value", feature=feature, outcome=outcome,
                    words=words.get(feature),
                )  # fmt: skip
        if lift is not None:
            yield Fact.of(
                "vs_base", round(100 * (lift - 1), 1), unit="percent", feature=feature,
                outcome=outcome, words=words.get(feature),
            )  # fmt: skip
    for feature, category, part, base, outcome in categorical:
        shares: tuple[tuple[Statistic, Any], ...] = (
            ("label_share", part),
            ("label_base_share", base),
        )
        for statistic, number in shares:
            yield Fact.of(
                statistic, round(100 * number, 1), unit="percent", feature=feature,
                category=category, outcome=outcome, words=words.get(feature),
            )  # fmt: skip
    for i, (text, precision, recall) in enumerate(rules, start=1):
        yield Fact.of("rule", text, unit="text", index=i)
        yield Fact.of("rule_precision", round(100 * precision, 1), unit="percent", index=i)
        yield Fact.of("rule_recall", round(100 * recall, 1), unit="percent", index=i)
    for criterion, verdict in verdicts:
        yield Fact.of("verdict", verdict, unit="text", feature=criterion)
    if prediction is not None:
        yield from prediction_facts(prediction, words)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def prediction_facts(prediction: SegmentPrediction, words: Mapping[str, str]) -> Iterator[Fact]:
    """The facts of a segment's predicted value and risk, those that are known.

    ``value_summary`` is the sentence a persona can say ("14 % of customers, 41 % of
    predicted value"); value facts are labelled with the forecast's horizon.
    """
    ahead = f" over the next {prediction.horizon_weeks:g} weeks" if prediction.horizon_weeks else ""
    outcome = prediction.outcome
    risk_words = (words.get(outcome) or humanise(outcome)) if outcome else None
    at_risk_label = (
        f"predicted value{ahead} of customers who may be leaving (value × (1 − P(alive)))"
        if prediction.source == "value"
        else f"customers expected to {risk_words} (sum of their predicted risk)"
    )
    entries: list[tuple[Statistic, float | str | None, Unit, str | None]] = [
        ("value_summary", prediction.share_sentence(), "text", None),
        ("predicted_value", json_float(prediction.predicted_value, 2), "value",
         f"predicted value of the segment's customers{ahead}"),
        ("mean_predicted_value", json_float(prediction.mean_value, 2), "value",
         f"predicted value per customer{ahead}"),
        ("value_share", _percent(prediction.value_share), "percent", None),
        ("vip_rate", _percent(prediction.vip_rate), "percent", None),
        ("share_of_vips", _percent(prediction.share_of_vips), "percent", None),
        ("mean_p_alive", _percent(prediction.mean_p_alive), "percent", None),
        ("mean_churn_risk", _percent(prediction.mean_churn_risk), "percent", None),
        ("value_at_risk", json_float(prediction.value_at_risk, 2),
         "value" if prediction.source == "value" else "count", at_risk_label),
        ("value_at_risk_share", _percent(prediction.value_at_risk_share), "percent", None),
    ]  # fmt: skip
    for statistic, value, unit, label in entries:
        if value is None:
            continue
        feature = outcome if statistic == "mean_churn_risk" else None
        yield Fact.of(
            statistic, value, unit=unit, feature=feature, label=label,
            words=risk_words if feature else None,
        )  # fmt: skip


def stored_facts(data: Mapping[str, Any]) -> list[Fact]:
    """Typed facts of a stored profile (:meth:`SegmentProfile.to_dict` plus ``"facts"``).

    Rebuilt from the profile's structure (statistics, rules, scorecard), named by
    :func:`fact_name`, with the values exactly as stored in its ``facts``; a fact
    the stored view does not hold is left out. No fact name is parsed.
    """
    stored = dict(data.get("facts", {}))
    candidates = _facts(
        int(data.get("segment_id", stored.get("segment_id", 0))),
        str(data.get("label", "")),
        int(data.get("size", 0)),
        float(data.get("share") or 0.0),
        numeric=[
            (str(n["feature"]), n, n.get("lift"), bool(n.get("outcome", False)))
            for n in data.get("numeric", [])
        ],
        categorical=[
            (
                str(c["feature"]),
                str(c["value"]),
                float(c.get("share") or 0.0),
                float(c.get("base_share") or 0.0),
                bool(c.get("outcome", False)),
            )
            for c in data.get("categorical", [])
        ],
        rules=[
            (str(r.get("text", "")), r.get("precision") or 0.0, r.get("recall") or 0.0)
            for r in data.get("rules", [])
        ],
        verdicts=[
            (str(name), str(c.get("verdict", ""))) for name, c in data.get("scorecard", {}).items()
        ],
        words={str(k): str(v) for k, v in data.get("descriptions", {}).items()},
        prediction=(
            SegmentPrediction.from_dict(data["prediction"]) if data.get("prediction") else None
        ),
    )
    return [dataclasses.replace(f, value=stored[f.name]) for f in candidates if f.name in stored]


@dataclass
class ProfileColumns:
    """Which prepared columns to describe, and how."""

    numeric: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    categorical: dict[str, list[str]] = field(default_factory=dict)
    """Column → labels kept apart; other labels are pooled as "other"."""
    dates: list[str] = field(default_factory=list)
    """Prepared ``*_days_ago`` columns (also listed in ``numeric``)."""
    outcomes: list[str] = field(default_factory=list)


def _pooled(values: pd.Series, levels: list[str]) -> pd.Series:
    return values.where(values.isin(levels), OTHER_CATEGORY)


def _numeric_stats(
    frame: pd.DataFrame, labels: np.ndarray, columns: list[str]
) -> dict[int, dict[str, dict[str, float]]]:
    if not columns:
        return {}
    data = frame[columns]
    grouped = data.groupby(labels)
    means = grouped.mean()
    quantiles = grouped.quantile([0.25, 0.5, 0.75])
    out: dict[int, dict[str, dict[str, float]]] = {}
    for segment in means.index:
        out[int(segment)] = {
            column: {
                "mean": float(means.at[segment, column]),
                "q1": float(quantiles.at[(segment, 0.25), column]),
                "median": float(quantiles.at[(segment, 0.5), column]),
                "q3": float(quantiles.at[(segment, 0.75), column]),
            }
            for column in columns
        }
    return out


def _lift(value: float, base: float) -> float | None:
    if base == 0 or not math.isfinite(value) or not math.isfinite(base) or value * base < 0:
        return None
    return value / base


def _std_share(share: float, base: float) -> float | None:
    spread = math.sqrt(base * (1 - base))
    return None if spread == 0 else (share - base) / spread


# What high / low values of the columns of segments.transactions_to_customers mean,
# in a marketer's words ("High recency days" reads backwards: it means long ago).
_LOG_WORDS = {
    "recency_days": ("long since last order", "ordered recently"),
    "days_since_last_order": ("long since last order", "ordered recently"),
    "frequency": ("frequent buyers", "few orders"),
    "monetary": ("high total spend", "low total spend"),
    "tenure_days": ("long-standing customers", "new customers"),
    "avg_order_value": ("large orders", "small orders"),
    "interpurchase_days": ("long gaps between orders", "short gaps between orders"),
}
LABEL_PARTS = 3
LABEL_LENGTH = 100
"""Past this many characters a label's parts lose their asides, and a third part is left
out (long dictionary wordings); the first two traits are always named."""
TWIN_CORRELATION = 0.8
"""Two numeric columns this correlated (|Spearman ρ|) say one thing: a label names one."""
_TWIN_SAMPLE = 20_000


def _label_part(
    name: str, direction: float, columns: ProfileColumns, describe: Callable[[str], str]
) -> str:
    if " = " in name:
        feature, value = name.split(" = ", 1)
        return f"{describe(feature)}: {value}"
    words = describe(name)
    if name in _LOG_WORDS and words == humanise(name):
        return _LOG_WORDS[name][0 if direction > 0 else 1]
    if name in columns.flags:
        return words if direction > 0 else f"not {words}"
    if name in columns.dates:
        return f"{words} {'long ago' if direction > 0 else 'recently'}"
    return f"{'high' if direction > 0 else 'low'} {words}"


def _short(part: str) -> str:
    """A label part without its parenthesised asides ("… (area lifestyle code)")."""
    return re.sub(r"\s*\([^)]*\)", "", part).strip() or part


def _twins(frame: pd.DataFrame, numeric: list[str]) -> Callable[[str, str], bool]:
    """Whether two numeric columns are near copies of each other (see TWIN_CORRELATION)."""
    cache: dict[tuple[str, str], bool] = {}
    sample = frame[numeric].iloc[:_TWIN_SAMPLE] if numeric else frame.iloc[:0]

    def same(a: str, b: str) -> bool:
        if a not in sample.columns or b not in sample.columns:
            return False
        key = (min(a, b), max(a, b))
        if key not in cache:
            rho = sample[a].rank().corr(sample[b].rank())
            cache[key] = bool(math.isfinite(rho) and abs(rho) >= TWIN_CORRELATION)
        return cache[key]

    return same


def _label(
    ranking: list[tuple[float, str, float]],
    columns: ProfileColumns,
    describe: Callable[[str], str],
    twins: Callable[[str, str], bool],
) -> str:
    """Up to three distinguishing traits, skipping near copies of a trait already named,
    kept to about LABEL_LENGTH characters."""
    parts: list[str] = []
    named: list[str] = []
    for _, name, direction in ranking:
        if len(parts) == LABEL_PARTS:
            break
        if any(twins(name, other) for other in named):
            continue
        parts.append(_label_part(name, direction, columns, describe))
        named.append(name)
    if len(", ".join(parts)) > LABEL_LENGTH:
        parts = [_short(part) for part in parts]
    while len(parts) > 2 and len(", ".join(parts)) > LABEL_LENGTH:
        parts.pop()
    return ", ".join(parts)


def build_profiles(
    frame: pd.DataFrame,
    labels: np.ndarray,
    columns: ProfileColumns,
    *,
    min_segment_size: int,
    describe: Callable[[str], str] = humanise,
) -> list[SegmentProfile]:
    """One :class:`SegmentProfile` per segment (rules and scorecards are added later).

    ``frame`` is the prepared frame (numbers, 0/1 flags, days-ago, category text);
    ``describe`` turns a column name into the words of labels and fact labels (a
    data dictionary's :meth:`~segments.DataDictionary.describe`).
    """
    n = len(labels)
    segments, counts = np.unique(labels, return_counts=True)
    numeric = [c for c in columns.numeric if c in frame.columns]
    flags = [c for c in columns.flags if c in frame.columns]
    stats = _numeric_stats(frame, labels, numeric)
    base = {
        c: {
            "mean": float(frame[c].mean()),
            "median": float(frame[c].median()),
            "std": float(frame[c].std(ddof=0)),
        }
        for c in numeric
    }
    flag_share = {c: frame[c].groupby(labels).mean() for c in flags}
    flag_base = {c: float(frame[c].mean()) for c in flags}
    pooled = {c: _pooled(frame[c], levels) for c, levels in columns.categorical.items()}
    cat_share = {c: pd.crosstab(labels, values, normalize="index") for c, values in pooled.items()}
    cat_base = {c: values.value_counts(normalize=True) for c, values in pooled.items()}
    outcomes = set(columns.outcomes)
    words = {c: describe(c) for c in [*numeric, *flags, *columns.categorical]}
    twins = _twins(frame, numeric)
    profiles: list[SegmentProfile] = []
    for segment, size in zip(segments, counts, strict=True):
        seg = int(segment)
        profile = SegmentProfile(segment_id=seg, label="", size=int(size), share=float(size / n))
        profile.descriptions = dict(words)
        if size < min_segment_size:
            profile.suppressed = True
            profile.label = f"Segment {seg} (too small to describe)"
            profiles.append(profile)
            continue
        ranking: list[tuple[float, str, float]] = []
        for c in numeric:
            s, b = stats[seg][c], base[c]
            std_diff = None if b["std"] == 0 else (s["mean"] - b["mean"]) / b["std"]
            profile.numeric.append(
                NumericStat(
                    feature=c,
                    mean=s["mean"],
                    median=s["median"],
                    q1=s["q1"],
                    q3=s["q3"],
                    base_mean=b["mean"],
                    base_median=b["median"],
                    lift=_lift(s["mean"], b["mean"]),
                    std_diff=std_diff,
                    outcome=c in outcomes,
                )
            )
            if std_diff is not None and c not in outcomes:
                ranking.append((abs(std_diff), c, std_diff))
        for c in flags:
            share = float(flag_share[c].get(seg, np.nan))
            base_share = flag_base[c]
            std_diff = _std_share(share, base_share)
            profile.categorical.append(
                CategoryStat(
                    feature=c,
                    value="true",
                    share=share,
                    base_share=base_share,
                    lift=_lift(share, base_share),
                    std_diff=std_diff,
                    outcome=c in outcomes,
                )
            )
            if std_diff is not None and c not in outcomes:
                ranking.append((abs(std_diff), c, std_diff))
        for c, table in cat_share.items():
            row = table.loc[segment] if segment in table.index else pd.Series(dtype=float)
            for value, base_share in cat_base[c].items():
                share = float(row.get(value, 0.0))
                std_diff = _std_share(share, float(base_share))
                profile.categorical.append(
                    CategoryStat(
                        feature=c,
                        value=str(value),
                        share=share,
                        base_share=float(base_share),
                        lift=_lift(share, float(base_share)),
                        std_diff=std_diff,
                    )
                )
                if std_diff is not None and std_diff > 0 and value not in _POOLED:
                    ranking.append((abs(std_diff), f"{c} = {value}", std_diff))
        ranking.sort(key=lambda item: (-item[0], item[1]))
        profile.top_features = [name for _, name, _ in ranking[:TOP_FEATURES]]
        label = _label(ranking, columns, describe, twins) or f"Segment {seg}"
        profile.label = label[:1].upper() + label[1:]
        profiles.append(profile)
    _disambiguate(profiles)
    return profiles


def _disambiguate(profiles: list[SegmentProfile]) -> None:
    seen: dict[str, int] = {}
    for p in profiles:
        seen[p.label] = seen.get(p.label, 0) + 1
    for p in profiles:
        if seen[p.label] > 1:
            p.label = f"{p.label} (segment {p.segment_id})"
