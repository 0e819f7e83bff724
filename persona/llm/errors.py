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
    where = endpoint.where
    subject = where[0].upper() + where[1:]
    name = endpoint.model
    status = getattr(exc, "status_code", None)
    detail = clip(" ".join(str(getattr(exc, "message", None) or exc or type(exc).__name__).split()),
                  300)  # fmt: skip
    openai = sys.modules.get("openai")

    def _is(lc_type: type[Exception], openai_name: str) -> bool:
        openai_type = getattr(openai, openai_name, None) if openai else None
        return isinstance(exc, lc_type) or (
            isinstance(openai_type, type) and isinstance(exc, openai_type)
        )

    if _is(ModelTimeoutError, "APITimeoutError") or isinstance(exc, TimeoutError):
        limit = f" within {endpoint.timeout:g} s" if endpoint.timeout is not None else ""
        return ProviderTimeout(
            f"{subject} did not answer{limit}.",
            hint="Check that the server is up and not overloaded, or raise PERSONA_LLM_TIMEOUT.",
        )
    if _is(ModelConnectionError, "APIConnectionError"):
        return ProviderUnavailable(
            f"{subject} cannot be reached ({detail}).",
            hint="Start the server, or fix PERSONA_LLM_BASE_URL (host, port, /v1 path).",
        )
    if _is(ModelAuthenticationError, "AuthenticationError"):
        return ProviderUnavailable(
            f"{subject} refused the API key (HTTP 401).",
            hint="Check PERSONA_LLM_API_KEY (or OPENAI_API_KEY) for this endpoint.",
        )
    if _is(ModelPermissionDeniedError, "PermissionDeniedError"):
        return ProviderUnavailable(
            f"{subject} denied access to model {name!r} (HTTP 403).",
            hint=f"Check PERSONA_LLM_API_KEY's permissions or choose another "
            f"{endpoint.model_setting}.",
        )
    if _is(ModelNotFoundError, "NotFoundError"):
        return ProviderUnavailable(
            f"{subject} has no model {name!r}, or the URL path is wrong (HTTP 404: {detail}).",
            hint=f"Check {endpoint.model_setting}, and that PERSONA_LLM_BASE_URL ends with the "
            "API root (usually /v1).",
        )
    if _is(ModelRateLimitError, "RateLimitError"):
        return ProviderUnavailable(
            f"{subject} is rate-limiting requests (HTTP 429: {detail}).",
            hint="Wait and retry, lower PERSONA_LLM_CONCURRENCY, or raise PERSONA_LLM_MAX_RETRIES.",
        )
    if isinstance(exc, ContextOverflowError):
        return ProviderError(
            f"The prompt is longer than model {name!r} at {endpoint.url} accepts ({detail}).",
            hint=f"Shorten the input, or choose a model with a larger context "
            f"({endpoint.model_setting}).",
        )
    if _is(ModelInvalidRequestError, "BadRequestError"):
        return ProviderError(
            f"{subject} rejected the request (HTTP {status or 400}: {detail}).",
            hint=f"Check that {endpoint.model_setting} is a model this server serves for "
            "this kind of request.",
        )
    if _is(ModelAPIError, "APIStatusError"):
        return ProviderUnavailable(
            f"{subject} failed (HTTP {status or '5xx'}: {detail}).",
            hint="Check the server's log; transient failures are retried "
            "PERSONA_LLM_MAX_RETRIES times.",
        )
    return None


def llama_request_error(exc: ValueError) -> ProviderError:
    """The error for a request the in-process llama.cpp model refused (prompt past n_ctx)."""
    return ProviderError(
        f"The embedded model rejected the request: {exc}",
        hint="Shorten the input or raise PERSONA_LLM_CONTEXT.",
    )
