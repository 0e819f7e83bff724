"""The OpenAI code path (ChatOpenAI) against a real llama_cpp.server on loopback."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from persona.config import Settings
from persona.errors import ProviderUnavailable
from persona.llm import invoke_text, make_chat_model, stream_text
from persona.structured import generate_structured

pytestmark = [pytest.mark.llm, pytest.mark.slow]


class Person(BaseModel):
    """A fictional person."""

    name: str = Field(min_length=1, max_length=40)
    age: int = Field(ge=18, le=99)
    hobbies: list[str] = Field(max_length=3)


def test_server_answers_through_chat_openai(server_settings: Settings) -> None:
    model = make_chat_model(server_settings)
    assert type(model).__name__ == "ChatOpenAI"
    reply = invoke_text(model, [SystemMessage("Be brief."), HumanMessage("Say hello.")])
    assert reply.strip()


def test_max_tokens_reaches_a_server_that_ignores_max_completion_tokens(
    server_settings: Settings,
) -> None:
    model = make_chat_model(server_settings.with_(llm_max_tokens=16))
    reply = model.invoke("Write a very long story about a lighthouse keeper.")
    assert isinstance(reply, AIMessage)
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["output_tokens"] <= 16


def test_server_streams_through_chat_openai(server_settings: Settings) -> None:
    model = make_chat_model(server_settings)
    pieces = list(stream_text(model, "Name three fruits."))
    assert len(pieces) >= 2
    assert "".join(pieces).strip()


def test_structured_output_falls_back_to_function_calling(server_settings: Settings) -> None:
    model = make_chat_model(server_settings)
    prompt = [
        SystemMessage("You describe fictional people."),
        HumanMessage("Invent one person: first name, age (18 to 99), up to three hobbies."),
    ]
    result = generate_structured(model, prompt, Person, retries=2)
    assert isinstance(result.value, Person)
    assert result.method == "function_calling"

    # The rejection of json_schema is remembered for this base URL: no second probe.
    again = generate_structured(model, prompt, Person, retries=2)
    assert again.attempts[0]["method"] == "function_calling"


def test_wrong_api_key_is_reported_with_the_setting_to_fix(server_settings: Settings) -> None:
    model = make_chat_model(server_settings.with_(llm_api_key="wrong"))
    with pytest.raises(ProviderUnavailable) as caught:
        invoke_text(model, "Hello?")
    assert "401" in str(caught.value)
    assert "PERSONA_LLM_API_KEY" in str(caught.value)
    assert server_settings.llm_base_url is not None
    assert server_settings.llm_base_url in str(caught.value)
