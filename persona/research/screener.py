"""Screeners: the questions a recruiter asks to find real customers of one segment.

A segment's best decision-tree rule (:mod:`segments.rules`, phrased with the
data dictionary) becomes one question per column it tests, each with the
answers that qualify and the share of the segment that meets it (alone, and
together with the questions before it). The screener's precision and recall
are those of the rule on the segmented table: of the customers who would pass
every question, the share that are in the segment, and the share of the
segment that would pass. Other rules that also pick the segment out are listed
as alternatives. Nothing here names a customer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from persona.errors import ResearchError
from persona.repos.segmentations import StoredSegment

__all__ = ["Question", "Screener", "build_screener"]

_DAYS_AGO = " (days ago)"


@dataclass(frozen=True)
class Question:
    """One screening question with the answers that qualify."""

    number: int
    column: str
    criterion: str
    """The part of the rule this question checks, e.g. ``visits per month ≥ 6``."""
    question: str
    options: list[str]
    """Answers to read out, in order; the qualifying ones are in :attr:`qualifying`."""
    qualifying: list[str]
    kept: float
    """Share of the segment that meets this criterion alone."""
    kept_cumulative: float
    """Share of the segment that meets this and every earlier criterion."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "number": self.number,
            "column": self.column,
            "criterion": self.criterion,
            "question": self.question,
            "options": list(self.options),
            "qualifying": list(self.qualifying),
            "kept": self.kept,
            "kept_cumulative": self.kept_cumulative,
        }


@dataclass(frozen=True)
class Screener:
    """The screener of one segment: questions, and how well passing them finds the segment."""

    segment: int
    label: str
    size: int
    rule: str
    questions: list[Question]
    precision: float
    recall: float
    support: int
    """How many customers of the table pass every question."""
    alternatives: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (``questions``, ``precision``, ``recall`` …)."""
        return {
            "segment": self.segment,
            "label": self.label,
            "size": self.size,
            "rule": self.rule,
            "questions": [q.to_dict() for q in self.questions],
            "precision": self.precision,
            "recall": self.recall,
            "support": self.support,
            "alternatives": list(self.alternatives),
        }


def _number(value: float, whole: bool) -> str:
    if whole or float(value).is_integer():
        return f"{math.floor(value):,}" if whole else f"{int(value):,}"
    return f"{value:,.6g}"


def _numeric_options(conditions: list[dict[str, Any]], whole: bool) -> tuple[list[str], list[str]]:
    """Answer bands around the rule's bounds: the middle (or one side) qualifies."""
    low = next((float(c["threshold"]) for c in conditions if c["op"] == ">"), None)
    high = next((float(c["threshold"]) for c in conditions if c["op"] == "<="), None)
    step = 1.0 if whole else 0.0
    options: list[str] = []
    qualifying: list[str] = []
    if low is not None:
        options.append(
            f"{_number(low, whole)} or less" if whole else f"up to {_number(low, whole)}"
        )
    if low is not None and high is not None:
        band = (
            f"{_number(low + step, whole)} to {_number(high, whole)}"
            if whole
            else f"more than {_number(low, whole)}, up to {_number(high, whole)}"
        )
        options.append(band)
        qualifying.append(band)
    elif low is not None:
        band = (
            f"{_number(low + step, whole)} or more" if whole else f"more than {_number(low, whole)}"
        )
        options.append(band)
        qualifying.append(band)
    else:
        assert high is not None
        band = f"{_number(high, whole)} or less" if whole else f"up to {_number(high, whole)}"
        options.append(band)
        qualifying.append(band)
    if high is not None:
        options.append(
            f"{_number(high + step, whole)} or more"
            if whole
            else f"more than {_number(high, whole)}"
        )
    return options, qualifying


def _category_options(
    conditions: list[dict[str, Any]], known: list[str]
) -> tuple[list[str], list[str]]:
    wanted = [str(c["label"]) for c in conditions if c["op"] == "is"]
    unwanted = {str(c["label"]) for c in conditions if c["op"] == "is not"}
    options = list(dict.fromkeys([*known, *wanted, *sorted(unwanted)]))
    if wanted:
        qualifying = [o for o in options if o in wanted]
    else:
        qualifying = [o for o in options if o not in unwanted]
        if not qualifying:
            qualifying = [f"anything but {' or '.join(sorted(unwanted))}"]
            options.append(qualifying[0])
    return options, qualifying


