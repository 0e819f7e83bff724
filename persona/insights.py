"""Insight briefs: what simulated interviews and panels suggest, tiered by evidence.

:func:`compile_brief` collects the answers of the selected interviews and panels,
asks the model for a small JSON synthesis (key findings, pain points, needs,
preferences, recommendations, each linking the answers it rests on) and then
decides everything that matters *deterministically*:

* the **tier** of each item, from the evidence it links, never from the model:

  - ``data-backed`` — the item is about a trait the linked persona's segment
    shows in the statistics (in that direction), a channel the data shows,
    a persona field with ``stat`` evidence, or a number that matches a fact;
  - ``document-backed`` — otherwise, it overlaps a company-document chunk the
    answer had as context, or a persona field with ``doc`` evidence;
  - ``simulated-only`` — nothing but a simulated persona said it;

  answers the consistency guard flagged as contradicting the data lend no support;
* the **quotes**: the sentence of each linked answer closest to the item;
* the **weight**: the share of customers of the distinct segments linked;
* the **hypotheses to validate with real customers**, from the items that are
  not data-backed first.

If the model's synthesis never validates, the brief is *extractive*: answers
grouped by topic and quoted, with no recommendations, and a note saying so.
Every brief is labelled synthetic research. Markdown and HTML renderings
neutralise model text (no links, images or markup survive; the HTML loads
nothing); briefs are stored in ``insight_briefs``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from persona.consistency import Flag, channel_use, channels_in, segment_traits
from persona.errors import ExportError, GenerationError, NotFoundError, PersonaError
from persona.evidence import Embed, split_sentences, support_many
from persona.exports import write_export
from persona.facts import NumberMention, fact_values, find_numbers, match_number
from persona.interview.prompt import TokenCounter
from persona.knowledge import get_chunk
from persona.knowledge.embed import make_embedding_function
from persona.llm import capabilities
from persona.models import Persona
from persona.personas import get_persona
from persona.predicted import (
    SAVE_FIRST_NOTE,
    SAVE_FIRST_TITLE,
    SavePriority,
    project_save_first,
    save_first_markdown,
)
from persona.render import render_html as render_page
from persona.repos import briefs as brief_repo
from persona.repos import interviews as interview_repo
from persona.repos import panels as panel_repo
from persona.repos.briefs import BriefSummary
from persona.repos.interviews import Source
from persona.research.notes import real_excerpts, real_verdicts
from persona.safe_text import neutralize_markdown, strip_invisible
from persona.store import utc_now
from persona.structured import generate_structured
from persona.text import clip, synthetic_label
from prompts import render

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from persona.services import Services

__all__ = [
    "CATEGORIES",
    "SYNTHETIC_LABEL",
    "BriefDraft",
    "BriefFormat",
    "BriefSummary",
    "Insight",
    "InsightBrief",
    "PersonaRef",
    "Quote",
    "RealQuote",
    "Tier",
    "compile_brief",
    "export_insights",
    "get_brief",
    "list_briefs",
    "render_html",
    "render_json",
    "render_markdown",
]

Tier = Literal[
    "confirmed by real interviews",
    "data-backed",
    "document-backed",
    "simulated-only",
    "contradicted by real interviews",
]
Category = Literal["key_findings", "pain_points", "needs", "preferences", "recommendations"]
BriefFormat = Literal["md", "html", "json"]

CATEGORIES: dict[str, str] = {
    "key_findings": "Key findings",
    "pain_points": "Pain points",
    "needs": "Needs",
    "preferences": "Preferences",
    "recommendations": "Recommendations",
}
TIERS: tuple[Tier, ...] = (
    "confirmed by real interviews",
    "data-backed",
    "document-backed",
    "simulated-only",
    "contradicted by real interviews",
)
TIER_MEANING: dict[str, str] = {
    "confirmed by real interviews": "notes of real interviews with the segment's customers "
    "say the same",
    "data-backed": "linked to the segment's statistics",
    "document-backed": "linked to company documents, not to statistics",
    "simulated-only": "said only by simulated personas: a hypothesis",
    "contradicted by real interviews": "notes of real interviews with the segment's "
    "customers say otherwise",
}
SYNTHETIC_LABEL = synthetic_label("research")
MAX_ITEMS = 4
ANSWER_CHARS = 400
QUOTE_CHARS = 240
MAX_HYPOTHESES = 8

# Flags that mean the answer contradicts the data, or failed the quality gate (then the
# persona answered from its evidence, which is no finding of its own): it backs nothing.
_CONTRADICTIONS = frozenset({"number", "channel", "preference", "character", "gate"})
EMPTY_SECTION = (
    "No answer in the selected interviews and panels speaks to this with support from the "
    "data or documents: ask about it directly."
)
_STOPWORD_TEXT = (
    "a about above after again all also am an and any are as at be because been before "
    "being but by can could did do does doing don for from had has have having he her here "
    "hers him his how i if in into is it its itself just let me more most my no nor not now "
    "of off on once only or other our ours out over own really same she should so some such "
    "than that the their them then there these they this those through to too under until "
    "up very was we were what when where which while who whom why will with would you your "
    "yours customer customers persona personas people thing things like want wants get make "
    "makes much many well even still one feel feels think know way something lot "
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


# --------------------------------------------------------------------------- models


class PersonaRef(BaseModel):
    """A persona whose answers the brief uses, with its segment's share of customers."""

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    segment: str
    share: float = Field(ge=0.0, le=1.0)


