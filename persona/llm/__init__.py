"""Chat models: LangChain's ``BaseChatModel`` is the provider interface; this package builds them.

::

    factory       make_chat_model(settings): ChatOpenAI, LlamaCppChatModel or ScriptedChatModel
    llamacpp      the embedded model, in-process (llama_cpp loaded on first use)
    fake          the scripted fake: queued replies, every prompt recorded
    capabilities  what a model can do, asked of the model (never of the settings)
    errors        one translator: openai / httpx / llama.cpp failures -> persona.errors
    calls         invoke_text / stream_text (errors translated, cut-off streams caught)
    diagnosis     describe_provider(settings) for ``persona doctor``

Nothing here loads a model or imports ``llama_cpp`` / ``langchain_openai`` at import time.
"""

from persona.llm.calls import invoke_text, stream_text
from persona.llm.capabilities import ModelCapabilities, capabilities, count_tokens
from persona.llm.diagnosis import describe_provider
from persona.llm.errors import Endpoint, provider_errors, translate_error
from persona.llm.factory import make_chat_model
from persona.llm.fake import FAKE_REPLY, ScriptedChatModel
from persona.llm.llamacpp import (
    INSTALL_LOCAL,
    REPEAT_PENALTY,
    LlamaCppChatModel,
    default_model_path,
    resolve_model_path,
)

__all__ = [
    "FAKE_REPLY",
    "INSTALL_LOCAL",
    "REPEAT_PENALTY",
    "Endpoint",
    "LlamaCppChatModel",
    "ModelCapabilities",
    "ScriptedChatModel",
    "capabilities",
    "count_tokens",
    "default_model_path",
    "describe_provider",
    "invoke_text",
    "make_chat_model",
    "provider_errors",
    "resolve_model_path",
    "stream_text",
    "translate_error",
]
