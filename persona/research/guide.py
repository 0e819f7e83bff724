"""The interview guide for a conversation with a real customer of one segment.

It starts from the persona's guide (:mod:`persona.guide`) and rewrites it for a
real person: no persona name or persona wording reaches the participant, every
question stays open, neutral and about one thing (:func:`persona.guide.question_problems`),
and the hypotheses of the latest insight brief that concern this segment's
persona become *topics to probe*: the interviewer reads the hypothesis, the
participant only hears a neutral "how, if at all" question about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from persona.guide import get_guide, question_problems
from persona.insights import TIERS, InsightBrief, get_brief, list_briefs
from persona.names import first_name
from persona.personas import list_personas
from persona.repos.segmentations import StoredSegment
from persona.services import Services
from persona.text import clip

__all__ = ["RealGuide", "RealQuestion", "build_real_guide"]

OPENING = (
    "Thank you for taking the time. There are no right or wrong answers: we want to learn "
    "how you actually shop, including what does not work for you. May I take notes? Names "
    "and contact details are removed before the notes are stored."
)
CLOSING = "What else should we have asked you about?"
MAX_TOPICS = 6
_GENERIC = (
    ("background", "Tell me a little about yourself and a typical week for you."),
    ("behaviour", "Walk me through the last time you bought something from us."),
    ("pain_points", "Tell me about the last time something frustrated you when buying from us."),
    ("needs", "What would make a purchase from us feel worth it to you?"),
    ("channels", "How do you usually find out about new products and offers?"),
)
_NOTE = re.compile(r"\s*\((check with real customers|now )[^)]*\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RealQuestion:
    """One question to ask a real participant."""

    topic: str
    text: str
    hypothesis: str | None = None
    """For a probe: the brief's hypothesis (for the interviewer, never read aloud)."""
    tier: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "topic": self.topic,
            "text": self.text,
            "hypothesis": self.hypothesis,
            "tier": self.tier,
        }


@dataclass(frozen=True)
class RealGuide:
    """Questions for real interviews with customers of one segment."""

    segment: int
    label: str
    opening: str
    questions: list[RealQuestion]
    probes: list[RealQuestion]
    closing: str
    brief_id: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "segment": self.segment,
            "label": self.label,
            "opening": self.opening,
            "questions": [q.to_dict() for q in self.questions],
            "probes": [q.to_dict() for q in self.probes],
            "closing": self.closing,
            "brief_id": self.brief_id,
            "notes": list(self.notes),
        }


def _without_names(text: str, names: list[str], stand_in: str = "you") -> str:
    """``text`` with the persona's name (and its possessive) replaced by ``stand_in``."""
    for name in names:
        if name:
            text = re.sub(
                rf"\b{re.escape(name)}('s|’s)?\b",
                lambda m: stand_in + ("'s" if m.group(1) else ""),
                text,
                flags=re.IGNORECASE,
            )
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] if text else text


def _latest_brief(services: Services) -> InsightBrief | None:
    briefs = list_briefs(services)
    return get_brief(services, briefs[-1].id) if briefs else None


def _probe(hypothesis: str) -> str:
    """A neutral question about a hypothesis: it names the topic, not the expected answer."""
    topic = clip(hypothesis.rstrip(".!? "), 110).replace("?", "")
    topic = topic[:1].lower() + topic[1:] if topic[1:2].islower() else topic
    return f"How, if at all, does this match your own experience: “{topic}”?"


def build_real_guide(services: Services, segment: StoredSegment) -> RealGuide:
    """The guide for real interviews with customers of ``segment``.

    Uses the segment's newest persona's guide when there is one, and the
    hypotheses of the latest brief about that persona (or, when none names it,
    none: the brief's other hypotheses are about other customers).
    """
    notes: list[str] = []
    personas = [p for p in list_personas(services) if p.segment_id == segment.id]
    names: list[str] = []
    source: list[tuple[str, str]]
    persona_id: int | None = None
    if personas:
        newest = personas[-1]
        persona_id = newest.id
        names = [newest.name, first_name(newest.name)]
        source = [(q.topic, q.text) for q in get_guide(services, newest.id).questions]
    else:
        source = list(_GENERIC)
        notes.append(
            "No persona of this segment yet: the guide holds the core topics only "
            "(`persona generate` adds the persona's weakest points)."
        )
    questions: list[RealQuestion] = []
    seen: set[str] = set()
    for topic, text in source:
        clean = _without_names(text, names)
        if clean in seen or question_problems(clean):
            continue
        seen.add(clean)
        questions.append(RealQuestion(topic=topic, text=clean))
    brief = _latest_brief(services)
    probes: list[RealQuestion] = []
    if brief is not None and persona_id is not None:
        # As the brief lists its hypotheses: weakest evidence first, then by weight; what
        # real interviews already confirmed needs no probe.
        items = sorted(
            (
                item
                for item in brief.items()
                if item.tier != "confirmed by real interviews"
                and any(q.persona_id == persona_id for q in item.quotes)
            ),
            key=lambda item: (-TIERS.index(item.tier), -item.weight),
        )
        for item in items:
            # "Ava compares prices" → "The customer compares prices": the verb still agrees.
            hypothesis = _without_names(_NOTE.sub("", item.text), names, "the customer")
            text = _probe(hypothesis)
            if text in seen or question_problems(text):
                continue
            seen.add(text)
            probes.append(
                RealQuestion(topic="hypothesis", text=text, hypothesis=hypothesis, tier=item.tier)
            )
            if len(probes) >= MAX_TOPICS:
                break
        if not probes:
            notes.append(
                f"The latest brief (#{brief.id}) has no open hypothesis about this segment."
            )
    elif personas:
        notes.append("No insight brief yet: `persona insights` adds hypotheses to probe.")
    return RealGuide(
        segment=segment.segment_index,
        label=segment.label,
        opening=OPENING,
        questions=questions,
        probes=probes,
        closing=CLOSING,
        brief_id=None if brief is None else brief.id,
        notes=notes,
    )
