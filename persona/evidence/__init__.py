"""Evidence: candidate claims with their sources, the support check and the quality gate.

* :mod:`~persona.evidence.candidates`: statistics that set a segment apart, in words;
* :mod:`~persona.evidence.sentences`: document sentences sorted into persona fields;
* :mod:`~persona.evidence.support`: does a piece of evidence say what a text claims;
* :mod:`~persona.evidence.gate`: the quality gate on every model-written text;
* :mod:`~persona.evidence.assembly`: a checked draft and its evidence → a persona.
"""

from persona.evidence.assembly import (
    WEAK_CRITERIA,
    assemble_persona,
    carry_edits,
    prompt_facts,
    retrieval_query,
    traits,
)
from persona.evidence.candidates import (
    CANDIDATE_FIELDS,
    MAX_STAT_CANDIDATES,
    Candidate,
    by_field,
    ranked_features,
    stat_candidates,
)
from persona.evidence.gate import GateProblem, QualityGate, non_words
from persona.evidence.sentences import Embed, doc_candidates, split_sentences
from persona.evidence.support import SUPPORT_THRESHOLD, Support, support, support_many

__all__ = [
    "CANDIDATE_FIELDS",
    "MAX_STAT_CANDIDATES",
    "SUPPORT_THRESHOLD",
    "WEAK_CRITERIA",
    "Candidate",
    "Embed",
    "GateProblem",
    "QualityGate",
    "Support",
    "assemble_persona",
    "by_field",
    "carry_edits",
    "doc_candidates",
    "non_words",
    "prompt_facts",
    "ranked_features",
    "retrieval_query",
    "split_sentences",
    "stat_candidates",
    "support",
    "support_many",
    "traits",
]