class Quote(BaseModel):
    """A sentence from one linked answer (an interview turn or a panel answer)."""

    model_config = ConfigDict(extra="forbid")

    ref: str
    persona_id: int
    persona_name: str
    share: float
    question: str
    text: str
    turn_id: int | None = None
    interview_id: int | None = None
    panel_id: int | None = None
    flagged: bool = False


class RealQuote(BaseModel):
    """A sentence from the (masked) notes of a real interview."""

    model_config = ConfigDict(extra="forbid")

    file: str
    text: str
    segment: str = ""


class Insight(BaseModel):
    """One item of the brief with its tier, why it has that tier, its quotes and weight."""

    model_config = ConfigDict(extra="forbid")

    text: str
    tier: Tier
    basis: list[str] = Field(default_factory=list)
    quotes: list[Quote] = Field(min_length=1)
    weight: float = Field(ge=0.0, le=1.0)
    real: list[RealQuote] = Field(default_factory=list)
    """What real interview notes said about it (the sentence that decided its real tier)."""

    @property
    def turn_ids(self) -> list[int]:
        """Ids of the linked interview turns."""
        return [q.turn_id for q in self.quotes if q.turn_id is not None]

    @property
    def personas(self) -> list[str]:
        """Names of the linked personas, in order of first mention."""
        return list(dict.fromkeys(q.persona_name for q in self.quotes))


class InsightBrief(BaseModel):
    """A synthesis of simulated research, labelled as such."""

    model_config = ConfigDict(extra="forbid")

    synthetic: Literal[True] = True
    label: str = SYNTHETIC_LABEL
    id: int | None = None
    title: str
    created_at: str
    model: str
    method: Literal["model", "extractive"]
    interview_ids: list[int] = Field(default_factory=list)
    panel_ids: list[int] = Field(default_factory=list)
    personas: list[PersonaRef] = Field(default_factory=list)
    key_findings: list[Insight] = Field(default_factory=list)
    pain_points: list[Insight] = Field(default_factory=list)
    needs: list[Insight] = Field(default_factory=list)
    preferences: list[Insight] = Field(default_factory=list)
    recommendations: list[Insight] = Field(default_factory=list)
    hypotheses: list[str] = Field(default_factory=list)
    real_interviews: list[RealQuote] = Field(default_factory=list)
    """What real interviews said: excerpts of the notes of the personas' segments."""
    notes: list[str] = Field(default_factory=list)
    save_first: list[SavePriority] = Field(default_factory=list)
    """Segments by predicted value at risk (:mod:`persona.predicted`); from the data."""

    def sections(self) -> list[tuple[str, list[Insight]]]:
        """``(category, items)`` in display order."""
        return [(name, getattr(self, name)) for name in CATEGORIES]

    def items(self) -> list[Insight]:
        """Every item of every section."""
        return [item for _name, items in self.sections() for item in items]


