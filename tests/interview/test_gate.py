"""The quality gate on interview answers: a weak model's failed answer is answered from evidence."""

from __future__ import annotations

import pytest

from persona.interview import ask, session, start_interview
from persona.interview.fallback import MIN_ANSWER_RELEVANCE, relevance
from persona.knowledge.embed import HashEmbeddingFunction
from persona.llm import ScriptedChatModel
from persona.services import Services


def test_a_weak_models_gibberish_is_reasked_then_answered_from_evidence(
    services: Services, maya_id: int
) -> None:
    model = ScriptedChatModel(
        replies=["Mkoopkezek zpape minkgere mpego.", "high mpego zpape"], capable=False
    )
    services.use_model(model)
    interview_id = start_interview(services, maya_id)
    answer = ask(services, interview_id, "What bothers you about refunds for jackets?")
    assert len(model.calls) == 2  # re-asked once, with the reason
    assert "could not be shown (non_words" in str(model.calls[1][-1].content)
    assert "mpego" not in answer.content.lower()
    assert answer.content.startswith("From what the company knows about customers like me:")
    assert "Refunds for returned jackets take weeks [doc: faq.txt]" in answer.content
    [flag] = [f for f in answer.flags if f.kind == "gate"]
    assert "answered from its evidence" in flag.message and "mkoopkezek" in flag.text.lower()


def test_a_weak_models_second_answer_is_kept_when_it_passes(
    services: Services, maya_id: int
) -> None:
    model = ScriptedChatModel(
        replies=["N/A", "Refunds take too long, so I wait for the email offers."], capable=False
    )
    services.use_model(model)
    interview_id = start_interview(services, maya_id)
    answer = ask(services, interview_id, "What bothers you about refunds?")
    assert answer.content == "Refunds take too long, so I wait for the email offers."
    assert all(f.kind != "gate" for f in answer.flags)


def test_a_plain_answer_passes_without_a_reask(services: Services, maya_id: int) -> None:
    model = ScriptedChatModel(
        replies=["I wait for offers by email before I buy a jacket."], capable=False
    )
    services.use_model(model)
    interview_id = start_interview(services, maya_id)
    answer = ask(services, interview_id, "How do you buy?")
    assert len(model.calls) == 1 and answer.flags == ()


def test_an_answer_that_does_not_address_the_question_is_answered_from_evidence(
    services: Services, maya_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fast tests embed lexically (no MiniLM), where the check is off: switched on
    # here; no word in common with the question is off-topic even lexically.
    monkeypatch.setattr(session, "judges_relevance", lambda _settings: True)
    # Plain words, so only the relevance check can catch it.
    off_topic = "My favourite colour is blue and I like cats."
    model = ScriptedChatModel(replies=[off_topic, off_topic], capable=False)
    services.use_model(model)
    interview_id = start_interview(services, maya_id)
    answer = ask(services, interview_id, "What bothers you about refunds for jackets?")
    assert len(model.calls) == 2
    assert "does not address the question" in str(model.calls[1][-1].content)
    assert "cats" not in answer.content
    assert answer.content.startswith("From what the company knows about customers like me:")
    [flag] = [f for f in answer.flags if f.kind == "gate"]
    assert "does not address the question" in flag.message and flag.text == off_topic


def test_relevance_is_measured_against_the_question_and_the_evidence() -> None:
    embed = HashEmbeddingFunction()
    evidence = ["Refunds for returned jackets take weeks.", "They buy when offers arrive by email."]
    close = relevance("What bothers you about refunds?", "Refunds take weeks.", evidence, embed)
    assert close.problem() is None
    far = relevance("What bothers you about refunds?", "Blue cats sing opera.", evidence, embed)
    assert far.question < MIN_ANSWER_RELEVANCE and "does not address" in (far.problem() or "")
    ungrounded = relevance("What bothers you about refunds?", "Refunds bother me.", [], embed)
    assert ungrounded.evidence == 0.0 and "none of the persona's evidence" in (
        ungrounded.problem() or ""
    )
