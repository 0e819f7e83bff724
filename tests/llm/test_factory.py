"""make_chat_model, the scripted fake and describe_provider (no model is loaded here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from persona.config import Settings
from persona.errors import ProviderError, ProviderUnavailable
from persona.llm import (
    FAKE_REPLY,
    INSTALL_LOCAL,
    LlamaCppChatModel,
    ScriptedChatModel,
    describe_provider,
    invoke_text,
    make_chat_model,
    stream_text,
)


def test_fake_provider_records_every_prompt_and_streams_word_by_word() -> None:
    model = make_chat_model(Settings(llm_provider="fake"), fake_replies=["one two  three", "ok"])
    assert isinstance(model, ScriptedChatModel)
    prompt = [SystemMessage("You are Ada."), HumanMessage("Hi")]
    assert list(stream_text(model, prompt)) == ["one ", "two  ", "three"]
    assert invoke_text(model, "again") == "ok"
    assert model.calls == [prompt, [HumanMessage("again")]]
    with pytest.raises(ProviderError, match="no reply left for call 3"):
        invoke_text(model, "one too many")


def test_fake_provider_without_script_answers_a_placeholder() -> None:
    model = make_chat_model(Settings(llm_provider="fake"))
    assert invoke_text(model, "a") == invoke_text(model, "b") == FAKE_REPLY


def test_openai_provider_builds_chat_openai_from_settings() -> None:
    settings = Settings(
        llm_base_url="http://127.0.0.1:9/v1",
        llm_model="local-model",
        llm_timeout=7.5,
        llm_max_retries=3,
        llm_temperature=0.1,
        llm_max_tokens=123,
    )
    model = make_chat_model(settings)
    assert type(model).__name__ == "ChatOpenAI"
    assert model.openai_api_base == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]
    assert model.model_name == "local-model"  # type: ignore[attr-defined]
    assert model.request_timeout == 7.5  # type: ignore[attr-defined]
    assert model.max_retries == 3  # type: ignore[attr-defined]
    assert model.temperature == 0.1  # type: ignore[attr-defined]
    assert model.max_tokens == 123  # type: ignore[attr-defined]
    assert model.extra_body == {"max_tokens": 123}  # type: ignore[attr-defined]


def test_openai_itself_gets_no_duplicate_max_tokens() -> None:
    model = make_chat_model(Settings(llm_api_key="sk-test"))
    assert type(model).__name__ == "ChatOpenAI"
    assert model.extra_body is None  # type: ignore[attr-defined]


def test_llamacpp_provider_does_not_load_the_model_until_used(model_path: Path) -> None:
    model = make_chat_model(Settings(llm_provider="llamacpp", llm_model_path=model_path))
    assert isinstance(model, LlamaCppChatModel)
    assert model.model_path == str(model_path)
    assert model.repeat_penalty == pytest.approx(1.2)
    assert model.n_threads == 2


def test_missing_model_file_is_provider_unavailable(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ProviderUnavailable, match="PERSONA_LLM_MODEL_PATH"):
        make_chat_model(Settings(llm_provider="llamacpp", llm_model_path=missing))


def test_missing_llama_cpp_is_provider_unavailable_with_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(ProviderUnavailable) as caught:
        make_chat_model(Settings(llm_provider="llamacpp"))
    assert INSTALL_LOCAL in str(caught.value)

    described = describe_provider(Settings())
    assert described["provider"] == "llamacpp"
    assert described["ok"] is False
    assert described["llama_cpp_importable"] is False
    assert described["fix"] == INSTALL_LOCAL


def test_unknown_call_options_are_refused(model_path: Path) -> None:
    model = LlamaCppChatModel(model_path=str(model_path))
    with pytest.raises(TypeError, match="tempreature"):
        model.completion_options(None, tempreature=0.5)
    options = model.completion_options(["\n"], json_schema={"type": "object"}, max_tokens=5)
    assert options["response_format"] == {"type": "json_object", "schema": {"type": "object"}}
    assert options["max_tokens"] == 5
    assert options["stop"] == ["\n"]


def test_describe_default_provider(model_path: Path) -> None:
    described = describe_provider(Settings())
    assert described["provider"] == "llamacpp"
    assert described["requested"] == "auto"
    assert "no PERSONA_LLM_BASE_URL" in described["reason"]
    assert described["ok"] is True
    assert described["fix"] == ""
    assert described["model_path"] == str(model_path)
    assert described["model_size_bytes"] == model_path.stat().st_size
    assert described["llama_cpp_importable"] is True
    assert model_path.name in described["detail"]


def test_describe_openai_provider_hides_the_key() -> None:
    described = describe_provider(
        Settings(llm_base_url="http://127.0.0.1:11434/v1", llm_api_key="sk-secret")
    )
    assert described["provider"] == "openai"
    assert described["reason"] == "PERSONA_LLM_BASE_URL is set"
    assert described["base_url"] == "http://127.0.0.1:11434/v1"
    assert described["api_key_set"] is True
    assert "sk-secret" not in repr(described)


def test_describe_missing_model_path(tmp_path: Path) -> None:
    described = describe_provider(
        Settings(llm_provider="llamacpp", llm_model_path=tmp_path / "gone.gguf")
    )
    assert described["ok"] is False
    assert "gone.gguf" in described["detail"]
    assert "PERSONA_LLM_MODEL_PATH" in described["fix"]


def test_describe_fake_provider() -> None:
    described = describe_provider(Settings(llm_provider="fake"))
    assert described == described | {"provider": "fake", "ok": True, "fix": ""}