# What the model fills in: short texts that cite answer ids, nothing else.
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
_Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=16)]


class DraftInsight(BaseModel):
    """One item as the model writes it."""

    model_config = ConfigDict(extra="forbid")

    text: _Text
    refs: list[_Ref] = Field(min_length=1, max_length=4)


class BriefDraft(BaseModel):
    """The model's synthesis: only texts and the ids of the answers they rest on."""

    model_config = ConfigDict(extra="forbid")

    key_findings: list[DraftInsight] = Field(min_length=1, max_length=MAX_ITEMS)
    pain_points: list[DraftInsight] = Field(default_factory=list, max_length=MAX_ITEMS)
    needs: list[DraftInsight] = Field(default_factory=list, max_length=MAX_ITEMS)
    preferences: list[DraftInsight] = Field(default_factory=list, max_length=MAX_ITEMS)
    recommendations: list[DraftInsight] = Field(default_factory=list, max_length=MAX_ITEMS)


# --------------------------------------------------------------------------- evidence units


@dataclass
class _Answer:
    """One answer the brief may cite."""

    ref: str
    persona_id: int
    persona: Persona
    question: str
    text: str
    flags: tuple[Flag, ...]
    sources: tuple[Source, ...]
    turn_id: int | None = None
    interview_id: int | None = None
    panel_id: int | None = None
    chunk_texts: dict[str, str] = field(default_factory=dict)

    @property
    def contradicts(self) -> bool:
        return any(f.kind in _CONTRADICTIONS for f in self.flags)


def _interview_answers(services: Services, interview_id: int) -> list[_Answer]:
    row = interview_repo.find_interview(services.store, services.project_id, interview_id)
    if row is None:
        raise NotFoundError("interview", interview_id, hint="List sessions: `persona interviews`.")
    persona = get_persona(services, row.persona_id, row.persona_version).persona
    out = []
    for r in interview_repo.answered_turns(services.store, interview_id):
        if any(f.kind == "override" for f in r.question_flags):
            continue
        if any(f.kind == "empty" for f in r.flags):
            continue
        out.append(
            _Answer(
                ref=f"T{r.turn_id}",
                persona_id=row.persona_id,
                persona=persona,
                question=r.question,
                text=r.answer,
                flags=r.flags,
                sources=r.sources,
                turn_id=r.turn_id,
                interview_id=interview_id,
            )
        )
    return out


def _panel_answers(services: Services, panel_id: int) -> list[_Answer]:
    row = panel_repo.find_panel(services.store, services.project_id, panel_id)
    if row is None:
        raise NotFoundError("panel", panel_id, hint="List panels with `persona panel --list`.")
    out = []
    for r in panel_repo.panel_answers(services.store, panel_id):
        if any(f.kind in ("override", "empty") for f in r.flags):
            continue
        try:
            persona = get_persona(services, r.persona_id).persona
        except NotFoundError:
            continue
        out.append(
            _Answer(
                ref=f"P{panel_id}.{r.persona_id}",
                persona_id=r.persona_id,
                persona=persona,
                question=row.question,
                text=r.answer,
                flags=r.flags,
                sources=r.sources,
                panel_id=panel_id,
            )
        )
    return out


# --------------------------------------------------------------------------- compile


