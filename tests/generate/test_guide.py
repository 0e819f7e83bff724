"""Interview guides: open, neutral, one topic each, weakest evidence first, editable."""

from __future__ import annotations

import json

import pytest

from persona.errors import PersonaError
from persona.generate import generate_personas, regenerate_persona
from persona.guide import build_guide, get_guide, question_problems, save_guide
from persona.models import Persona
from persona.services import Services
from tests.generate.conftest import add_segments, profile, reply, script


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        ("Do you like our app?", "closed"),
        ("Is price important to you?", "closed"),
        ("How much do you love our jackets?", "leading"),
        ("Wouldn't you agree that delivery is slow?", "closed"),
        ("What do you buy, and why do you buy it?", "two topics"),
        ("What do you buy? Where?", "one question"),
        ("Price matters, right?", "start with"),
    ],
)
def test_bad_questions_are_named(question: str, problem: str) -> None:
    assert any(problem in p for p in question_problems(question))


def _persona(services: Services) -> tuple[int, Persona]:
    add_segments(services, [profile(0)])
    goal = {"text": "About twice the usual household size of most customers", "sources": ["S1"]}
    script(services, reply(goals=[goal]))
    [result] = generate_personas(services)
    assert result.persona is not None and result.persona_id is not None
    return result.persona_id, result.persona


def test_the_guide_covers_core_topics_and_probes_inferred_fields(services: Services) -> None:
    persona_id, persona = _persona(services)
    guide = build_guide(persona, persona_id)
    topics = [q.topic for q in guide.questions]
    for topic in ("goals", "pain_points", "channels"):
        assert topic in topics
    for question in guide.questions:
        assert question_problems(question.text) == [], question.text
    probes = [q for q in guide.questions if q.evidence == "inferred"]
    assert probes, "inferred fields must be probed"
    probed = {q.field for q in probes}
    assert "needs" in probed and "pain_points" in probed
    # Grounded items (the age from the data, the goal citing a fact) are not probed.
    assert "age" not in probed and "goals" not in probed
    assert len({q.text for q in guide.questions}) == len(guide.questions)


def test_guides_are_stored_editable_and_kept(services: Services) -> None:
    persona_id, _persona_value = _persona(services)
    guide = get_guide(services, persona_id)
    assert guide.edited is False and guide.phrased_by == "templates"
    row = services.store.query_one("SELECT * FROM guides WHERE persona_id = ?", (persona_id,))
    assert row is not None and json.loads(row["questions_json"])["version"] == 1

    edited = save_guide(
        services,
        persona_id,
        [guide.questions[0].text, "What would make you recommend us to a friend?"],
    )
    assert edited.edited and [q.topic for q in edited.questions] == ["background", "other"]
    with pytest.raises(PersonaError, match="Question 1"):
        save_guide(services, persona_id, ["Do you like us?"])
    # A new persona version leaves a hand-edited guide alone, unless refreshed.
    script(services, reply(occupation="Nurse"))
    regenerate_persona(services, persona_id)
    assert get_guide(services, persona_id).questions == edited.questions
    assert get_guide(services, persona_id, refresh=True).edited is False


def test_model_rephrasing_is_kept_only_when_it_passes_the_checks(services: Services) -> None:
    persona_id, persona = _persona(services)
    base = build_guide(persona, persona_id)
    rephrased = [q.text for q in base.questions]
    rephrased[0] = "Tell me about yourself and your usual week."
    rephrased[1] = "Do you want to save money?"  # closed: rejected
    rephrased[2] = "What would make 47 purchases worth it?"  # invented number: rejected
    script(services, json.dumps({"questions": rephrased}))
    guide = get_guide(services, persona_id, refresh=True, rephrase=True)
    assert guide.questions[0].text == "Tell me about yourself and your usual week."
    assert guide.questions[1].text == base.questions[1].text
    assert guide.questions[2].text == base.questions[2].text
    assert guide.phrased_by == "persona-scripted"
