"""Interviews with personas: a streamed, persisted, resumable chat in character.

::

    from persona.interview import ask, start_interview, resume

    interview_id = start_interview(services, persona_id)
    turn = ask(services, interview_id, "What annoys you about delivery?", on_token=print)
    turn.content, turn.flags          # the stored answer and the consistency guard's flags
    resume(services, interview_id)    # after a restart: unanswered questions -> interrupted

The persona speaks from a system prompt built from its facts (``prompts/templates/
interview.system.j2``); retrieved company context is fenced as untrusted data;
older turns are summarised to stay within the model's context, facts always
kept; attempts to override the persona are refused in character. Answers are
checked by :mod:`persona.consistency`.
"""

from persona.interview.override import override_attempt
from persona.interview.prompt import TokenCounter, system_prompt
from persona.interview.session import (
    CONTEXT_K,
    MAX_QUESTION_CHARS,
    MAX_TURNS,
    SYNTHETIC_LABEL,
    TurnStream,
    ask,
    ask_stream,
    interview_persona,
    list_interviews,
    resume,
    run_guide,
    start_interview,
    transcript,
)
from persona.repos.interviews import InterviewInfo, Source, Turn

__all__ = [
    "CONTEXT_K",
    "MAX_QUESTION_CHARS",
    "MAX_TURNS",
    "SYNTHETIC_LABEL",
    "InterviewInfo",
    "Source",
    "TokenCounter",
    "Turn",
    "TurnStream",
    "ask",
    "ask_stream",
    "interview_persona",
    "list_interviews",
    "override_attempt",
    "resume",
    "run_guide",
    "start_interview",
    "system_prompt",
    "transcript",
]