def compile_brief(
    services: Services,
    *,
    interview_ids: Sequence[int] | None = None,
    panel_ids: Sequence[int] | None = None,
    title: str | None = None,
) -> InsightBrief:
    """Synthesise interviews and panels into a stored :class:`InsightBrief`.

    With neither ``interview_ids`` nor ``panel_ids`` every interview and panel of
    the project is used; naming one kind uses only what is named. Raises
    :class:`PersonaError` when the selection holds no usable answer, and
    provider errors when the model cannot be reached.
    """
    if interview_ids is None and panel_ids is None:
        interview_ids = interview_repo.interview_ids(services.store, services.project_id)
        panel_ids = panel_repo.panel_ids(services.store, services.project_id)
    interviews = list(dict.fromkeys(interview_ids or []))
    panels = list(dict.fromkeys(panel_ids or []))
    answers = [a for i in interviews for a in _interview_answers(services, i)]
    answers += [a for p in panels for a in _panel_answers(services, p)]
    if not answers:
        raise PersonaError(
            "There are no answers to synthesise in the selected interviews and panels.",
            hint="Interview a persona (`persona interview NAME`) or ask a panel first.",
        )
    for answer in answers:
        _load_chunks(services, answer)
    model = services.chat_model()
    model_label = _model_label(model)
    notes: list[str] = []
    chosen = _fit_answers(services, model, answers, notes)
    draft = _draft(services, model, chosen, notes)
    by_ref = {a.ref: a for a in answers}
    embed = make_embedding_function(services.settings)
    if draft is not None:
        sections = {
            name: [
                item
                for d in getattr(draft, name)
                if (item := _insight(d.text, [by_ref[r] for r in _refs(d, by_ref)], embed))
                is not None
            ]
            for name in CATEGORIES
        }
        method: Literal["model", "extractive"] = "model"
        if not any(sections.values()):
            draft = None
            notes.append("The model's synthesis linked no usable answer; quotes are listed.")
    if draft is None:
        sections = _extractive(answers, embed)
        method = "extractive"
        model_label = f"extractive (model {model_label} not used)"
        notes.append(
            "The model's synthesis did not validate, so this brief lists the answers by topic "
            "and makes no recommendations."
        )
    real = apply_real_research(services, sections, {a.persona_id for a in answers})
    for name in sections:
        sections[name].sort(key=lambda i: (TIERS.index(i.tier), -i.weight, i.text))
    flagged = sum(1 for a in answers if a.contradicts)
    if flagged:
        notes.append(
            f"{flagged} of {len(answers)} answers were flagged by the consistency guard as "
            "contradicting the data; they back no item."
        )
    personas = {a.persona_id: a.persona for a in answers}
    brief = InsightBrief(
        title=" ".join(strip_invisible(title or "").split())[:200]
        or f"Insight brief, {utc_now()[:10]}",
        created_at=utc_now(),
        model=model_label,
        method=method,
        interview_ids=interviews,
        panel_ids=panels,
        personas=sorted(
            (
                PersonaRef(id=pid, name=p.name, segment=p.facts.label, share=p.facts.share)
                for pid, p in personas.items()
            ),
            key=lambda r: (-r.share, r.id),
        ),
        hypotheses=_hypotheses(sections),
        real_interviews=real,
        notes=notes,
        save_first=project_save_first(services),
        key_findings=sections["key_findings"],
        pain_points=sections["pain_points"],
        needs=sections["needs"],
        preferences=sections["preferences"],
        recommendations=sections["recommendations"],
    )
    return _save(services, brief)


def _refs(draft: DraftInsight, known: dict[str, _Answer]) -> list[str]:
    return list(dict.fromkeys(r for r in draft.refs if r in known))


def _model_label(model: object) -> str:
    for attribute in ("model_name", "model"):
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    path = getattr(model, "model_path", None)
    if path:
        return Path(str(path)).name
    return str(getattr(model, "_llm_type", type(model).__name__))


def _load_chunks(services: Services, answer: _Answer) -> None:
    if not answer.sources:
        return

    for source in answer.sources:
        citation = get_chunk(services.store, services.settings, source.chunk_id)
        if citation is not None:
            answer.chunk_texts[source.chunk_id] = citation.text


def _fit_answers(
    services: Services, model: BaseChatModel, answers: list[_Answer], notes: list[str]
) -> list[_Answer]:
    """Answers for the prompt, round-robin across personas, within the context budget."""
    counter = TokenCounter(model)
    settings = services.settings
    budget = capabilities(model).token_budget(settings.llm_context, settings.llm_max_tokens, 48)
    budget -= counter(render("insights.system", max_items=MAX_ITEMS, example_ref="T1")) + 200
    queues: dict[int, list[_Answer]] = {}
    for answer in answers:
        queues.setdefault(answer.persona_id, []).append(answer)
    chosen: list[_Answer] = []
    used = 0
    while any(queues.values()):
        for queue in queues.values():
            if not queue:
                continue
            answer = queue.pop(0)
            cost = counter(_clip(answer.text, ANSWER_CHARS)) + counter(answer.question) + 24
            if used + cost > budget:
                queue.clear()
                continue
            chosen.append(answer)
            used += cost
    left = len(answers) - len(chosen)
    if left:
        notes.append(
            f"{left} of {len(answers)} answers did not fit the model's context and were left "
            "out of the synthesis."
        )
    return chosen


