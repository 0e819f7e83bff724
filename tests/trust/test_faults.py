"""Every call against a misbehaving endpoint ends in success or a named user error, in time.

The recording stub on loopback scripts the faults (429 with Retry-After, 500, a
response past the timeout, a dropped stream, a malformed body, truncated JSON).
Calls go through the product's own functions: ``generate_personas``, an
interview turn (``ask``), and ``invoke_text`` / ``stream_text`` /
``generate_structured`` where a whole flow would only add time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from persona.config import Settings
from persona.errors import USER_ERRORS, GenerationError, ProviderError, ProviderTimeout
from persona.generate import generate_personas
from persona.interview import ask, start_interview, transcript
from persona.knowledge import close_clients
from persona.llm import invoke_text, make_chat_model, stream_text
from persona.models import PersonaDraft
from persona.segmentation import run_segmentation
from persona.services import Services
from persona.structured import generate_structured, reset_method_memory
from segments.sample import make_customers
from tests.interview.support import add_persona, maya
from tests.support.openai_stub import Fault, OpenAIStub, running_stub

pytestmark = pytest.mark.timeout(60)

SLACK = 3.0
"""Seconds allowed on top of ``timeout × attempts`` for back-off and a loaded machine."""


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    """A fresh recording stub (and no remembered structured-output method)."""
    reset_method_memory()
    with running_stub() as running:
        yield running
    reset_method_memory()


def stub_settings(tmp_path: Path, stub: OpenAIStub, **changes: Any) -> Settings:
    """Settings pointing the OpenAI client at ``stub``."""
    base = Settings(
        home=tmp_path / "ws",
        llm_provider="openai",
        llm_base_url=stub.base_url,
        llm_api_key="test",
        embeddings="hash",
        llm_timeout=10,
        llm_max_retries=2,
    )
    return base.with_(**changes)


def outcome(call: Callable[[], object]) -> tuple[object | None, BaseException | None, float]:
    """Run ``call``; return its value or its exception and the seconds it took."""
    started = time.monotonic()
    try:
        value = call()
    except Exception as error:
        return None, error, time.monotonic() - started
    return value, None, time.monotonic() - started


@pytest.fixture
def services_factory(tmp_path: Path) -> Iterator[Callable[[Settings], Services]]:
    """Build :class:`Services` that are closed after the test."""
    built: list[Services] = []

    def make(settings: Settings) -> Services:
        services = Services(settings)
        built.append(services)
        return services

    yield make
    for services in built:
        close_clients(services.settings)
        services.store.close()


# --------------------------------------------------------------------------- transport faults


def test_429_with_retry_after_then_success_generates_personas(
    tmp_path: Path, stub: OpenAIStub, services_factory: Callable[[Settings], Services]
) -> None:
    frame, _ = make_customers(300, random_state=3)
    table = tmp_path / "customers.csv"
    frame.to_csv(table, index=False)
    services = services_factory(stub_settings(tmp_path, stub, llm_concurrency=1))
    run_segmentation(services, table, k=3, id_column="customer_id")
    stub.push(Fault.status(429, retry_after=0.1), Fault.status(500))
    results = generate_personas(services)
    assert [r.status for r in results] == ["generated"] * len(results)
    assert len(results) == 3
    assert len(stub.requests) >= 3 + 2  # one per persona, plus the two retried failures


def test_500_then_success(tmp_path: Path, stub: OpenAIStub) -> None:
    model = make_chat_model(stub_settings(tmp_path, stub))
    stub.push(Fault.status(500))
    value, error, _ = outcome(lambda: invoke_text(model, "Hello?"))
    assert error is None and value
    assert len(stub.requests) == 2


def test_429_past_the_retry_budget_is_a_named_error(tmp_path: Path, stub: OpenAIStub) -> None:
    model = make_chat_model(stub_settings(tmp_path, stub, llm_max_retries=1))
    stub.push(*[Fault.status(429, retry_after=0.1)] * 3)
    _, error, _ = outcome(lambda: invoke_text(model, "Hello?"))
    assert isinstance(error, ProviderError) and "429" in str(error)
    assert len(stub.requests) == 2


@pytest.mark.parametrize("retries", [0, 1])
def test_a_response_past_the_timeout_is_a_named_timeout_in_time(
    tmp_path: Path, stub: OpenAIStub, retries: int
) -> None:
    timeout = 1.0
    model = make_chat_model(
        stub_settings(tmp_path, stub, llm_timeout=timeout, llm_max_retries=retries)
    )
    stub.push(*[Fault.delay(6)] * (retries + 1))
    _, error, elapsed = outcome(lambda: invoke_text(model, "Hello?"))
    assert isinstance(error, ProviderTimeout), error
    assert elapsed < timeout * (retries + 1) + SLACK


def test_an_interview_turn_past_the_timeout_is_stored_as_interrupted(
    tmp_path: Path, stub: OpenAIStub, services_factory: Callable[[Settings], Services]
) -> None:
    services = services_factory(stub_settings(tmp_path, stub, llm_timeout=1, llm_max_retries=0))
    interview_id = start_interview(services, add_persona(services, maya()))
    stub.push(Fault.delay(6))
    _, error, elapsed = outcome(lambda: ask(services, interview_id, "Do refunds matter?"))
    assert isinstance(error, ProviderTimeout)
    assert elapsed < 1 + SLACK
    turns = transcript(services, interview_id)
    assert [(t.role, t.status) for t in turns if t.role == "assistant"] == []
    # The same turn, retried idempotently, is answered once.
    answer = ask(services, interview_id, "Do refunds matter?", turn_no=turns[0].turn_no)
    turns = transcript(services, interview_id)
    pair = [(answer.turn_no, "user"), (answer.turn_no, "assistant")]
    assert [(t.turn_no, t.role) for t in turns] == pair
    assert turns[1].complete


# --------------------------------------------------------------------------- broken bodies


def _no_complete_answer_and_no_duplicates(services: Services, interview_id: int) -> None:
    turns = transcript(services, interview_id)
    keys = [(t.turn_no, t.role) for t in turns]
    assert len(keys) == len(set(keys)), "a turn was stored twice"
    assert not [t for t in turns if t.role == "assistant" and t.complete], (
        "half an answer was stored as a complete turn"
    )


def test_a_dropped_stream_is_a_named_error_and_no_complete_turn(
    tmp_path: Path, stub: OpenAIStub, services_factory: Callable[[Settings], Services]
) -> None:
    services = services_factory(stub_settings(tmp_path, stub))
    interview_id = start_interview(services, add_persona(services, maya()))
    stub.push(Fault.drop_stream(after_chunks=2))
    _, error, _ = outcome(lambda: ask(services, interview_id, "What do you buy in autumn?"))
    assert isinstance(error, USER_ERRORS), error
    _no_complete_answer_and_no_duplicates(services, interview_id)


def test_a_dropped_stream_never_duplicates_turns(
    tmp_path: Path, stub: OpenAIStub, services_factory: Callable[[Settings], Services]
) -> None:
    """Whatever a dropped stream does, a retry of the same turn stores one pair."""
    services = services_factory(stub_settings(tmp_path, stub))
    interview_id = start_interview(services, add_persona(services, maya()))
    stub.push(Fault.drop_stream(after_chunks=2))
    _, error, _ = outcome(lambda: ask(services, interview_id, "What do you buy in autumn?"))
    assert error is None or isinstance(error, USER_ERRORS)
    first = transcript(services, interview_id)[0]
    ask(services, interview_id, "What do you buy in autumn?", turn_no=first.turn_no)
    keys = [(t.turn_no, t.role) for t in transcript(services, interview_id)]
    assert keys == [(first.turn_no, "user"), (first.turn_no, "assistant")]


@pytest.mark.parametrize("how", ["invoke", "structured"])
def test_a_malformed_body_is_a_named_error(tmp_path: Path, stub: OpenAIStub, how: str) -> None:
    model = make_chat_model(stub_settings(tmp_path, stub, llm_max_retries=0))
    stub.push(Fault.malformed())
    if how == "invoke":
        _, error, _ = outcome(lambda: invoke_text(model, "Hello?"))
    else:
        _, error, _ = outcome(
            lambda: generate_structured(model, "A persona", PersonaDraft, retries=1)
        )
    assert isinstance(error, ProviderError), repr(error)


def test_a_streamed_answer_survives_a_fault_free_stream(tmp_path: Path, stub: OpenAIStub) -> None:
    model = make_chat_model(stub_settings(tmp_path, stub))
    assert "".join(stream_text(model, "Hello?")) == stub.reply({})


def test_truncated_json_is_reasked_then_accepted(tmp_path: Path, stub: OpenAIStub) -> None:
    model = make_chat_model(stub_settings(tmp_path, stub))
    stub.push(Fault.truncated())
    result = generate_structured(model, "A persona", PersonaDraft, retries=2)
    assert result.reasks == 1
    assert isinstance(result.value, PersonaDraft)


def test_truncated_json_every_time_is_a_generation_error(tmp_path: Path, stub: OpenAIStub) -> None:
    model = make_chat_model(stub_settings(tmp_path, stub))
    stub.push(*[Fault.truncated()] * 3)
    _, error, _ = outcome(lambda: generate_structured(model, "A persona", PersonaDraft, retries=2))
    assert isinstance(error, GenerationError)
    assert len(error.attempts) == 3 and error.last_output


def test_truncated_json_in_generation_fails_one_persona_only(
    tmp_path: Path, stub: OpenAIStub, services_factory: Callable[[Settings], Services]
) -> None:
    frame, _ = make_customers(300, random_state=4)
    table = tmp_path / "customers.csv"
    frame.to_csv(table, index=False)
    services = services_factory(
        stub_settings(tmp_path, stub, llm_concurrency=1, structured_retries=0)
    )
    run_segmentation(services, table, k=3, id_column="customer_id")
    stub.push(Fault.truncated())
    results = generate_personas(services)
    assert sorted(r.status for r in results) == ["failed", "generated", "generated"]
