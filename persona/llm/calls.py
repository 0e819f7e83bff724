"""Calling chat models: the reply text, whole or streamed, with provider errors translated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.runnables import Runnable

from persona.errors import ProviderUnavailable
from persona.llm.capabilities import capabilities
from persona.llm.errors import provider_errors

__all__ = ["invoke_text", "stream_text"]


def invoke_text(model: BaseChatModel | Runnable[Any, Any], messages: LanguageModelInput) -> str:
    """Send ``messages`` and return the reply text, with provider errors translated.

    ``model`` may be bound (``model.bind(max_tokens=…)``): the call options go with it.
    """
    with provider_errors(model):
        reply = model.invoke(messages)
    return str(reply.text)


def stream_text(
    model: BaseChatModel | Runnable[Any, Any], messages: LanguageModelInput
) -> Iterator[str]:
    """Yield the reply text piece by piece, with provider errors translated.

    Models that report why they stopped (``capabilities(model).reports_finish``:
    llama.cpp, OpenAI-compatible servers) end every complete stream with a
    finish reason. A stream that ends without one was cut off (a dropped
    connection), and raises :class:`ProviderUnavailable` so half an answer never
    passes for a whole one.
    """
    finished = False
    with provider_errors(model):
        for chunk in model.stream(messages):
            if chunk.response_metadata.get("finish_reason"):
                finished = True
            text = chunk.text
            if text:
                yield str(text)
    if not finished and capabilities(model).reports_finish:
        raise ProviderUnavailable(
            "The model's answer stopped before it was complete (the stream ended without "
            "a finish reason).",
            hint="Ask again; if it keeps happening, check the server and the network.",
        )