def _draft(
    services: Services, model: BaseChatModel, answers: list[_Answer], notes: list[str]
) -> BriefDraft | None:
    """The model's synthesis, validated and repaired; ``None`` when nothing usable came back."""

    if not answers:
        return None
    known = {a.ref: a for a in answers}
    personas = {a.persona_id: a.persona for a in answers}
    messages: list[BaseMessage] = [
        SystemMessage(
            content=render("insights.system", max_items=MAX_ITEMS, example_ref=answers[0].ref)
        ),
        HumanMessage(
            content=render(
                "insights.user",
                personas=[
                    {
                        "name": _clip(p.name, 80),
                        "segment": _clip(p.facts.label, 160),
                        "share": f"{p.facts.share * 100:.0f}%",
                    }
                    for p in personas.values()
                ],
                answers=[
                    {
                        "ref": a.ref,
                        "persona": _clip(a.persona.name, 80),
                        "question": _clip(a.question, 300),
                        "text": _clip(a.text, ANSWER_CHARS),
                    }
                    for a in answers
                ],
            )
        ),
    ]
    seen: list[BriefDraft] = []

    def validate(draft: BriefDraft) -> list[str]:
        seen.append(draft)
        problems = []
        for name in CATEGORIES:
            for number, item in enumerate(getattr(draft, name), start=1):
                where = f"{name}[{number}]"
                unknown = [r for r in item.refs if r not in known]
                if unknown:
                    problems.append(f"{where}: unknown answer ids {unknown}; use ids shown")
                if re.search(r"\d", item.text):
                    problems.append(f"{where}: write no numbers or digits")
                if re.search(r"(?i)https?:|www\.|<[a-z/!]|\]\(", item.text):
                    problems.append(f"{where}: plain text only, no links or markup")
        return problems

    try:
        result = generate_structured(
            model, messages, BriefDraft, retries=services.settings.structured_retries,
            validate=validate,
        )  # fmt: skip
        return result.value
    except GenerationError as error:
        if not seen:
            notes.append(f"The model's output never matched the brief's schema ({error.message})")
            return None
        notes.append(
            "The model's synthesis kept some problems after re-asking; unknown answer ids, "
            "and items with numbers or links, were dropped."
        )
        return _repair(seen[-1], known)


def _repair(draft: BriefDraft, known: dict[str, _Answer]) -> BriefDraft:
    kept: dict[str, list[DraftInsight]] = {}
    for name in CATEGORIES:
        items = []
        for item in getattr(draft, name):
            refs = [r for r in item.refs if r in known]
            if not refs or re.search(r"\d|https?:|www\.|<[a-z/!]|\]\(", item.text, re.I):
                continue
            items.append(item.model_copy(update={"refs": refs}))
        kept[name] = items
    return BriefDraft.model_construct(
        key_findings=kept["key_findings"],
        pain_points=kept["pain_points"],
        needs=kept["needs"],
        preferences=kept["preferences"],
        recommendations=kept["recommendations"],
    )


# --------------------------------------------------------------------------- tiers


def _words(text: str) -> set[str]:
    """Content words, lower-cased, with a plural ``s`` removed."""
    out = set()
    for word in re.findall(r"[a-z]+", text.lower()):
        if len(word) < 3 or word in _STOPWORDS:
            continue
        out.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return out


def _mentions(text: str, keywords: Sequence[str]) -> bool:
    lowered = text.lower()
    return any(re.search(rf"\b{re.escape(k)}s?\b", lowered) for k in keywords)


def _overlaps(words: set[str], other: str, *, minimum: int = 2) -> bool:
    theirs = _words(other)
    if not theirs:
        return False
    shared = words & theirs
    return len(shared) >= minimum or (len(theirs) <= 2 and theirs <= words)


