"""The six criteria of a useful segmentation, as verdicts with a sentence each.

========================  ==========================================  ==================
criterion                 measured by                                 pass / warn
========================  ==========================================  ==================
sizable                   share, and size against the minimum size    ≥ 5 % and ≥ min /
                                                                      ≥ min
identifiable              precision (and recall) of the segment's     ≥ 0.8 (recall ≥ 0.5)
                          decision-tree rules                         / ≥ 0.6
reachable                 the most common channel / contact           ≥ 50 % / ≥ 30 %
                          preference (``unknown`` without one)
responds_differently      outcome columns (response, churn …; else    |d| ≥ 0.5 / ≥ 0.2;
                          spend): standardised difference per         overall η² ≥ 0.06 /
                          segment, η² across segments                 ≥ 0.01
coherent                  silhouette (with Calinski–Harabasz,         ≥ 0.25 / ≥ 0.10
                          Davies–Bouldin, within/between variance)
stable                    bootstrap ARI (segmentation) and Jaccard    ARI ≥ 0.8 / ≥ 0.6;
                          of the best-matching segment (per segment)  J ≥ 0.75 / ≥ 0.5
========================  ==========================================  ==================

Anything below the warn threshold fails. Thresholds follow common practice
(Kaufman & Rousseeuw for silhouette, Hennig for bootstrap Jaccard, Cohen for
effect sizes) and are meant as guidance, not proof.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CRITERIA", "VERDICTS", "Criterion", "Scorecard"]

CRITERIA = (
    "sizable",
    "identifiable",
    "reachable",
    "responds_differently",
    "coherent",
    "stable",
)
VERDICTS = ("pass", "warn", "fail", "unknown")
MIN_SHARE = 0.05


@dataclass
class Criterion:
    """One criterion's verdict, the number behind it, and a sentence of explanation."""

    name: str
    verdict: str
    value: float | None
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        value = None
        if self.value is not None and math.isfinite(self.value):
            value = round(float(self.value), 4)
        return {
            "name": self.name,
            "verdict": self.verdict,
            "value": value,
            "explanation": self.explanation,
        }


@dataclass
class Scorecard:
    """The six criteria for the whole segmentation, plus the metrics behind them."""

    criteria: dict[str, Criterion] = field(default_factory=dict)
    metrics: dict[str, float | None] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Criterion:
        return self.criteria[name]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "criteria": {name: c.to_dict() for name, c in self.criteria.items()},
            "metrics": {
                k: (None if v is None or not math.isfinite(v) else round(float(v), 4))
                for k, v in self.metrics.items()
            },
        }


def _grade(value: float | None, passing: float, warning: float) -> str:
    if value is None or not math.isfinite(value):
        return "unknown"
    if value >= passing:
        return "pass"
    return "warn" if value >= warning else "fail"


def _worst(verdicts: list[str]) -> str:
    for verdict in ("fail", "warn", "unknown"):
        if verdict in verdicts:
            return verdict
    return "pass"


# --- sizable -----------------------------------------------------------------


def sizable(size: int, share: float, min_size: int) -> Criterion:
    """Per segment: big enough to act on and to describe."""
    if size < min_size:
        verdict = "fail"
        text = f"{size} customers, below the minimum of {min_size}; too small to describe."
    elif share < MIN_SHARE:
        verdict = "warn"
        text = f"{share:.1%} of customers ({size}); small for a campaign of its own."
    else:
        verdict = "pass"
        text = f"{share:.1%} of customers ({size:,})."
    return Criterion("sizable", verdict, share, text)


def sizable_overall(sizes: list[int], n: int, min_size: int) -> Criterion:
    """Whole segmentation: the smallest segment decides."""
    verdicts = [sizable(s, s / n, min_size).verdict for s in sizes]
    smallest = min(sizes)
    return Criterion(
        "sizable",
        _worst(verdicts),
        smallest / n,
        f"The smallest of {len(sizes)} segments holds {smallest / n:.1%} of customers "
        f"({smallest:,}); minimum size {min_size}.",
    )


# --- identifiable ------------------------------------------------------------


