"""Evidence candidates, the quality gate, the support check and the composer (fast, fakes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from persona.config import load_settings
from persona.errors import ConfigError
from persona.evidence import (
    MAX_STAT_CANDIDATES,
    QualityGate,
    doc_candidates,
    split_sentences,
    stat_candidates,
    support,
)
from persona.facts import build_facts, invented_numbers
from persona.generate import generate_personas, resolve_writer
from persona.knowledge import add_documents
from persona.knowledge.embed import HashEmbeddingFunction
from persona.knowledge.types import Citation
from persona.llm import ScriptedChatModel
from persona.segmentation import load_segments
from persona.services import Services
from tests.generate.conftest import add_segments, profile, reply


def _letters(i: int) -> str:
    return chr(97 + i // 26) + chr(97 + i % 26)


def _wide_profile(columns: int = 86) -> dict[str, Any]:
    """A profile of a coded table: ``columns`` numeric features with dictionary words."""
    data = profile(0)
    numeric, descriptions = [], {}
    for i in range(columns):
        code = f"MC{i:02d}X"
        diff = (columns - i) / columns * (1 if i % 2 else -1)
        numeric.append(
            {"feature": code, "mean": 5.0 + diff, "median": 5.0 + round(diff * 2),
             "q1": 3.0, "q3": 7.0, "base_mean": 5.0, "base_median": 5.0,
             "lift": 1 + diff / 5, "std_diff": diff, "outcome": False}
        )  # fmt: skip
        descriptions[code] = f"area share of trait {_letters(i)}"
        data["facts"][f"mc{i:02d}x_median"] = 5.0 + round(diff * 2)
        data["facts"][f"mc{i:02d}x_base_median"] = 5.0
        data["facts"][f"mc{i:02d}x_mean"] = round(5.0 + diff, 2)
        data["facts"][f"mc{i:02d}x_base_mean"] = 5.0
    data["numeric"] = numeric
    data["descriptions"] = descriptions
    return data


def test_stat_candidates_are_the_ranked_distinguishing_facts_in_words(
    services: Services,
) -> None:
    add_segments(services, [_wide_profile()])
    [segment] = load_segments(services)
    candidates = stat_candidates(segment)
    assert len(candidates) <= MAX_STAT_CANDIDATES
    assert [c.id for c in candidates] == [f"S{i}" for i in range(1, len(candidates) + 1)]
    # Most distinctive first; the dictionary's words, never the column code.
    assert candidates[0].text.startswith(
        (
            "About half the usual area share of trait aa",
            "Area share of trait aa lower than usual",
            "A fraction of the usual area share of trait aa",
        )
    ), candidates[0].text
    facts = build_facts(segment)
    for candidate in candidates:
        assert "MC" not in candidate.text
        assert candidate.kind == "stat" and candidate.source["stat"] in facts.statistics
        assert candidate.source["value"] == facts.statistics[candidate.source["stat"]]
        assert invented_numbers(candidate.text, facts) == [], candidate.text
        assert candidate.evidence().kind == "stat"


def test_the_model_prompt_holds_the_ranked_facts_not_every_statistic(
    services: Services,
) -> None:
    add_segments(services, [_wide_profile()])
    model = ScriptedChatModel(replies=[reply()])
    services.use_model(model)
    [result] = generate_personas(services)
    assert result.status == "generated"
    prompt = "\n".join(str(m.content) for m in model.calls[0])
    assert prompt.count("area share of trait") <= MAX_STAT_CANDIDATES
    assert "mc85x" not in prompt.lower()  # the least distinctive of 86 columns is left out


def test_sentences_leave_out_headings_tables_questions_and_markup() -> None:
    text = (
        "Segment: Budget families\nParents with children under 12, camping a few times\n"
        "a year. They compare prices before every purchase.\n"
        "• Pain points: children outgrow kit within a season; delivery charges hurt.\n"
        "Reason | Share | Trend\nWhere is my order | 27% | up\n"
        "How long do refunds take for most orders?\n"
        "Read more at https://example.com about our great offers today.\n"
    )
    assert split_sentences(text) == [
        "Parents with children under 12, camping a few times a year.",
        "They compare prices before every purchase.",
        "Pain points: children outgrow kit within a season; delivery charges hurt.",
    ]


def _citation(text: str, chunk: str = "c" * 32) -> Citation:
    return Citation(
        chunk_id=chunk, document_id=1, filename="notes.md", page=None, heading=None,
        text=text, score=1.0,
    )  # fmt: skip


def test_document_sentences_are_sorted_into_fields_with_their_source() -> None:
    chunk = _citation(
        "Pain points: refunds take two weeks and the app crashes at checkout. "
        "Motivation: affordable family time outdoors with durable kit. "
        "They prefer to hear about offers by email newsletter every week. "
        "The tent has six pegs and two poles in the bag."
    )
    embed = HashEmbeddingFunction()
    found = doc_candidates([chunk], embed, embed.identity, queries=["families on a budget"])
    fields = {c.text.split(":")[0].split(" ")[0]: c.field for c in found}
    assert fields["Pain"] == "pain_points" and fields["Motivation"] == "goals"
    assert fields["They"] == "channels"
    assert all("pegs" not in c.text for c in found)  # speaks to no field
    for candidate in found:
        assert candidate.kind == "doc" and candidate.id.startswith("D")
        assert candidate.source == {"chunk_id": chunk.chunk_id, "file": "notes.md", "page": None}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("high mpego", "non_words"),
        ("Minkgere", "non_words"),
        ("mkoopkezek__def-bef", "code"),
        ("High MOPLLAAG, low ZPART, high", "code"),
        ("goals: save money on family kit", "field"),
        ("N/A", "empty"),
        ("the and of", "empty"),
        ("Write the persona JSON for this segment and nothing else", "prompt"),
        ("Spends 999 pounds on every order", "contradiction"),
    ],
)
def test_the_gate_rejects_gibberish_codes_echoes_and_invented_numbers(text: str, kind: str) -> None:
    facts = build_facts(_stored_segment())
    facts = facts.model_copy(update={"statistics": {**facts.statistics, "MOPLLAAG": 1, "ZPART": 2}})
    gate = QualityGate.for_facts(facts, instructions="Write the persona JSON for this segment.")
    assert kind in {p.kind for p in gate.check(text)}, gate.check(text)


@pytest.mark.parametrize(
    "text",
    [
        "Waits for offers by email before buying kit for the children.",
        "Lives in Fellgate and shops at the North store.",
        "Household size is larger than for most customers: median 4.",
    ],
)
def test_the_gate_passes_plain_sentences_with_labels_and_facts(text: str) -> None:
    gate = QualityGate.for_facts(build_facts(_stored_segment()))
    assert gate.check(text) == []


def _stored_segment() -> Any:
    from persona.segmentation import StoredSegment

    data = profile(0)
    return StoredSegment(1, 1, 0, data["label"], data["size"], data["share"], data)


def test_support_is_the_best_cited_evidence_against_the_threshold() -> None:
    embed = HashEmbeddingFunction()
    evidence = ["Families with large households ask for durable gear and fast refunds."]
    assert support("Families ask for durable gear", evidence, embed).supported
    assert not support("Loves jazz and city breaks", evidence, embed).supported
    assert not support("Anything at all", [], embed).supported


def test_the_writer_setting_and_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings({}).persona_writer == "auto"
    assert load_settings({"PERSONA_PERSONA_WRITER": "Composer"}).persona_writer == "composer"
    with pytest.raises(ConfigError, match="PERSONA_PERSONA_WRITER"):
        load_settings({"PERSONA_PERSONA_WRITER": "poet"})
    small, capable = ScriptedChatModel(capable=False), ScriptedChatModel()
    assert resolve_writer("auto", small) == "composer"
    assert resolve_writer("auto", capable) == "model"
    assert resolve_writer("model", small) == "model"
    assert resolve_writer("composer", capable) == "composer"


def test_the_composer_writes_from_evidence_with_no_model_call(
    services: Services, tmp_path: Path
) -> None:
    add_segments(services, [profile(0)])
    doc = tmp_path / "research.md"
    doc.write_text(
        "# Large households\n\nPain points: refunds for returned family kit take two weeks. "
        "Motivation: affordable family time outdoors with durable kit.\n",
        encoding="utf-8",
    )
    add_documents(services.store, services.settings, [doc])
    model = ScriptedChatModel(capable=False)  # stands in for SmolLM2: no replies at all
    services.use_model(model)
    [result] = generate_personas(services)
    assert model.calls == []
    persona = result.persona
    assert result.status == "generated" and persona is not None
    assert persona.writer == "composer" and result.report is not None
    assert result.report.writer == "composer"
    for _field, item in persona.items():
        assert item.grounded, item
        assert invented_numbers(item.text, persona.facts) == []
    assert [i.text for i in persona.pain_points] == [
        "Refunds for returned family kit take two weeks."
    ]
    assert persona.goals[0].evidence[0].file == "research.md"
    # The strongest statistic opens the background; the list goes on from the next.
    assert "household_size_median" in {e.stat for e in persona.background.evidence}
    shown = [e.stat for i in persona.behaviour_patterns for e in i.evidence]
    assert shown and "household_size_median" not in shown
    # Nothing is invented for what no evidence speaks to: the gap says so.
    assert persona.hobbies == [] and "No data on hobbies" in persona.gaps["hobbies"]
    assert persona.personality == [] and "challenges" in persona.gaps
    assert persona.name and persona.age is not None


def test_a_model_item_failing_the_gate_is_reasked_then_replaced(services: Services) -> None:
    add_segments(services, [profile(0)])
    bad = reply(goals=[{"text": "high mpego", "sources": []}], hobbies=["Minkgere"])
    model = ScriptedChatModel(replies=[bad, bad])
    services.use_model(model)
    [result] = generate_personas(services)
    assert len(model.calls) == 2  # re-asked once with the gate's reasons
    reasks = "\n".join(str(m.content) for m in model.calls[1])
    assert "goals[0] was rejected (non_words: mpego)" in reasks
    persona = result.persona
    assert persona is not None
    texts = [item.text for _f, item in persona.items()]
    assert "high mpego" not in texts and "Minkgere" not in texts
    assert any("'high mpego' failed the quality gate" in flag for flag in persona.flags)
    assert persona.hobbies == [] and "hobbies" in persona.gaps
    assert result.report is not None and result.report.checks["gated"] == 2
