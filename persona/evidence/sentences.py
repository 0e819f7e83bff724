"""Document sentences as evidence candidates, sorted into persona fields.

Chunks retrieved for a segment's distinguishing traits are split into sentences;
each sentence goes to the persona field it speaks to, judged by cue words
("complain", "want", "by email" …) and by embedding similarity to a short
description of each field (the project's embedding model: MiniLM by default).
A sentence that speaks to no field clearly enough, or that is a question, a
heading or a fragment, is left out: nothing is forced into a field.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from persona.evidence.candidates import CANDIDATE_FIELDS, Candidate

if TYPE_CHECKING:
    from persona.knowledge import Citation

__all__ = [
    "FIELD_DESCRIPTIONS",
    "Embed",
    "doc_candidates",
    "embed_texts",
    "field_vectors",
    "split_sentences",
]

Embed = Callable[[list[str]], Sequence[Any]]
"""An embedding function: texts in, one vector per text out (a Chroma embedding function)."""

FIELD_DESCRIPTIONS: dict[str, str] = {
    "goals": "what these customers want to achieve: their aims, hopes and plans",
    "needs": "what these customers need or expect from a product or a service",
    "pain_points": "what frustrates or annoys these customers: complaints, problems, delays",
    "challenges": "what makes things hard for these customers: obstacles, limits, constraints",
    "behaviour_patterns": "how these customers usually shop, buy, use, compare and return things",
    "channels": "how these customers prefer to be reached: email, app, phone, shop or website",
}

_CUES: dict[str, re.Pattern[str]] = {
    "goals": re.compile(r"(?i)\b(want|wants|wish|hope|aim|goal|plan|plans|looking for|keen)\b"),
    "needs": re.compile(r"(?i)\b(need|needs|require|requires|expect|expects|must|rely on)\b"),
    "pain_points": re.compile(
        r"(?i)\b(pain points?|complain\w*|frustrat\w*|annoy\w*|unhappy|slow|late|broken|problem\w*|"
        r"issue\w*|confus\w*|delay\w*|disappoint\w*|fault\w*)\b"
    ),
    "challenges": re.compile(
        r"(?i)\b(struggl\w*|difficult\w*|hard to|challeng\w*|limited|afford\w*|budget\w*|"
        r"lack\w*|cannot|can't)\b"
    ),
    "behaviour_patterns": re.compile(
        r"(?i)\b(buy|buys|bought|shop\w*|order\w*|usually|often|return\w*|compare\w*|"
        r"browse\w*|visit\w*|repeat|loyal\w*)\b"
    ),
    "channels": re.compile(
        r"(?i)\b(e-?mail\w*|newsletter\w*|app|apps|phone|call\w*|chat|in[- ]store|shop floor|"
        r"website|online|social media|sms|text message\w*)\b"
    ),
}
_LABELS: dict[str, re.Pattern[str]] = {
    "goals": re.compile(r"(?i)^(motivations?|goals?|aims?|wants|jobs to be done)\s*:"),
    "needs": re.compile(r"(?i)^(needs?|what (they|customers) value|values?|expectations?)\s*:"),
    "pain_points": re.compile(r"(?i)^(pain ?points?|frustrations?|complaints?|gripes?)\s*:"),
    "challenges": re.compile(r"(?i)^(challenges?|barriers?|obstacles?|constraints?)\s*:"),
    "behaviour_patterns": re.compile(r"(?i)^(behaviou?rs?|habits?|how they (shop|buy))\s*:"),
    "channels": re.compile(r"(?i)^(channels?|contact|how to reach( them)?)\s*:"),
}
"""Research notes label their claims ("Pain points: …"): a label says the field outright."""
_LABEL_BONUS = 0.5
_COMPANY_VOICE = re.compile(r"(?i)\b(we|our|us)\b")
"""Sentences in the company's own voice ("we surveyed", "our customers") describe the
company or its method more often than the customers: they rank lower."""
_COMPANY_PENALTY = 0.15
_CUE_BONUS = 0.2
_FIT_WEIGHT = 0.25
MIN_FIELD_SCORE = 0.3
"""Field similarity (plus cue bonus) a sentence needs to count as evidence for that field."""
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^a-z\s])")
_MARKUP = re.compile(r"(?i)<[a-z/!][^>]*>|\]\(|\bhttps?://|\bwww\.")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk that can stand alone as a claim (5–45 words, not a question).

    Headings (short lines without a full stop) are cut off the text they head;
    hard-wrapped lines are joined; table rows (``|``) and lists of figures are
    left out.
    """
    out = []
    for paragraph in _paragraphs(text):
        for raw in _SENTENCE_END.split(paragraph):
            sentence = " ".join(_BULLET.sub("", raw).split())
            if _claim(sentence):
                out.append(sentence if sentence[-1] in ".!" else f"{sentence}.")
    return out


