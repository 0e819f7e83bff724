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
        r"(?i)\b(complain\w*|frustrat\w*|annoy\w*|unhappy|slow|late|broken|problem\w*|"
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
_CUE_BONUS = 0.2
MIN_FIELD_SCORE = 0.3
"""Field similarity (plus cue bonus) a sentence needs to count as evidence for that field."""
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])|\n\s*\n|\n(?=\s*[-*•]\s)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk that can stand alone as a claim (5–45 words, not a question)."""
    out = []
    for raw in _SENTENCE_END.split(text):
        sentence = " ".join(_BULLET.sub("", raw).split())
        words = _WORDS.findall(sentence)
        if not 5 <= len(words) <= 45 or len(sentence) > 320:
            continue
        if sentence.endswith("?") or sentence.endswith(":") or "#" in sentence[:2]:
            continue
        if sum(len(w) for w in words) < 0.6 * len(sentence.replace(" ", "")):
            continue  # mostly digits, codes or punctuation: a table row, not a claim
        out.append(sentence if sentence[-1] in ".!" else f"{sentence}.")
    return out


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
    query: str,
    per_field: int = 4,
) -> list[Candidate]:
    """Sentences of ``citations`` sorted into fields, at most ``per_field`` per field.

    ``query`` describes the segment's traits; a sentence's score is how well it
    fits its field plus how close it is to the segment, so sentences about this
    segment's customers rank above general ones.
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
    vectors = embed_texts(embed, [s for s, _c in found] + [query])
    sentences, segment = vectors[:-1], vectors[-1]
    fields = field_vectors(embed, identity)
    similarity = sentences @ fields.T
    relevance = sentences @ segment
    scored: list[tuple[float, str, str, Citation]] = []
    for row, (sentence, citation) in enumerate(found):
        best, where = -1.0, ""
        for column, name in enumerate(CANDIDATE_FIELDS):
            score = float(similarity[row, column])
            if _CUES[name].search(sentence):
                score += _CUE_BONUS
            if score > best:
                best, where = score, name
        if best >= MIN_FIELD_SCORE:
            scored.append((best + float(relevance[row]), where, sentence, citation))
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
