"""Typed facts: one naming function, the flat view, and facts rebuilt from a stored profile."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

import segments
from segments.facts import Fact, fact_name, facts_view
from segments.profile import stored_facts

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "workspace_main_2026_12"


@pytest.mark.parametrize(
    ("fact", "name"),
    [
        (Fact.of("size", 480, unit="count"), "segment_size"),
        (Fact.of("share", 24.0, unit="percent"), "share_pct"),
        (Fact.of("median", 39.0, unit="value", feature="age"), "age_median"),
        (
            Fact.of("base_mean", 2.1, unit="value", feature="Household Size"),
            "household_size_base_mean",
        ),
        (Fact.of("vs_base", -51.1, unit="percent", feature="spend_12m"), "spend_12m_vs_base_pct"),
        (
            Fact.of(
                "label_share", 73.8, unit="percent", feature="preferred_channel", category="E-mail"
            ),
            "preferred_channel_e_mail_share_pct",
        ),
        (
            Fact.of("label_base_share", 16.7, unit="percent", feature="churned", category="true"),
            "churned_true_base_share_pct",
        ),
        (Fact.of("rule", "age ≤ 30", unit="text", index=2), "rule_2"),
        (Fact.of("rule_recall", 80.0, unit="percent", index=1), "rule_1_recall_pct"),
        (Fact.of("verdict", "pass", unit="text", feature="coherent"), "coherent_verdict"),
    ],
)  # fmt: skip
def test_one_function_names_every_kind_of_fact(fact: Fact, name: str) -> None:
    assert fact.name == name
    assert fact_name(fact.statistic, feature=fact.feature, category=fact.category,
                     index=fact.index) == name  # fmt: skip
    assert fact.label and "_" not in fact.label.replace("e_mail", "")
    assert Fact.from_dict(json.loads(json.dumps(fact.to_dict()))) == fact


def test_an_unknown_statistic_is_refused() -> None:
    data = Fact.of("median", 1.0, unit="value", feature="age").to_dict() | {"statistic": "mode"}
    with pytest.raises(ValueError, match="unknown fact statistic"):
        Fact.from_dict(data)


def test_facts_are_the_flat_view_of_the_typed_facts(fitted: segments.SegmentationResult) -> None:
    for profile in fitted.profiles:
        typed = profile.fact_list()
        assert profile.facts() == facts_view(typed)
        assert len({f.name for f in typed}) == len(typed)
        kinds = {f.statistic for f in typed}
        if not profile.suppressed:
            assert {"mean", "median", "vs_base", "label_share", "rule", "verdict"} <= kinds
        outcome = [f for f in typed if f.outcome]
        assert all(f.feature in fitted.outcomes for f in outcome)
        numeric = {f.feature for f in typed if f.statistic == "median"}
        assert numeric <= {s.feature for s in profile.numeric}


def test_a_stored_profile_yields_the_same_typed_facts(fitted: segments.SegmentationResult) -> None:
    for profile in fitted.profiles:
        data = json.loads(json.dumps(profile.to_dict() | {"facts": profile.facts()}))
        assert stored_facts(data) == profile.fact_list()


def test_profiles_saved_by_main_yield_typed_facts_for_every_stored_fact() -> None:
    with closing(sqlite3.connect(FIXTURE / "persona.sqlite3")) as db:
        rows = [json.loads(r[0]) for r in db.execute("SELECT profile_json FROM segments")]
    assert len(rows) == 3
    for data in rows:
        typed = stored_facts(data)
        # Same names, same order, same values as the flat facts main stored.
        assert list(facts_view(typed).items()) == list(data["facts"].items())


def test_a_hand_made_profile_keeps_only_the_facts_its_structure_backs() -> None:
    data = {
        "segment_id": 0, "label": "x", "size": 40, "share": 0.2,
        "numeric": [], "rules": [], "scorecard": {},
        "categorical": [{"feature": "region", "value": "North", "share": 0.4, "base_share": 0.25}],
        "facts": {"segment_size": 40, "region_north_share_pct": 41.3, "age_median": 39.0},
    }  # fmt: skip
    typed = stored_facts(data)
    assert [f.name for f in typed] == ["segment_size", "region_north_share_pct"]
    assert typed[1].value == 41.3 and typed[1].category == "North"