def tier_of(
    text: str, answers: Sequence[_Answer], embed: Embed | None = None
) -> tuple[Tier, list[str]]:
    """The tier of an item about ``text`` linking ``answers``, and the evidence for it.

    A statistic or passage backs the item only when the support check says it
    supports the item's text (:func:`persona.evidence.support_many`; the same
    check as persona citations): "the company's mission is to make money" is not
    data-backed because its persona's segment is price-sensitive. A number the
    item states that equals a fact backs it outright. Answers that contradict the
    data or failed the quality gate back nothing. Without ``embed`` the check
    falls back to shared words.
    """
    words = _words(text)
    exact: list[str] = []
    offered: list[tuple[str, str, str]] = []  # (kind, label, what the evidence says)
    for answer in answers:
        if answer.contradicts:
            continue
        persona = answer.persona
        who = persona.name
        for trait in segment_traits(persona.facts):
            if not (trait.keywords and _mentions(text, trait.keywords)):
                continue
            said = f"Customers who are {trait.description}: {', '.join(trait.keywords[:10])}."
            label = f"{trait.evidence_label()}: {who}'s segment's customers are {trait.description}"
            offered.append(("data", label, said))
        use = channel_use(persona)
        for channel in channels_in(text):
            share = use.shares.get(channel)
            if share is not None and channel in use.used:
                exact.append(f"{use.facts[channel]} = {share:g}: {who}'s segment prefers {channel}")
        for _name, item in persona.items():
            for evidence in item.evidence:
                if evidence.kind in ("stat", "doc"):
                    kind = "data" if evidence.kind == "stat" else "doc"
                    label = f"{evidence.label()} ({who}: “{_clip(item.text, 60)}”)"
                    offered.append((kind, label, item.text))
        for mention in find_numbers(text):
            fact = _number_fact(mention, persona)
            if fact is not None:
                exact.append(f"{fact} matches {mention.raw} ({who})")
        for source in answer.sources:
            chunk = answer.chunk_texts.get(source.chunk_id, "")
            for sentence in split_sentences(chunk) if chunk else []:
                offered.append(
                    ("doc", f"doc: {source.label()} (context of {answer.ref})", sentence)
                )
    kept = _supported(text, words, offered, embed)
    data = list(dict.fromkeys(exact + [label for kind, label in kept if kind == "data"]))
    documents = list(dict.fromkeys(label for kind, label in kept if kind == "doc"))
    if data:
        return "data-backed", data + documents
    if documents:
        return "document-backed", documents
    return "simulated-only", ["no statistic or document supports it"]


def _supported(
    text: str, words: set[str], offered: list[tuple[str, str, str]], embed: Embed | None
) -> list[tuple[str, str]]:
    """``(kind, label)`` of the offered evidence that supports ``text``."""
    if not offered:
        return []
    if embed is None:
        return [(k, label) for k, label, said in offered if _overlaps(words, said, minimum=3)]
    results = support_many([(text, [said]) for _k, _label, said in offered], embed)
    return [(k, label) for (k, label, _s), r in zip(offered, results, strict=True) if r.supported]


def _number_fact(mention: NumberMention, persona: Persona) -> str | None:
    """The descriptive fact a number in an item states, if any.

    Small bare integers match some statistic by chance, and ids, rules and
    verdicts describe the segmentation rather than customers: neither counts.
    """
    if abs(mention.value) < 10 and not mention.percent:
        return None
    values = {
        name: found
        for name, found in fact_values(persona.facts).items()
        if not re.search(r"segment_id|segment_index|rule|verdict|label", name)
    }
    return match_number(mention, values)


def _insight(text: str, answers: list[_Answer], embed: Embed | None = None) -> Insight | None:
    if not answers:
        return None
    clean = " ".join(strip_invisible(text).split())
    tier, basis = tier_of(clean, answers, embed)
    quotes = [_quote(clean, a) for a in answers]
    shares = {a.persona_id: a.persona.facts.share for a in answers}
    return Insight(
        text=clean, tier=tier, basis=basis, quotes=quotes, weight=min(1.0, sum(shares.values()))
    )


