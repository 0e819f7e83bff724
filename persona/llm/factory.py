"""One factory: the chat model ``settings.resolved_provider`` names.

* ``"openai"`` — ``ChatOpenAI`` against any OpenAI-compatible endpoint
  (OpenAI, Azure-compatible gateways, Ollama, vLLM, LM Studio, ``llama_cpp.server``);
* ``"llamacpp"`` — :class:`~persona.llm.llamacpp.LlamaCppChatModel`, in-process;
* ``"fake"`` — :class:`~persona.llm.fake.ScriptedChatModel`, canned replies.

This is the only place that reads the provider setting: everything downstream
asks the model object (:func:`persona.llm.capabilities`).
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel

from persona.config import Settings
from persona.llm.capabilities import is_openai_host
from persona.llm.fake import FAKE_REPLY, ScriptedChatModel
from persona.llm.llamacpp import make_llamacpp

__all__ = ["make_chat_model"]


def make_chat_model(settings: Settings, *, fake_replies: list[str] | None = None) -> BaseChatModel:
    """Return the chat model for ``settings.resolved_provider``.

    ``fake_replies`` scripts the fake provider (replies in order, then an error);
    without it the fake answers every call with a fixed placeholder. It is ignored
    for the other providers. The embedded model is loaded on its first call, once
    per process. Raises :class:`ProviderUnavailable` when the embedded model's
    package or file is missing.
    """
    provider = settings.resolved_provider
    if provider == "fake":
        if fake_replies is None:
            return ScriptedChatModel(default_reply=FAKE_REPLY)
        return ScriptedChatModel(replies=list(fake_replies))
    if provider == "openai":
        return _make_openai(settings)
    return make_llamacpp(settings)


def _make_openai(settings: Settings) -> BaseChatModel:
    # langchain-openai (and openai, httpx under it) load only when a remote model is used.
    from langchain_openai import ChatOpenAI

    extra: dict[str, Any] = {}
    if settings.llm_base_url and not is_openai_host(settings.llm_base_url):
        # langchain-openai sends only `max_completion_tokens`; llama_cpp.server
        # ignores it and generates until its context is full. OpenAI's own hosts
        # refuse `max_tokens` for reasoning models, so they get only the new name.
        extra["extra_body"] = {"max_tokens": settings.llm_max_tokens}
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key or "not-needed",  # type: ignore[arg-type]
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]
        # Chat Completions is what every OpenAI-compatible server speaks.
        use_responses_api=False,
        **extra,
    )
