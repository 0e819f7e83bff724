"""What the persona's model sees: the system prompt, the fenced context, the budgeted history.

Layout, chosen so that consecutive turns share the longest possible prefix
(llama.cpp reuses the KV cache of a common prefix; hosted APIs cache prefixes too):

1. one system message: the persona, its facts, its attitudes, the rules and,
   once older turns were summarised, the summary. It changes only when the
   summary does;
2. the kept history, question and answer verbatim;
3. the new question, with any retrieved company context fenced *in this message
   only* (``<document …>`` quoted data), so next turn's history is again verbatim.

Older turns are folded into the summary a block at a time (down to half the
room history has), not one per turn, so the prefix stays stable for several
turns after each fold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from persona.consistency import channel_use, segment_traits
from persona.facts import format_value
from persona.interview.records import Exchange
from persona.llm import capabilities, count_tokens
from persona.models import Persona
from persona.privacy import scrub_text
from persona.repos.interviews import Source
from persona.safe_text import strip_invisible
from persona.text import clip, feature_words
from prompts import render
from segments.facts import Statistic, slug

if TYPE_CHECKING:
    from persona.knowledge import Citation

__all__ = [
    "MESSAGE_OVERHEAD",
    "TokenCounter",
    "build_messages",
    "fence_documents",
    "plan_history",
    "profile_lines",
    "prompt_facts",
    "refusal",
    "system_prompt",
    "user_message",
]

MESSAGE_OVERHEAD = 4
"""Tokens a chat template adds around each message (role markers, separators)."""

DOCUMENT_CHARS = 600
MAX_TRAITS = 5
PROFILE_CHARS = 240

_PROFILE_LABELS: dict[str, str] = {
    "age": "Age",
    "occupation": "Occupation",
    "location": "Where you live",
    "background": "Background",
    "goals": "Your goals",
    "needs": "What you need",
    "challenges": "Your challenges",
    "pain_points": "What annoys you",
    "behaviour_patterns": "How you shop",
    "personality": "Personality",
    "hobbies": "Hobbies",
    "quote": "Something you often say",
}
_REFUSAL_TOPICS: dict[str, str] = {
    "pain_points": "what annoys me when I buy",
    "needs": "what I need from a shop",
    "goals": "what I am hoping for",
    "behaviour_patterns": "how I usually shop",
}


def _plain(text: str, limit: int = PROFILE_CHARS) -> str:
    """One line of text that cannot open a fence or a role marker."""
    return clip(strip_invisible(text), limit).replace("<", "‹").replace(">", "›")


def profile_lines(persona: Persona) -> list[tuple[str, str]]:
    """``(label, text)`` for each profile field the prompt shows (channels come separately)."""
    lines = []
    for name, label in _PROFILE_LABELS.items():
        items = persona.field_items(name)
        if items:
            lines.append((label, "; ".join(_plain(item.text) for item in items)))
    return lines


def prompt_facts(persona: Persona) -> list[tuple[str, str]]:
    """The facts a persona is told: size, share, age and its strongest traits, in words.

    Every number shown is a value of the segment's facts, so an answer that
    repeats it passes the consistency guard.
    """
    facts = persona.facts
    typed = {
        (
            f.statistic,
            slug(f.feature or ""),
            None if f.category is None else slug(f.category),
        ): f.value
        for f in facts.facts
    }

    def value(statistic: Statistic, feature: str, category: str | None = None) -> Any:
        return typed.get((statistic, feature, category))

    lines = [
        ("customers in your segment", format_value(facts.size)),
        ("share of all customers", f"{format_value(round(facts.share * 100, 1))}%"),
    ]
    age, q1, q3 = value("median", "age"), value("q1", "age"), value("q3", "age")
    if age is not None:
        lines.append(("typical age", format_value(round(float(age)))))
    if q1 is not None and q3 is not None:
        lines.append(("age of the middle half", f"{round(float(q1))} to {round(float(q3))}"))
    for trait in segment_traits(facts)[:MAX_TRAITS]:
        feature = feature_words(facts.facts, trait.feature)
        if trait.statistic == "vs_base":
            median = value("median", trait.feature)
            if median is not None:
                lines.append((f"typical {feature}", format_value(median)))
            sign = "+" if trait.value > 0 else ""
            lines.append(
                (f"{feature} compared with all customers", f"{sign}{format_value(trait.value)}%")
            )
        else:
            base = value("label_base_share", trait.feature, "true")
            shown = f"{format_value(trait.value)}%"
            if base is not None:
                shown += f" (all customers: {format_value(base)}%)"
            lines.append((f"{feature}: share of your segment", shown))
    return lines


def system_prompt(persona: Persona, *, summary: str = "") -> str:
    """The persona's system prompt (stable for a persona version and a summary)."""
    return render(
        "interview.system",
        persona_name=_plain(persona.name, 80),
        profile=profile_lines(persona),
        facts=prompt_facts(persona),
        channels=channel_use(persona).describe(),
        attitudes=[t.attitude for t in segment_traits(persona.facts)[:MAX_TRAITS]],
        summary=_plain(summary, 2000) if summary else "",
    )