_SINCE = re.compile(r"^days since (?:the |your )?(.+)$", re.IGNORECASE)
_JOINED = re.compile(r"^(member since|joined|signup|sign-up|registration|tenure)\b", re.IGNORECASE)
_COUNT = re.compile(r"^(?:number of|count of|n of) (.+)$", re.IGNORECASE)


def _phrase(words: str, column: str, is_yes_no: bool, categorical: bool) -> str:
    """A neutral question about one column, from its dictionary description."""
    text = words.strip() or column
    lower = text[:1].lower() + text[1:]
    if text.endswith(_DAYS_AGO):
        base = lower[: -len(_DAYS_AGO)]
        if _JOINED.match(base):
            return "How long have you been a customer (in days)?"
        return f"How many days ago was your {base}?"
    if since := _SINCE.match(lower):
        return f"How many days has it been since your {since.group(1)}?"
    if count := _COUNT.match(lower):
        return f"About how many {count.group(1)}?"
    if is_yes_no:
        return f"Which of these applies to you: {lower}?"
    if categorical:
        return f"Which of these describes your {lower}?"
    return f"What is your {lower}?"


def _question(number: int, part: dict[str, Any], known: list[str]) -> Question:
    conditions = list(part["conditions"])
    categorical = any(c["op"] in ("is", "is not") for c in conditions)
    labels = {str(c.get("label")) for c in conditions}
    yes_no = categorical and labels <= {"true", "false"}
    if yes_no:
        options, qualifying = _category_options(conditions, ["true", "false"])
        names = {"true": "yes", "false": "no"}
        options = [names.get(o, o) for o in options]
        qualifying = [names.get(o, o) for o in qualifying]
    elif categorical:
        options, qualifying = _category_options(conditions, known)
    else:
        options, qualifying = _numeric_options(conditions, bool(part.get("whole")))
    return Question(
        number=number,
        column=str(part["column"]),
        criterion=str(part["text"]),
        question=_phrase(
            str(part.get("words") or part["column"]), str(part["column"]), yes_no, categorical
        ),
        options=options,
        qualifying=qualifying,
        kept=float(part["kept"]),
        kept_cumulative=float(part["kept_cumulative"]),
    )


def build_screener(segment: StoredSegment) -> Screener:
    """The screener of ``segment`` from its stored rules.

    Raises:
        ResearchError: the segment is too small to be described (its rules are
            withheld), has no rule, or was segmented before rules kept their parts.
    """
    profile = segment.profile
    name = f"segment {segment.segment_index} ({segment.label})"
    if profile.get("suppressed"):
        raise ResearchError(
            f"{name} has {segment.size} customers, fewer than the minimum segment size, so "
            "its rules are withheld and no screener can be made.",
            hint="Recruit from a larger segment, or segment again with fewer segments (--k).",
        )
    rules = [r for r in profile.get("rules", []) if r.get("text")]
    if not rules:
        raise ResearchError(
            f"no rule picks out {name}: its customers share no simple trait a recruiter "
            "could ask about.",
            hint="Use the persona's interview guide with customers from `persona recruit`.",
        )
    if not rules[0].get("criteria"):
        raise ResearchError(
            f"{name} was segmented by an older version that did not keep the parts of its rules.",
            hint="Segment the table again (`persona segment FILE`) to make a screener.",
        )
    best = rules[0]
    levels: dict[str, list[str]] = {}
    for stat in profile.get("categorical", []):
        levels.setdefault(str(stat["feature"]), []).append(str(stat["value"]))
    questions = [
        _question(number, part, levels.get(str(part["column"]), []))
        for number, part in enumerate(best["criteria"], start=1)
    ]
    return Screener(
        segment=segment.segment_index,
        label=segment.label,
        size=segment.size,
        rule=str(best["text"]),
        questions=questions,
        precision=float(best["precision"]),
        recall=float(best["recall"]),
        support=int(best.get("support", 0)),
        alternatives=[
            {"rule": r["text"], "precision": r["precision"], "recall": r["recall"]}
            for r in rules[1:]
        ],
    )
