"""Real notes in: masked before storage, research evidence, and the brief's real tiers.

The planted-contradiction test runs on the bundled sample with the real local
embedding model (all-MiniLM-L6-v2): real notes that contradict one persona's
simulated answer turn that item to "contradicted by real interviews".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persona.cli import main
from persona.config import Settings
from persona.errors import DocumentError, ResearchError
from persona.generate import generate_personas
from persona.guide import question_problems
from persona.insights import compile_brief, render_html, render_markdown
from persona.interview import ask, start_interview
from persona.llm import ScriptedChatModel
from persona.personas import list_personas
from persona.research.guide import build_real_guide
from persona.research.kit import render_kit_markdown
from persona.research.notes import add_notes, list_notes, research_evidence
from persona.research.screener import build_screener
from persona.research.target import find_segment
from persona.segmentation import SegmentationRun, run_segmentation
from persona.services import Services
from tests.generate.conftest import draft

NOTES = """# Interview with a customer (P3), 2026-11-20

Interviewer: Tell me about the last time you returned something.

P3: My refund came back within two days, really quick. You can reach me at anna.berg@example.com
or +44 20 7946 0958 if you need more.
"""
CONFIRMING = """Interviewer: What do you look for?

P7: I love the brand colours; the colours are why I pick this brand.
"""


def test_notes_are_masked_before_storage_and_are_research_evidence(
    services: Services,
    segmented: SegmentationRun,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "p3.md"
    path.write_text(NOTES)
    segment = find_segment(services, "1")
    added = add_notes(services, path, segment)
    assert added.masked.get("email") == 1 and added.masked.get("phone") == 1
    [stored] = list_notes(services)
    assert "anna.berg" not in stored.text and "7946" not in stored.text
    raw = (services.settings.home / "persona.sqlite3").read_bytes()
    assert b"anna.berg@example.com" not in raw
    [evidence] = research_evidence(services, segment.id)
    assert evidence.kind == "research" and evidence.label() == "real interview: p3.md"
    with pytest.raises(ResearchError, match="already added"):
        add_notes(services, path, segment)
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"%PDF-1.4")
    with pytest.raises(ResearchError, match="text, Markdown or DOCX"):
        add_notes(services, bad, segment)
    empty = tmp_path / "empty.txt"
    empty.write_text("   ")
    with pytest.raises(DocumentError):
        add_notes(services, empty, segment)
    assert len(list_notes(services)) == 1, "nothing half-saved"
    assert main(["research", "add", str(tmp_path / "nope.md"), "--segment", "1"]) == 1
    assert "no notes file" in capsys.readouterr().out
    confirm = tmp_path / "p7.txt"
    confirm.write_text(CONFIRMING)
    assert main(["research", "add", str(confirm), "--segment", "1"]) == 0
    assert "Added p7.txt as real research on segment 1" in capsys.readouterr().out


def test_a_docx_transcript_is_read(
    services: Services, segmented: SegmentationRun, tmp_path: Path
) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("P5: I never use the app; I go to the store every Saturday.")
    path = tmp_path / "p5.docx"
    document.save(str(path))
    added = add_notes(services, path, find_segment(services, "2"))
    assert added.sentences == 1


@pytest.fixture
def sample_personas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: Path) -> Services:
    """The sample segmented, one persona per segment (composer), real local embeddings."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    services = Services(
        Settings(home=tmp_path / "workspace", llm_provider="fake", embeddings="local")
    )
    run_segmentation(services, table, k=5, roles={"do_not_contact": "ignore"})
    for index, name in ((1, "Ava Stone"), (4, "Bruno Keller")):
        services.use_model(ScriptedChatModel(replies=[json.dumps(draft(name=name))]))
        [result] = generate_personas(services, segment_indexes=[index])
        assert result.status == "generated", result.reason
    return services


@pytest.mark.slow
def test_planted_real_notes_contradict_one_personas_simulated_answer(
    sample_personas: Services, tmp_path: Path
) -> None:
    services = sample_personas
    personas = {p.segment_index: p for p in list_personas(services)}
    first, second = personas[1], personas[4]
    turns = {}
    for persona, (question, answer) in (
        (first, ("What annoys you?", "Refunds for returned items take weeks. It is slow.")),
        (second, ("What do you look for?", "I love the brand colours.")),
    ):
        services.use_model(ScriptedChatModel(replies=[answer]))
        turns[persona.id] = ask(services, start_interview(services, persona.id), question)
    draft = {
        "key_findings": [
            {"text": "Refunds for returned items take weeks", "refs": [f"T{turns[first.id].id}"]}
        ],
        "needs": [{"text": "They love the brand colours", "refs": [f"T{turns[second.id].id}"]}],
    }
    services.use_model(ScriptedChatModel(replies=[json.dumps(draft)]))
    before = compile_brief(services)
    assert before.key_findings[0].tier != "contradicted by real interviews"
    assert not before.real_interviews
    guide = build_real_guide(services, find_segment(services, "1"))
    [probe] = guide.probes
    assert probe.hypothesis == "Refunds for returned items take weeks"
    assert not question_problems(probe.text)
    spoken = " ".join([guide.opening, *(q.text for q in [*guide.questions, *guide.probes])])
    assert "Ava" not in spoken and "Stone" not in spoken, "no persona name reaches a participant"
    kit = render_kit_markdown(build_screener(find_segment(services, "1")), guide)
    assert "## Interview guide" in kit and "### Topics to probe" in kit

    notes = tmp_path / "p3.md"
    notes.write_text(NOTES)
    add_notes(services, notes, find_segment(services, "1"))
    colours = tmp_path / "p7.txt"
    colours.write_text(CONFIRMING)
    add_notes(services, colours, find_segment(services, "4"))
    services.use_model(ScriptedChatModel(replies=[json.dumps(draft)]))
    after = compile_brief(services)
    refunds = after.key_findings[0]
    assert refunds.tier == "contradicted by real interviews"
    assert "two days" in refunds.real[0].text and refunds.real[0].file == "p3.md"
    assert after.needs[0].tier == "confirmed by real interviews"
    assert any("contradicted by real interviews" in h for h in after.hypotheses)
    markdown = render_markdown(after)
    assert markdown.index("## What real interviews said") < markdown.index("## Key findings")
    assert "anna.berg" not in markdown and "7946" not in markdown
    assert "What real interviews said" in render_html(after)
