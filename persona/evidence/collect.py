"""Collecting a segment's evidence: statistics, and documents retrieved for its traits.

Documents are searched once for the segment as a whole and once per
distinguishing trait (the words of its top features), so a passage about
"customers who order often" is found for a segment that orders often even when
the segment's label never says so. The union of the chunks is split into
sentences and sorted into persona fields (:func:`~persona.evidence.doc_candidates`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from persona.evidence.assembly import retrieval_query
from persona.evidence.candidates import Candidate, ranked_features, stat_candidates
from persona.evidence.sentences import doc_candidates
from persona.knowledge import search
from persona.knowledge.embed import make_embedding_function
from segments.facts import humanise

if TYPE_CHECKING:
    from persona.config import Settings
    from persona.knowledge import Citation
    from persona.segmentation import StoredSegment
    from persona.store import Store

__all__ = ["SegmentEvidence", "collect_evidence", "trait_queries"]

_TRAIT_QUERIES = 3
"""How many distinguishing traits get a search of their own."""
_PER_QUERY = 3


@dataclass(frozen=True)
class SegmentEvidence:
    """A segment's evidence candidates and the chunks its document candidates come from."""

    candidates: list[Candidate] = field(default_factory=list)
    chunks: list[Citation] = field(default_factory=list)

    def get(self, candidate_id: str) -> Candidate | None:
        """The candidate cited as ``candidate_id`` (``S1``, ``D2`` …), if any."""
        return next((c for c in self.candidates if c.id == candidate_id), None)


def trait_queries(segment: StoredSegment) -> list[str]:
    """Search queries for the segment and for each of its top distinguishing traits."""
    words = {str(k): str(v) for k, v in segment.profile.get("descriptions", {}).items()}
    queries = [retrieval_query(segment)]
    for rank in ranked_features(segment, _TRAIT_QUERIES):
        name = words.get(rank.feature) or humanise(rank.feature)
        if rank.category is None:
            trait = f"{'high' if rank.std_diff > 0 else 'low'} {name}"
        elif rank.category == "true":
            trait = name
        else:
            trait = f"{name} {rank.category}"
        queries.append(f"Customers with {trait}.")
    return queries


def collect_evidence(
    store: Store,
    settings: Settings,
    segment: StoredSegment,
    *,
    documents: bool,
    per_field: int = 4,
) -> SegmentEvidence:
    """Stat candidates of ``segment``, plus document candidates when ``documents`` exist.

    ``per_field`` bounds the document candidates of each field (a run that shares
    sentences out between segments asks for more, then trims).
    """
    candidates = stat_candidates(segment)
    if not documents:
        return SegmentEvidence(candidates, [])
    chunks: dict[str, Citation] = {}
    queries = trait_queries(segment)
    for query in queries:
        for hit in search(store, settings, query, k=_PER_QUERY):
            chunks.setdefault(hit.chunk_id, hit)
    embedder = make_embedding_function(settings)
    found = doc_candidates(
        list(chunks.values()), embedder, embedder.identity, queries=queries, per_field=per_field
    )
    return SegmentEvidence([*candidates, *found], list(chunks.values()))
