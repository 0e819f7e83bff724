"""A process killed with SIGKILL during a turn loses no acknowledged turn and duplicates none.

A worker process (``crash_worker``) interviews a persona with a fake model that
streams slowly, printing an event when a turn starts streaming and when ``ask``
returned (the turn is acknowledged). The test kills it at a chosen event, then
checks the workspace from this process: integrity, every acknowledged turn
present and complete, no duplicate, at most one orphan question, which
``resume`` marks interrupted, and the interview carries on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from persona.interview import ask, resume, run_guide, start_interview, transcript
from persona.llm import ScriptedChatModel
from persona.services import Services

ROOT = Path(__file__).resolve().parents[2]
Event = dict[str, Any]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def run_worker(
    services: Services,
    interview_id: int,
    kill_when: Callable[[list[Event]], bool],
    *extra: str,
    turns: int = 6,
) -> tuple[list[Event], int]:
    """Run the worker until ``kill_when(events)`` is true, then SIGKILL it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.interview.crash_worker",
         str(services.settings.home), str(interview_id), str(turns), *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    events: list[Event] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            events.append(json.loads(line))
            if kill_when(events):
                os.kill(process.pid, signal.SIGKILL)
                break
        code = process.wait(timeout=30)
    finally:
        watchdog.cancel()
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            stderr = process.stderr.read()
            process.stderr.close()
    assert events, f"the worker printed nothing; stderr:\n{stderr}"
    return events, code


def check_after_crash(services: Services, interview_id: int, events: list[Event]) -> list[int]:
    """Assert nothing acknowledged was lost or duplicated; return the orphan turn numbers."""
    store = services.store
    assert store.integrity_check() == "ok"
    rows = store.query(
        "SELECT turn_no, role, status, content FROM turns WHERE interview_id = ?", (interview_id,)
    )
    keys = [(int(r["turn_no"]), str(r["role"])) for r in rows]
    assert len(keys) == len(set(keys)), "a turn was written twice"
    by_key = {(int(r["turn_no"]), str(r["role"])): r for r in rows}
    acks = [e for e in events if e["event"] == "ack"]
    for ack in acks:
        question, answer = by_key[(ack["turn_no"], "user")], by_key[(ack["turn_no"], "assistant")]
        assert question["content"] == ack["question"] and answer["content"] == ack["answer"]
        assert question["status"] == answer["status"] == "complete"
    numbers = sorted({n for n, _role in keys})
    assert numbers == list(range(1, len(numbers) + 1))
    orphans = [n for n in numbers if (n, "assistant") not in by_key]
    assert len(orphans) <= 1
    assert len(numbers) <= len(acks) + 1
    return orphans


def streaming(turn_no: int) -> Callable[[list[Event]], bool]:
    return lambda events: events[-1] == {"event": "streaming", "turn_no": turn_no}


def acknowledged(turn_no: int) -> Callable[[list[Event]], bool]:
    return lambda events: events[-1]["event"] == "ack" and events[-1]["turn_no"] == turn_no


@pytest.mark.parametrize(
    ("kill_when", "acked"),
    [(streaming(1), 0), (streaming(3), 2), (acknowledged(2), 2)],
    ids=["first-turn-streaming", "third-turn-streaming", "between-turns"],
)
def test_a_killed_interview_loses_and_duplicates_nothing(
    services: Services, maya_id: int, kill_when: Callable[[list[Event]], bool], acked: int
) -> None:
    interview_id = start_interview(services, maya_id)
    events, code = run_worker(services, interview_id, kill_when)
    assert code == -signal.SIGKILL
    assert sum(e["event"] == "ack" for e in events) == acked
    orphans = check_after_crash(services, interview_id, events)
    if events[-1]["event"] == "streaming":
        assert orphans == [acked + 1], "the question being answered was committed first"
    turns = resume(services, interview_id)
    interrupted = [t.turn_no for t in turns if t.status == "interrupted"]
    assert interrupted == orphans
    services.use_model(ScriptedChatModel(replies=["After the crash."]))
    after = ask(services, interview_id, "Shall we go on?")
    assert after.turn_no == acked + len(orphans) + 1 and after.complete


def test_a_killed_guide_run_resumes_without_repeating_answers(
    services: Services, maya_id: int
) -> None:
    from persona.guide import get_guide

    questions = [q.text for q in get_guide(services, maya_id).questions]
    interview_id = start_interview(services, maya_id)
    events, _code = run_worker(services, interview_id, streaming(3), "guide")
    check_after_crash(services, interview_id, events)
    resume(services, interview_id)
    services.use_model(ScriptedChatModel(default_reply="I compare prices."))
    run_guide(services, interview_id)
    turns = transcript(services, interview_id)
    answered = [q.content for q in turns if q.role == "user" and q.complete]
    assert sorted(answered) == sorted(questions), "every guide question answered exactly once"
    complete_answers = [t for t in turns if t.role == "assistant" and t.complete]
    assert len(complete_answers) == len(questions)
