"""generate_structured with the scripted fake: parsing, validation, the re-ask loop."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from persona.errors import GenerationError
from persona.llm import ScriptedChatModel
from persona.structured import generate_structured, parse_json_reply


class Person(BaseModel):
    name: str = Field(min_length=1)
    age: int = Field(ge=18, le=99)
    hobbies: list[str] = Field(default_factory=list, max_length=3)


PROMPT = [SystemMessage("Reply with JSON."), HumanMessage("Describe a person.")]
VALID = json.dumps({"name": "Ada", "age": 36, "hobbies": ["chess"]})


def test_valid_first_reply_needs_no_reask() -> None:
    model = ScriptedChatModel(replies=[VALID])
    result = generate_structured(model, PROMPT, Person, retries=2)
    assert result.value == Person(name="Ada", age=36, hobbies=["chess"])
    assert result.reasks == 0
    assert result.method == "json_text"
    assert result.attempts == [{"attempt": 1, "method": "json_text", "raw": VALID, "errors": []}]
    assert model.calls == [PROMPT]


def test_invalid_then_valid_reply_is_one_reask() -> None:
    invalid = json.dumps({"name": "Ada", "age": 150, "hobbies": ["a", "b", "c", "d"]})
    model = ScriptedChatModel(replies=[invalid, VALID])
    result = generate_structured(model, PROMPT, Person, retries=2)
    assert result.value.age == 36
    assert result.reasks == 1
    first = result.attempts[0]
    assert first["raw"] == invalid
    assert any(error.startswith("age:") for error in first["errors"])
    assert any(error.startswith("hobbies:") for error in first["errors"])

    # The re-ask shows the model its reply and the problems, after the original prompt.
    second_call = model.calls[1]
    assert second_call[: len(PROMPT)] == PROMPT
    assert second_call[-2] == AIMessage(content=invalid)
    assert isinstance(second_call[-1], HumanMessage)
    assert "age" in str(second_call[-1].content)
    assert "150" in str(second_call[-1].content)


def test_failure_raises_generation_error_with_every_attempt() -> None:
    replies = ["I'd love to describe a person!", '{"name": "Bo"}', '{"name": "", "age": 5}']
    model = ScriptedChatModel(replies=replies)
    with pytest.raises(GenerationError) as caught:
        generate_structured(model, PROMPT, Person, retries=2)
    error = caught.value
    assert [attempt["raw"] for attempt in error.attempts] == replies
    assert error.last_output == replies[-1]
    assert all(attempt["errors"] for attempt in error.attempts)
    assert "not valid JSON" in error.attempts[0]["errors"][0]
    assert "Person" in str(error)
    assert len(model.calls) == 3


def test_retries_bound_the_number_of_calls() -> None:
    model = ScriptedChatModel(replies=["nope"] * 5)
    with pytest.raises(GenerationError) as caught:
        generate_structured(model, PROMPT, Person, retries=0)
    assert len(caught.value.attempts) == 1
    assert model.remaining == 4


def test_extra_validator_problems_trigger_a_reask() -> None:
    invented = json.dumps({"name": "Ada", "age": 41})
    model = ScriptedChatModel(replies=[invented, VALID])

    def only_known_ages(person: Person) -> list[str]:
        return [] if person.age == 36 else [f"age {person.age} is not in the facts"]

    result = generate_structured(model, PROMPT, Person, retries=1, validate=only_known_ages)
    assert result.value.age == 36
    assert result.attempts[0]["errors"] == ["age 41 is not in the facts"]
    assert "age 41 is not in the facts" in str(model.calls[1][-1].content)


def test_fenced_json_is_accepted_but_prose_around_json_is_not() -> None:
    fenced = f"```json\n{VALID}\n```"
    chatty = f"Sure! Here it is: {VALID}"
    model = ScriptedChatModel(replies=[chatty, fenced])
    result = generate_structured(model, "Describe a person.", Person, retries=1)
    assert result.reasks == 1
    assert result.attempts[-1]["raw"] == fenced
    assert model.calls[0] == [HumanMessage("Describe a person.")]


def test_parse_json_reply() -> None:
    assert parse_json_reply(' {"a": 1} ') == {"a": 1}
    assert parse_json_reply('```\n{"a": 1}\n```') == {"a": 1}
    with pytest.raises(json.JSONDecodeError):
        parse_json_reply("```json {} ```x")


def test_negative_retries_are_rejected() -> None:
    with pytest.raises(ValueError, match="retries"):
        generate_structured(ScriptedChatModel(), PROMPT, Person, retries=-1)
