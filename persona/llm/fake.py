"""The scripted fake: queued replies, every prompt recorded (tests, demos, ``--fake``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr

from persona.errors import ProviderError
from persona.llm.capabilities import METHOD_TEXT, ModelCapabilities

__all__ = ["FAKE_REPLY", "ScriptedChatModel"]

FAKE_REPLY = "This is a scripted reply from the fake model (PERSONA_LLM_PROVIDER=fake)."


class ScriptedChatModel(BaseChatModel):
    """A fake chat model for tests and ``--fake``: queued replies, every prompt recorded.

    Each call takes the next string from ``replies``; when they run out it answers
    ``default_reply``, or raises :class:`ProviderError` if that is ``None``. Every
    call's messages are appended to ``calls`` (and its options to ``call_options``)
    so tests can inspect exactly what a model would have been sent. Streams word
    by word.

    Its :attr:`capabilities` are set by fields, so a test can stand in for any
    real model: ``capable=False`` for the tiny embedded one, ``parallel=True``
    for a remote endpoint (replies are then taken in whatever order calls come).
    """

    replies: list[str] = Field(default_factory=list)
    default_reply: str | None = None
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    call_options: list[dict[str, Any]] = Field(default_factory=list)
    capable: bool = True
    parallel: bool = False
    context_tokens: int | None = None
    _cursor: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "persona-scripted"

    @property
    def capabilities(self) -> ModelCapabilities:
        """The reply text is read as JSON; the fields above set the rest."""
        return ModelCapabilities(
            structured_output=METHOD_TEXT,
            parallel=self.parallel,
            capable=self.capable,
            context_tokens=self.context_tokens,
        )

    @property
    def remaining(self) -> int:
        """How many scripted replies have not been used yet."""
        return len(self.replies) - self._cursor

    def _next_reply(self, messages: list[BaseMessage], options: dict[str, Any]) -> str:
        with self._lock:
            self.calls.append(list(messages))
            self.call_options.append(options)
            if self._cursor < len(self.replies):
                self._cursor += 1
                return self.replies[self._cursor - 1]
            if self.default_reply is not None:
                return self.default_reply
            raise ProviderError(
                f"The scripted model has no reply left for call {len(self.calls)} "
                f"({len(self.replies)} scripted).",
                hint="Script more replies (fake_replies) for this run.",
            )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._next_reply(messages, {"stop": stop, **kwargs})
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._next_reply(messages, {"stop": stop, **kwargs})
        for token in _words(reply):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager is not None:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk


def _words(text: str) -> list[str]:
    """Split into words that keep their trailing whitespace; ``"".join`` restores ``text``."""
    tokens: list[str] = []
    current = ""
    for char in text:
        if current and not char.isspace() and current[-1].isspace():
            tokens.append(current)
            current = ""
        current += char
    if current:
        tokens.append(current)
    return tokens
