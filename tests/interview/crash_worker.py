"""A process that interviews a persona with a slowly streaming fake model (for kill tests).

Run as ``python -m tests.interview.crash_worker HOME INTERVIEW_ID TURNS [guide]``.
Prints one JSON line per event, flushed at once:
``{"event": "streaming", "turn_no": n}`` at the first streamed piece of a turn and
``{"event": "ack", "turn_no": n, "question": …, "answer": …}`` once ``ask`` returned,
i.e. once the turn is acknowledged. The parent kills it with SIGKILL at some point.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from persona.config import Settings
from persona.interview import Turn, ask, run_guide
from persona.models import GuideQuestion
from persona.services import Services
from tests.interview.support import RoutingChatModel

WORDS = "I compare prices carefully and I wait for the offers that come by email"


def emit(event: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    home, interview_id, turns = Path(argv[0]), int(argv[1]), int(argv[2])
    guide = len(argv) > 3 and argv[3] == "guide"
    services = Services(Settings(home=home, llm_provider="fake", embeddings="hash"))
    services.use_model(RoutingChatModel(reply=lambda _m: WORDS, delay=0.01))
    current: dict[str, int] = {"turn": 0, "announced": 0}

    def on_token(_piece: str) -> None:
        if current["announced"] != current["turn"]:
            current["announced"] = current["turn"]
            emit({"event": "streaming", "turn_no": current["turn"]})

    def next_turn() -> None:
        row = services.store.query_one(
            "SELECT COALESCE(MAX(turn_no), 0) AS n FROM turns WHERE interview_id = ?",
            (interview_id,),
        )
        current["turn"] = int(row["n"]) + 1 if row is not None else 1

    def acknowledged(turn: Turn, question: str) -> None:
        emit({"event": "ack", "turn_no": turn.turn_no, "question": question,
              "answer": turn.content})  # fmt: skip

    if guide:

        def on_question(_question: GuideQuestion) -> None:
            next_turn()

        def on_answer(question: GuideQuestion, turn: Turn) -> None:
            acknowledged(turn, question.text)

        run_guide(
            services, interview_id, on_question=on_question, on_token=on_token,
            on_answer=on_answer,
        )  # fmt: skip
        emit({"event": "done"})
        return 0
    for number in range(turns):
        question = f"Question {number}: what do you think about topic {number}?"
        next_turn()
        turn = ask(services, interview_id, question, on_token=on_token)
        acknowledged(turn, question)
    emit({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
