"""Real interview notes in: masked, stored per segment, used as ``research`` evidence.

:func:`add_notes` reads a text, Markdown or DOCX file of notes or a transcript
(:func:`persona.knowledge.extract.extract`: hidden text and instruction-like
lines are dropped), masks personal data the way documents and feedback are
masked (:func:`persona.identifiers.scrub_all`: e-mails, phones, cards, IBANs by
their shape and the project's known customer ids and names) and stores the
masked text only, in one transaction. Nothing unmasked is written anywhere.

Stored notes are *real* evidence, kind ``research``: shown above simulated
answers, quoted in the brief's "What real interviews said", and checked
against the brief's items (:func:`real_verdicts`, through
:mod:`persona.research.support`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from persona.errors import NotFoundError, ResearchError
from persona.identifiers import known_identifiers, scrub_all
from persona.knowledge.embed import make_embedding_function
from persona.knowledge.extract import extract
from persona.models import Evidence
from persona.personas import get_persona
from persona.privacy import contains_pii
from persona.repos import research as research_repo
from persona.repos.research import StoredNote
from persona.repos.segmentations import StoredSegment
from persona.research.support import Embed, Support, check_support, sentences
from persona.segmentation import get_segment
from persona.services import Services
from persona.store import utc_now
from persona.text import clip

__all__ = [
    "NOTE_SUFFIXES",
    "AddedNote",
    "StoredNote",
    "add_notes",
    "list_notes",
    "real_excerpts",
    "real_verdicts",
    "research_evidence",
]

NOTE_SUFFIXES = (".txt", ".text", ".md", ".markdown", ".docx")
EXCERPT_CHARS = 280


@dataclass(frozen=True)
class AddedNote:
    """What :func:`add_notes` stored: the note's id and what was masked (counts)."""

    id: int
    segment: int
    label: str
    file_name: str
    sentences: int
    masked: dict[str, int]


def add_notes(services: Services, path: Path, segment: StoredSegment) -> AddedNote:
    """Read, mask and store the notes in ``path`` as real research on ``segment``.

    Raises:
        ResearchError: the file is missing, of another type, too large, already
            added for this segment, or still holds personal data after masking.
        DocumentError: the file cannot be read (corrupt, empty, mislabelled).
    """
    if not path.is_file():
        raise ResearchError(f"no notes file {path}.", hint="Check the path.")
    if path.suffix.lower() not in NOTE_SUFFIXES:
        raise ResearchError(
            f"{path.name}: notes must be text, Markdown or DOCX, not {path.suffix or 'no type'}.",
            hint="Save the notes or transcript as .txt, .md or .docx.",
        )
    limit = services.settings.max_upload_mb * 1024 * 1024
    if path.stat().st_size > limit:
        raise ResearchError(
            f"{path.name} is larger than {services.settings.max_upload_mb} MB.",
            hint="Split the transcript, or raise PERSONA_MAX_UPLOAD_MB.",
        )
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if research_repo.note_exists(services.store, services.project_id, segment.id, digest):
        raise ResearchError(
            f"{path.name} was already added for segment {segment.segment_index}.",
            hint="List the notes with `persona research list`.",
        )
    extracted = extract(path, data)
    known = known_identifiers(services.store, services.project_id)
    totals: Counter[str] = Counter()
    text = "\n\n".join(scrub_all(block.text, known, totals) for block in extracted.blocks)
    if contains_pii(text):
        raise ResearchError(
            f"{path.name} still holds personal data after masking; nothing was stored.",
            hint="Remove contact details from the notes and add them again.",
        )
    masked = {kind: count for kind, count in totals.items() if count}
    note_id = research_repo.insert_note(
        services.store,
        services.project_id,
        segment_id=segment.id,
        file_name=path.name,
        sha256=digest,
        text=text,
        masked=masked,
        created_at=utc_now(),
    )
    return AddedNote(
        id=note_id,
        segment=segment.segment_index,
        label=segment.label,
        file_name=path.name,
        sentences=len(sentences(text)),
        masked=masked,
    )


def list_notes(services: Services, segment_ids: Sequence[int] | None = None) -> list[StoredNote]:
    """The project's real notes (of the segments with these database ids when given)."""
    return research_repo.list_notes(services.store, services.project_id, segment_ids)


def research_evidence(services: Services, segment_id: int) -> list[Evidence]:
    """The segment's notes as evidence of kind ``research``, one per note (newest first)."""
    return [
        Evidence(
            kind="research",
            file=note.file_name,
            chunk_id=f"note:{note.id}",
            note=clip(" ".join(note.text.split()), EXCERPT_CHARS),
        )
        for note in reversed(list_notes(services, [segment_id]))
    ]


def _segments_of(services: Services, persona_ids: Sequence[int]) -> list[int]:
    out = []
    for persona_id in dict.fromkeys(persona_ids):
        try:
            segment_id = get_persona(services, persona_id).segment_id
        except NotFoundError:
            continue
        if segment_id is not None:
            out.append(segment_id)
    return out


def _cached(embed: Embed) -> Embed:
    """``embed`` that computes each text once: every item is checked against the same notes."""
    vectors: dict[str, np.ndarray] = {}

    def cached(texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in vectors))
        if missing:
            for text, vector in zip(missing, embed(missing), strict=True):
                vectors[text] = np.asarray(vector, dtype="float64")
        return np.array([vectors[t] for t in texts])

    return cached


def real_verdicts(
    services: Services, items: Sequence[tuple[str, Sequence[int]]]
) -> list[tuple[Support, str]]:
    """For each ``(item text, persona ids)``: what the notes of those personas' segments say,
    and the file of the deciding sentence ("" when no note is about it)."""
    notes = list_notes(services)
    if not notes or not items:
        return [(Support(None), "") for _ in items]
    embed = _cached(make_embedding_function(services.settings))
    out: list[tuple[Support, str]] = []
    for text, persona_ids in items:
        segment_ids = set(_segments_of(services, persona_ids))
        mine = [n for n in notes if n.segment_id in segment_ids]
        if not mine:
            out.append((Support(None), ""))
            continue
        [support] = check_support([text], [n.text for n in mine], embed)
        source = next((n.file_name for n in mine if support.sentence and support.sentence in
                       " ".join(n.text.split())), "")  # fmt: skip
        out.append((support, source))
    return out


def real_excerpts(
    services: Services, persona_ids: Sequence[int], per_note: int = 3
) -> list[tuple[str, str, str]]:
    """``(file, sentence, segment label)``: the first sentences of each note of the
    personas' segments, for the brief's "What real interviews said"."""
    segment_ids = _segments_of(services, persona_ids)
    labels = {sid: get_segment(services, sid).label for sid in segment_ids}
    out = []
    for note in list_notes(services, segment_ids):
        for sentence in sentences(note.text)[:per_note]:
            out.append((note.file_name, clip(sentence, EXCERPT_CHARS), labels[note.segment_id]))
    return out
