"""Persona generation: segment facts + retrieved documents → a grounded, versioned persona.

For each segment (of at least ``min_segment_size`` customers):

1. the facts block is built deterministically from the stored profile
   (:func:`persona.facts.build_facts`): the model never supplies a number;
2. document chunks are retrieved with a query built from the profile and fenced
   as untrusted quoted data (``<document id=… file=… page=…>``), scrubbed of
   personal identifiers, with an explicit "data, not instructions" rule;
3. the model writes a small :class:`~persona.models.PersonaDraft` through
   :func:`persona.structured.generate_structured`, whose validate callback
   rejects invented numbers, citations of unknown facts or chunks, links or
   markup, and names other personas of the project already use; the model is
   re-asked, and whatever problems remain are repaired and *flagged*;
4. the application assembles the :class:`~persona.models.Persona`: demographics
   from the data where the data has them, evidence per item (``stat`` linked to
   a fact, ``doc`` to a chunk, else ``inferred``), the scorecard verdict and
   warnings for weak or unstable segments, fields a user edited carried over;
5. the persona is stored as a new version in one transaction.

Against an OpenAI-compatible endpoint segments are generated concurrently
(at most ``llm_concurrency`` at once); with the embedded model one after another.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from persona.composer import compose_persona
from persona.drafting import (
    draft_problems,
    fence_attribute,
    fence_document,
    repair_draft,
)
from persona.errors import GenerationError, NotFoundError, PrivacyError
from persona.evidence import assemble_persona, carry_edits, prompt_facts, traits
from persona.evidence.claims import claim_sentences
from persona.evidence.collect import SegmentEvidence, collect_evidence
from persona.evidence.review import evidence_texts, gate_problems, review_persona, writer_gate
from persona.facts import build_facts
from persona.knowledge.embed import make_embedding_function
from persona.llm import capabilities
from persona.models import Persona, PersonaDraft, SegmentFacts, draft_schema
from persona.names import (
    fallback_name,
    first_name,
    free_first_names,
    normal_name,
    surname_key,
    taken_names,
)
from persona.personas import StoredPersona, get_persona
from persona.repos import documents as document_repo
from persona.repos import personas as persona_repo
from persona.segmentation import StoredSegment, get_segment, load_segments
from persona.structured import generate_structured
from prompts import render

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from persona.knowledge import Citation
    from persona.services import Services

__all__ = [
    "GenerationReport",
    "GenerationResult",
    "Progress",
    "generate_personas",
    "model_name",
    "regenerate_persona",
    "resolve_writer",
]

Progress = Callable[[str, float], None]
"""``progress(stage, fraction)`` with ``fraction`` from 0 to 1."""

MAX_ITEMS = 2
# Retrieval budget: (chunks, characters per chunk). SmolLM2-135M copies long context
# verbatim instead of using it, so the embedded model gets less of it.
_DOCUMENT_BUDGET = (4, 700)
_POOL = 8
"""Document candidates per field collected before sentences are shared out (then 4 kept)."""
_SMALL_MODEL_DOCUMENT_BUDGET = (2, 350)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class GenerationReport:
    """How one persona was generated: model, attempts, re-asks, problems, flags, sources."""

    model: str
    method: str = ""
    writer: str = "model"
    attempts: int = 0
    reasks: int = 0
    problems: list[list[str]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    seconds: float = 0.0
    checks: dict[str, int] = field(default_factory=dict)
    """Counts of the model writer's checks: cited, supported, demoted, gated, replaced."""

    @property
    def validation_failures(self) -> int:
        """Attempts whose reply was rejected (schema or domain checks)."""
        return sum(1 for problems in self.problems if problems)

    def to_json(self) -> dict[str, Any]:
        """The report as stored with the version (``persona_versions.report_json``)."""
        return {
            "model": self.model,
            "method": self.method,
            "writer": self.writer,
            "attempts": self.attempts,
            "reasks": self.reasks,
            "problems": self.problems,
            "flags": self.flags,
            "retrieved": self.retrieved,
            "seconds": round(self.seconds, 3),
            "checks": dict(self.checks),
        }


@dataclass(frozen=True)
class GenerationResult:
    """The outcome for one segment: ``generated``, ``skipped`` (with reason) or ``failed``."""

    segment_id: int
    segment_index: int
    label: str
    status: Literal["generated", "skipped", "failed"]
    persona_id: int | None = None
    version: int | None = None
    persona: Persona | None = None
    reason: str | None = None
    report: GenerationReport | None = None


# --------------------------------------------------------------------------- generation


