from __future__ import annotations

from pathlib import Path

import pytest

from persona.config import ENV_VARIABLES, Settings, load_settings
from persona.errors import ConfigError


def test_defaults_are_offline_and_local(tmp_path: Path) -> None:
    settings = load_settings({"PERSONA_HOME": str(tmp_path)})
    assert settings.home == tmp_path.resolve()
    assert settings.resolved_provider == "llamacpp"
    assert settings.embeddings == "local"
    assert settings.min_segment_size == 20
    assert settings.ui_host == "127.0.0.1"


def test_base_url_selects_openai_and_key_falls_back_to_openai_api_key() -> None:
    settings = load_settings(
        {"PERSONA_LLM_BASE_URL": "http://127.0.0.1:8000/v1/", "OPENAI_API_KEY": "sk-test"}
    )
    assert settings.resolved_provider == "openai"
    assert settings.llm_base_url == "http://127.0.0.1:8000/v1"
    assert settings.llm_api_key == "sk-test"
    assert "sk-test" not in repr(settings)


def test_persona_key_wins_over_openai_key() -> None:
    settings = load_settings({"PERSONA_LLM_API_KEY": "mine", "OPENAI_API_KEY": "theirs"})
    assert settings.llm_api_key == "mine"


@pytest.mark.parametrize(
    ("variable", "value", "allowed_fragment"),
    [
        ("PERSONA_LLM_PROVIDER", "gpt", "auto | openai | llamacpp | fake"),
        ("PERSONA_EMBEDDINGS", "bert", "local | openai | hash"),
        ("PERSONA_MIN_SEGMENT_SIZE", "ten", "an integer from 2"),
        ("PERSONA_MIN_SEGMENT_SIZE", "1", "an integer from 2"),
        ("PERSONA_LLM_TEMPERATURE", "3", "a number from 0 to 2"),
        ("PERSONA_LLM_TIMEOUT", "-1", "a number from 1"),
        ("PERSONA_LLM_BASE_URL", "localhost:8000", "http:// or https:// URL"),
        ("PERSONA_LLM_MODEL_PATH", "/nonexistent/model.gguf", "existing GGUF file"),
        ("PERSONA_PROJECT", "my project!", "letters, digits"),
        ("PERSONA_UI_AUTH", "useronly", "'user:password'"),
        ("PERSONA_UI_PORT", "70000", "an integer from 1 to 65535"),
    ],
)
def test_bad_values_name_the_variable_and_allowed_values(
    variable: str, value: str, allowed_fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: value})
    message = str(caught.value)
    assert variable in message
    assert allowed_fragment in message
    assert caught.value.variable == variable


def test_auth_password_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"PERSONA_UI_AUTH": "secret-without-colon"})
    assert "secret-without-colon" not in str(caught.value)


def test_openai_provider_without_endpoint_or_key_is_an_error() -> None:
    with pytest.raises(ConfigError, match="PERSONA_LLM_PROVIDER"):
        load_settings({"PERSONA_LLM_PROVIDER": "openai"})


def test_settings_are_frozen_and_with_makes_a_copy(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    changed = settings.with_(project="other")
    assert changed.project == "other" and settings.project == "default"
    with pytest.raises(AttributeError):
        settings.project = "x"  # type: ignore[misc]


def test_every_setting_read_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [name for name in ENV_VARIABLES if name not in readme]
    assert missing == []