def _quote(text: str, answer: _Answer) -> Quote:
    words = _words(text)
    sentences = [s.strip() for s in re.findall(r"[^.!?]+[.!?]*", answer.text) if s.strip()]
    best = max(sentences or [answer.text], key=lambda s: len(words & _words(s)))
    return Quote(
        ref=answer.ref,
        persona_id=answer.persona_id,
        persona_name=answer.persona.name,
        share=answer.persona.facts.share,
        question=_clip(answer.question, 300),
        text=_clip(best, QUOTE_CHARS),
        turn_id=answer.turn_id,
        interview_id=answer.interview_id,
        panel_id=answer.panel_id,
        flagged=answer.contradicts,
    )


def _clip(text: str, limit: int) -> str:
    return clip(strip_invisible(text), limit)


# --------------------------------------------------------------------------- fallback

_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("pain_points", re.compile(r"(?i)frustrat|annoy|hard|problem|difficult|wrong|complain")),
    ("needs", re.compile(r"(?i)\bneed|worth|matter|important|expect")),
    ("preferences", re.compile(r"(?i)channel|find out|hear about|prefer|usually|walk me|buy")),
)


def _extractive(answers: list[_Answer], embed: Embed | None = None) -> dict[str, list[Insight]]:
    """Answers grouped by the topic of their question, each quoted as it was said."""
    sections: dict[str, list[Insight]] = {name: [] for name in CATEGORIES}
    usable = sorted(
        (a for a in answers if not a.contradicts),
        key=lambda a: (-a.persona.facts.share, a.ref),
    )
    for answer in usable:
        category = next((n for n, p in _TOPICS if p.search(answer.question)), "key_findings")
        if len(sections[category]) >= MAX_ITEMS:
            continue
        first = re.findall(r"[^.!?]+[.!?]*", answer.text)
        text = f"{answer.persona.name}: {_clip(first[0] if first else answer.text, 200)}"
        item = _insight(text, [answer], embed)
        if item is not None:
            sections[category].append(item)
    return sections


def apply_real_research(
    services: Services, sections: dict[str, list[Insight]], persona_ids: set[int]
) -> list[RealQuote]:
    """Move items that real notes confirm or contradict to those tiers; return note excerpts.

    The one call into the real-research support check (:func:`real_verdicts`).
    """
    items = [item for name in CATEGORIES for item in sections[name]]
    verdicts = real_verdicts(
        services, [(item.text, [q.persona_id for q in item.quotes]) for item in items]
    )
    for item, (support, file) in zip(items, verdicts, strict=True):
        if support.verdict is None:
            continue
        item.tier = (
            "confirmed by real interviews"
            if support.verdict == "confirmed"
            else "contradicted by real interviews"
        )
        item.basis.append(f"real interview notes ({file}): “{clip(support.sentence, 200)}”")
        item.real.append(RealQuote(file=file, text=clip(support.sentence, QUOTE_CHARS)))
    return [
        RealQuote(file=file, text=text, segment=segment)
        for file, text, segment in real_excerpts(services, sorted(persona_ids))
    ]


def _hypotheses(sections: dict[str, list[Insight]]) -> list[str]:
    """Claims to check with real customers: weakest evidence first, then by weight."""
    items = [
        i
        for name, items in sections.items()
        if name != "recommendations"
        for i in items
        if i.tier != "confirmed by real interviews"
    ]
    items.sort(key=lambda i: (-TIERS.index(i.tier), -i.weight))
    out = []
    for item in items[:MAX_HYPOTHESES]:
        who = ", ".join(item.personas)
        out.append(
            f"{item.text} (check with real customers like {who}; now {item.tier}, "
            f"{item.weight * 100:.0f}% of customers)"
        )
    return out


# --------------------------------------------------------------------------- store


def _save(services: Services, brief: InsightBrief) -> InsightBrief:
    return brief_repo.save_brief(
        services.store,
        services.project_id,
        brief,
        title=brief.title,
        model=brief.model,
        created_at=brief.created_at,
    )


def get_brief(services: Services, brief_id: int) -> InsightBrief:
    """A stored brief."""
    brief = brief_repo.get_brief(services.store, services.project_id, brief_id, InsightBrief)
    if brief is None:
        raise NotFoundError(
            "insight brief", brief_id, hint="List briefs: `persona insights --list`."
        )
    return brief


