"""Evidence candidates: claims a persona may make, each with its source, before any model.

Two sources today, open to more (``kind`` is a plain string and ``source`` a mapping
of what :class:`~persona.models.Evidence` records, so research notes and customer
voice add kinds without touching the writers):

* ``stat``: what sets the segment apart, ranked by standardised difference from all
  customers (the profile's own ranking), written in plain words with the data
  dictionary's descriptions, citing the fact by name and value. Facts of kinds this
  module does not know (predicted value, churn risk …) still become candidates from
  their label.
* ``doc``: sentences of document chunks retrieved for the segment's distinguishing
  traits, sorted into persona fields by cue words and by embedding similarity to a
  short description of each field (:mod:`persona.evidence.sentences`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from persona.facts import format_value
from persona.models import Evidence
from segments.facts import Fact, fact_name, humanise

if TYPE_CHECKING:
    from persona.segmentation import StoredSegment

__all__ = [
    "CANDIDATE_FIELDS",
    "MAX_STAT_CANDIDATES",
    "Candidate",
    "by_field",
    "ranked_features",
    "stat_candidates",
]

CANDIDATE_FIELDS: tuple[str, ...] = (
    "goals",
    "needs",
    "pain_points",
    "challenges",
    "behaviour_patterns",
    "channels",
)
"""The list fields evidence candidates are sorted into."""

MAX_STAT_CANDIDATES = 12
"""How many distinguishing facts a persona (and a prompt) gets: never every statistic."""

_CHANNEL_WORDS = ("channel", "contact")
_HANDLED = frozenset(
    {
        "segment_id", "segment_label", "size", "share", "mean", "median", "q1", "q3",
        "base_mean", "base_median", "vs_base", "label_share", "label_base_share",
        "rule", "rule_precision", "rule_recall", "verdict",
    }
)  # fmt: skip
_MIN_STD_DIFF = 0.1
"""A difference smaller than a tenth of a standard deviation does not set a segment apart."""


@dataclass(frozen=True)
class Candidate:
    """One claim a persona may make, with where it comes from.

    ``id`` is what a model cites (``S1`` for statistics, ``D1`` for document
    sentences …); ``score`` orders candidates of one field (higher is stronger);
    ``source`` holds the :class:`~persona.models.Evidence` fields of the source
    (``stat`` and ``value``; ``chunk_id``, ``file`` and ``page``).
    """

    id: str
    field: str
    text: str
    kind: str
    score: float
    source: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    note: str | None = None

    def evidence(self) -> Evidence:
        """The evidence entry this candidate gives an item built from it."""
        return Evidence.model_validate({"kind": self.kind, **self.source, "note": self.note})


def by_field(candidates: Iterable[Candidate]) -> dict[str, list[Candidate]]:
    """Candidates grouped by field, strongest first (every field present, maybe empty)."""
    grouped: dict[str, list[Candidate]] = {name: [] for name in CANDIDATE_FIELDS}
    for candidate in candidates:
        grouped.setdefault(candidate.field, []).append(candidate)
    for items in grouped.values():
        items.sort(key=lambda c: -c.score)
    return grouped


@dataclass(frozen=True)
class _Ranked:
    feature: str
    category: str | None
    std_diff: float
    outcome: bool


def ranked_features(segment: StoredSegment, limit: int = MAX_STAT_CANDIDATES) -> list[_Ranked]:
    """The segment's numeric features and over-represented labels, most distinctive first.

    The order is the profile's: absolute standardised difference from all customers.
    Outcome columns (churn, value) are included: they are what a team most wants to
    know about a segment, even though they were kept out of the clustering.
    """
    ranked: list[_Ranked] = []
    for entry in segment.profile.get("numeric", []):
        diff = entry.get("std_diff")
        if isinstance(diff, int | float) and abs(diff) >= _MIN_STD_DIFF:
            ranked.append(_Ranked(str(entry["feature"]), None, float(diff), _outcome(entry)))
    for entry in segment.profile.get("categorical", []):
        diff, value = entry.get("std_diff"), str(entry.get("value", ""))
        if not isinstance(diff, int | float) or diff < _MIN_STD_DIFF or value == "other":
            continue
        if value == "false":
            continue
        ranked.append(_Ranked(str(entry["feature"]), value, float(diff), _outcome(entry)))
    if not ranked:  # profiles stored before std_diff: the profile's own top features
        for feature in segment.profile.get("top_features", []):
            column, _, value = str(feature).partition(" = ")
            ranked.append(_Ranked(column, value or None, 1.0, False))
    ranked.sort(key=lambda r: (-abs(r.std_diff), r.feature, r.category or ""))
    return ranked[:limit]


def _outcome(entry: Mapping[str, Any]) -> bool:
    return bool(entry.get("outcome", False))


def stat_candidates(segment: StoredSegment, limit: int = MAX_STAT_CANDIDATES) -> list[Candidate]:
    """Plain-words claims from the segment's distinguishing statistics, strongest first."""
    stats = segment.facts
    words = {str(k): str(v) for k, v in segment.profile.get("descriptions", {}).items()}
    out: list[Candidate] = []
    rules = 1 if "rule_1" in stats else 0
    for rank in ranked_features(segment, limit - rules):
        made = _stat_claim(rank, stats, words.get(rank.feature) or humanise(rank.feature))
        if made is None:
            continue
        text, name = made
        out.append(
            Candidate(
                id=f"S{len(out) + 1}",
                field=_stat_field(rank.feature),
                text=text,
                kind="stat",
                score=abs(rank.std_diff),
                source={"stat": name, "value": stats[name]},
                note="sets this segment apart",
            )
        )
    out.extend(_rule_candidates(segment, len(out)))
    out.extend(_other_fact_candidates(segment.typed_facts, len(out), limit - len(out)))
    return out


