"""Structured output: ask, parse into a pydantic model, validate, re-ask, or fail loudly.

:func:`generate_structured` is the one way Persona Studio gets data (not prose)
from a chat model. How the model is steered is the model's own answer,
``capabilities(model).structured_output``:

* ``llamacpp_json_schema`` (the embedded model) — decoding constrained to the
  JSON schema (llama-cpp-python's ``{"type": "json_object", "schema": ...}``);
* ``json_schema`` (``ChatOpenAI``) — ``with_structured_output(method="json_schema")``;
  servers that reject it (``llama_cpp.server`` answers HTTP 500) get
  ``function_calling`` instead, remembered per base URL for the rest of the process;
* ``function_calling`` — one forced tool call from the start;
* ``json_text`` (the scripted fake, unknown models) — the reply text is read as JSON.

Whatever the method, the reply is ``json.loads``-ed (a surrounding Markdown code
fence is tolerated) and validated with pydantic here, plus an optional domain
check. A reply that fails is sent back with the problems listed, at most
``retries`` times; then :class:`~persona.errors.GenerationError` carries every
attempt and the last output.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from langchain_core.exceptions import ContextOverflowError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    MessageLikeRepresentation,
    convert_to_messages,
)
from pydantic import BaseModel, ValidationError

from persona.errors import GenerationError
from persona.llm.capabilities import (
    METHOD_FUNCTION_CALLING,
    METHOD_JSON_SCHEMA,
    METHOD_LLAMACPP,
    METHOD_TEXT,
    OPENAI_DEFAULT_URL,
    StructuredMethod,
    capabilities,
)
from persona.llm.errors import provider_errors
from persona.text import clip

__all__ = ["StructuredResult", "generate_structured", "parse_json_reply", "reset_method_memory"]

T = TypeVar("T", bound=BaseModel)

# Status codes with which OpenAI-compatible servers refuse `response_format=json_schema`.
_UNSUPPORTED_STATUS = frozenset({400, 422, 500, 501})

_openai_methods: dict[str, StructuredMethod] = {}
_openai_methods_lock = threading.Lock()


@dataclass(frozen=True)
class StructuredResult(Generic[T]):
    """A validated value and how it was obtained.

    ``attempts`` has one dict per model call, in order: ``attempt`` (1-based),
    ``method``, ``raw`` (the text the model returned) and ``errors`` (empty for
    the accepted one).
    """

    value: T
    attempts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reasks(self) -> int:
        """How many times the model was asked again after an invalid reply."""
        return max(len(self.attempts) - 1, 0)

    @property
    def method(self) -> str:
        """How the accepted reply was requested (e.g. ``function_calling``)."""
        return str(self.attempts[-1]["method"]) if self.attempts else ""


def generate_structured(
    model: BaseChatModel,
    messages: str | Sequence[MessageLikeRepresentation],
    schema: type[T],
    *,
    retries: int,
    validate: Callable[[T], list[str]] | None = None,
) -> StructuredResult[T]:
    """Get an instance of ``schema`` from ``model``, re-asking up to ``retries`` times.

    ``validate`` may return extra problems with an otherwise valid value (say, a
    number that is not in the facts); they are treated like schema errors.
    Raises :class:`~persona.errors.GenerationError` (with ``attempts`` and
    ``last_output``) when no reply validates, and
    :class:`~persona.errors.ProviderError` subclasses for transport failures,
    which are not re-asked.
    """
    if retries < 0:
        raise ValueError("retries must be >= 0")
    prompt = convert_to_messages([("human", messages)] if isinstance(messages, str) else messages)
    json_schema = schema.model_json_schema()
    attempts: list[dict[str, Any]] = []
    conversation: list[BaseMessage] = list(prompt)
    raw = ""
    for attempt in range(1, retries + 2):
        method, raw, truncated = _ask(model, conversation, json_schema)
        value, errors = _check(raw, schema, validate)
        if errors and truncated:
            errors.append(
                "The reply was cut off by the token limit (PERSONA_LLM_MAX_TOKENS); "
                "give a shorter answer."
            )
        attempts.append({"attempt": attempt, "method": method, "raw": raw, "errors": errors})
        if value is not None and not errors:
            return StructuredResult(value=value, attempts=attempts)
        # Only the latest failed reply is shown again: the prompt stays bounded,
        # which matters for a 4k-token local model.
        conversation = [*prompt, AIMessage(content=raw), HumanMessage(content=_reask(errors))]
    last_errors = attempts[-1]["errors"]
    raise GenerationError(
        f"The model's reply did not validate as {schema.__name__} after {len(attempts)} "
        f"attempt(s): {'; '.join(last_errors[:3])}",
        attempts=attempts,
        last_output=raw,
    )


def parse_json_reply(raw: str) -> Any:
    """``json.loads`` a model reply, tolerating one surrounding Markdown code fence."""
    text = raw.strip()
    if text.startswith("```") and text.endswith("```") and "\n" in text:
        text = text[text.index("\n") + 1 : -3].strip()
    return json.loads(text)


def reset_method_memory() -> None:
    """Forget which structured-output method each OpenAI-compatible endpoint accepted."""
    with _openai_methods_lock:
        _openai_methods.clear()


def _check(
    raw: str, schema: type[T], validate: Callable[[T], list[str]] | None
) -> tuple[T | None, list[str]]:
    try:
        data = parse_json_reply(raw)
    except json.JSONDecodeError as exc:
        return None, [
            f"The reply is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "reply with one JSON object and nothing else."
        ]
    try:
        value = schema.model_validate(data)
    except ValidationError as exc:
        return None, [_describe(error) for error in exc.errors(include_url=False)]
    problems = list(validate(value)) if validate is not None else []
    return value, problems


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or "(the whole object)"
    given = clip(json.dumps(error.get("input"), default=str, ensure_ascii=False), 80, words=False)
    return f"{where}: {error.get('msg', 'invalid')} (got {given})"


def _reask(errors: list[str]) -> str:
    listed = "\n".join(f"- {error}" for error in errors)
    return (
        "Your previous reply could not be accepted:\n"
        f"{listed}\n"
        "Reply again with only the corrected JSON object, with no other text."
    )


def _ask(
    model: BaseChatModel, messages: list[BaseMessage], json_schema: dict[str, Any]
) -> tuple[StructuredMethod, str, bool]:
    """Call the model the way its provider supports best.

    Returns the method, the raw reply text and whether the token limit cut it off.
    """
    method = capabilities(model).structured_output
    if method == METHOD_LLAMACPP:
        with provider_errors(model):
            reply = model.invoke(messages, json_schema=json_schema)
        return method, str(reply.text), _truncated(reply)
    if method in (METHOD_JSON_SCHEMA, METHOD_FUNCTION_CALLING):
        method, message = _ask_openai(model, messages, json_schema, method)
        text = _tool_arguments(message) if method == METHOD_FUNCTION_CALLING else message.text
        return method, str(text), _truncated(message)
    with provider_errors(model):
        reply = model.invoke(messages)
    return METHOD_TEXT, str(reply.text), _truncated(reply)


def _truncated(message: BaseMessage) -> bool:
    return message.response_metadata.get("finish_reason") == "length"


def _ask_openai(
    model: BaseChatModel,
    messages: list[BaseMessage],
    json_schema: dict[str, Any],
    preferred: StructuredMethod,
) -> tuple[StructuredMethod, AIMessage]:
    key = str(getattr(model, "openai_api_base", None) or OPENAI_DEFAULT_URL)
    with _openai_methods_lock:
        method = _openai_methods.get(key, preferred)
    if method == METHOD_JSON_SCHEMA:
        try:
            with provider_errors(model):
                reply = _structured_call(model, messages, json_schema, METHOD_JSON_SCHEMA)
        except Exception as exc:
            if not _rejects_json_schema(exc):
                raise
            method = METHOD_FUNCTION_CALLING
        else:
            with _openai_methods_lock:
                _openai_methods[key] = METHOD_JSON_SCHEMA
            return METHOD_JSON_SCHEMA, reply
        with _openai_methods_lock:
            _openai_methods[key] = METHOD_FUNCTION_CALLING
    with provider_errors(model):
        return method, _structured_call(model, messages, json_schema, method)


def _rejects_json_schema(exc: BaseException) -> bool:
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if isinstance(cause, ContextOverflowError):
        return False
    return getattr(cause, "status_code", None) in _UNSUPPORTED_STATUS


def _structured_call(
    model: BaseChatModel,
    messages: list[BaseMessage],
    json_schema: dict[str, Any],
    method: StructuredMethod,
) -> AIMessage:
    # include_raw keeps LangChain from parsing for us; we validate the raw reply ourselves.
    runnable = model.with_structured_output(json_schema, method=method, include_raw=True)
    result = runnable.invoke(messages)
    reply = result.get("raw") if isinstance(result, dict) else result
    if isinstance(reply, AIMessage):
        return reply
    return AIMessage(content=str(reply))


def _tool_arguments(reply: AIMessage) -> str:
    """The arguments string of the first tool call, exactly as the server sent it."""
    extra = reply.additional_kwargs
    for call in extra.get("tool_calls") or []:
        arguments = (call.get("function") or {}).get("arguments")
        if isinstance(arguments, str):
            return arguments
    function_call = extra.get("function_call") or {}
    if isinstance(function_call.get("arguments"), str):
        return str(function_call["arguments"])
    for invalid in reply.invalid_tool_calls:
        if isinstance(invalid.get("args"), str):
            return str(invalid["args"])
    if reply.tool_calls:
        return json.dumps(reply.tool_calls[0]["args"], ensure_ascii=False)
    return str(reply.text)
