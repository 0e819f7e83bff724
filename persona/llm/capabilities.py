"""What a chat model can do, asked of the model object rather than of the settings.

Every adapter the product builds answers through one attribute,
``capabilities`` (a :class:`ModelCapabilities`): the embedded llama.cpp model
and the scripted fake set it themselves; ``ChatOpenAI`` gets it derived from
its own configuration. Any other ``BaseChatModel`` (a test double, a
third-party provider) gets :data:`GENERIC` unless it sets the attribute too.
So an injected model can never disagree with ``PERSONA_LLM_PROVIDER``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "GENERIC",
    "METHOD_FUNCTION_CALLING",
    "METHOD_JSON_SCHEMA",
    "METHOD_LLAMACPP",
    "METHOD_TEXT",
    "OPENAI_DEFAULT_URL",
    "ModelCapabilities",
    "StructuredMethod",
    "capabilities",
    "count_tokens",
    "is_openai_host",
    "unwrap",
]

StructuredMethod = Literal["llamacpp_json_schema", "json_schema", "function_calling", "json_text"]
METHOD_LLAMACPP: StructuredMethod = "llamacpp_json_schema"
"""llama-cpp-python's ``{"type": "json_object", "schema": ...}``: decoding constrained to it."""
METHOD_JSON_SCHEMA: StructuredMethod = "json_schema"
"""OpenAI's ``response_format={"type": "json_schema"}`` through ``with_structured_output``."""
METHOD_FUNCTION_CALLING: StructuredMethod = "function_calling"
"""One forced tool call whose arguments are the object (``llama_cpp.server`` accepts it)."""
METHOD_TEXT: StructuredMethod = "json_text"
"""No steering: the reply text is read as JSON."""

OPENAI_DEFAULT_URL = "https://api.openai.com/v1"

CHARS_PER_TOKEN = 4
"""The usual estimate for models whose tokenizer is not in-process."""


@dataclass(frozen=True)
class ModelCapabilities:
    """How the product may use one chat model.

    ``structured_output`` is the first method :func:`persona.structured.generate_structured`
    tries. ``parallel`` says calls may run at once (``PERSONA_LLM_CONCURRENCY``
    bounds how many); ``capable`` that the model can be trusted to cite facts
    and documents and to read a longer context (not a tiny embedded model).
    ``context_tokens`` and ``max_output_tokens`` are the model's own window and
    answer limit when it knows them (``None``: the settings decide).
    ``exact_tokens`` means :func:`count_tokens` uses the model's tokenizer;
    ``reports_finish`` that every complete reply carries a finish reason, so a
    stream without one was cut off.
    """

    structured_output: StructuredMethod = METHOD_TEXT
    parallel: bool = False
    capable: bool = True
    context_tokens: int | None = None
    max_output_tokens: int | None = None
    exact_tokens: bool = False
    reports_finish: bool = False

    def workers(self, limit: int, jobs: int) -> int:
        """How many calls to run at once for ``jobs`` jobs under a ``limit`` setting."""
        if not self.parallel:
            return 1
        return max(1, min(limit, jobs))

    def token_budget(self, context: int, max_tokens: int, slack: int) -> int:
        """Prompt tokens left after the answer's room and ``slack``.

        ``context`` and ``max_tokens`` are the settings; the model's own window
        (when smaller) and answer limit win over them.
        """
        window = min(context, self.context_tokens) if self.context_tokens else context
        return window - (self.max_output_tokens or max_tokens) - slack


GENERIC = ModelCapabilities()
"""What an unknown chat model is assumed to do: plain text, one call at a time."""


def unwrap(model: object) -> object:
    """The chat model behind a ``RunnableBinding`` (from ``.bind()``), or ``model`` itself."""
    return getattr(model, "bound", model)


def capabilities(model: object) -> ModelCapabilities:
    """What ``model`` can do: its own ``capabilities`` attribute, derived for ``ChatOpenAI``."""
    model = unwrap(model)
    own = getattr(model, "capabilities", None)
    if isinstance(own, ModelCapabilities):
        return own
    if _is_chat_openai(model):
        return _openai_capabilities(model)
    return GENERIC


def count_tokens(model: object, text: str) -> int:
    """Tokens ``text`` takes for ``model``: exact with an in-process tokenizer, else estimated."""
    if not text:
        return 0
    if capabilities(model).exact_tokens:
        return int(unwrap(model).get_num_tokens(text))  # type: ignore[attr-defined]
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def is_openai_host(url: str) -> bool:
    """True for OpenAI's and Azure's own hosts (which want the newest request fields)."""
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    return host == "api.openai.com" or host.endswith(".azure.com")


def _is_chat_openai(model: object) -> bool:
    # Only an imported langchain_openai can have built the model; don't import it here.
    module = sys.modules.get("langchain_openai.chat_models.base")
    chat_type = getattr(module, "BaseChatOpenAI", None)
    return isinstance(chat_type, type) and isinstance(model, chat_type)


def _openai_capabilities(model: Any) -> ModelCapabilities:
    profile = getattr(model, "profile", None) or {}
    max_tokens = getattr(model, "max_tokens", None)
    return ModelCapabilities(
        # Servers that refuse it fall back to function calling (persona.structured).
        structured_output=METHOD_JSON_SCHEMA,
        parallel=True,
        capable=True,
        context_tokens=profile.get("max_input_tokens"),
        max_output_tokens=max_tokens if isinstance(max_tokens, int) else None,
        reports_finish=True,
    )
