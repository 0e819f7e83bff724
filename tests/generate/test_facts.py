"""The facts block and the invented-number check."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persona.facts import (
    build_facts,
    fact_lines,
    find_numbers,
    format_value,
    invented_numbers,
)
from persona.models import SegmentFacts
from persona.segmentation import StoredSegment
from tests.generate.conftest import profile

FACTS = SegmentFacts(
    segment_id=7,
    segment_index=2,
    label="High spend, app first",
    size=412,
    share=0.206,
    statistics={
        "segment_size": 412,
        "share_pct": 20.6,
        "age_median": 34.0,
        "age_mean": 34.17,
        "spend_12m_median": 1234.5,
        "returns_rate_median": 0.05,
        "orders_12m_median": 6.0,
        "rule_1": "age ≤ 45 and orders_12m ≥ 3",
    },
)


@pytest.mark.parametrize(
    "text",
    [
        "She is 34.",
        "She is 34.0 years old.",
        "Typical age 34.2",  # 34.17 written to one decimal
        "About 20.6% of customers",
        "about 21% of customers",  # 20.6 rounded to the precision written
        "a share of 0.206",
        "412 customers",
        "spends 1,234.5 a year",
        "spends €1234.5 a year",
        "spends 1.2k a year",
        "in her 30s",
        "returns 5% of orders",  # returns_rate 0.05 as a percentage
        "orders 6 times a year",
        "orders ≥ 3 times",  # a number inside a text fact (a rule)
        "B2B buyers and mp3 players",  # digits glued to letters are not numbers
        "No numbers at all.",
    ],
)
def test_numbers_that_match_the_facts_pass(text: str) -> None:
    assert invented_numbers(text, FACTS) == []


@pytest.mark.parametrize(
    ("text", "invented"),
    [
        ("She is 47.", ["47"]),
        ("Paid 19.99 for shipping", ["19.99"]),
        ("35% of them churn", ["35%"]),
        ("in her 50s", ["50s"]),
        ("She is 35", ["35"]),  # 34.17 is not 35 at any precision
        ("spends 2,000 a year", ["2,000"]),
        ("since COVID-19", ["19"]),
        ("3 kids and 2 dogs", ["2"]),  # 3 appears in the rule; 2 does not
    ],
)
def test_invented_numbers_are_caught(text: str, invented: list[str]) -> None:
    assert invented_numbers(text, FACTS) == invented


def test_find_numbers_reads_formats() -> None:
    found = {m.raw: (m.value, m.decimals, m.percent, m.decade) for m in find_numbers(
        "1,234 and 1.234,5 and 34,5 and 20.6% and 30s and 1.2k"
    )}  # fmt: skip
    assert found["1,234"] == (1234.0, 0, False, False)
    assert found["1.234,5"] == (1234.5, 1, False, False)
    assert found["34,5"] == (34.5, 1, False, False)
    assert found["20.6%"] == (20.6, 1, True, False)
    assert found["30s"] == (30.0, 0, False, True)
    assert found["1.2k"][0] == pytest.approx(1200.0)


@settings(deadline=None, max_examples=200)  # no deadline: CI machines are shared
@given(st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False))
def test_a_fact_as_displayed_is_never_invented(value: float) -> None:
    facts = FACTS.model_copy(update={"statistics": {"x": round(value, 2)}})
    shown = format_value(round(value, 2))
    assert invented_numbers(f"the value is {shown}.", facts) == []


def test_build_facts_copies_the_profile_verbatim() -> None:
    data = profile(3, size=321, share=0.1605)
    segment = StoredSegment(
        id=11, segmentation_id=1, segment_index=3, label=data["label"], size=321,
        share=0.1605, profile=data,
    )  # fmt: skip
    facts = build_facts(segment)
    assert facts.statistics == data["facts"]
    assert (facts.size, facts.share, facts.segment_index) == (321, 0.1605, 3)
    lines = dict(fact_lines(facts))
    assert lines["segment_size"] == "321"
    assert lines["share_of_customers"] == "16.1%"
    assert lines["age_median"] == "42"