def list_briefs(services: Services) -> list[BriefSummary]:
    """Every brief of the project, oldest first."""
    return brief_repo.list_briefs(services.store, services.project_id)


# --------------------------------------------------------------------------- rendering


def _md(text: str) -> str:
    return neutralize_markdown(text)


def _source_label(quote: Quote) -> str:
    if quote.turn_id is not None:
        return f"interview {quote.interview_id}, turn id {quote.turn_id}"
    return f"panel {quote.panel_id}"


def render_markdown(brief: InsightBrief) -> str:
    """The brief as Markdown; every model-written string is neutralised."""
    lines = [
        f"# {_md(brief.title)}",
        "",
        f"> **{_md(brief.label)}**",
        "",
        f"Compiled {brief.created_at[:16].replace('T', ' ')} UTC by {_md(brief.model)} "
        f"from {len(brief.interview_ids)} interview(s) and {len(brief.panel_ids)} panel(s).",
        "",
        "Personas: "
        + "; ".join(f"{_md(p.name)} ({p.share * 100:.0f}% of customers)" for p in brief.personas),
        "",
        "Tiers: "
        + "; ".join(f"**{tier}** = {meaning}" for tier, meaning in TIER_MEANING.items())
        + ". Weight = share of customers whose segments' personas said it.",
        "",
    ]
    if brief.real_interviews:
        lines += [
            "## What real interviews said",
            "",
            "Notes of real interviews with customers of these segments (real, not simulated; "
            "masked before storage).",
            "",
        ]
        lines += [
            f"- “{_md(q.text)}” — real interview notes, {_md(q.file)} ({_md(q.segment)})"
            for q in brief.real_interviews
        ]
        lines.append("")
    for name, items in brief.sections():
        lines += [f"## {CATEGORIES[name]}", ""]
        if not items:
            lines += [f"_{EMPTY_SECTION}_", ""]
            continue
        for number, item in enumerate(items, start=1):
            lines.append(
                f"{number}. **{item.tier}**: {_md(item.text)} "
                f"(weight {item.weight * 100:.0f}%: {_md(', '.join(item.personas))})"
            )
            lines.append(f"    - Basis: {_md('; '.join(item.basis))}")
            for real in item.real:
                lines.append(f"    - Real interview: “{_md(real.text)}” — {_md(real.file)}")
            for quote in item.quotes:
                flag = " (flagged by the consistency guard)" if quote.flagged else ""
                lines.append(
                    f"    - “{_md(quote.text)}” — {_md(quote.persona_name)}, "
                    f"{_source_label(quote)}{flag}"
                )
        lines.append("")
    lines += ["## Hypotheses to validate with real customers", ""]
    lines += [f"- {_md(h)}" for h in brief.hypotheses] or ["None."]
    lines += save_first_markdown(brief.save_first)
    if brief.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {_md(n)}" for n in brief.notes]
    return "\n".join(lines) + "\n"


def render_html(brief: InsightBrief) -> str:
    """The brief as one standalone HTML page: escaped text, no script, loads nothing."""
    return render_page(
        "insight_brief",
        brief=brief,
        tiers=TIER_MEANING,
        categories=CATEGORIES,
        source_label=_source_label,
        empty_section=EMPTY_SECTION,
        save_first_title=SAVE_FIRST_TITLE,
        save_first_note=SAVE_FIRST_NOTE,
    )


def render_json(brief: InsightBrief) -> str:
    """The brief as indented JSON (the stored data)."""
    return brief.model_dump_json(indent=2) + "\n"


def export_insights(
    services: Services, brief_id: int, fmt: BriefFormat = "md", path: Path | None = None
) -> Path:
    """Write a stored brief as Markdown, HTML or JSON, atomically.

    The default file is ``exports/insights-<id>.<fmt>``; names never come from
    model output.
    """
    renderers = {"md": render_markdown, "html": render_html, "json": render_json}
    if fmt not in renderers:
        raise ExportError(f"Unknown brief format {fmt!r}.", hint="Use md, html or json.")
    brief = get_brief(services, brief_id)
    target = path or services.settings.exports_path / f"insights-{brief_id}.{fmt}"
    return write_export(target, renderers[fmt](brief))
