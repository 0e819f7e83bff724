"""One translator from provider failures to :mod:`persona.errors`, for chat and embeddings.

openai, httpx (through the openai client and LangChain) and llama.cpp fail with
their own exceptions; :func:`translate_error` maps them to
:class:`~persona.errors.ProviderUnavailable`, :class:`~persona.errors.ProviderTimeout`
or :class:`~persona.errors.ProviderError`, with a message naming the endpoint
and a hint naming the ``PERSONA_*`` setting to check. :func:`provider_errors`
applies it to a block of chat-model calls; the embeddings call it directly.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from persona.errors import ProviderError, ProviderTimeout, ProviderUnavailable
from persona.llm.capabilities import OPENAI_DEFAULT_URL, unwrap
from persona.text import clip

__all__ = ["Endpoint", "endpoint_of", "llama_request_error", "provider_errors", "translate_error"]


@dataclass(frozen=True)
class Endpoint:
    """What an error message says about where a request went.

    ``noun`` names the service ("LLM endpoint", "embeddings endpoint");
    ``model_setting`` the variable that chooses its model.
    """

    url: str
    model: str = "?"
    timeout: float | None = None
    noun: str = "LLM endpoint"
    model_setting: str = "PERSONA_LLM_MODEL"

    @property
    def where(self) -> str:
        """``the LLM endpoint http://…``."""
        return f"the {self.noun} {self.url}"


def endpoint_of(model: object) -> Endpoint:
    """The endpoint a chat model talks to (``ChatOpenAI``'s base URL; OpenAI's otherwise)."""
    model = unwrap(model)
    timeout = getattr(model, "request_timeout", None)
    return Endpoint(
        url=getattr(model, "openai_api_base", None) or OPENAI_DEFAULT_URL,
        model=getattr(model, "model_name", None) or "?",
        timeout=float(timeout) if isinstance(timeout, int | float) else None,
    )


@contextmanager
def provider_errors(model: object) -> Iterator[None]:
    """Translate transport errors raised inside the block into :class:`ProviderError` s.

    Connection failures, HTTP 401/403/404/429/5xx become :class:`ProviderUnavailable`,
    timeouts :class:`ProviderTimeout`; each message names the endpoint and the
    ``PERSONA_*`` setting to check. Other exceptions pass through unchanged.
    """
    try:
        yield
    except ProviderError:
        raise
    except Exception as exc:
        mapped = translate_error(exc, endpoint_of(model))
        if mapped is None:
            raise
        raise mapped from exc


# Checked in order (a timeout is also a connection error to openai): the LangChain
# type, the openai type of the same failure, what it becomes, its message, its hint.
# Messages are formatted with subject, name, url, status, detail, limit and setting.
_RULES: tuple[tuple[type[Exception], str, type[ProviderError], str, str], ...] = (
    (ModelTimeoutError, "APITimeoutError", ProviderTimeout,
     "{subject} did not answer{limit}.",
     "Check that the server is up and not overloaded, or raise PERSONA_LLM_TIMEOUT."),
    (ModelConnectionError, "APIConnectionError", ProviderUnavailable,
     "{subject} cannot be reached ({detail}).",
     "Start the server, or fix PERSONA_LLM_BASE_URL (host, port, /v1 path)."),
    (ModelAuthenticationError, "AuthenticationError", ProviderUnavailable,
     "{subject} refused the API key (HTTP 401).",
     "Check PERSONA_LLM_API_KEY (or OPENAI_API_KEY) for this endpoint."),
    (ModelPermissionDeniedError, "PermissionDeniedError", ProviderUnavailable,
     "{subject} denied access to model {name!r} (HTTP 403).",
     "Check PERSONA_LLM_API_KEY's permissions or choose another {setting}."),
    (ModelNotFoundError, "NotFoundError", ProviderUnavailable,
     "{subject} has no model {name!r}, or the URL path is wrong (HTTP 404: {detail}).",
     "Check {setting}, and that PERSONA_LLM_BASE_URL ends with the API root (usually /v1)."),
    (ModelRateLimitError, "RateLimitError", ProviderUnavailable,
     "{subject} is rate-limiting requests (HTTP 429: {detail}).",
     "Wait and retry, lower PERSONA_LLM_CONCURRENCY, or raise PERSONA_LLM_MAX_RETRIES."),
    (ContextOverflowError, "", ProviderError,
     "The prompt is longer than model {name!r} at {url} accepts ({detail}).",
     "Shorten the input, or choose a model with a larger context ({setting})."),
    (ModelInvalidRequestError, "BadRequestError", ProviderError,
     "{subject} rejected the request (HTTP {status}: {detail}).",
     "Check that {setting} is a model this server serves for this kind of request."),
    (ModelAPIError, "APIStatusError", ProviderUnavailable,
     "{subject} failed (HTTP {status}: {detail}).",
     "Check the server's log; transient failures are retried PERSONA_LLM_MAX_RETRIES times."),
)  # fmt: skip


def translate_error(exc: BaseException, endpoint: Endpoint) -> ProviderError | None:
    """The :class:`ProviderError` for ``exc`` raised while calling ``endpoint``, or ``None``.

    ``None`` means ``exc`` is not a provider failure and should propagate as it is.
    """
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, json.JSONDecodeError):
        return ProviderUnavailable(
            f"The {endpoint.noun} answered with something that is not JSON "
            "(a proxy or gateway error page?).",
            hint="Check PERSONA_LLM_BASE_URL points at the OpenAI-compatible /v1 path.",
        )
    openai = sys.modules.get("openai")
    for lc_type, openai_name, error_type, message, hint in _RULES:
        openai_type = getattr(openai, openai_name, None) if openai and openai_name else None
        matches = isinstance(exc, lc_type) or (
            isinstance(openai_type, type) and isinstance(exc, openai_type)
        )
        if error_type is ProviderTimeout:
            matches = matches or isinstance(exc, TimeoutError)
        if matches:
            facts = _facts(
                exc, endpoint, default_status="400" if error_type is ProviderError else "5xx"
            )
            return error_type(message.format(**facts), hint=hint.format(**facts))
    return None


def _facts(exc: BaseException, endpoint: Endpoint, *, default_status: str) -> dict[str, str]:
    where = endpoint.where
    text = str(getattr(exc, "message", None) or exc or type(exc).__name__)
    return {
        "subject": where[0].upper() + where[1:],
        "name": endpoint.model,
        "url": endpoint.url,
        "status": str(getattr(exc, "status_code", None) or default_status),
        "detail": clip(text, 300),
        "limit": f" within {endpoint.timeout:g} s" if endpoint.timeout is not None else "",
        "setting": endpoint.model_setting,
    }


def llama_request_error(exc: ValueError) -> ProviderError:
    """The error for a request the in-process llama.cpp model refused (prompt past n_ctx)."""
    return ProviderError(
        f"The embedded model rejected the request: {exc}",
        hint="Shorten the input or raise PERSONA_LLM_CONTEXT.",
    )