def _paragraphs(text: str) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        heading = (
            stripped
            and len(_WORDS.findall(stripped)) <= 6
            and stripped[-1] not in ".!?,;"
            and "," not in stripped
        ) or (stripped.endswith(":") and len(stripped) < 60)
        if not stripped or heading or _BULLET.match(line) or "|" in stripped:
            if current:
                paragraphs.append(" ".join(current))
            current = [] if (not stripped or heading or "|" in stripped) else [stripped]
            continue
        current.append(stripped)
        if stripped[-1] in ".!?":
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _claim(sentence: str) -> bool:
    words = _WORDS.findall(sentence)
    if not 5 <= len(words) <= 45 or len(sentence) > 320 or "|" in sentence:
        return False
    if _MARKUP.search(sentence):  # markup or links: never shown as a customer claim
        return False
    if sentence.endswith(("?", ":")) or sentence.startswith("#"):
        return False
    # Mostly digits, codes or punctuation: a table row or a list of figures, not a claim.
    return sum(len(w) for w in words) >= 0.6 * len(sentence.replace(" ", ""))


def embed_texts(embed: Embed, texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings of ``texts`` as one matrix (rows in order)."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    matrix = np.asarray([np.asarray(v, dtype=np.float32) for v in embed(list(texts))])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


_FIELD_CACHE: dict[str, np.ndarray] = {}
_FIELD_LOCK = threading.Lock()


def field_vectors(embed: Embed, identity: str) -> np.ndarray:
    """Embeddings of :data:`FIELD_DESCRIPTIONS` (rows in ``CANDIDATE_FIELDS`` order), cached.

    ``identity`` names the embedding model, so a process that switches models
    never mixes vectors of two models.
    """
    with _FIELD_LOCK:
        cached = _FIELD_CACHE.get(identity)
        if cached is None:
            cached = embed_texts(embed, [FIELD_DESCRIPTIONS[f] for f in CANDIDATE_FIELDS])
            _FIELD_CACHE[identity] = cached
        return cached


def doc_candidates(
    citations: Sequence[Citation],
    embed: Embed,
    identity: str,
    *,
    queries: Sequence[str],
    per_field: int = 4,
) -> list[Candidate]:
    """Sentences of ``citations`` sorted into fields, at most ``per_field`` per field.

    ``queries`` describe the segment and its traits; a sentence's score is how
    well it fits its field plus how close it (and its chunk) is to them on
    average, so sentences about this segment's customers rank above general ones.
    """
    found: list[tuple[str, Citation]] = []
    seen: set[str] = set()
    for citation in citations:
        for sentence in split_sentences(citation.text):
            key = " ".join(_WORDS.findall(sentence.casefold()))
            if key not in seen:
                seen.add(key)
                found.append((sentence, citation))
    if not found:
        return []
    chunks = list({c.chunk_id: c for _s, c in found}.values())
    row_of = {c.chunk_id: i for i, c in enumerate(chunks)}
    vectors = embed_texts(embed, [s for s, _c in found] + [c.text for c in chunks] + list(queries))
    sentences = vectors[: len(found)]
    chunk_vectors = vectors[len(found) : len(found) + len(chunks)]
    segment = vectors[len(found) + len(chunks) :].mean(axis=0)
    fields = field_vectors(embed, identity)
    similarity = sentences @ fields.T
    # A sentence about "them" is about the segment its section describes: half the
    # relevance comes from the sentence, half from its chunk.
    chunk_relevance = chunk_vectors @ segment
    relevance = 0.5 * (sentences @ segment) + 0.5 * np.asarray(
        [chunk_relevance[row_of[c.chunk_id]] for _s, c in found]
    )
    scored: list[tuple[float, str, str, Citation]] = []
    for row, (sentence, citation) in enumerate(found):
        best, where = -1.0, ""
        for column, name in enumerate(CANDIDATE_FIELDS):
            score = float(similarity[row, column])
            if _LABELS[name].search(sentence):
                score += _LABEL_BONUS
            elif _CUES[name].search(sentence):
                score += _CUE_BONUS
            if score > best:
                best, where = score, name
        if best >= MIN_FIELD_SCORE:
            # The field decides where a sentence goes; relevance to the segment decides
            # which sentences of a field are shown.
            score = float(relevance[row]) + _FIT_WEIGHT * best
            if _COMPANY_VOICE.search(sentence):
                score -= _COMPANY_PENALTY
            scored.append((score, where, sentence, citation))
    scored.sort(key=lambda item: -item[0])
    counts: dict[str, int] = {}
    out: list[Candidate] = []
    for score, where, sentence, citation in scored:
        if counts.get(where, 0) >= per_field:
            continue
        counts[where] = counts.get(where, 0) + 1
        out.append(
            Candidate(
                id=f"D{len(out) + 1}",
                field=where,
                text=sentence,
                kind="doc",
                score=round(score, 4),
                source={
                    "chunk_id": citation.chunk_id,
                    "file": citation.filename,
                    "page": citation.page,
                },
                note="a sentence of this document",
            )
        )
    return out