@dataclass
class _Run:
    """What every segment's generation in one call shares."""

    services: Services
    model: BaseChatModel
    model_name: str
    project_id: int
    has_documents: bool
    cite: bool
    """Whether the model is asked for citations (not the embedded 135M model: its picks
    would be guesses shown as evidence)."""
    writer: str = "model"
    """``composer`` (no model call) or ``model``: see :func:`resolve_writer`."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    claimed: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Normalised full and first names → (display name, segment) claimed in this run."""
    evidence: dict[int, SegmentEvidence] = field(default_factory=dict)
    """Segment id → its evidence, document sentences shared out (:func:`_share_evidence`)."""


def generate_personas(
    services: Services,
    *,
    segment_ids: Sequence[int] | None = None,
    segment_indexes: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> list[GenerationResult]:
    """Generate (or regenerate, as a new version) one persona per segment.

    Segments come from the project's latest segmentation; ``segment_ids``
    (database ids) or ``segment_indexes`` (the ``#`` of ``persona segments
    show``) narrow them. Segments below ``min_segment_size`` are skipped with
    the privacy reason; a segment whose model output never validated is
    ``failed`` with the reason, and the others go on. Provider errors
    (unreachable endpoint, missing model) propagate.
    """
    report = progress or (lambda _stage, _fraction: None)
    chosen = _choose_segments(services, segment_ids, segment_indexes)
    if not chosen:
        return []
    run = _start_run(services)
    total = len(chosen)
    # With documents, reading them for every segment is the first half of the work.
    start = 0.5 if run.has_documents else 0.0
    _share_evidence(run, lambda stage, fraction: report(stage, start * fraction))
    writer = "from its evidence (composer, no model)" if run.writer == "composer" else (
        f"with {run.model_name}"
    )  # fmt: skip
    results: dict[int, GenerationResult] = {}
    workers = capabilities(run.model).workers(services.settings.llm_concurrency, total)
    if run.writer == "composer":
        workers = 1  # no model calls: the work is embedding, which is not worth threads
    if workers > 1:
        report(f"Writing {total} personas ({workers} at a time) with {run.model_name}", start)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="persona") as pool:
            futures = {pool.submit(_generate_one, run, segment): segment for segment in chosen}
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    segment = futures[future]
                    results[segment.id] = future.result()
                    report(
                        f"Persona {done} of {total} written (segment {segment.segment_index})",
                        start + (1 - start) * done / total,
                    )
            except BaseException:
                for pending in futures:
                    pending.cancel()
                raise
    else:
        for done, segment in enumerate(chosen):
            report(
                f"Writing persona {done + 1} of {total} (segment {segment.segment_index}) {writer}",
                start + (1 - start) * done / total,
            )
            results[segment.id] = _generate_one(run, segment)
        report("Done", 1.0)
    return [results[segment.id] for segment in chosen]


def regenerate_persona(services: Services, persona_id: int) -> GenerationResult:
    """Generate a new version of a persona from its segment; edited fields are kept.

    Raises :class:`NotFoundError` when the persona or its segment no longer
    exists, and :class:`PrivacyError` when the segment is below the minimum size.
    """
    stored = get_persona(services, persona_id)
    if stored.segment_id is None:
        raise NotFoundError(
            "segment",
            f"of persona {persona_id}",
            hint="Its segmentation was deleted; generate personas for the current segments.",
        )
    segment = get_segment(services, stored.segment_id)
    if _too_small(services, segment):
        raise PrivacyError(_privacy_reason(services, segment))
    run = _start_run(services)
    _share_evidence(run)
    return _generate_one(run, segment)


def _share_evidence(run: _Run, progress: Progress | None = None) -> None:
    """Collect every eligible segment's evidence, each document sentence kept by one.

    All segments of the segmentation take part (not only the ones being written),
    so a sentence goes to the segment it is most specific to whichever persona is
    regenerated (:func:`persona.evidence.claims.claim_sentences`).
    """
    if not run.has_documents:
        return
    services = run.services
    eligible = [s for s in load_segments(services) if not _too_small(services, s)]
    found: dict[int, SegmentEvidence] = {}
    for done, segment in enumerate(eligible):
        if progress is not None:
            progress(
                f"Reading the documents for segment {done + 1} of {len(eligible)}",
                done / len(eligible),
            )
        found[segment.id] = collect_evidence(
            services.store, services.settings, segment, documents=True, per_field=_POOL
        )
    run.evidence = claim_sentences(found, {s.id: s.label for s in eligible})


def _start_run(services: Services) -> _Run:
    model = services.chat_model()
    project_id = services.project_id
    has_documents = document_repo.has_chunks(services.store, project_id)
    return _Run(
        services=services,
        model=model,
        model_name=model_name(model),
        project_id=project_id,
        has_documents=has_documents,
        cite=capabilities(model).capable,
        writer=resolve_writer(services.settings.persona_writer, model),
    )


