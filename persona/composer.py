"""The composer: a persona written from its evidence candidates with no model at all.

The default writer with the embedded model, and always available. Per field it
picks the strongest, least redundant candidates (:mod:`persona.evidence`) and
writes them plainly; every item keeps its source. What no evidence speaks to is
said, not invented:

* ``goals``, ``needs``, ``pain_points``, ``challenges``: document sentences only
  (statistics say what customers do, not what they want); empty with a gap note
  when no document speaks to them;
* ``behaviour_patterns``: the statistics that set the segment apart, then
  document sentences about behaviour;
* ``channels``: the data's preferred channel and channel statistics, then
  document sentences about channels;
* ``personality`` and ``hobbies``: no table column or company document states
  them, so they stay empty with a gap note (no labelled-inferred filler: a team
  prefers "no data on hobbies" to an invented hobby);
* ``background``: the segment's size and share and its two most distinctive
  statistics; ``quote``: the strongest document sentence on needs or pain
  points (quoted from the file, not the persona's words), else a note that no
  customer words are on file;
* ``age``, ``location``, ``occupation``: from the data where it has them
  (:mod:`persona.evidence.assembly`); the name from the fixed pool
  (:func:`persona.names.fallback_name`), free in the project.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from persona.evidence.assembly import data_fields, verdict_fields
from persona.evidence.candidates import Candidate, by_field
from persona.facts import format_value
from persona.models import Evidence, EvidencedItem, Persona, SegmentFacts

if TYPE_CHECKING:
    from persona.segmentation import StoredSegment

__all__ = [
    "GAP_NOTES",
    "PER_FIELD",
    "WRITER_LABELS",
    "background_stats",
    "compose_items",
    "compose_persona",
    "gap_note",
    "writer_label",
]

PER_FIELD = 3
"""At most this many items per list field."""
_REDUNDANT = 0.5
"""Word overlap (Jaccard) from which a candidate repeats one already chosen."""
_WORDS = re.compile(r"[a-z]{3,}")
_LABEL = re.compile(r"^[A-Z][A-Za-z' ]{2,30}:\s+")

GAP_NOTES: dict[str, str] = {
    "goals": "No document or data speaks to this segment's goals yet: add research notes, "
    "survey answers or support logs.",
    "needs": "No document or data speaks to this segment's needs yet: add research notes, "
    "product feedback or support logs.",
    "pain_points": "No document or data speaks to this segment's pain points yet: add "
    "support logs, complaints or reviews.",
    "challenges": "No document or data speaks to this segment's challenges yet: add "
    "research notes or support logs.",
    "behaviour_patterns": "Nothing in the data sets this segment's behaviour apart.",
    "channels": "No channel column and no document speaks to how this segment is reached.",
    "personality": "No data on personality for this segment: no column or document states it.",
    "hobbies": "No data on hobbies for this segment: no column or document states it.",
    "occupation": "No occupation column in the data.",
}
"""What an empty field says, per field."""

_NO_QUOTE = (
    "No customer words on file for this segment yet: add support logs, reviews or "
    "interview notes to hear its voice."
)
_DOC_FIELDS = ("goals", "needs", "pain_points", "challenges")


WRITER_LABELS: dict[str, str] = {
    "composer": "composer (from the evidence, no model)",
    "model": "model writer (rewrites the evidence, citations checked)",
    "": "model (before writers were recorded)",
}


def writer_label(writer: str) -> str:
    """How a persona card and an export name the writer of a persona."""
    return WRITER_LABELS.get(writer, writer)


def gap_note(field: str) -> str:
    """The note an empty ``field`` shows."""
    return GAP_NOTES.get(field, f"No document or data speaks to {field.replace('_', ' ')} yet.")


def compose_items(
    candidates: Sequence[Candidate], data_channel: EvidencedItem | None = None
) -> dict[str, list[EvidencedItem]]:
    """The composed list fields: per field the strongest non-redundant candidates."""
    grouped = by_field(candidates)
    out: dict[str, list[EvidencedItem]] = {}
    for name in _DOC_FIELDS:
        out[name] = _pick([c for c in grouped[name] if c.kind != "stat"])
    # The strongest statistics open the background: the lists do not say them again.
    opening = {c.id for c in background_stats(candidates)}
    stats = [c for c in grouped["behaviour_patterns"] if c.kind == "stat"]
    fresh = [c for c in stats if c.id not in opening]
    others = [c for c in grouped["behaviour_patterns"] if c.kind != "stat"]
    out["behaviour_patterns"] = _pick(fresh[:2] + others + fresh[2:]) or _pick(stats)
    channel_candidates = [c for c in grouped["channels"] if c.id not in opening]
    if data_channel is not None:  # the same statistic says it once
        said = {e.stat for e in data_channel.evidence}
        channel_candidates = [c for c in channel_candidates if c.source.get("stat") not in said]
    channels = _pick(channel_candidates)
    if data_channel is not None:
        channels = [data_channel, *channels][:PER_FIELD]
    out["channels"] = channels
    out["personality"] = []
    out["hobbies"] = []
    return out


def _pick(candidates: Sequence[Candidate]) -> list[EvidencedItem]:
    chosen: list[tuple[set[str], EvidencedItem]] = []
    for candidate in candidates:
        words = set(_WORDS.findall(candidate.text.lower()))
        if any(_overlap(words, other) >= _REDUNDANT for other, _item in chosen):
            continue
        chosen.append((words, item_of(candidate)))
        if len(chosen) == PER_FIELD:
            break
    return [item for _words, item in chosen]


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def item_of(candidate: Candidate) -> EvidencedItem:
    """An item saying what ``candidate`` says, with its evidence."""
    # A statistic's sentence has no research-note label to drop ("Churned: 63.5% …").
    text = candidate.text if candidate.kind == "stat" else plain(candidate.text)
    return EvidencedItem(text=text, evidence=[candidate.evidence()])


def plain(text: str) -> str:
    """A research note's claim without its label: "Pain points: slow refunds." → "Slow refunds."

    The field heading already says what the label said.
    """
    match = _LABEL.match(text)
    if match is None or len(text) - match.end() < 12:
        return text
    rest = text[match.end() :].strip()
    return rest[:1].upper() + rest[1:]


def compose_persona(
    segment: StoredSegment,
    facts: SegmentFacts,
    candidates: Sequence[Candidate],
    name: str,
    flags: Sequence[str] = (),
) -> Persona:
    """The whole persona from ``candidates``: every item cited, every empty field explained."""
    demographics = data_fields(segment, facts)
    lists = compose_items(candidates, demographics.pop("channel"))
    gaps = {field: gap_note(field) for field, items in lists.items() if not items}
    quote = _quote(candidates, {i.text for items in lists.values() for i in items})
    if quote.text == _NO_QUOTE:
        gaps["quote"] = _NO_QUOTE
    if demographics.get("occupation") is None:
        gaps["occupation"] = gap_note("occupation")
    verdict, warnings, scorecard = verdict_fields(segment)
    return Persona.model_validate(
        {
            "name": name,
            **demographics,
            "background": _background(facts, candidates),
            "quote": quote,
            "facts": facts,
            "verdict": verdict,
            "scorecard": scorecard,
            "warnings": warnings,
            "flags": list(flags),
            "writer": "composer",
            "gaps": gaps,
            **lists,
        }
    )


def _background(facts: SegmentFacts, candidates: Sequence[Candidate]) -> EvidencedItem:
    size = facts.statistics.get("segment_size", facts.size)
    share = facts.statistics.get("share_pct", round(facts.share * 100, 1))
    text = f"{format_value(size)} customers ({format_value(share)}%), described by their data."
    evidence = [
        Evidence(kind="stat", stat="segment_size", value=size, note="customers in the segment"),
        Evidence(kind="stat", stat="share_pct", value=share, note="share of all customers"),
    ]
    stats = background_stats(candidates)
    if stats:
        text = f"{format_value(size)} customers ({format_value(share)}%). " + " ".join(
            c.text for c in stats
        )
        evidence += [c.evidence() for c in stats]
    return EvidencedItem(text=text[:600], evidence=evidence)


def background_stats(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The two strongest statistics: what the background says sets the segment apart."""
    return [c for c in candidates if c.kind == "stat" and c.score > 0][:2]


def _quote(candidates: Sequence[Candidate], shown: set[str]) -> EvidencedItem:
    """The strongest document sentence on pain points, needs, goals or challenges.

    One not already shown in a list, when there is one.
    """
    grouped = by_field(candidates)
    voiced = [
        c for name in ("pain_points", "needs", "goals", "challenges")
        for c in grouped[name] if c.kind != "stat"
    ]  # fmt: skip
    fresh = [c for c in voiced if plain(c.text) not in shown]
    for best in (fresh or voiced)[:1]:
        if best:
            evidence = best.evidence().model_copy(
                update={"note": "quoted from the document, not the persona's own words"}
            )
            return EvidencedItem(text=plain(best.text), evidence=[evidence])
    return EvidencedItem(
        text=_NO_QUOTE,
        evidence=[Evidence(kind="inferred", note="no customer words on file: a placeholder")],
    )