def _stat_field(feature: str) -> str:
    lowered = feature.lower()
    return "channels" if any(w in lowered for w in _CHANNEL_WORDS) else "behaviour_patterns"


def _lead(own: Any, base: Any) -> str | None:
    """How many times ``base`` ``own`` is, in words ("about twice"), or ``None``.

    Words, not a computed ratio: a number the facts do not hold would read as invented.
    """
    try:
        ratio = float(own) / float(base)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    for floor, words in _LEADS:
        if ratio >= floor:
            return words
    return "a fraction of" if ratio > 0 else None


_LEADS = (
    (3.0, "several times"),
    (1.8, "about twice"),
    (1.0, "above"),
    (0.6, "below"),
    (0.4, "about half"),
)


def _stat_claim(rank: _Ranked, stats: Mapping[str, Any], words: str) -> tuple[str, str] | None:
    """``(sentence, fact name)`` for one distinguishing feature, or ``None`` without a fact.

    The contrast leads ("About twice the usual household size: median 4 against 2"):
    what sets the segment apart is said first, in the data dictionary's words.
    """
    if rank.category is None:
        vs = fact_name("vs_base", feature=rank.feature)
        higher = rank.std_diff > 0
        recency = rank.feature.endswith("_days_ago")
        # Coded or small-range columns often share the median with everyone: then the mean.
        for statistic, base_statistic in (("median", "base_median"), ("mean", "base_mean")):
            own = fact_name(statistic, feature=rank.feature)  # type: ignore[arg-type]
            other = fact_name(base_statistic, feature=rank.feature)  # type: ignore[arg-type]
            if own in stats and other in stats and stats[own] != stats[other]:
                figures = (
                    f"{statistic} {format_value(stats[own])} against {format_value(stats[other])}"
                )
                if recency:
                    when = "longer ago" if higher else "more recent"
                    return f"{_capital(words)} {when} than usual: {figures} days.", own
                lead = _lead(stats[own], stats[other])
                if lead is None or lead in ("above", "below"):
                    lead = "higher" if higher else "lower"
                    return f"{_capital(words)} {lead} than usual: {figures}.", own
                return f"{_capital(lead)} the usual {words}: {figures}.", own
        if vs in stats:
            direction = ("longer ago" if higher else "more recent") if recency else (
                "higher" if higher else "lower"
            )  # fmt: skip
            return f"{_capital(words)} {direction} than usual.", vs
        return None  # the same median and mean as everyone: nothing to say in words
    share = fact_name("label_share", feature=rank.feature, category=rank.category)
    base = fact_name("label_base_share", feature=rank.feature, category=rank.category)
    if share not in stats:
        return None
    subject = words if rank.category == "true" else f"{words} {rank.category}"
    if base not in stats:
        return f"{_capital(subject)} for {format_value(stats[share])}% of them.", share
    return (
        f"{_capital(subject)}: {format_value(stats[share])}% against "
        f"{format_value(stats[base])}% overall.",
        share,
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _rule_candidates(segment: StoredSegment, start: int) -> list[Candidate]:
    """The best rule that finds the segment, when it is precise enough to describe it."""
    stats = segment.facts
    if "rule_1" not in stats or stats.get("rule_1_precision_pct", 0) < 70:
        return []
    text = (
        f"Most customers with {stats['rule_1']} belong here "
        f"({format_value(stats['rule_1_precision_pct'])}% of them do)."
    )
    return [
        Candidate(
            id=f"S{start + 1}",
            field="behaviour_patterns",
            text=text,
            kind="stat",
            score=0.0,
            source={"stat": "rule_1", "value": stats["rule_1"]},
            note="the rule that finds this segment",
        )
    ]


def _other_fact_candidates(facts: Sequence[Fact], start: int, room: int) -> list[Candidate]:
    """Facts of kinds added after this module (value, churn risk …), from their labels."""
    out: list[Candidate] = []
    for fact in facts:
        if fact.statistic in _HANDLED or len(out) >= max(room, 0):
            continue
        value = format_value(fact.value) + ("%" if fact.unit == "percent" else "")
        out.append(
            Candidate(
                id=f"S{start + len(out) + 1}",
                field="behaviour_patterns",
                text=f"{fact.label[:1].upper()}{fact.label[1:]}: {value}.",
                kind="stat",
                score=0.0,
                source={"stat": fact.name, "value": fact.value},
                note="a segment statistic",
            )
        )
    return out