def resolve_writer(setting: str, model: object) -> str:
    """The writer ``PERSONA_PERSONA_WRITER`` chooses for ``model``.

    ``auto`` is the composer for a model that cannot be trusted to write (the
    embedded 135M model: :attr:`ModelCapabilities.capable` is false) and the
    model writer otherwise; ``composer`` and ``model`` are taken as they are.
    """
    if setting in ("composer", "model"):
        return setting
    return "model" if capabilities(model).capable else "composer"


def _choose_segments(
    services: Services,
    segment_ids: Sequence[int] | None,
    segment_indexes: Sequence[int] | None,
) -> list[StoredSegment]:
    segments = load_segments(services)
    if segment_ids is not None:
        by_id = {s.id: s for s in segments}
        missing = [i for i in segment_ids if i not in by_id]
        if missing:
            raise NotFoundError("segment", missing[0], hint="See `persona segments show`.")
        return [by_id[i] for i in dict.fromkeys(segment_ids)]
    if segment_indexes is not None:
        by_index = {s.segment_index: s for s in segments}
        missing = [i for i in segment_indexes if i not in by_index]
        if missing:
            raise NotFoundError(
                "segment",
                missing[0],
                hint=f"The latest segmentation has segments {sorted(by_index)} "
                "(see `persona segments show`).",
            )
        return [by_index[i] for i in dict.fromkeys(segment_indexes)]
    return segments


def _too_small(services: Services, segment: StoredSegment) -> bool:
    return segment.size < services.settings.min_segment_size or bool(
        segment.profile.get("suppressed", False)
    )


def _privacy_reason(services: Services, segment: StoredSegment) -> str:
    minimum = services.settings.min_segment_size
    return str(
        PrivacyError(
            f"Segment {segment.segment_index} has {segment.size} customers, fewer than the "
            f"minimum of {minimum}: describing it could single out real people, so it gets "
            "no persona.",
            hint="Use fewer segments, or lower PERSONA_MIN_SEGMENT_SIZE if that is acceptable.",
        )
    )


def _generate_one(run: _Run, segment: StoredSegment) -> GenerationResult:
    services = run.services
    if _too_small(services, segment):
        return GenerationResult(
            segment.id,
            segment.segment_index,
            segment.label,
            "skipped",
            reason=_privacy_reason(services, segment),
        )
    started = time.monotonic()
    facts = build_facts(segment)
    prior = _prior_persona(services, run.project_id, segment.id)
    evidence = run.evidence.get(segment.id) or collect_evidence(
        services.store, services.settings, segment, documents=run.has_documents
    )
    taken = taken_names(
        persona_repo.persona_names(services.store, run.project_id),
        exclude=prior.id if prior else None,
    )
    if run.writer == "composer":
        with run.lock:
            names = {**taken, **_claimed_by_others(run, segment.id)}
            name = fallback_name(names, segment.segment_index)
            _claim(run, segment.id, name)
        persona = compose_persona(segment, facts, evidence.candidates, name)
        report = GenerationReport(
            model="composer",
            method="composer",
            writer="composer",
            retrieved=[c.chunk_id for c in evidence.chunks],
            seconds=time.monotonic() - started,
        )
    else:
        written = _write_with_model(run, segment, facts, evidence, taken, started)
        if isinstance(written, GenerationResult):
            return written
        persona, report = written
    if prior is not None:
        persona = carry_edits(prior.persona, persona)
    persona_id, version = persona_repo.save_version(
        services.store, run.project_id, segment.id, prior.id if prior else None, persona,
        "generated", report.model, report.to_json(),
    )  # fmt: skip
    return GenerationResult(
        segment.id,
        segment.segment_index,
        segment.label,
        "generated",
        persona_id=persona_id,
        version=version,
        persona=persona,
        report=report,
    )


