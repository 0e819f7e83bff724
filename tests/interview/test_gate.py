"""The quality gate on interview answers: a weak model's failed answer is answered from evidence."""

from __future__ import annotations

from persona.interview import ask, start_interview
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
