"""Sharing one run's document evidence out between its segments.

Retrieval for one segment also finds passages about its neighbours: the section
on "Lapsed bargain hunters" is close to a price-sensitive family segment too. So,
as names are claimed, a document sentence is evidence for one persona of a run
only: the segment it is most specific to (the highest relevance score among the
segments that retrieved it). And a sentence that names another group is not
evidence for this one:

* a sentence naming another segment's label (or another persona's name);
* a sentence in a section headed for a group ("Segment: Budget families") is about
  that group: it may not name a different group;
* a section headed for a group goes whole to one segment, not half to each of two;
* a sentence naming two or more groups is an overview ("Five groups describe our
  customers: …"), evidence for none of them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence

from persona.evidence.candidates import CANDIDATE_FIELDS, Candidate
from persona.evidence.collect import SegmentEvidence

__all__ = ["claim_sentences", "group_names", "names_other_group"]

_GROUP_HEADING = re.compile(
    r"(?im)^\s*#*\s*(?:segment|persona|customer group|group)\s*[:\-–]\s*([^\n]{3,60}?)\s*$"
)
"""A section headed for one customer group: "Segment: Budget families"."""
_WORDS = re.compile(r"[a-z0-9']+")


def _key(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


def group_names(texts: Iterable[str]) -> list[str]:
    """Names of the customer groups the documents give a section of their own."""
    return list(
        dict.fromkeys(m.group(1).strip() for t in texts for m in _GROUP_HEADING.finditer(t))
    )


def _mentions(sentence_key: str, name: str) -> bool:
    name_key = _key(name)
    return bool(name_key) and f" {name_key} " in f" {sentence_key} "


def names_other_group(sentence: str, own: Sequence[str], others: Sequence[str]) -> bool:
    """Whether ``sentence`` speaks of a group other than ``own`` (see the module docstring).

    ``own``: names the sentence may use (the group its section heads, if any);
    ``others``: the labels and names of the other segments and the documents' groups.
    """
    key = _key(sentence)
    named = [n for n in others if _mentions(key, n) and not any(_key(n) == _key(o) for o in own)]
    groups = {_key(n) for n in (*own, *others) if _mentions(key, n)}
    return bool(named) or len(groups) >= 2


def claim_sentences(
    evidence: Mapping[int, SegmentEvidence],
    labels: Mapping[int, str],
    *,
    per_field: int = 4,
) -> dict[int, SegmentEvidence]:
    """``evidence`` per segment id with every document sentence kept by one segment only.

    ``labels`` are the segments' labels (and any other names a segment is known
    by); a sentence naming another segment's label, or another group of the
    documents, is dropped. Each field keeps at most ``per_field`` document
    candidates, renumbered ``D1`` …; statistics are untouched.
    """
    chunks = {c.chunk_id: c for e in evidence.values() for c in e.chunks}
    groups = group_names(c.text for c in chunks.values())
    section = {cid: group_names([c.text])[:1] for cid, c in chunks.items()}
    kept: dict[int, list[Candidate]] = {}
    for segment_id, found in evidence.items():
        others = [n for sid, n in labels.items() if sid != segment_id] + groups
        kept[segment_id] = [
            c
            for c in found.candidates
            if c.kind != "doc"
            or not names_other_group(c.text, section.get(str(c.source.get("chunk_id")), []), others)
        ]
    # A section headed for one group goes whole to one segment (its sentences' mean
    # score is highest there): half a section in each of two personas is bleeding too.
    owner: dict[str, tuple[float, int]] = {}
    for segment_id, candidates in kept.items():
        scores: dict[str, list[float]] = {}
        for c in candidates:
            if c.kind == "doc":
                chunk = str(c.source.get("chunk_id"))
                key = f"chunk:{chunk}" if section.get(chunk) else _key(c.text)
                scores.setdefault(key, []).append(c.score)
        for key, values in scores.items():
            score = sum(values) / len(values)
            best = owner.get(key)
            if best is None or (score, -segment_id) > (best[0], -best[1]):
                owner[key] = (score, segment_id)

    def owned(c: Candidate, segment_id: int) -> bool:
        chunk = str(c.source.get("chunk_id"))
        key = f"chunk:{chunk}" if section.get(chunk) else _key(c.text)
        return c.kind != "doc" or owner[key][1] == segment_id

    out: dict[int, SegmentEvidence] = {}
    for segment_id, candidates in kept.items():
        mine = [c for c in candidates if owned(c, segment_id)]
        out[segment_id] = SegmentEvidence(_trim(mine, per_field), evidence[segment_id].chunks)
    return out


def _trim(candidates: list[Candidate], per_field: int) -> list[Candidate]:
    counts = dict.fromkeys(CANDIDATE_FIELDS, 0)
    out: list[Candidate] = []
    docs = 0
    for c in sorted(
        candidates, key=lambda c: (c.kind == "doc", -c.score if c.kind == "doc" else 0)
    ):
        if c.kind != "doc":
            out.append(c)
            continue
        if counts.get(c.field, 0) >= per_field:
            continue
        counts[c.field] = counts.get(c.field, 0) + 1
        docs += 1
        out.append(dataclasses.replace(c, id=f"D{docs}"))
    return out