def _write_with_model(
    run: _Run,
    segment: StoredSegment,
    facts: SegmentFacts,
    evidence: SegmentEvidence,
    taken: dict[str, str],
    started: float,
) -> tuple[Persona, GenerationReport] | GenerationResult:
    """The model writer: a checked draft over the evidence, or the failed result."""
    services = run.services
    documents = _documents(run, evidence)
    stats = [c for c in evidence.candidates if c.kind == "stat"]
    user_prompt = render(
        "persona.user",
        label=segment.label,
        facts=prompt_facts(segment, facts),
        traits=[f"{c.id}: {c.text}" for c in stats] or traits(segment),
        documents=[
            {
                "id": ref,
                "file": fence_attribute(c.filename),
                "page": c.page or "",
                "text": fence_document(c, _budget(run)[1]),
            }
            for ref, c in documents.items()
        ],
        taken_names=sorted(set(taken.values())),
    )
    system_prompt = render("persona.system", max_items=MAX_ITEMS, cite=run.cite)
    messages: list[BaseMessage] = [
        SystemMessage(content=system_prompt),
        HumanMessage(content=user_prompt),
    ]
    cited = {c.id: c.evidence() for c in stats}
    gate = writer_gate(facts, system_prompt)
    last: list[PersonaDraft] = []

    def validate(draft: PersonaDraft) -> list[str]:
        last.append(draft)
        with run.lock:
            names = {**taken, **_claimed_by_others(run, segment.id)}
        problems = draft_problems(
            draft,
            facts,
            documents=set(documents),
            taken_names=names,
            chunk_exists=lambda chunk: _chunk_exists(run, chunk),
            candidates=set(cited),
        )
        return problems + gate_problems(draft, gate)

    try:
        result = generate_structured(
            run.model,
            messages,
            draft_schema(
                (*cited, *documents) if run.cite else (),
                None if run.cite else free_first_names(taken),
            ),
            retries=services.settings.structured_retries,
            validate=validate,
        )
        draft, attempts, method = result.value, result.attempts, result.method
    except GenerationError as error:
        attempts = error.attempts
        method = str(attempts[-1].get("method", "")) if attempts else ""
        if not last:
            return GenerationResult(
                segment.id,
                segment.segment_index,
                segment.label,
                "failed",
                reason=str(error),
                report=_report(run, attempts, method, [], documents, started),
            )
        draft = last[-1]  # valid schema; the remaining problems are repaired and flagged
    with run.lock:
        names = {**taken, **_claimed_by_others(run, segment.id)}
        draft, flags = repair_draft(
            draft, facts, documents, names, lambda chunk: _chunk_exists(run, chunk), segment,
            candidates=set(cited),
        )  # fmt: skip
        _claim(run, segment.id, draft.name)
    persona = assemble_persona(draft, segment, facts, documents, flags, cited=cited)
    review = review_persona(
        persona,
        gate=gate,
        embed=make_embedding_function(services.settings),
        texts=evidence_texts(evidence, documents, facts),
        composed=compose_persona(segment, facts, evidence.candidates, persona.name),
    )
    report = _report(
        run, attempts, method, review.persona.flags, documents, started, checks=review.counts
    )
    return review.persona, report


def _report(
    run: _Run,
    attempts: list[dict[str, Any]],
    method: str,
    flags: list[str],
    documents: dict[str, Citation],
    started: float,
    *,
    checks: dict[str, int] | None = None,
) -> GenerationReport:
    return GenerationReport(
        model=run.model_name,
        method=method,
        writer="model",
        checks=dict(checks or {}),
        attempts=len(attempts),
        reasks=max(len(attempts) - 1, 0),
        problems=[list(a.get("errors", [])) for a in attempts],
        flags=list(flags),
        retrieved=[c.chunk_id for c in documents.values()],
        seconds=time.monotonic() - started,
    )


def model_name(model: Any) -> str:
    """A short name of a chat model for reports (model name, GGUF file, or provider type)."""
    for attribute in ("model_name", "model"):
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    path = getattr(model, "model_path", None)
    if path:
        return str(path).replace("\\", "/").rsplit("/", 1)[-1]
    return str(getattr(model, "_llm_type", type(model).__name__))


def _chunk_exists(run: _Run, chunk_id: str) -> bool:
    return document_repo.chunk_exists(run.services.store, run.project_id, chunk_id)


def _budget(run: _Run) -> tuple[int, int]:
    return _DOCUMENT_BUDGET if capabilities(run.model).capable else _SMALL_MODEL_DOCUMENT_BUDGET


def _documents(run: _Run, evidence: SegmentEvidence) -> dict[str, Citation]:
    """The chunks shown to the model, keyed by the short reference the prompt uses (``D1`` …).

    The chunks that gave the most document candidates first: those speak to this
    segment's traits.
    """
    counts: dict[str, int] = {}
    for candidate in evidence.candidates:
        chunk = candidate.source.get("chunk_id")
        if candidate.kind == "doc" and isinstance(chunk, str):
            counts[chunk] = counts.get(chunk, 0) + 1
    ranked = sorted(evidence.chunks, key=lambda c: -counts.get(c.chunk_id, 0))
    return {f"D{i}": hit for i, hit in enumerate(ranked[: _budget(run)[0]], start=1)}


def _claimed_by_others(run: _Run, segment_id: int) -> dict[str, str]:
    # Caller holds run.lock.
    return {key: name for key, (name, owner) in run.claimed.items() if owner != segment_id}


def _claim(run: _Run, segment_id: int, name: str) -> None:
    # Caller holds run.lock.
    run.claimed[normal_name(name)] = (name, segment_id)
    run.claimed.setdefault(first_name(name), (name, segment_id))
    if surname := surname_key(name):
        run.claimed.setdefault(surname, (name, segment_id))


def _prior_persona(services: Services, project_id: int, segment_id: int) -> StoredPersona | None:
    persona_id = persona_repo.first_persona_of_segment(services.store, project_id, segment_id)
    return None if persona_id is None else get_persona(services, persona_id)
