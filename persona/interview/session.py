"""Interview sessions: start, ask (streaming), resume, run the prepared guide.

A turn is written twice, each time in its own transaction: the question before
the model is called, the answer after the model finished and the consistency
guard ran. Only then is the turn acknowledged (``ask`` returns, the stream
ends). A process killed in between leaves an unanswered question, which
:func:`resume` marks ``interrupted``; nothing acknowledged is lost, and the
idempotency key ``(interview_id, turn_no, role)`` prevents duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, cast

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from persona.consistency import Flag, check_answer
from persona.errors import KnowledgeError, PersonaError, ProviderError
from persona.guide import get_guide
from persona.identifiers import KnownIdentifiers, scrub_all
from persona.interview.fallback import answer_gate, evidence_answer, evidence_texts, relevance
from persona.interview.loops import loop_cut
from persona.interview.override import normalise, override_attempt
from persona.interview.prompt import (
    MESSAGE_OVERHEAD,
    TokenCounter,
    build_messages,
    fence_documents,
    plan_history,
    refusal,
    system_prompt,
    user_message,
)
from persona.interview.records import Exchange, exchanges
from persona.knowledge import search
from persona.knowledge.embed import make_embedding_function
from persona.llm import capabilities, invoke_text, stream_text
from persona.models import GuideQuestion, Persona
from persona.personas import get_persona
from persona.repos import documents as document_repo
from persona.repos import interviews as interview_repo
from persona.repos.interviews import InterviewInfo, Source, SummaryState, Turn
from persona.safe_text import defang_urls, strip_invisible
from persona.store import utc_now
from persona.text import clip, synthetic_label
from prompts import render

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from persona.config import Settings
    from persona.knowledge import Citation
    from persona.services import Services

__all__ = [
    "CONTEXT_K",
    "MAX_QUESTION_CHARS",
    "MAX_TURNS",
    "SYNTHETIC_LABEL",
    "TurnStream",
    "answer_model",
    "ask",
    "ask_stream",
    "clean_question",
    "fit_question",
    "list_interviews",
    "resume",
    "retrieve",
    "run_guide",
    "start_interview",
    "token_budget",
    "transcript",
]

SYNTHETIC_LABEL = synthetic_label("interview")
"""The label every display of a transcript carries."""

MAX_QUESTION_CHARS = 2000
"""Longest question accepted (OWASP LLM10: bounded input)."""

MAX_TURNS = 500
"""Most turns one interview may have; start a new session after that."""

CONTEXT_K = 3
"""Document chunks retrieved as context for each question."""

SUMMARY_TOKENS = 160
"""Room kept for the rolling summary of older turns."""

SAFETY_TOKENS = 48
"""Slack for chat-template tokens the counter cannot see."""

REPEAT_SIMILARITY = 0.8
"""Share of shared word triples above which an answer counts as a repeat."""

OnToken = Callable[[str], None]


# --------------------------------------------------------------------------- sessions


def start_interview(services: Services, persona_id: int, *, title: str | None = None) -> int:
    """Open a new interview with a persona (at its current version); return its id."""
    stored = get_persona(services, persona_id)
    name = stored.persona.name
    clean_title = " ".join(strip_invisible(title or "").split())[:200]
    if not clean_title:
        clean_title = f"Interview with {name}, {utc_now()[:16].replace('T', ' ')} UTC"
    return interview_repo.create_interview(
        services.store, services.project_id, persona_id, stored.version, clean_title
    )


def list_interviews(services: Services, *, persona_id: int | None = None) -> list[InterviewInfo]:
    """Interviews of the project (optionally of one persona), oldest first."""
    return interview_repo.list_interviews(
        services.store, services.project_id, persona_id=persona_id
    )


def transcript(services: Services, interview_id: int) -> list[Turn]:
    """Every turn of an interview, in order (questions before their answers)."""
    interview_repo.get_interview(services.store, services.project_id, interview_id)
    return interview_repo.load_turns(services.store, interview_id)


def resume(services: Services, interview_id: int) -> list[Turn]:
    """Reopen an interview: mark questions left without an answer ``interrupted``.

    Call it when a session is reopened after a crash or a restart, not while
    another process is answering in the same interview.
    """
    interview_repo.get_interview(services.store, services.project_id, interview_id)
    interview_repo.mark_orphans(services.store, interview_id)
    return interview_repo.load_turns(services.store, interview_id)


def interview_persona(services: Services, interview_id: int) -> tuple[int, Persona]:
    """The persona id and the persona version the interview was started with."""
    row = interview_repo.get_interview(services.store, services.project_id, interview_id)
    stored = get_persona(services, row.persona_id, row.persona_version)
    return stored.id, stored.persona


# --------------------------------------------------------------------------- asking


class TurnStream(Iterator[str]):
    """The answer to one question, piece by piece; :attr:`turn` once it is stored.

    :attr:`question` is the stored user turn (committed before the model is
    called). Iterate to the end to get the answer stored and acknowledged;
    closing the stream early, or an error, stores what was said as an
    ``interrupted`` turn. A replayed turn (see ``turn_no``) yields the stored
    answer in one piece.
    """

    def __init__(self, question: Turn, answer: Turn | None = None) -> None:
        self.question = question
        self._answer = answer
        self._pieces: Iterator[str] = iter([answer.content] if answer is not None else [])

    def _generate(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces

    def _store(self, answer: Turn) -> None:
        self._answer = answer

    def __iter__(self) -> TurnStream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        """Stop generating; what was said so far is stored as interrupted."""
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()

    @property
    def turn(self) -> Turn:
        """The stored answer; raises until the stream has been read to the end."""
        if self._answer is None:
            raise RuntimeError("The answer is not complete: read the stream to its end first.")
        return self._answer

    @property
    def done(self) -> bool:
        """True once the answer is stored."""
        return self._answer is not None


def ask_stream(
    services: Services, interview_id: int, question: str, *, turn_no: int | None = None
) -> TurnStream:
    """Ask a question; the returned stream yields the answer as the model writes it.

    The question is stored (in its own transaction) before this returns. Pass
    ``turn_no`` to retry a turn idempotently: a question already stored under
    that number is not stored again, and an answer already stored is replayed
    without calling the model. Attempts to make the persona break character are
    answered with a fixed in-character refusal, without calling the model.

    Raises :class:`PersonaError` for an empty or over-long question or a full
    interview, :class:`NotFoundError` for an unknown interview.
    """
    row = interview_repo.get_interview(services.store, services.project_id, interview_id)
    persona = get_persona(services, row.persona_id, row.persona_version).persona
    text = clean_question(question, services.known_identifiers())
    attempt = override_attempt(text)
    flags = [] if attempt is None else [_override_flag(attempt)]
    if turn_no is None:
        _check_capacity(services, interview_id)
    stored, answer = interview_repo.insert_question(
        services.store, interview_id, text, flags, turn_no
    )
    if answer is not None:
        return TurnStream(stored, answer)
    stream = TurnStream(stored)
    stream._generate(_produce(services, stream, persona, refused=attempt is not None))
    return stream


def ask(
    services: Services,
    interview_id: int,
    question: str,
    *,
    on_token: OnToken | None = None,
    turn_no: int | None = None,
) -> Turn:
    """Ask a question and return the stored answer; ``on_token`` sees it as it streams."""
    stream = ask_stream(services, interview_id, question, turn_no=turn_no)
    for piece in stream:
        if on_token is not None:
            on_token(piece)
    return stream.turn


def run_guide(
    services: Services,
    interview_id: int,
    *,
    on_question: Callable[[GuideQuestion], None] | None = None,
    on_token: OnToken | None = None,
    on_answer: Callable[[GuideQuestion, Turn], None] | None = None,
) -> list[Turn]:
    """Ask the persona's prepared guide, question by question; return the new answers.

    ``on_question`` sees each question before it is asked, ``on_token`` the
    answer as it streams, ``on_answer`` the stored answer. Questions this
    interview already has a complete answer to are skipped, so re-running after
    an interruption carries on where it stopped.
    """

    row = interview_repo.get_interview(services.store, services.project_id, interview_id)
    guide = get_guide(services, row.persona_id)
    turns = interview_repo.load_turns(services.store, interview_id)
    answered = {_key(e.question) for e in exchanges(turns)}
    answers = []
    for question in guide.questions:
        if _key(question.text) in answered:
            continue
        if on_question is not None:
            on_question(question)
        turn = ask(services, interview_id, question.text, on_token=on_token)
        answered.add(_key(question.text))
        answers.append(turn)
        if on_answer is not None:
            on_answer(question, turn)
    return answers


# --------------------------------------------------------------------------- internals


def _key(text: str) -> str:
    return normalise(text).casefold()


def clean_question(question: str, known: KnownIdentifiers | None = None) -> str:
    """The question as stored and sent: no invisible characters, personal data masked.

    E-mails, phones, cards and IBANs are masked by shape; with ``known`` (see
    :meth:`Services.known_identifiers`), the project's customer ids and names too.

    Raises :class:`PersonaError` when it is empty or longer than
    :data:`MAX_QUESTION_CHARS`.
    """
    text = strip_invisible(question).strip()
    if not text:
        raise PersonaError("The question is empty.", hint="Type a question for the persona.")
    if len(text) > MAX_QUESTION_CHARS:
        raise PersonaError(
            f"The question has {len(text)} characters; at most {MAX_QUESTION_CHARS} are accepted.",
            hint="Ask a shorter question, or split it into several.",
        )
    # Personal data typed or pasted into a question must not reach the model.
    return scrub_all(text, known or KnownIdentifiers())


def _check_capacity(services: Services, interview_id: int) -> None:
    if interview_repo.last_turn_no(services.store, interview_id) >= MAX_TURNS:
        raise PersonaError(
            f"Interview {interview_id} has reached {MAX_TURNS} turns.",
            hint="Start a new interview with the same persona.",
        )


def _override_flag(words: str) -> Flag:
    return Flag(
        kind="override",
        message="An attempt to make the persona break character or override its instructions; "
        "refused in character without calling the model.",
        text=words,
    )


def _produce(
    services: Services, stream: TurnStream, persona: Persona, *, refused: bool
) -> Iterator[str]:
    """Generate, guard and store the answer to ``stream.question``."""
    question = stream.question
    interview_id, turn_no = question.interview_id, question.turn_no
    pieces: list[str] = []
    sources: list[Source] = []
    try:
        if refused:
            for piece in re.findall(r"\S+\s*", refusal(persona)):
                pieces.append(piece)
                yield piece
            flags: list[Flag] = [question.flags[0]]
        else:
            model = services.chat_model()
            messages, sources, citations = _prompt(services, model, persona, question)
            flags = []
            capped = answer_model(services, model)
            if capabilities(model).capable:
                stream_pieces: Iterator[str] = _loop_stopped(capped, messages, pieces, flags)
                yield from stream_pieces
            else:
                # A weak model's answer is checked before anyone sees it: read, not shown.
                for _piece in _loop_stopped(capped, messages, pieces, flags):
                    pass
            gated = _gate(services, capped, persona, question, messages, citations, pieces)
            if gated is not None:
                flag, composed, used = gated
                flags.append(flag)
                sources = used
                if capabilities(model).capable:
                    note = f"\n\n(The answer above failed the quality check.) {composed}"
                    pieces.append(note)
                    yield note
                else:
                    pieces[:] = [composed]
            if not capabilities(model).capable:
                yield from re.findall(r"\S+\s*", "".join(pieces))
    except BaseException:
        partial = "".join(pieces).strip()
        if partial:
            interview_repo.insert_answer(
                services.store, interview_id, turn_no, partial,
                status="interrupted", flags=[], sources=sources,
            )  # fmt: skip
        else:
            interview_repo.mark_interrupted(services.store, interview_id, turn_no)
        raise
    answer = "".join(pieces).strip()
    if not answer:
        answer = "I don't know."
        flags.append(Flag(kind="empty", message="The model gave no answer."))
    if not refused:
        flags += check_answer(answer, persona, question=question.content)
        flags += _repeat_flags(services, interview_id, turn_no, answer)
    stored = interview_repo.insert_answer(
        services.store, interview_id, turn_no, answer,
        status="complete", flags=flags, sources=sources,
    )  # fmt: skip
    stream._store(stored)


def answer_model(services: Services, model: BaseChatModel) -> Runnable[Any, Any]:
    """``model`` capped at ``PERSONA_ANSWER_MAX_TOKENS`` per answer (never above
    ``PERSONA_LLM_MAX_TOKENS``): a persona answers in a few sentences, and the user waits
    for every token."""
    settings = services.settings
    return model.bind(max_tokens=min(settings.answer_max_tokens, settings.llm_max_tokens))


def _loop_stopped(
    model: Runnable[Any, Any], messages: list[BaseMessage], pieces: list[str], flags: list[Flag]
) -> Iterator[str]:
    """Stream the answer into ``pieces`` (and out); stop reading where it starts to loop.

    The model generates nothing past the loop (the stream is closed); the answer
    keeps what came before it and a ``loop`` flag says so.
    """
    stream = cast("Generator[str, None, None]", stream_text(model, messages))
    text = ""
    try:
        for piece in stream:
            piece = strip_invisible(piece)
            if not piece:
                continue
            cut = loop_cut(text + piece)
            if cut is not None:
                pieces[:] = [(text + piece)[:cut].rstrip()]
                flags.append(
                    Flag(
                        kind="loop",
                        message="The answer began to repeat itself and was stopped there.",
                        text=(text + piece)[cut : cut + 200],
                    )
                )
                return
            text += piece
            pieces.append(piece)
            yield piece
    finally:
        stream.close()


def _gate(
    services: Services,
    model: Runnable[Any, Any],
    persona: Persona,
    question: Turn,
    messages: list[BaseMessage],
    citations: list[Citation],
    pieces: list[str],
) -> tuple[Flag, str, list[Source]] | None:
    """``None`` when the answer passes the quality gate (after one re-ask for a weak model);
    else the ``gate`` flag, the answer composed from evidence, and its sources."""
    # The rules of the system prompt, not its "- " lines: an answer may repeat the profile.
    rules = "\n".join(
        line for line in str(messages[0].content).splitlines() if not line.startswith("- ")
    )
    gate = answer_gate(persona, citations, rules)
    embed = make_embedding_function(services.settings)
    evidence = evidence_texts(persona, citations)

    def check(text: str) -> list[object]:
        problems: list[object] = list(gate.check(text))
        if not problems and judges_relevance(services.settings):
            off = relevance(question.content, text, evidence, embed).problem()
            if off is not None:
                problems.append(off)
        return problems

    answer = "".join(pieces).strip()
    problems = check(answer) if answer else []
    if problems and not capabilities(model).capable:
        retry = [
            *messages,
            AIMessage(content=answer),
            HumanMessage(
                content=f"That answer could not be shown ({problems[0]}). Answer the question "
                f"again as {persona.name}, in two short sentences of plain English."
            ),
        ]
        second = strip_invisible(invoke_text(model, retry)).strip()
        if second and not check(second):
            pieces[:] = [second]
            return None
    if not problems:
        return None
    composed = evidence_answer(persona, question.content, citations, embed)
    flag = Flag(
        kind="gate",
        message="The model's answer failed the quality check "
        f"({'; '.join(map(str, problems))[:200]}); the persona answered from its evidence "
        "instead.",
        text=answer[:200],
    )
    used = [Source(c.chunk_id, c.filename, c.page) for c in composed.citations]
    return flag, composed.text, used


def judges_relevance(settings: Settings) -> bool:
    """Whether answers are checked for relevance: its thresholds are calibrated for a
    semantic embedding model (MiniLM, or the provider's); the lexical ``hash`` embedding
    of fast tests and evals cannot tell an off-topic answer from a paraphrase."""
    return settings.embeddings != "hash"


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + 3]) for i in range(max(len(words) - 2, 1))}


def _repeat_flags(services: Services, interview_id: int, turn_no: int, answer: str) -> list[Flag]:
    """A flag when the answer repeats an earlier one nearly word for word.

    Small models copy their previous answer from the history; such an answer
    says nothing new about the question it was given.
    """
    mine = _shingles(answer)
    earlier = exchanges(interview_repo.load_turns(services.store, interview_id), before=turn_no)
    for exchange in reversed(earlier):
        theirs = _shingles(exchange.answer)
        if mine and theirs and len(mine & theirs) / len(mine | theirs) >= REPEAT_SIMILARITY:
            return [
                Flag(
                    kind="repeat",
                    message=f"The answer repeats the answer to turn {exchange.turn_no} "
                    "nearly word for word.",
                )
            ]
    return []


def _prompt(
    services: Services, model: BaseChatModel, persona: Persona, question: Turn
) -> tuple[list[BaseMessage], list[Source], list[Citation]]:
    """The messages for ``question`` within the token budget, the context's sources, and
    the chunks retrieved for it."""
    store = services.store
    interview_id = question.interview_id
    row = interview_repo.get_interview(store, services.project_id, interview_id)
    state = SummaryState.parse(row.summary)
    turns = interview_repo.load_turns(store, interview_id)
    history = exchanges(turns, after=state.through, before=question.turn_no)
    counter = TokenCounter(model)
    for exchange in history:
        exchange.tokens = counter.exchange(exchange)
    budget = token_budget(services)
    system = system_prompt(persona, summary=state.text)
    citations = retrieve(services, question.content)
    current, sources, fixed = fit_question(services, counter, system, question.content, citations)
    fold, keep = plan_history(fixed, history, budget, reserve=SUMMARY_TOKENS)
    if fold:
        state = SummaryState(
            through=fold[-1].turn_no,
            text=_summarise(model, persona, state.text, fold, counter),
        )
        interview_repo.save_summary(store, interview_id, state)
        system = system_prompt(persona, summary=state.text)
        current, sources, fixed = fit_question(
            services, counter, system, question.content, citations
        )
        # The summary may run over its share: then the oldest kept turns are dropped.
        while keep and fixed + sum(e.tokens for e in keep) > budget:
            keep = keep[1:]
    return build_messages(system, keep, current), sources, citations


def token_budget(services: Services) -> int:
    """Tokens a prompt may take: the context window less the answer's room and some slack."""
    settings = services.settings
    return capabilities(services.chat_model()).token_budget(
        settings.llm_context, settings.llm_max_tokens, SAFETY_TOKENS
    )


def fit_question(
    services: Services,
    counter: TokenCounter,
    system: str,
    question: str,
    citations: list[Citation],
) -> tuple[str, list[Source], int]:
    """The current message with as much fenced context as fits; its sources and the
    tokens system prompt plus message take.

    Raises :class:`PersonaError` when even the bare question does not fit.
    """
    budget = token_budget(services)
    documents, sources = fence_documents(citations)
    current = user_message(question, documents)
    while documents and _fixed(counter, system, current) > budget:
        documents, sources = documents[:-1], sources[:-1]
        current = user_message(question, documents)
    fixed = _fixed(counter, system, current)
    if fixed > budget:
        settings = services.settings
        raise PersonaError(
            f"The persona's facts and this question need {fixed} tokens; the model's context "
            f"leaves {budget} (PERSONA_LLM_CONTEXT={settings.llm_context}, "
            f"PERSONA_LLM_MAX_TOKENS={settings.llm_max_tokens}).",
            hint="Ask a shorter question, or raise PERSONA_LLM_CONTEXT.",
        )
    return current, sources, fixed


def _fixed(counter: TokenCounter, system: str, current: str) -> int:
    return counter(system) + counter(current) + 3 * MESSAGE_OVERHEAD


def retrieve(services: Services, question: str) -> list[Citation]:
    """Up to :data:`CONTEXT_K` chunks of the project's documents for ``question``."""
    store = services.store
    if not document_repo.has_chunks(store, services.project_id):
        return []

    try:
        return search(store, services.settings, question, k=CONTEXT_K)
    except KnowledgeError:
        # A missing or stale index must not stop the interview; the persona
        # answers from its facts alone.
        return []


def _summarise(
    model: BaseChatModel,
    persona: Persona,
    previous: str,
    fold: list[Exchange],
    counter: TokenCounter,
) -> str:
    """The rolling summary with ``fold`` added; a plain digest when the model fails."""
    name = persona.name
    messages: list[BaseMessage] = [
        SystemMessage(content=render("summary.system", persona_name=name, max_sentences=5)),
        HumanMessage(
            content=render(
                "summary.user",
                persona_name=name,
                previous=previous,
                exchanges=[(_short(e.question, 300), _short(e.answer, 500)) for e in fold],
            )
        ),
    ]
    try:
        text = invoke_text(model, messages)
    except ProviderError:
        text = ""
    text = " ".join(defang_urls(strip_invisible(text)).split())
    if not text:
        topics = "; ".join(_short(e.question, 80) for e in fold)
        text = f"{previous} Earlier questions: {topics}.".strip()
    while counter(text) > SUMMARY_TOKENS and " " in text:
        text = text[: int(len(text) * 0.8)].rsplit(" ", 1)[0] + " …"
    return text


def _short(text: str, limit: int) -> str:
    return clip(text, limit).replace("<", "‹").replace(">", "›")