def refusal(persona: Persona) -> str:
    """The persona's fixed, in-character answer to an attempt to override it."""
    topic = next(
        (_REFUSAL_TOPICS[name] for name in _REFUSAL_TOPICS if persona.field_items(name)), ""
    )
    return render("interview.refusal", persona_name=_plain(persona.name, 80), topic=topic).strip()


def fence_documents(citations: Sequence[Citation]) -> tuple[list[dict[str, str]], list[Source]]:
    """Retrieved chunks ready for ``<document>``: scrubbed, bounded, unable to close the fence."""
    documents = []
    sources = []
    for number, citation in enumerate(citations, start=1):
        text, _counts = scrub_text(strip_invisible(citation.text))
        documents.append(
            {
                "id": f"D{number}",
                "file": re.sub(r"[\"<>\n\r\t]", "_", strip_invisible(citation.filename))[:120],
                "page": "" if citation.page is None else str(citation.page),
                "text": _plain(text, DOCUMENT_CHARS),
            }
        )
        sources.append(Source(citation.chunk_id, citation.filename, citation.page))
    return documents, sources


def user_message(question: str, documents: Sequence[dict[str, str]]) -> str:
    """The message for the current question; the question alone when there is no context."""
    if not documents:
        return question
    return render("interview.user", question=question, documents=list(documents)).strip()


def build_messages(system: str, history: Sequence[Exchange], current: str) -> list[BaseMessage]:
    """System message, the kept history verbatim, then the current question."""
    messages: list[BaseMessage] = [SystemMessage(content=system)]
    for exchange in history:
        messages.append(HumanMessage(content=exchange.question))
        messages.append(AIMessage(content=exchange.answer))
    messages.append(HumanMessage(content=current))
    return messages


# --------------------------------------------------------------------------- tokens


class TokenCounter:
    """Counts tokens for one model (:func:`persona.llm.count_tokens`).

    Exact with the model's own in-process tokenizer (the embedded llama.cpp
    model); for remote and fake models the usual estimate of four characters
    per token (``exact`` is False).
    """

    def __init__(self, model: object) -> None:
        self.model = model
        self.exact = capabilities(model).exact_tokens

    def __call__(self, text: str) -> int:
        """Tokens in ``text``."""
        return count_tokens(self.model, text)

    def exchange(self, exchange: Exchange) -> int:
        """Tokens a question/answer pair takes in the prompt."""
        return self(exchange.question) + self(exchange.answer) + 2 * MESSAGE_OVERHEAD

    def messages(self, messages: Sequence[BaseMessage]) -> int:
        """Tokens a whole prompt takes."""
        return sum(self(str(m.content)) + MESSAGE_OVERHEAD for m in messages) + MESSAGE_OVERHEAD


def plan_history(
    fixed: int, history: Sequence[Exchange], budget: int, *, reserve: int
) -> tuple[list[Exchange], list[Exchange]]:
    """Split ``history`` into (to fold into the summary, to keep verbatim).

    ``fixed`` counts the system prompt and the current message; ``tokens`` of
    each exchange must be set. When everything fits nothing is folded.
    Otherwise the newest exchanges are kept up to half the room left after
    ``reserve`` (the summary's share), so the next folds are several turns away.
    """
    if fixed + sum(e.tokens for e in history) <= budget:
        return [], list(history)
    target = max(0, (budget - fixed - reserve) // 2)
    kept: list[Exchange] = []
    used = 0
    for exchange in reversed(history):
        if used + exchange.tokens > target:
            break
        kept.insert(0, exchange)
        used += exchange.tokens
    return list(history[: len(history) - len(kept)]), kept