def identifiable(
    precision: float, recall: float, n_rules: int, rules: Sequence[str] = ()
) -> Criterion:
    """Per segment: can short rules pick its members out? ``rules`` are their texts."""
    if n_rules == 0:
        return Criterion(
            "identifiable", "fail", 0.0, "No short rule separates this segment from the rest."
        )
    verdict = _grade(precision, 0.8, 0.6)
    if verdict == "pass" and recall < 0.5:
        verdict = "warn"
    shown = "; ".join(f"“{text}”" for text in rules)
    if n_rules == 1:
        head = f"Its rule {shown} is" if shown else "Its rule is"
    else:
        head = f"Its {n_rules} rules ({shown}) are" if shown else f"Its {n_rules} rules are"
    return Criterion(
        "identifiable",
        verdict,
        precision,
        f"{head} right {precision:.0%} of the time and find{'s' if n_rules == 1 else ''} "
        f"{recall:.0%} of its members.",
    )


def identifiable_overall(
    precisions: list[float], recalls: list[float], weights: list[int], accuracy: float | None
) -> Criterion:
    """Whole segmentation: size-weighted rule precision; assignment accuracy reported."""
    precision = float(np.average(precisions, weights=weights)) if weights else 0.0
    recall = float(np.average(recalls, weights=weights)) if weights else 0.0
    verdict = _grade(precision, 0.8, 0.6)
    if verdict == "pass" and recall < 0.5:
        verdict = "warn"
    tail = "" if accuracy is None else f"; the assignment model is {accuracy:.0%} accurate"
    return Criterion(
        "identifiable",
        verdict,
        precision,
        f"Segment rules are right {precision:.0%} of the time and find {recall:.0%} of "
        f"members on average{tail}.",
    )


# --- reachable ---------------------------------------------------------------


def reachable(frame: pd.DataFrame, members: np.ndarray, channels: list[str]) -> Criterion:
    """Per segment: is there a channel most of its members prefer or allow?"""
    if not channels:
        return Criterion(
            "reachable", "unknown", None, "No channel or contact-preference column in the data."
        )
    best_share, best_text = -1.0, ""
    for column in channels:
        values = frame.loc[members, column].dropna()
        if values.empty:
            continue
        as_text = values.astype("str").str.strip().str.lower()
        if set(pd.unique(as_text)) <= {"true", "false", "1", "0", "1.0", "0.0", "yes", "no"}:
            share = float(as_text.isin(["true", "1", "1.0", "yes"]).mean())
            text = f"{share:.0%} have {column} set"
        else:
            counts = values.astype("str").value_counts(normalize=True)
            share = float(counts.iloc[0])
            text = f"{share:.0%} prefer {counts.index[0]} ({column})"
        if share > best_share:
            best_share, best_text = share, text
    if best_share < 0:
        return Criterion("reachable", "unknown", None, "The channel columns are empty here.")
    return Criterion("reachable", _grade(best_share, 0.5, 0.3), best_share, f"{best_text}.")


def reachable_overall(per_segment: list[Criterion], weights: list[int]) -> Criterion:
    """Whole segmentation: share of customers in segments with a clear channel."""
    known = [(c, w) for c, w in zip(per_segment, weights, strict=True) if c.verdict != "unknown"]
    if not known:
        return Criterion(
            "reachable", "unknown", None, "No channel or contact-preference column in the data."
        )
    total = sum(w for _, w in known)
    covered = sum(w for c, w in known if c.verdict == "pass") / total
    return Criterion(
        "reachable",
        _grade(covered, 0.999, 0.5),
        covered,
        f"{covered:.0%} of customers are in segments with a channel most of them prefer.",
    )


# --- responds differently ------------------------------------------------------


def _eta_squared(values: np.ndarray, labels: np.ndarray) -> float | None:
    ok = np.isfinite(values)
    values, labels = values[ok], labels[ok]
    if len(values) < 2:
        return None
    total = float(np.sum((values - values.mean()) ** 2))
    if total == 0:
        return None
    between = 0.0
    for segment in np.unique(labels):
        group = values[labels == segment]
        between += len(group) * (group.mean() - values.mean()) ** 2
    return between / total


