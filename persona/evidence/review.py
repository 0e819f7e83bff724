"""Reviewing what the model writer wrote: the quality gate, then the citation check.

After the draft has been re-asked (with the gate's problems among the reasons)
and repaired, every model-written item of the persona is reviewed once more:

1. an item that fails the :class:`~persona.evidence.gate.QualityGate` is dropped;
   a field left empty takes the composer's items for it (or stays empty with
   the composer's gap note), ``background`` and ``quote`` take the composer's
   text, and each replacement is a visible flag;
2. an item citing evidence keeps only the cited entries whose text supports it
   (:func:`~persona.evidence.support.support_many`); when none does, the
   citation is demoted to ``inferred`` with the score it reached, so a guess
   is never shown with a receipt it does not have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from persona.evidence.assembly import CITED_NOTE
from persona.evidence.gate import QualityGate
from persona.evidence.sentences import Embed, split_sentences
from persona.evidence.support import SUPPORT_THRESHOLD, support_many
from persona.facts import format_value
from persona.models import (
    LIST_FIELDS,
    Evidence,
    EvidencedItem,
    Persona,
    PersonaDraft,
    SegmentFacts,
)
from persona.text import clip

if TYPE_CHECKING:
    from persona.evidence.collect import SegmentEvidence
    from persona.knowledge import Citation

__all__ = ["Review", "evidence_texts", "gate_problems", "review_persona", "writer_gate"]

_GATED_SINGLE = ("background", "quote")


@dataclass(frozen=True)
class Review:
    """The reviewed persona and what the review counted."""

    persona: Persona
    counts: dict[str, int] = field(default_factory=dict)


def writer_gate(facts: SegmentFacts, instructions: str) -> QualityGate:
    """The gate for one segment's model-written persona."""
    return QualityGate.for_facts(facts, instructions=instructions)


def gate_problems(draft: PersonaDraft, gate: QualityGate) -> list[str]:
    """The gate's problems with a draft, phrased for re-asking the model."""
    problems = []
    for where, text in draft.strings():
        if where == "name":
            continue
        for problem in gate.check(text):
            problems.append(
                f"{where} was rejected ({problem}). Rewrite it in plain English words, "
                "without column codes, field names or numbers that are not in the facts."
            )
    return problems


def evidence_texts(
    evidence: SegmentEvidence, documents: Mapping[str, Citation], facts: SegmentFacts
) -> dict[tuple[str, str], list[str]]:
    """What each citable source says, in words: ``(kind, stat or chunk id)`` → texts."""
    texts: dict[tuple[str, str], list[str]] = {}
    for fact in facts.facts:
        texts[("stat", fact.name)] = [f"{fact.label}: {format_value(fact.value)}"]
    for candidate in evidence.candidates:
        if candidate.kind == "stat":
            texts[("stat", str(candidate.source.get("stat")))] = [candidate.text]
    for chunk in [*evidence.chunks, *documents.values()]:
        texts[("doc", chunk.chunk_id)] = split_sentences(chunk.text) or [clip(chunk.text, 300)]
    return texts


def review_persona(
    persona: Persona,
    *,
    gate: QualityGate,
    embed: Embed,
    texts: Mapping[tuple[str, str], Sequence[str]],
    composed: Persona,
) -> Review:
    """``persona`` with gate-failing items replaced and unsupported citations demoted."""
    gate.vocabulary.update(persona.name.split())
    composed_texts = {item.text for _f, item in composed.items()}
    flags = list(persona.flags)
    gaps = dict(persona.gaps)
    counts = {"model_items": 0, "gated": 0, "replaced": 0, "cited": 0, "supported": 0}
    changes: dict[str, object] = {}
    for name in LIST_FIELDS:
        kept = []
        for item in persona.field_items(name):
            if item.text in composed_texts:
                kept.append(item)
                continue
            counts["model_items"] += 1
            problems = gate.check(item.text)
            if problems:
                counts["gated"] += 1
                flags.append(
                    f"{name}: the model's {item.text!r} failed the quality gate "
                    f"({'; '.join(map(str, problems))}) and was dropped"
                )
                continue
            kept.append(item)
        if not kept and persona.field_items(name):
            kept = composed.field_items(name)
            counts["replaced"] += 1
            if kept:
                flags.append(f"{name}: shown from the evidence instead (composed, no model)")
            else:
                gaps[name] = composed.gaps.get(name, "")
        changes[name] = kept
    for name in _GATED_SINGLE:
        item = getattr(persona, name)
        counts["model_items"] += 1
        problems = gate.check(item.text)
        if problems:
            counts["gated"] += 1
            counts["replaced"] += 1
            flags.append(
                f"{name}: the model's text failed the quality gate "
                f"({'; '.join(map(str, problems))}); the composed text is shown instead"
            )
            changes[name] = getattr(composed, name)
    reviewed = persona.model_copy(update={**changes, "flags": flags, "gaps": gaps})
    checked = _check_citations(reviewed, embed, texts, counts)
    return Review(checked, counts)


def _check_citations(
    persona: Persona,
    embed: Embed,
    texts: Mapping[tuple[str, str], Sequence[str]],
    counts: dict[str, int],
) -> Persona:
    """Keep the cited evidence that supports its item; demote the rest to ``inferred``."""
    places: list[tuple[str, int, EvidencedItem, list[Evidence]]] = []
    for name in ("background", "quote", *LIST_FIELDS):
        for index, item in enumerate(persona.field_items(name)):
            cited = [e for e in item.evidence if e.note == CITED_NOTE]
            if cited:
                places.append((name, index, item, cited))
    if not places:
        return persona
    pairs = []
    for _name, _index, item, cited in places:
        for entry in cited:
            pairs.append((item.text, list(texts.get(_key(entry), []))))
    scores = iter(support_many(pairs, embed))
    updates: dict[str, object] = {}
    for name, index, item, cited in places:
        counts["cited"] += 1
        results = [next(scores) for _ in cited]
        good = {id(e) for e, r in zip(cited, results, strict=True) if r.supported}
        evidence = [e for e in item.evidence if e.note != CITED_NOTE or id(e) in good]
        if good:
            counts["supported"] += 1
        if not evidence:
            best = max(r.score for r in results)
            evidence = [
                Evidence(
                    kind="inferred",
                    note=f"the model cited {_label(cited)}, which does not say this "
                    f"(support {best:.2f} < {SUPPORT_THRESHOLD})",
                )
            ]
        fixed = item.model_copy(update={"evidence": evidence})
        if name in ("background", "quote"):
            updates[name] = fixed
        else:
            items = list(updates.get(name, persona.field_items(name)))  # type: ignore[call-overload]
            items[index] = fixed
            updates[name] = items
    return persona.model_copy(update=updates)


def _key(entry: Evidence) -> tuple[str, str]:
    return (entry.kind, entry.stat or entry.chunk_id or "")


def _label(cited: Sequence[Evidence]) -> str:
    return ", ".join(e.stat or e.file or e.chunk_id or e.kind for e in cited)
