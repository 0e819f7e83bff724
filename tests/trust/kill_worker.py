"""A process that interviews or generates with a slow fake model, to be SIGKILLed by the tests.

Run as ``python -m tests.trust.kill_worker HOME`` (a *zygote*): it imports
everything once, then for each command line read from stdin (``interview ID`` or
``generate``) forks a child that works until killed, waits for the child and
prints ``{"event": "reaped"}``. Forking a warm process keeps each kill cycle
well under a second instead of a fresh interpreter's several seconds. Every
line is one JSON event, flushed at once: the child prints
``{"event": "ready", "pid": …}`` once connected, then ``{"event": "ack", …}``
after every call that returned, i.e. every result the caller was given.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from persona.config import Settings
from persona.services import Services
from tests.trust.support import SchemaFake

ANSWER = "I compare prices carefully and I wait for the offers that come by email every month"


class SlowFake(SchemaFake):
    """:class:`SchemaFake` that takes ``delay`` seconds per call and per streamed word."""

    delay: float = 0.01

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        time.sleep(self.delay * 5)
        return super()._generate(messages, stop, run_manager, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            time.sleep(self.delay)
            yield chunk


def emit(event: dict[str, object]) -> None:
    """Print one event line and flush it before anything else happens."""
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def interview_loop(services: Services, interview_id: int) -> None:
    """Ask numbered questions forever, acknowledging each stored answer."""
    from persona.interview import ask

    number = 0
    while True:
        number += 1
        question = f"Kill-loop question {number}: what do you think about topic {number}?"
        turn = ask(services, interview_id, question)
        emit({"event": "ack", "turn_no": turn.turn_no, "answer": turn.content})


def generate_loop(services: Services) -> None:
    """Generate (new versions of) every persona forever, acknowledging each version stored."""
    from persona.generate import generate_personas

    while True:
        for result in generate_personas(services):
            if result.persona_id is not None:
                emit({"event": "ack", "persona_id": result.persona_id,
                      "version": result.version})  # fmt: skip


def child(home: Path, command: list[str]) -> None:
    """Work on ``command`` in a forked child until killed (never returns)."""
    try:
        services = Services(Settings(home=home, llm_provider="fake", embeddings="hash"))
        services.use_model(SlowFake(default_reply=ANSWER))
        services.store.integrity_check()
        emit({"event": "ready", "pid": os.getpid()})
        if command[0] == "interview":
            interview_loop(services, int(command[1]))
        else:
            generate_loop(services)
    except BaseException as error:  # only reached if something is wrong: say so
        emit({"event": "error", "error": repr(error)})
    finally:
        os._exit(1)


def main(argv: list[str]) -> int:
    """Entry point: ``HOME``; commands come on stdin, one per line."""
    home = Path(argv[0])
    # Warm up: everything a child needs is imported before forking.
    import persona.generate
    import persona.interview
    import persona.knowledge
    import persona.knowledge.embed
    import persona.knowledge.index  # noqa: F401

    emit({"event": "zygote"})
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        pid = os.fork()
        if pid == 0:
            child(home, command)
        os.waitpid(pid, 0)
        emit({"event": "reaped", "pid": pid})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