def responds(outcomes: Mapping[str, np.ndarray], members: np.ndarray, fallback: bool) -> Criterion:
    """Per segment: does an outcome differ from the base by a meaningful effect size?"""
    if not outcomes:
        return Criterion(
            "responds_differently", "unknown", None,
            "No outcome column (response, churn, conversion or spend) in the data.",
        )  # fmt: skip
    best, best_text = None, ""
    for column, values in outcomes.items():
        ok = np.isfinite(values)
        base, spread = values[ok].mean(), values[ok].std()
        inside = values[members & ok]
        if spread == 0 or inside.size == 0:
            continue
        d = (inside.mean() - base) / spread
        if best is None or abs(d) > abs(best):
            best = float(d)
            # A yes/no outcome reads as a rate, like every other share on the page.
            yes_no = bool(np.isin(values[ok], (0.0, 1.0)).all())
            shown_in, shown_base = (
                (f"{inside.mean():.1%}", f"{base:.1%}")
                if yes_no
                else (f"{inside.mean():.3g}", f"{base:.3g}")
            )
            best_text = f"{column}: {shown_in} against {shown_base} overall (d = {d:+.2f})"
    if best is None:
        return Criterion(
            "responds_differently", "unknown", None, "The outcome columns do not vary."
        )
    suffix = " (spend used as the outcome)" if fallback else ""
    return Criterion(
        "responds_differently", _grade(abs(best), 0.5, 0.2), abs(best), f"{best_text}{suffix}."
    )


def responds_overall(
    outcomes: Mapping[str, np.ndarray], labels: np.ndarray, fallback: bool
) -> Criterion:
    """Whole segmentation: the largest η² (share of outcome variance between segments)."""
    if not outcomes:
        return Criterion(
            "responds_differently", "unknown", None,
            "No outcome column (response, churn, conversion or spend) in the data.",
        )  # fmt: skip
    effects = {c: _eta_squared(v, labels) for c, v in outcomes.items()}
    known = {c: e for c, e in effects.items() if e is not None}
    if not known:
        return Criterion(
            "responds_differently", "unknown", None, "The outcome columns do not vary."
        )
    column = max(known, key=lambda c: known[c])
    listed = ", ".join(f"{c} η² = {e:.2f}" for c, e in known.items())
    suffix = " Spend was used as the outcome." if fallback else ""
    return Criterion(
        "responds_differently",
        _grade(known[column], 0.06, 0.01),
        known[column],
        f"Segments explain {known[column]:.0%} of the variance in {column} ({listed}).{suffix}",
    )


# --- coherent ------------------------------------------------------------------


def coherent(silhouette: float | None) -> Criterion:
    """Per segment: are members closer to each other than to other segments?"""
    if silhouette is None:
        return Criterion("coherent", "unknown", None, "Too few members to measure.")
    return Criterion(
        "coherent",
        _grade(silhouette, 0.25, 0.10),
        silhouette,
        f"Mean silhouette of its members {silhouette:.2f} (1 = tight and apart, 0 = on a border).",
    )


def coherent_overall(metrics: Mapping[str, float | None]) -> Criterion:
    """Whole segmentation: silhouette decides; the other indices are reported."""
    sil = metrics.get("silhouette")
    parts = [f"silhouette {sil:.2f}" if sil is not None else "silhouette unknown"]
    for key, name in (
        ("calinski_harabasz", "Calinski–Harabasz"),
        ("davies_bouldin", "Davies–Bouldin"),
        ("within_between_ratio", "within/between variance"),
    ):
        value = metrics.get(key)
        if value is not None:
            parts.append(f"{name} {value:.3g}")
    return Criterion("coherent", _grade(sil, 0.25, 0.10), sil, f"{', '.join(parts)}.")


# --- stable --------------------------------------------------------------------


def stable(jaccard: float | None, resamples: int) -> Criterion:
    """Per segment: does it come back when the data are resampled?"""
    if jaccard is None or resamples == 0 or not math.isfinite(jaccard):
        return Criterion("stable", "unknown", None, "Not measured (bootstrap=0).")
    return Criterion(
        "stable",
        _grade(jaccard, 0.75, 0.5),
        jaccard,
        f"Recovered with mean Jaccard {jaccard:.2f} over {resamples} bootstrap resamples.",
    )


def stable_overall(ari: float | None, resamples: int) -> Criterion:
    """Whole segmentation: mean adjusted Rand index over bootstrap resamples."""
    if ari is None or resamples == 0 or not math.isfinite(ari):
        return Criterion("stable", "unknown", None, "Not measured (bootstrap=0).")
    note = "" if resamples >= 20 else " (fewer than 20 resamples: a rough estimate)"
    return Criterion(
        "stable",
        _grade(ari, 0.8, 0.6),
        ari,
        f"Mean adjusted Rand index {ari:.2f} over {resamples} bootstrap resamples{note}.",
    )
