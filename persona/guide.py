"""Interview guides: prepared questions to check a persona against real customers.

Questions follow ordinary UX-research practice: open (no yes/no), non-leading
(no assumed answer), one topic each. A guide covers goals, pain points and
channels, and above all the persona's *weakest* fields, those whose evidence is
only ``inferred``: each of those gets a neutral "how, if at all" probe.

The questions come from deterministic templates; a model may optionally
rephrase them, and a rephrasing is kept only if it still passes
:func:`question_problems`. Guides are stored in the ``guides`` table and can
be edited by hand (``edited`` is then set and regeneration leaves them alone).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from langchain_core.messages import HumanMessage, SystemMessage

from persona.errors import GenerationError, PersonaError
from persona.facts import invented_numbers
from persona.generate import model_name
from persona.models import GuideDraft, GuideQuestion, InterviewGuide, Persona
from persona.personas import get_persona
from persona.repos import interviews as interview_repo
from persona.safe_text import strip_invisible
from persona.structured import generate_structured
from persona.text import clip
from prompts import render

if TYPE_CHECKING:
    from persona.services import Services

__all__ = ["build_guide", "get_guide", "question_problems", "save_guide"]

MAX_PROBES = 8
_CLOSED_START = re.compile(
    r"(?i)^(do|does|did|is|are|was|were|am|have|has|had|can|could|would|will|should|shall|"
    r"may|might|must|don't|doesn't|didn't|isn't|aren't|wasn't|weren't|won't|wouldn't|"
    r"can't|couldn't|shouldn't)\b"
)
_LEADING = re.compile(
    r"(?i)\b(don't you|do not you|wouldn't you|isn't it|aren't you|right\?|surely|obviously|"
    r"agree that|how much do you (love|like|hate)|how great|how annoying|how frustrating|"
    r"don't you think|wouldn't you agree|of course)"
)
_SECOND_TOPIC = re.compile(r"(?i)\b(and|or)\s+(what|how|why|when|where|who|which)\b")
_OPEN_START = re.compile(r"(?i)^(what|how|why|when|where|who|which|tell me|walk me|describe)\b")

# (topic, field, question) for the parts every guide covers.
_CORE: tuple[tuple[str, str, str], ...] = (
    ("background", "background", "Tell me a little about yourself and a typical week for you."),
    ("goals", "goals", "What are you hoping to achieve when you shop with us?"),
    ("needs", "needs", "What would make a purchase from us feel worth it to you?"),
    ("challenges", "challenges", "What, if anything, makes it hard to find what you need?"),
    ("pain_points", "pain_points", "Tell me about the last time something frustrated you "
     "when buying from us."),
    ("behaviour", "behaviour_patterns", "Walk me through the last time you bought something "
     "from us, from first idea to delivery."),
    ("channels", "channels", "How do you usually find out about new products and offers?"),
)  # fmt: skip

_TOPIC_OF = {
    "goals": "goals",
    "needs": "needs",
    "challenges": "challenges",
    "pain_points": "pain_points",
    "behaviour_patterns": "behaviour",
    "channels": "channels",
    "background": "background",
    "occupation": "background",
    "personality": "other",
    "hobbies": "other",
    "quote": "other",
}
_PROBE = {
    "goals": "How, if at all, is “{text}” something you aim for?",
    "needs": "How, if at all, does “{text}” matter to you when you choose where to buy?",
    "challenges": "How, if at all, has “{text}” come up for you recently?",
    "pain_points": "How, if at all, has “{text}” affected you when buying from us?",
    "behaviour_patterns": "How, if at all, does “{text}” match the way you shop?",
    "channels": "How, if at all, do you use {text} to hear about products?",
    "occupation": "Tell me about the work you do.",
    "personality": "How would the people who know you describe you?",
    "hobbies": "What do you like to do in your free time?",
    "background": "Tell me about the part of your life this purchase fits into.",
    "quote": "What matters most to you when you decide whether something is worth buying?",
}


# Which weak fields are probed first when there are more than MAX_PROBES.
_PRIORITY = (
    "pain_points", "goals", "needs", "challenges", "behaviour_patterns", "channels",
    "occupation", "personality", "hobbies", "background", "quote",
)  # fmt: skip


def question_problems(text: str) -> list[str]:
    """Why ``text`` is not an open, non-leading, single-topic interview question (or ``[]``)."""
    problems = []
    clean = " ".join(text.split())
    if not 5 <= len(clean) <= 200:
        problems.append("a question is 5 to 200 characters")
    if clean.count("?") > 1:
        problems.append("ask one question at a time")
    if _CLOSED_START.match(clean):
        problems.append("closed (yes/no) question: start with what, how, why or 'tell me'")
    elif not _OPEN_START.match(clean):
        problems.append("start with what, how, why, when, where, who, 'tell me' or 'walk me'")
    if _LEADING.search(clean):
        problems.append("leading wording suggests an answer")
    if _SECOND_TOPIC.search(clean):
        problems.append("two topics in one question")
    if not clean.endswith(("?", ".")):
        problems.append("end with a question mark or a full stop")
    return problems


def build_guide(persona: Persona, persona_id: int) -> InterviewGuide:
    """The deterministic guide: core topics, then probes for the weakest fields first."""
    questions = [
        GuideQuestion(topic=topic, field=field, text=text, reason="core topic")  # type: ignore[arg-type]
        for topic, field, text in _CORE
    ]
    weak = sorted(
        (
            (_PRIORITY.index(name), index, name, item)
            for index, (name, item) in enumerate(persona.items())
            if name in _PROBE and item.strength == 0
        ),
        key=lambda entry: (entry[0], entry[1]),
    )
    seen: set[str] = {q.text for q in questions}
    for _priority, _index, name, item in weak:
        if len(questions) >= len(_CORE) + MAX_PROBES:
            break
        text = _PROBE[name].format(text=_quoted(item.text, name))
        if text in seen or question_problems(text):
            continue
        seen.add(text)
        questions.append(
            GuideQuestion(
                topic=_TOPIC_OF[name],  # type: ignore[arg-type]
                field=name,
                text=text,
                reason=f"{name} is only inferred by the model: check it",
                evidence="inferred",
            )
        )
    return InterviewGuide(persona_id=persona_id, persona_name=persona.name, questions=questions)


def _quoted(text: str, field: str) -> str:
    clean = clip(strip_invisible(text).rstrip(".!? \n\t"), 90)
    if field != "channels":
        clean = clean[:1].lower() + clean[1:] if clean[1:2].islower() else clean
    return clean.replace("“", "'").replace("”", "'").replace("?", "")


def get_guide(
    services: Services, persona_id: int, *, refresh: bool = False, rephrase: bool = False
) -> InterviewGuide:
    """The stored guide of a persona, built (and stored) on first use.

    A guide built from an older version of the persona is rebuilt, unless a
    person edited it. ``refresh`` rebuilds it even then. ``rephrase`` asks the
    chat model to word the questions more naturally; each rephrasing is kept
    only if it still passes :func:`question_problems` and invents no number.
    """
    current = get_persona(services, persona_id)
    stored = interview_repo.load_guide(services.store, persona_id, current.persona.name)
    if stored is not None and not refresh:
        guide, built_from = stored
        if guide.edited or built_from == current.version:
            return guide
    guide = build_guide(current.persona, persona_id)
    if rephrase:
        guide = _rephrase(services, current.persona, guide)
    interview_repo.store_guide(services.store, persona_id, guide, current.version, edited=False)
    return guide


def save_guide(
    services: Services, persona_id: int, questions: Sequence[str | GuideQuestion]
) -> InterviewGuide:
    """Store a hand-edited guide; each question must pass :func:`question_problems`.

    Raises :class:`PersonaError` naming the first question that does not.
    """
    current = get_persona(services, persona_id)
    previous = {q.text: q for q in get_guide(services, persona_id).questions}
    parsed: list[GuideQuestion] = []
    for number, entry in enumerate(questions, start=1):
        if isinstance(entry, GuideQuestion):
            question = entry
        else:
            text = " ".join(strip_invisible(entry).split())
            if not text:
                continue
            question = previous.get(text) or GuideQuestion(
                topic="other", text=text, reason="written by hand"
            )
        problems = question_problems(question.text)
        if problems:
            raise PersonaError(
                f"Question {number} ({question.text!r}): {'; '.join(problems)}.",
                hint="Good interview questions are open, neutral and about one thing.",
            )
        parsed.append(question)
    if not parsed:
        raise PersonaError("A guide needs at least one question.", hint="Add a question.")
    guide = InterviewGuide(
        persona_id=persona_id,
        persona_name=current.persona.name,
        questions=parsed,
        edited=True,
        phrased_by="user",
    )
    interview_repo.store_guide(services.store, persona_id, guide, current.version, edited=True)
    return guide


def _rephrase(services: Services, persona: Persona, guide: InterviewGuide) -> InterviewGuide:

    model = services.chat_model()
    messages = [
        SystemMessage(content=render("guide.system", count=len(guide.questions))),
        HumanMessage(
            content=render(
                "guide.user",
                segment=persona.facts.label,
                questions=[q.text for q in guide.questions],
            )
        ),
    ]
    try:
        result = generate_structured(
            model, messages, GuideDraft, retries=services.settings.structured_retries
        )
    except GenerationError:
        return guide  # the templates are a complete guide on their own
    rephrased = result.value.questions
    kept = []
    changed = 0
    for index, question in enumerate(guide.questions):
        text = rephrased[index] if index < len(rephrased) else ""
        usable = (
            text
            and not question_problems(text)
            and not invented_numbers(text, persona.facts)
            and "http" not in text.lower()
            and "<" not in text
        )
        if usable and text != question.text:
            kept.append(question.model_copy(update={"text": text}))
            changed += 1
        else:
            kept.append(question)
    phrased_by = model_name(model) if changed else "templates"
    return guide.model_copy(update={"questions": kept, "phrased_by": phrased_by})
