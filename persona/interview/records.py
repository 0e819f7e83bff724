"""What the model sees of an interview's past: complete question/answer pairs.

The turns themselves are stored by :mod:`persona.repos.interviews`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from persona.repos.interviews import Turn

__all__ = ["Exchange", "exchanges"]


@dataclass
class Exchange:
    """A question and its complete answer, as the model will see them."""

    turn_no: int
    question: str
    answer: str
    tokens: int = field(default=0, compare=False)


def exchanges(turns: list[Turn], *, after: int = 0, before: int | None = None) -> list[Exchange]:
    """Complete question/answer pairs with ``after < turn_no < before``.

    Interrupted turns and refused override attempts are left out: the model
    never sees an injection attempt again, nor half an answer.
    """
    questions = {t.turn_no: t for t in turns if t.role == "user"}
    out = []
    for answer in turns:
        if answer.role != "assistant" or answer.turn_no <= after:
            continue
        if before is not None and answer.turn_no >= before:
            continue
        question = questions.get(answer.turn_no)
        if question is None or not (question.complete and answer.complete):
            continue
        if question.refused:
            continue
        out.append(Exchange(answer.turn_no, question.content, answer.content))
    return out
