"""Document sentences shared out between a run's segments, and the run's progress (fast)."""

from __future__ import annotations

from pathlib import Path

from persona.evidence.candidates import Candidate
from persona.evidence.claims import claim_sentences, group_names, names_other_group
from persona.evidence.collect import SegmentEvidence
from persona.generate import generate_personas
from persona.knowledge import add_documents
from persona.knowledge.types import Citation
from persona.llm import ScriptedChatModel
from persona.services import Services
from tests.generate.conftest import add_segments, profile


def _chunk(chunk_id: str, text: str) -> Citation:
    return Citation(
        chunk_id=chunk_id, document_id=1, filename="research.pdf", page=1, heading=None,
        text=text, score=1.0,
    )  # fmt: skip


def _doc(text: str, score: float, chunk: str, field: str = "pain_points") -> Candidate:
    return Candidate(
        id="D?", field=field, text=text, kind="doc", score=score,
        source={"chunk_id": chunk, "file": "research.pdf", "page": 1},
    )  # fmt: skip


def _stat(text: str) -> Candidate:
    return Candidate(id="S1", field="behaviour_patterns", text=text, kind="stat", score=1.0)


FAMILIES = _chunk("f" * 32, "Segment: Budget families\nParents with children. Delivery hurts.")
LAPSED = _chunk("l" * 32, "Segment: Lapsed bargain hunters\nThey stopped buying.")
SUMMARY = _chunk("s" * 32, "Summary\nFive groups: Budget families and Lapsed bargain hunters.")


def test_group_names_come_from_section_headings() -> None:
    assert group_names([FAMILIES.text, LAPSED.text, SUMMARY.text]) == [
        "Budget families",
        "Lapsed bargain hunters",
    ]


def test_a_sentence_naming_another_group_is_not_evidence_for_this_one() -> None:
    groups = ["Budget families", "Lapsed bargain hunters"]
    assert names_other_group("Lapsed bargain hunters wait for sales.", ["Budget families"], groups)
    assert not names_other_group("Budget families compare prices.", ["Budget families"], groups)
    # An overview naming two groups speaks for neither.
    assert names_other_group("Budget families and lapsed bargain hunters differ.", [], groups)
    assert not names_other_group("Delivery charges hurt on small orders.", [], groups)


def test_each_sentence_is_kept_by_the_segment_it_is_most_specific_to() -> None:
    shared = "Delivery charges on small top-up orders hurt."
    evidence = {
        1: SegmentEvidence(
            [_stat("Household size is higher."), _doc(shared, 0.9, FAMILIES.chunk_id),
             _doc("They stopped buying after the threshold rose.", 0.4, LAPSED.chunk_id)],
            [FAMILIES, LAPSED],
        ),
        2: SegmentEvidence(
            [_doc(shared, 0.5, FAMILIES.chunk_id),
             _doc("They stopped buying after the threshold rose.", 0.8, LAPSED.chunk_id),
             _doc("Five groups: Budget families and Lapsed bargain hunters.", 0.99,
                  SUMMARY.chunk_id),
             _doc("Lapsed bargain hunters respond to discount emails.", 0.7, FAMILIES.chunk_id,
                  "channels")],
            [FAMILIES, LAPSED, SUMMARY],
        ),
    }  # fmt: skip
    out = claim_sentences(evidence, {1: "High household size", 2: "Long since last order"})
    texts = {sid: [c.text for c in e.candidates] for sid, e in out.items()}
    assert texts[1] == ["Household size is higher.", shared]
    assert texts[2] == ["They stopped buying after the threshold rose."]
    assert [c.id for c in out[1].candidates if c.kind == "doc"] == ["D1"]
    assert out[2].chunks == evidence[2].chunks


def test_a_sentence_naming_another_segments_label_is_dropped() -> None:
    evidence = {
        1: SegmentEvidence([_doc("Weekend climbers want lighter tents.", 0.9, "x" * 32)], []),
        2: SegmentEvidence([], []),
    }
    out = claim_sentences(evidence, {1: "Family campers", 2: "Weekend climbers"})
    assert out[1].candidates == []


def test_each_field_keeps_at_most_per_field_sentences() -> None:
    docs = [_doc(f"Complaint number {w} about slow refunds.", 1 - i / 10, "c" * 32)
            for i, w in enumerate(("one", "two", "three", "four", "five"))]  # fmt: skip
    out = claim_sentences({1: SegmentEvidence(docs, [])}, {1: "A"}, per_field=3)
    assert [c.id for c in out[1].candidates] == ["D1", "D2", "D3"]
    assert out[1].candidates[0].text.startswith("Complaint number one")


def test_a_section_headed_for_a_group_goes_whole_to_one_segment() -> None:
    a, b = "Motivation: a deal when the price drops.", "What they value: vouchers and sales."
    evidence = {
        1: SegmentEvidence([_doc(a, 0.9, LAPSED.chunk_id, "goals"),
                            _doc(b, 0.3, LAPSED.chunk_id, "needs")], [LAPSED]),
        2: SegmentEvidence([_doc(a, 0.5, LAPSED.chunk_id, "goals"),
                            _doc(b, 0.5, LAPSED.chunk_id, "needs")], [LAPSED]),
    }  # fmt: skip
    out = claim_sentences(evidence, {1: "One", 2: "Two"})
    assert [c.text for c in out[1].candidates] == [a, b]  # mean 0.6 against 0.5
    assert out[2].candidates == []


def test_generation_progress_says_which_persona_of_how_many(
    services: Services, tmp_path: Path
) -> None:
    add_segments(services, [profile(0), profile(1)])
    doc = tmp_path / "notes.md"
    doc.write_text("Pain points: refunds for returned kit take two weeks.\n", encoding="utf-8")
    add_documents(services.store, services.settings, [doc])
    services.use_model(ScriptedChatModel(capable=False))
    seen: list[tuple[str, float]] = []
    generate_personas(services, progress=lambda stage, fraction: seen.append((stage, fraction)))
    stages = [stage for stage, _fraction in seen]
    assert "Reading the documents for segment 2 of 2" in stages
    assert any(s.startswith("Writing persona 2 of 2 (segment") for s in stages), stages
    assert all("composer" in s for s in stages if s.startswith("Writing persona"))
    fractions = [fraction for _stage, fraction in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
