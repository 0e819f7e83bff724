"""Interview turns against a real OpenAI-compatible HTTP endpoint (a fault-injecting stub)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from persona.config import Settings
from persona.errors import ProviderError
from persona.interview import ask, start_interview, transcript
from persona.services import Services
from tests.interview.support import add_persona, maya
from tests.support.openai_stub import Fault, OpenAIStub, running_stub

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[tuple[Services, OpenAIStub]]:
    with running_stub() as stub:
        settings = Settings(
            home=tmp_path / "ws", llm_provider="openai", llm_base_url=stub.base_url,
            llm_api_key="test", embeddings="hash", llm_timeout=10, llm_max_retries=0,
        )  # fmt: skip
        services = Services(settings)
        yield services, stub
        services.store.close()


def test_a_streamed_answer_over_http_is_stored(remote: tuple[Services, OpenAIStub]) -> None:
    services, stub = remote
    interview_id = start_interview(services, add_persona(services, maya()))
    pieces: list[str] = []
    answer = ask(services, interview_id, "What do you buy in autumn?", on_token=pieces.append)
    assert answer.complete and answer.content == "".join(pieces).strip()
    assert len(stub.requests) == 1


def test_a_dropped_stream_is_stored_as_interrupted_and_can_be_retried(
    remote: tuple[Services, OpenAIStub],
) -> None:
    services, stub = remote
    interview_id = start_interview(services, add_persona(services, maya()))
    stub.push(Fault.drop_stream(after_chunks=2))
    with pytest.raises(ProviderError, match="stopped before it was complete"):
        ask(services, interview_id, "What do you buy in autumn?")
    turns = transcript(services, interview_id)
    assert [(t.role, t.status) for t in turns] == [
        ("user", "interrupted"),
        ("assistant", "interrupted"),
    ]
    retried = ask(services, interview_id, "What do you buy in autumn?", turn_no=1)
    assert retried.complete and retried.turn_no == 1
    assert [(t.turn_no, t.role, t.status) for t in transcript(services, interview_id)] == [
        (1, "user", "complete"),
        (1, "assistant", "complete"),
    ]
