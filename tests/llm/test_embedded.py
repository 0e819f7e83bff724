"""The embedded SmolLM2 model through LlamaCppChatModel: chat, streaming, structured output."""

from __future__ import annotations

import asyncio
import threading

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from persona.config import Settings
from persona.errors import GenerationError
from persona.llm import LlamaCppChatModel, invoke_text, make_chat_model, stream_text
from persona.structured import generate_structured

pytestmark = [pytest.mark.llm, pytest.mark.slow]


class Person(BaseModel):
    """A fictional person."""

    name: str = Field(min_length=1, max_length=40)
    age: int = Field(ge=18, le=99)
    hobbies: list[str] = Field(max_length=3)


PERSON_PROMPT = [
    SystemMessage("You describe fictional people as JSON objects."),
    HumanMessage(
        "Invent one person: their first name, their age in years (18 to 99) and at most "
        "three hobbies."
    ),
]


def test_embedded_model_answers_a_chat(local_model: BaseChatModel) -> None:
    assert isinstance(local_model, LlamaCppChatModel)
    reply = invoke_text(
        local_model,
        [SystemMessage("You are Maya, a nurse."), HumanMessage("Say hello in one sentence.")],
    )
    assert reply.strip()


def test_embedded_model_reports_usage_and_honours_max_tokens(local_model: BaseChatModel) -> None:
    reply = local_model.invoke("Tell me a long story about the sea.", max_tokens=8)
    assert isinstance(reply, AIMessage)
    assert reply.usage_metadata is not None
    assert 0 < reply.usage_metadata["output_tokens"] <= 8
    assert reply.response_metadata["finish_reason"] == "length"


def test_embedded_model_streams_in_pieces(local_model: BaseChatModel) -> None:
    pieces = list(stream_text(local_model, "Name three fruits."))
    assert len(pieces) >= 2
    assert "".join(pieces).strip()


def test_embedded_structured_output_validates(local_model: BaseChatModel) -> None:
    result = generate_structured(local_model, PERSON_PROMPT, Person, retries=2)
    assert isinstance(result.value, Person)
    assert 18 <= result.value.age <= 99
    assert len(result.value.hobbies) <= 3
    assert result.method == "llamacpp_json_schema"
    assert result.attempts[-1]["errors"] == []


def test_loaded_model_is_shared_between_factories(local_settings: Settings) -> None:
    first = make_chat_model(local_settings)
    second = make_chat_model(local_settings)
    assert isinstance(first, LlamaCppChatModel)
    assert isinstance(second, LlamaCppChatModel)
    assert first is not second
    assert first.client is second.client


def test_concurrent_calls_share_one_model_safely(local_model: BaseChatModel) -> None:
    # llama.cpp contexts are not thread-safe: the model serialises calls (a UI
    # with several users, or an async runner's thread pool, does this).
    replies: list[str] = []

    def ask(question: str) -> None:
        replies.append(invoke_text(local_model, question))

    threads = [threading.Thread(target=ask, args=(q,)) for q in ("Say hi.", "Say bye.")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(replies) == 2
    assert all(reply.strip() for reply in replies)


def test_async_invoke_and_stream(local_model: BaseChatModel) -> None:
    async def run() -> tuple[str, list[str]]:
        reply = await local_model.ainvoke("Say hello.")
        pieces = [str(chunk.text) async for chunk in local_model.astream("Name two colours.")]
        return str(reply.text), pieces

    text, pieces = asyncio.run(run())
    assert text.strip()
    assert len([piece for piece in pieces if piece]) >= 2


def test_reply_cut_off_by_the_token_limit_says_so(local_model: BaseChatModel) -> None:
    assert isinstance(local_model, LlamaCppChatModel)
    tiny = local_model.model_copy(update={"max_tokens": 4})
    with pytest.raises(GenerationError) as caught:
        generate_structured(tiny, PERSON_PROMPT, Person, retries=0)
    errors = caught.value.attempts[0]["errors"]
    assert any("PERSONA_LLM_MAX_TOKENS" in error for error in errors)
