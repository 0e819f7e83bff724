"""Deterministic facts of a segment, and the check that no number is invented.

The facts block is built from a stored segment's profile alone: the language
model never supplies a number. :func:`invented_numbers` finds every number in a
piece of narrative text and reports those that match no fact, with tolerant
formatting: ``34`` matches ``34.0`` and ``34.2`` (rounded to the precision
written), ``20.6%`` matches a share of ``0.206``, ``1,234`` matches ``1234``,
``1.2k`` matches ``1180``, and a decade such as ``30s`` matches a value in
``[30, 40)``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from persona.models import SegmentFacts
from segments.facts import humanise

if TYPE_CHECKING:
    from persona.segmentation import StoredSegment

__all__ = [
    "FEATURE_NAMES",
    "NumberMention",
    "build_facts",
    "fact_lines",
    "fact_values",
    "find_numbers",
    "format_value",
    "invented_numbers",
    "match_number",
]

# A number not glued to a preceding letter or digit ("B2B", "mp3" are names, not claims).
# Optional sign and currency, digits with thousands separators or decimals, then an
# optional scale (k, m, bn), percent, or decade/ordinal suffix.
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.,])"
    r"(?P<sign>[-−+])?"
    r"(?P<currency>[$€£¥])?"
    r"(?P<number>\d+(?:[,.]\d+)*)"
    r"(?P<suffix>\s?%|\s?(?:per ?cent|percent)\b|(?:k|K|m|M|bn)\b|s\b|'s\b|st\b|nd\b|rd\b|th\b)?"
)
FEATURE_NAMES = "feature_names"
"""The :func:`fact_values` key of numbers that are part of column names, not claims."""
_SCALES = {"k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "bn": 1e9}


@dataclass(frozen=True)
class NumberMention:
    """One number as written in text.

    ``mantissa`` is the written value (``1.2`` in ``1.2k``), ``scale`` its
    multiplier, ``decimals`` how many decimals were written (the precision the
    writer claims), ``percent`` whether it was a percentage, ``decade`` whether
    it was written like ``30s``.
    """

    raw: str
    mantissa: float
    scale: float = 1.0
    decimals: int = 0
    percent: bool = False
    decade: bool = False

    @property
    def value(self) -> float:
        """The number meant: mantissa times scale."""
        return self.mantissa * self.scale


def build_facts(segment: StoredSegment) -> SegmentFacts:
    """The facts block of ``segment``: size, share and its statistics, verbatim and typed."""
    return SegmentFacts(
        segment_id=segment.id,
        segment_index=segment.segment_index,
        label=segment.label,
        size=segment.size,
        share=segment.share,
        statistics=dict(segment.facts),
        facts=segment.typed_facts,
    )


def format_value(value: Any) -> str:
    """A fact value as shown to models and users: integers plainly, floats without noise."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        # Plain decimals (never exponent notation), up to four places, no trailing zeros.
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def fact_lines(facts: SegmentFacts) -> list[tuple[str, str]]:
    """``(name, shown value)`` pairs for the prompt and the brief, size and share first."""
    lines = [
        ("segment_size", format_value(facts.size)),
        ("share_of_customers", f"{format_value(round(facts.share * 100, 1))}%"),
    ]
    lines += [
        (name, format_value(value))
        for name, value in facts.statistics.items()
        if name not in ("segment_size", "share_pct")
    ]
    return lines


def fact_values(facts: SegmentFacts) -> dict[str, list[float]]:
    """Every number the facts contain, by fact name (numbers inside text facts included)."""
    values: dict[str, list[float]] = {
        "segment_size": [float(facts.size)],
        "share": [facts.share, facts.share * 100],
    }
    for name, value in facts.statistics.items():
        found = _numbers_in_value(value)
        if found:
            values[name] = found
    label_numbers = [m.value for m in find_numbers(facts.label)]
    if label_numbers:
        values["label"] = label_numbers
    # A column called "orders 12m" or "income band 30-50k": its number names it, claims nothing.
    names: list[str | None] = [humanise(name) for name in facts.statistics]
    names += [text for fact in facts.facts for text in (fact.words, humanise(fact.feature or ""))]
    named = {m.value for text in names if text for m in find_numbers(text)}
    if named:
        values[FEATURE_NAMES] = sorted(named)
    return values


def _numbers_in_value(value: Any) -> list[float]:
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [float(value)] if math.isfinite(float(value)) else []
    if isinstance(value, str):
        return [m.value for m in find_numbers(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers_in_value(v)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in _numbers_in_value(v)]
    return []


def find_numbers(text: str) -> list[NumberMention]:
    """Every number written in ``text`` (digits only; number words are not detected)."""
    mentions = []
    for match in _NUMBER.finditer(text):
        digits = match["number"]
        suffix = (match["suffix"] or "").strip().lower()
        mantissa, decimals = _parse_digits(digits)
        mentions.append(
            NumberMention(
                raw=match.group(0).strip(),
                mantissa=mantissa,
                scale=_SCALES.get((match["suffix"] or "").strip(), 1.0),
                decimals=decimals,
                percent=suffix in ("%", "percent", "per cent", "percent"),
                decade=suffix in ("s", "'s") and mantissa >= 10 and mantissa % 10 == 0,
            )
        )
    return mentions


def _parse_digits(digits: str) -> tuple[float, int]:
    """Value and written decimals of ``1,234.5`` / ``1.234,5`` / ``34,5`` / ``34.0``."""
    parts = re.split(r"[,.]", digits)
    seps = re.findall(r"[,.]", digits)
    if not seps:
        return float(digits), 0
    last = seps[-1]
    # Groups of exactly three digits after every separator of one kind are thousands.
    if (
        len(set(seps)) == 1
        and all(len(p) == 3 for p in parts[1:])
        and (len(seps) > 1 or last == ",")
    ):
        return float("".join(parts)), 0
    integer = "".join(parts[:-1])
    fraction = parts[-1]
    return float(f"{integer}.{fraction}"), len(fraction)


def match_number(mention: NumberMention, values: dict[str, list[float]]) -> str | None:
    """Name of the fact ``mention`` agrees with, or ``None`` when it is invented."""
    for name, candidates in values.items():
        for fact in candidates:
            if _agrees(mention, fact):
                return name
    return None


def _agrees(mention: NumberMention, fact: float) -> bool:
    written = abs(mention.mantissa)
    candidates = [abs(fact)]
    if abs(fact) <= 1:  # a proportion written as a percentage: 0.206 -> 20.6%
        candidates.append(abs(fact) * 100)
    if mention.value <= 1 and not mention.percent:  # a percentage written as a proportion
        candidates.append(abs(fact) / 100)
    # Agreement within half a unit of the last digit written: 34.2 may be written 34.
    tolerance = 0.5 * 10 ** (-mention.decimals) + 1e-9
    for candidate in candidates:
        if mention.decade:
            if written <= candidate < written + 10:
                return True
        elif abs(candidate / mention.scale - written) <= tolerance:
            return True
    return False


def invented_numbers(text: str, facts: SegmentFacts) -> list[str]:
    """The numbers written in ``text`` that match no fact (as written)."""
    values = fact_values(facts)
    return [m.raw for m in find_numbers(text) if match_number(m, values) is None]
