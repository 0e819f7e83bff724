"""Capabilities are asked of the model object, whatever the settings say."""

from __future__ import annotations

import httpx
import openai
import pytest

from persona.config import Settings
from persona.errors import ProviderError, ProviderTimeout, ProviderUnavailable
from persona.llm import (
    LlamaCppChatModel,
    ModelCapabilities,
    ScriptedChatModel,
    capabilities,
    count_tokens,
    make_chat_model,
)
from persona.llm.capabilities import GENERIC, METHOD_JSON_SCHEMA, METHOD_LLAMACPP, METHOD_TEXT
from persona.llm.errors import Endpoint, translate_error


def test_the_embedded_model_is_serial_tiny_and_exact() -> None:
    model = LlamaCppChatModel(model_path="smollm2.gguf", n_ctx=2048, max_tokens=64)  # not loaded
    caps = capabilities(model)
    assert caps.structured_output == METHOD_LLAMACPP
    assert not caps.parallel and not caps.capable
    assert caps.exact_tokens and caps.reports_finish
    assert (caps.context_tokens, caps.max_output_tokens) == (2048, 64)
    assert caps.token_budget(4096, 512, 48) == 2048 - 64 - 48, "the model's window wins"
    assert caps.workers(8, 5) == 1


def test_chat_openai_capabilities_come_from_its_config() -> None:
    settings = Settings(llm_provider="openai", llm_base_url="http://127.0.0.1:9/v1")
    model = make_chat_model(settings.with_(llm_max_tokens=99))
    caps = capabilities(model)
    assert caps.structured_output == METHOD_JSON_SCHEMA
    assert caps.parallel and caps.capable and caps.reports_finish
    assert not caps.exact_tokens and caps.max_output_tokens == 99
    assert caps.workers(3, 10) == 3 and caps.workers(3, 2) == 2
    assert capabilities(model.bind(stop=["\n"])) == caps, "a binding answers for its model"


def test_the_fake_stands_in_for_any_model_whatever_the_settings() -> None:
    model = make_chat_model(Settings(llm_provider="fake"))
    assert capabilities(model) == ModelCapabilities(structured_output=METHOD_TEXT)
    tiny = ScriptedChatModel(capable=False, context_tokens=1000)
    assert not capabilities(tiny).capable
    assert capabilities(tiny).token_budget(4096, 100, 0) == 900
    assert capabilities(ScriptedChatModel(parallel=True)).workers(4, 9) == 4


def test_unknown_models_get_the_generic_answer() -> None:
    assert capabilities(object()) is GENERIC
    assert GENERIC.workers(8, 8) == 1 and GENERIC.token_budget(4096, 512, 0) == 3584


def test_token_counting_estimates_without_a_tokenizer() -> None:
    model = ScriptedChatModel()
    assert count_tokens(model, "") == 0
    assert count_tokens(model, "abcdefghi") == 3


def test_embedding_errors_name_the_embeddings_endpoint_and_its_setting() -> None:
    endpoint = Endpoint(
        url="http://127.0.0.1:9/v1",
        model="embed-x",
        timeout=5,
        noun="embeddings endpoint",
        model_setting="PERSONA_EMBEDDINGS_MODEL",
    )
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/embeddings")
    response = httpx.Response(404, request=request)
    missing = translate_error(
        openai.NotFoundError("no such model", response=response, body=None), endpoint
    )
    assert isinstance(missing, ProviderUnavailable)
    assert "embeddings endpoint http://127.0.0.1:9/v1" in str(missing)
    assert "PERSONA_EMBEDDINGS_MODEL" in str(missing)
    late = translate_error(openai.APITimeoutError(request=request), endpoint)
    assert isinstance(late, ProviderTimeout) and "within 5 s" in str(late)
    down = translate_error(openai.APIConnectionError(request=request), endpoint)
    assert isinstance(down, ProviderUnavailable) and "cannot be reached" in str(down)
    assert translate_error(KeyError("not a provider failure"), endpoint) is None


@pytest.mark.parametrize("error", [ProviderError("already translated")])
def test_product_errors_pass_through_the_translator(error: ProviderError) -> None:
    assert translate_error(error, Endpoint(url="x")) is error
