"""Interview answers on a weak model: gate the model's answer, else answer from evidence.

The embedded model's answer is checked by the same quality gate as persona
items (:class:`~persona.evidence.gate.QualityGate`), less the invented-number
check, which the consistency guard flags already; the vocabulary it accepts
holds the persona's own words and those of the documents retrieved for the
question. An answer that fails is re-asked once; when the second answer fails
too, the persona answers from its evidence instead: the one or two grounded
items of the persona and sentences of the retrieved documents closest to the
question, each with its source written after it. The turn carries a ``gate``
flag, so the app and the transcript say the answer was composed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from persona.evidence.gate import QualityGate, tokens
from persona.evidence.sentences import Embed, embed_texts, split_sentences
from persona.models import Evidence, Persona

if TYPE_CHECKING:
    from persona.knowledge import Citation

__all__ = [
    "MIN_ANSWER_EVIDENCE",
    "MIN_ANSWER_RELEVANCE",
    "MIN_RELEVANCE",
    "EvidenceAnswer",
    "Relevance",
    "answer_gate",
    "evidence_answer",
    "evidence_texts",
    "relevance",
]

MIN_RELEVANCE = 0.25
"""Cosine similarity (MiniLM) a piece of evidence needs to the question to be used."""
MIN_ANSWER_RELEVANCE = 0.2
"""Cosine similarity (MiniLM) an answer needs to its question to address it.

Calibrated on ``eval/data/answer_relevance.csv`` (28 hand-labelled answers, half
off-topic): see ``python -m eval.relevance``."""
MIN_ANSWER_EVIDENCE = 0.2
"""Cosine similarity (MiniLM) an answer needs to its closest piece of the persona's
evidence (its items, the retrieved document sentences) to speak from it; calibrated
on the same set."""
_MAX_PIECES = 2
_NOTHING = (
    "Nothing in the company's data or documents about customers like me speaks to that "
    "yet, so I can't answer it honestly."
)


@dataclass(frozen=True)
class EvidenceAnswer:
    """A composed answer, the evidence it cites, and the documents it quotes."""

    text: str
    evidence: list[Evidence]
    citations: list[Citation]


def answer_gate(persona: Persona, citations: Sequence[Citation], instructions: str) -> QualityGate:
    """The gate for one interview answer: the persona's and the documents' words are known."""
    words = set(tokens(persona.name))
    for _field, item in persona.items():
        words.update(tokens(item.text))
    for citation in citations:
        words.update(tokens(citation.text))
    gate = QualityGate.for_facts(persona.facts, extra_words=words, instructions=instructions)
    # Numbers that match no fact are the consistency guard's ``number`` flag already.
    return dataclasses.replace(gate, facts=None)


@dataclass(frozen=True)
class Relevance:
    """How close an answer is to its question and to the persona's closest evidence."""

    question: float
    evidence: float

    def problem(self) -> str | None:
        """Why the answer fails the relevance check, or ``None`` when it passes."""
        if self.question < MIN_ANSWER_RELEVANCE:
            return (
                f"does not address the question (similarity {self.question:.2f} < "
                f"{MIN_ANSWER_RELEVANCE})"
            )
        if self.evidence < MIN_ANSWER_EVIDENCE:
            return (
                f"speaks from none of the persona's evidence (similarity {self.evidence:.2f} "
                f"< {MIN_ANSWER_EVIDENCE})"
            )
        return None


def evidence_texts(persona: Persona, citations: Sequence[Citation]) -> list[str]:
    """The persona's grounded item texts and the sentences of the retrieved documents."""
    texts = [item.text for _f, item in persona.items() if item.grounded]
    for citation in citations:
        texts += split_sentences(citation.text)
    return texts


def relevance(question: str, answer: str, evidence: Sequence[str], embed: Embed) -> Relevance:
    """MiniLM (the project's embedding model) similarity of ``answer`` to ``question`` and
    to the closest of ``evidence``; no evidence at all counts as 0."""
    vectors = embed_texts(embed, [answer, question, *evidence])
    to_evidence = vectors[2:] @ vectors[0] if len(evidence) else None
    return Relevance(
        question=float(vectors[1] @ vectors[0]),
        evidence=float(to_evidence.max()) if to_evidence is not None else 0.0,
    )


def evidence_answer(
    persona: Persona, question: str, citations: Sequence[Citation], embed: Embed
) -> EvidenceAnswer:
    """The persona's answer to ``question`` composed from its closest evidence."""
    pieces: list[tuple[str, Evidence, Citation | None]] = []
    for _field, item in persona.items():
        grounded = [e for e in item.evidence if e.grounded]
        if grounded and len(tokens(item.text)) >= 4:
            pieces.append((item.text, grounded[0], None))
    for citation in citations:
        for sentence in split_sentences(citation.text):
            evidence = Evidence(
                kind="doc", chunk_id=citation.chunk_id, file=citation.filename, page=citation.page
            )
            pieces.append((sentence, evidence, citation))
    if not pieces:
        return EvidenceAnswer(_NOTHING, [], [])
    vectors = embed_texts(embed, [question, *(text for text, _e, _c in pieces)])
    scores = vectors[1:] @ vectors[0]
    order = sorted(range(len(pieces)), key=lambda i: -float(scores[i]))
    chosen = [pieces[i] for i in order if float(scores[i]) >= MIN_RELEVANCE][:_MAX_PIECES]
    if not chosen:
        return EvidenceAnswer(_NOTHING, [], [])
    said = " ".join(f"{text.rstrip('.')} [{evidence.label()}]." for text, evidence, _c in chosen)
    return EvidenceAnswer(
        f"From what the company knows about customers like me: {said}",
        [evidence for _t, evidence, _c in chosen],
        [c for _t, _e, c in chosen if c is not None],
    )
