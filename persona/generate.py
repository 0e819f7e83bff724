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

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from persona.errors import GenerationError, NotFoundError, PersonaError, PrivacyError
from persona.facts import build_facts, fact_values, find_numbers, format_value, match_number
from persona.models import (
    EDITABLE_FIELDS,
    ITEM_FIELDS,
    LIST_FIELDS,
    DraftItem,
    Evidence,
    EvidencedItem,
    Persona,
    PersonaDraft,
    SegmentFacts,
    draft_schema,
)
from persona.safe_text import defang_urls, strip_invisible
from persona.segmentation import StoredSegment, load_segments
from persona.store import dumps, utc_now
from prompts import render
from segments.facts import fact_name

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from persona.knowledge import Citation
    from persona.services import Services

__all__ = [
    "FieldDiff",
    "GenerationReport",
    "GenerationResult",
    "PersonaSummary",
    "Progress",
    "StoredPersona",
    "diff_versions",
    "draft_problems",
    "edit_persona",
    "find_persona",
    "generate_personas",
    "get_persona",
    "list_personas",
    "list_versions",
    "model_name",
    "regenerate_persona",
    "retrieval_query",
]

Progress = Callable[[str, float], None]
"""``progress(stage, fraction)`` with ``fraction`` from 0 to 1."""

MAX_ITEMS = 2
# Retrieval budget: (chunks, characters per chunk). SmolLM2-135M copies long context
# verbatim instead of using it, so the embedded model gets less of it.
_DOCUMENT_BUDGET = {"llamacpp": (2, 350)}
_DEFAULT_DOCUMENT_BUDGET = (4, 700)
WEAK_CRITERIA = ("sizable", "stable", "coherent")
_VERDICT_RANK = {"pass": 0, "unknown": 0, "warn": 1, "fail": 2}
_LOCATION_COLUMNS = ("region", "state", "county", "country", "location", "area", "city", "town")
_LOCAL_SHARE = 0.25
"""A city is named only when at least this share of the segment lives there."""
_OCCUPATION_COLUMNS = ("occupation", "job", "profession", "job_title", "role")
_CHANNEL_WORDS = ("channel", "contact")
_MARKUP = re.compile(r"<[a-zA-Z/!][^>]*>|\]\(|!\[")
_URLISH = re.compile(r"(?i)\b(?:https?|ftp|javascript|data|file|mailto):|\bwww\.")

# Deterministic fallback names, used only when the model keeps repeating a name
# another persona of the project already has.
_FIRST_NAMES = (
    "Maya", "Jonas", "Priya", "Tomas", "Aisha", "Liam", "Elena", "Kofi", "Hannah", "Mateo",
    "Yuki", "Omar", "Freya", "Ravi", "Clara", "Emeka", "Sofia", "Henrik", "Leila", "Daniel",
    "Ines", "Arjun", "Nora", "Felix", "Amara", "Lucas", "Mei", "Samir", "Greta", "Tariq",
)  # fmt: skip
_LAST_NAMES = (
    "Lindqvist", "Okafor", "Moreau", "Haddad", "Novak", "Castillo", "Brennan", "Sato",
    "Adeyemi", "Kowalski", "Fischer", "Romano", "Nakamura", "Osei", "Varga", "Dubois",
)  # fmt: skip


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class GenerationReport:
    """How one persona was generated: model, attempts, re-asks, problems, flags, sources."""

    model: str
    method: str = ""
    attempts: int = 0
    reasks: int = 0
    problems: list[list[str]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def validation_failures(self) -> int:
        """Attempts whose reply was rejected (schema or domain checks)."""
        return sum(1 for problems in self.problems if problems)

    def to_json(self) -> dict[str, Any]:
        """The report as stored with the version (``persona_versions.report_json``)."""
        return {
            "model": self.model,
            "method": self.method,
            "attempts": self.attempts,
            "reasks": self.reasks,
            "problems": self.problems,
            "flags": self.flags,
            "retrieved": self.retrieved,
            "seconds": round(self.seconds, 3),
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


@dataclass(frozen=True)
class StoredPersona:
    """One stored version of a persona."""

    id: int
    segment_id: int | None
    version: int
    current_version: int
    origin: Literal["generated", "edited"]
    model: str
    created_at: str
    persona: Persona
    report: dict[str, Any]


@dataclass(frozen=True)
class PersonaSummary:
    """A row of :func:`list_personas`."""

    id: int
    name: str
    segment_id: int | None
    segment_index: int | None
    segment_label: str
    version: int
    origin: str
    verdict: str
    warnings: int
    flags: int
    updated_at: str


@dataclass(frozen=True)
class FieldDiff:
    """How one field differs between two versions (texts with evidence kinds)."""

    field: str
    before: list[str]
    after: list[str]

    @property
    def change(self) -> Literal["added", "removed", "changed"]:
        """``added`` (was empty), ``removed`` (now empty) or ``changed``."""
        if not self.before:
            return "added"
        if not self.after:
            return "removed"
        return "changed"


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
    lock: threading.Lock = field(default_factory=threading.Lock)
    claimed: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Normalised full and first names → (display name, segment) claimed in this run."""


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
    results: dict[int, GenerationResult] = {}
    concurrent = services.settings.resolved_provider == "openai" and total > 1
    if concurrent:
        workers = max(1, min(services.settings.llm_concurrency, total))
        report(f"Writing {total} personas ({workers} at a time) with {run.model_name}", 0.0)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="persona") as pool:
            futures = {pool.submit(_generate_one, run, segment): segment for segment in chosen}
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    segment = futures[future]
                    results[segment.id] = future.result()
                    report(f"Segment {segment.segment_index}: {segment.label}", done / total)
            except BaseException:
                for pending in futures:
                    pending.cancel()
                raise
    else:
        for done, segment in enumerate(chosen):
            report(
                f"Writing persona {done + 1}/{total} (segment {segment.segment_index}) "
                f"with {run.model_name}",
                done / total,
            )
            results[segment.id] = _generate_one(run, segment)
        report("Done", 1.0)
    return [results[segment.id] for segment in chosen]


def regenerate_persona(services: Services, persona_id: int) -> GenerationResult:
    """Generate a new version of a persona from its segment; edited fields are kept.

    Raises :class:`NotFoundError` when the persona or its segment no longer
    exists, and :class:`PrivacyError` when the segment is below the minimum size.
    """
    row = _persona_row(services, persona_id)
    if row["segment_id"] is None:
        raise NotFoundError(
            "segment",
            f"of persona {persona_id}",
            hint="Its segmentation was deleted; generate personas for the current segments.",
        )
    segment = _segment_by_id(services, int(row["segment_id"]))
    if _too_small(services, segment):
        raise PrivacyError(_privacy_reason(services, segment))
    return _generate_one(_start_run(services), segment)


def _start_run(services: Services) -> _Run:
    model = services.chat_model()
    project_id = services.project_id
    has_documents = (
        services.store.query_one("SELECT 1 FROM chunks WHERE project_id = ? LIMIT 1", (project_id,))
        is not None
    )
    return _Run(
        services=services,
        model=model,
        model_name=model_name(model),
        project_id=project_id,
        has_documents=has_documents,
        cite=services.settings.resolved_provider != "llamacpp",
    )


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
    documents = _retrieve(run, segment)
    taken = _taken_names(services, run, exclude=prior.id if prior else None)
    user_prompt = render(
        "persona.user",
        label=segment.label,
        facts=_prompt_facts(segment, facts),
        traits=_traits(segment),
        documents=[
            {
                "id": ref,
                "file": _attribute(c.filename),
                "page": c.page or "",
                "text": _fence(c, _budget(run)[1]),
            }
            for ref, c in documents.items()
        ],
        taken_names=sorted(set(taken.values())),
    )
    messages: list[BaseMessage] = [
        SystemMessage(content=render("persona.system", max_items=MAX_ITEMS, cite=run.cite)),
        HumanMessage(content=user_prompt),
    ]
    last: list[PersonaDraft] = []

    def validate(draft: PersonaDraft) -> list[str]:
        last.append(draft)
        with run.lock:
            names = {**taken, **_claimed_by_others(run, segment.id)}
        return draft_problems(
            draft,
            facts,
            documents=set(documents),
            taken_names=names,
            chunk_exists=lambda chunk: _chunk_exists(services, chunk),
        )

    from persona.structured import generate_structured

    try:
        result = generate_structured(
            run.model,
            messages,
            draft_schema(
                _citable(facts, documents) if run.cite else (),
                None if run.cite else _free_first_names(taken),
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
        draft, flags = _repair(draft, facts, documents, names, services, segment)
        _claim(run, segment.id, draft.name)
    persona = _assemble(draft, segment, facts, documents, flags)
    if prior is not None:
        persona = _carry_edits(prior.persona, persona)
    report = _report(run, attempts, method, flags, documents, started)
    persona_id, version = _save_version(
        services, run.project_id, segment.id, prior.id if prior else None, persona,
        "generated", run.model_name, report.to_json(),
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


def _report(
    run: _Run,
    attempts: list[dict[str, Any]],
    method: str,
    flags: list[str],
    documents: dict[str, Citation],
    started: float,
) -> GenerationReport:
    return GenerationReport(
        model=run.model_name,
        method=method,
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


def _chunk_exists(services: Services, chunk_id: str) -> bool:
    from persona.knowledge import chunk_exists

    return chunk_exists(services.store, services.settings, chunk_id)


# --------------------------------------------------------------------------- prompt parts


def retrieval_query(segment: StoredSegment) -> str:
    """A search query describing the segment in words (no numbers, no personal data)."""
    words = [_humanise(feature.replace(" = ", " ")) for feature in _top_features(segment)]
    return (
        f"{segment.label}. Customers with {', '.join(words) or 'these traits'}: "
        "their needs, goals, problems, complaints and preferred channels."
    )


def _top_features(segment: StoredSegment) -> list[str]:
    return [str(f) for f in segment.profile.get("top_features", [])]


def _prompt_facts(segment: StoredSegment, facts: SegmentFacts) -> list[tuple[str, str]]:
    """The few facts a small model can use; all of them can still be cited."""
    stats = facts.statistics
    names = ["segment_size", "share_pct"]
    names += [n for n in ("age_median", "age_q1", "age_q3") if n in stats]
    location = _location_item(segment, _EvidenceLinker(segment, facts, {}))
    if location is not None:
        names += [e.stat for e in location.evidence if e.stat]
    channel = _top_category(segment, _CHANNEL_WORDS, contains=True)
    if channel is not None:
        names.append(channel["fact"])
    shown = [(n, format_value(stats[n])) for n in dict.fromkeys(names) if n in stats]
    if "segment_size" not in stats:
        shown.insert(0, ("segment_size", format_value(facts.size)))
    return shown


def _traits(segment: StoredSegment) -> list[str]:
    """One line per distinguishing feature, naming the fact behind it."""
    typed = {(f.statistic, f.feature, f.category): f for f in segment.typed_facts}
    lines = []
    for feature in _top_features(segment):
        if " = " in feature:
            column, value = feature.split(" = ", 1)
            share = typed.get(("label_share", column, value))
            if share is not None and ("label_base_share", column, value) in typed:
                lines.append(
                    f"{_humanise(column)} '{value}' is more common than among all customers "
                    f"({share.name}: {format_value(share.value)})"
                )
            continue
        difference = typed.get(("vs_base", feature, None))
        flag = typed.get(("label_share", feature, "true"))
        if difference is not None:
            higher = float(difference.value) > 0
            direction = "higher" if higher else "lower"
            if feature.endswith("_days_ago"):  # a date, stored as days before the data's end
                direction = "longer ago" if higher else "more recent"
            median = typed.get(("median", feature, None))
            shown = f"{median.name}: {format_value(median.value)}" if median is not None else ""
            lines.append(f"{_humanise(feature)} is {direction} than usual ({shown})")
        elif flag is not None:
            share_value = float(flag.value)
            base_fact = typed.get(("label_base_share", feature, "true"))
            base = share_value if base_fact is None else float(base_fact.value)
            word = "more" if share_value >= base else "fewer"
            lines.append(
                f"{word} are {_humanise(feature)} than usual "
                f"({flag.name}: {format_value(share_value)})"
            )
    return lines


def _budget(run: _Run) -> tuple[int, int]:
    return _DOCUMENT_BUDGET.get(run.services.settings.resolved_provider, _DEFAULT_DOCUMENT_BUDGET)


def _citable(facts: SegmentFacts, documents: dict[str, Citation]) -> tuple[str, ...]:
    return (
        *documents,
        "segment_size",
        "share_pct",
        *sorted(set(facts.statistics) - {"segment_size", "share_pct"}),
    )


def _retrieve(run: _Run, segment: StoredSegment) -> dict[str, Citation]:
    """Retrieved chunks keyed by the short reference the prompt uses (``D1`` …)."""
    if not run.has_documents:
        return {}
    from persona.knowledge import search

    services = run.services
    hits = search(
        services.store, services.settings, retrieval_query(segment), k=_budget(run)[0], mmr=True
    )
    return {f"D{i}": hit for i, hit in enumerate(hits, start=1)}


def _fence(citation: Citation, limit: int) -> str:
    """Chunk text fit to sit inside ``<document>``: scrubbed, bounded, unable to close the fence."""
    from persona.privacy import scrub_text

    text, _counts = scrub_text(strip_invisible(citation.text))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + " …"
    # Angle brackets would let a document close its own fence and open an "instruction".
    return text.replace("<", "‹").replace(">", "›")


def _attribute(value: str) -> str:
    return re.sub(r"[\"<>\n\r\t]", "_", strip_invisible(value))[:120]


def _humanise(name: str) -> str:
    return re.sub(r"[_\s]+", " ", re.sub(r"_days_ago$", "", name)).strip()


# --------------------------------------------------------------------------- validation


def _normal(name: str) -> str:
    return " ".join(name.casefold().split())


def _first(name: str) -> str:
    parts = _normal(name).split(" ")
    return parts[0] if parts else ""


def _surname_key(name: str) -> str:
    """The key under which a name's surname is kept in the taken-names map ("" for none)."""
    parts = _normal(name).split(" ")
    return f"surname:{parts[-1]}" if len(parts) > 1 else ""


def draft_problems(
    draft: PersonaDraft,
    facts: SegmentFacts,
    *,
    documents: set[str],
    taken_names: dict[str, str],
    chunk_exists: Callable[[str], bool],
) -> list[str]:
    """Everything wrong with a schema-valid draft, as instructions the model can act on.

    * a number that is not in the facts;
    * a cited source that is neither a fact name, a document reference given
      in the prompt (``D1`` …), nor an existing chunk of the project;
    * links, HTML or Markdown;
    * a name (or first name) another persona of the project already uses
      (``taken_names`` maps normalised full and first names to the display
      name), or one made of words of the segment's label;
    * the same statement twice.
    """
    problems: list[str] = []
    values = fact_values(facts)
    seen: dict[str, str] = {}
    for where, text in draft.strings():
        key = _normal(text).rstrip(".!")
        if where != "name" and key in seen:
            problems.append(f"{where} repeats {seen[key]}. Say something different.")
        seen.setdefault(key, where)
        invented = [m.raw for m in find_numbers(text) if match_number(m, values) is None]
        if invented:
            problems.append(
                f"{where} contains {', '.join(repr(n) for n in invented)}, which is not in the "
                "FACTS. Write it without numbers."
            )
        if _URLISH.search(text) or _MARKUP.search(text):
            problems.append(f"{where} contains a link or markup. Use plain text only.")
    known_facts = set(facts.statistics) | {"segment_size", "share_pct"}
    for where, source in draft.cited():
        if source in known_facts or source in documents:
            continue
        if re.fullmatch(r"[0-9a-f]{32}", source) and chunk_exists(source):
            continue
        problems.append(
            f"{where} cites {source!r}, which is neither a fact name nor a document id given "
            "above. Cite only those, or leave sources empty."
        )
    clash = taken_names.get(_normal(draft.name)) or taken_names.get(_first(draft.name))
    if clash:
        problems.append(
            f"The name {draft.name!r} is too close to {clash!r}, another persona of this "
            "project. Choose a different first and last name."
        )
    elif _label_name(draft.name, facts.label):
        problems.append(
            f"The name {draft.name!r} is made from the segment's description. Give a "
            "realistic first and last name."
        )
    return problems


def _label_name(name: str, label: str) -> bool:
    words = {w for w in re.findall(r"[a-z]+", label.casefold()) if len(w) > 2}
    return any(w in words for w in re.findall(r"[a-z]+", name.casefold()))


def _taken_names(services: Services, run: _Run, *, exclude: int | None) -> dict[str, str]:
    rows = services.store.query(
        "SELECT id, name FROM personas WHERE project_id = ?", (run.project_id,)
    )
    taken: dict[str, str] = {}
    for row in rows:
        if row["id"] == exclude:
            continue
        name = str(row["name"])
        taken[_normal(name)] = name
        taken.setdefault(_first(name), name)
        if surname := _surname_key(name):
            taken.setdefault(surname, name)
    return taken


def _claimed_by_others(run: _Run, segment_id: int) -> dict[str, str]:
    # Caller holds run.lock.
    return {key: name for key, (name, owner) in run.claimed.items() if owner != segment_id}


def _claim(run: _Run, segment_id: int, name: str) -> None:
    # Caller holds run.lock.
    run.claimed[_normal(name)] = (name, segment_id)
    run.claimed.setdefault(_first(name), (name, segment_id))
    if surname := _surname_key(name):
        run.claimed.setdefault(surname, (name, segment_id))


# --------------------------------------------------------------------------- repair


def _repair(
    draft: PersonaDraft,
    facts: SegmentFacts,
    documents: dict[str, Citation],
    taken: dict[str, str],
    services: Services,
    segment: StoredSegment,
) -> tuple[PersonaDraft, list[str]]:
    """Fix what re-asking did not: drop invented numbers and bad citations, rename clashes.

    Returns the repaired draft and one flag per repair, shown with the persona.
    """
    flags: list[str] = []
    values = fact_values(facts)
    known_facts = set(facts.statistics) | {"segment_size", "share_pct"}

    def clean(where: str, text: str) -> str:
        out = text
        if _URLISH.search(out) or _MARKUP.search(out):
            out = _MARKUP.sub(" ", defang_urls(out))
            flags.append(f"{where}: links or markup removed")
        invented = [m.raw for m in find_numbers(out) if match_number(m, values) is None]
        for raw in invented:
            out = re.sub(rf"(?<![\w.]){re.escape(raw)}(?![\w])", "[number removed]", out, count=1)
        if invented:
            flags.append(f"{where}: invented number(s) {', '.join(invented)} removed")
        return " ".join(out.split()) or "(removed)"

    def source_ok(source: str) -> bool:
        if source in known_facts or source in documents:
            return True
        return bool(re.fullmatch(r"[0-9a-f]{32}", source)) and _chunk_exists(services, source)

    data = draft.model_dump()
    _drop_repeats(data, flags)
    for key in ("occupation", "background", "quote"):
        data[key] = clean(key, data[key])
    for key in ("personality", "hobbies", "channels"):
        data[key] = [clean(f"{key}[{i}]", text) for i, text in enumerate(data[key])]
    for key in ("goals", "challenges", "needs", "pain_points", "behaviour_patterns"):
        for i, item in enumerate(data[key]):
            item["text"] = clean(f"{key}[{i}]", item["text"])
            bad = [s for s in item["sources"] if not source_ok(s)]
            if bad:
                item["sources"] = [s for s in item["sources"] if s not in bad]
                flags.append(f"{key}[{i}]: unknown citation(s) {', '.join(bad)} dropped")
    name = data["name"]
    clash = taken.get(_normal(name)) or taken.get(_first(name))
    odd = _label_name(name, facts.label) or find_numbers(name)
    if clash or odd or _URLISH.search(name) or _MARKUP.search(name):
        data["name"] = _fallback_name(taken, segment.segment_index)
        reason = (
            f"clashed with {clash!r}"
            if clash
            else "echoed the segment label"
            if _label_name(name, facts.label)
            else "was not a plain name"
        )
        flags.append(f"name: the model's name {name!r} {reason}; the app chose {data['name']!r}")
    elif same_surname := taken.get(_surname_key(name)):
        # Small models copy the surname of the names they are told are taken.
        data["name"] = _with_free_surname(name, taken, segment.segment_index)
        flags.append(
            f"name: the model's surname in {name!r} repeated {same_surname!r}; "
            f"the app chose {data['name']!r}"
        )
    # Not re-validated: repairs may leave a list empty, which a draft forbids but a
    # persona allows; every string was validated (and only shortened) already.
    items = {
        key: [DraftItem.model_construct(**entry) for entry in data[key]] for key in ITEM_FIELDS
    }
    return PersonaDraft.model_construct(**{**data, **items}), flags


def _drop_repeats(data: dict[str, Any], flags: list[str]) -> None:
    """Remove list items that repeat an earlier statement (lists may end up empty)."""
    seen = {_normal(str(data[k])).rstrip(".!") for k in ("occupation", "background", "quote")}
    for key in ("goals", "challenges", "needs", "pain_points", "behaviour_patterns",
                "personality", "hobbies", "channels"):  # fmt: skip
        kept = []
        for entry in data[key]:
            text = entry["text"] if isinstance(entry, dict) else entry
            norm = _normal(str(text)).rstrip(".!")
            if norm in seen:
                flags.append(f"{key}: a repeated statement was dropped ({text!r})")
                continue
            seen.add(norm)
            kept.append(entry)
        data[key] = kept


def _free_first_names(taken: dict[str, str]) -> tuple[str, ...]:
    """First names of the fallback pool no persona of the project uses yet."""
    return tuple(n for n in _FIRST_NAMES if _normal(n) not in taken)


def _with_free_surname(name: str, taken: dict[str, str], seed: int) -> str:
    """``name`` with its surname replaced by one no persona of the project uses."""
    given = name.rsplit(" ", 1)[0]
    for offset in range(len(_LAST_NAMES)):
        candidate = f"{given} {_LAST_NAMES[(seed * 5 + offset) % len(_LAST_NAMES)]}"
        if _surname_key(candidate) not in taken and _normal(candidate) not in taken:
            return candidate
    return _fallback_name(taken, seed)


def _fallback_name(taken: dict[str, str], seed: int) -> str:
    for offset in range(len(_FIRST_NAMES) * len(_LAST_NAMES)):
        first = _FIRST_NAMES[(seed * 7 + offset) % len(_FIRST_NAMES)]
        last = _LAST_NAMES[(seed * 5 + offset) % len(_LAST_NAMES)]
        candidate = f"{first} {last}"
        if (
            _normal(candidate) not in taken
            and _first(candidate) not in taken
            and _surname_key(candidate) not in taken
        ):
            return candidate
    return f"Persona {_FIRST_NAMES[seed % len(_FIRST_NAMES)]} {len(taken)}"


# --------------------------------------------------------------------------- assembly


def _assemble(
    draft: PersonaDraft,
    segment: StoredSegment,
    facts: SegmentFacts,
    documents: dict[str, Citation],
    flags: list[str],
) -> Persona:
    """Build the full persona: data-backed demographics, evidence per item, verdict."""
    linker = _EvidenceLinker(segment, facts, documents)
    lists: dict[str, list[EvidencedItem]] = {}
    for key in ("goals", "challenges", "needs", "pain_points", "behaviour_patterns"):
        lists[key] = [linker.item(item.text, item.sources) for item in getattr(draft, key)]
    for key in ("personality", "hobbies", "channels"):
        lists[key] = [linker.item(text, []) for text in getattr(draft, key)]
    channel = _data_channel(segment, linker)
    if channel is not None and not any(
        channel.text.casefold() in item.text.casefold() for item in lists["channels"]
    ):
        lists["channels"].insert(0, channel)
    occupation = _data_item(segment, _OCCUPATION_COLUMNS, linker, note="most common occupation")
    verdict, warnings = _verdict(segment)
    return Persona.model_validate(
        {
            "name": draft.name,
            "age": _age_item(facts),
            "occupation": occupation or linker.item(draft.occupation, []),
            "location": _location_item(segment, linker),
            "background": linker.item(draft.background, []),
            "quote": linker.item(draft.quote, []),
            "facts": facts,
            "verdict": verdict,
            "scorecard": {
                name: _known_verdict(c.get("verdict")) for name, c in segment.scorecard.items()
            },
            "warnings": warnings,
            "flags": flags,
            **lists,
        }
    )


class _EvidenceLinker:
    """Turns a text and its cited sources into evidence, deterministically."""

    def __init__(
        self, segment: StoredSegment, facts: SegmentFacts, documents: dict[str, Citation]
    ) -> None:
        self.facts = facts
        self.values = fact_values(facts)
        self.documents = documents
        self.by_chunk = {c.chunk_id: c for c in documents.values()}
        # Over-represented category labels ("email", "North") link text to the share fact.
        self.categories: list[tuple[re.Pattern[str], str]] = []
        for entry in segment.profile.get("categorical", []):
            value = str(entry.get("value", ""))
            share, base = entry.get("share"), entry.get("base_share")
            if len(value) < 3 or value in ("true", "false", "other") or share is None:
                continue
            name = fact_name("label_share", feature=str(entry.get("feature", "")), category=value)
            if name in facts.statistics and base is not None and share > base:
                self.categories.append((re.compile(rf"(?i)\b{re.escape(value)}\b"), name))

    def stat(self, name: str, note: str | None = None) -> Evidence:
        value = self._value(name)
        return Evidence(kind="stat", stat=name, value=value, note=note)

    def _value(self, name: str) -> float | int | str | None:
        if name == "segment_size":
            return self.facts.statistics.get(name, self.facts.size)
        if name == "share_pct":
            return self.facts.statistics.get(name, round(self.facts.share * 100, 1))
        raw = self.facts.statistics.get(name)
        return raw if isinstance(raw, int | float | str) else None

    def item(self, text: str, sources: Iterable[str]) -> EvidencedItem:
        evidence: list[Evidence] = []
        seen: set[tuple[str, str]] = set()

        def add(entry: Evidence) -> None:
            key = (entry.kind, entry.stat or entry.chunk_id or "")
            if key not in seen:
                seen.add(key)
                evidence.append(entry)

        for source in sources:
            citation = self.documents.get(source) or self.by_chunk.get(source)
            if citation is not None:
                add(
                    Evidence(
                        kind="doc",
                        chunk_id=citation.chunk_id,
                        file=citation.filename,
                        page=citation.page,
                    )
                )
            elif source in self.facts.statistics or source in ("segment_size", "share_pct"):
                add(self.stat(source, note="cited by the model"))
        for mention in find_numbers(text):
            name = match_number(mention, self.values)
            if name is not None and name != "label":
                add(self.stat(_fact_name(name), note=f"the text says {mention.raw}"))
        for pattern, name in self.categories:
            if pattern.search(text):
                add(self.stat(name, note="over-represented in this segment"))
        if not evidence:
            evidence.append(Evidence(kind="inferred", note="written by the model"))
        return EvidencedItem(text=text, evidence=evidence)


def _fact_name(name: str) -> str:
    return "share_pct" if name == "share" else name


def _age_item(facts: SegmentFacts) -> EvidencedItem | None:
    stats = facts.statistics
    median = stats.get("age_median")
    if not isinstance(median, int | float) or isinstance(median, bool):
        return None
    evidence = [Evidence(kind="stat", stat="age_median", value=median, note="segment median")]
    text = format_value(round(float(median)))
    q1, q3 = stats.get("age_q1"), stats.get("age_q3")
    if isinstance(q1, int | float) and isinstance(q3, int | float):
        text += f" (most are {format_value(q1)}–{format_value(q3)})"
        evidence.append(Evidence(kind="stat", stat="age_q1", value=q1, note="lower quartile"))
        evidence.append(Evidence(kind="stat", stat="age_q3", value=q3, note="upper quartile"))
    return EvidencedItem(text=text, evidence=evidence)


def _top_category(
    segment: StoredSegment, columns: Sequence[str], *, contains: bool = False
) -> dict[str, Any] | None:
    """The most common label of the first matching categorical column, with its fact name."""
    stats = segment.facts
    entries = segment.profile.get("categorical", [])
    for column in columns:
        matching = [
            e
            for e in entries
            if (column in str(e.get("feature", "")).lower() if contains else
                str(e.get("feature", "")).lower() == column)
            and str(e.get("value")) not in ("other", "true", "false")
            and e.get("share") is not None
        ]  # fmt: skip
        if not matching:
            continue
        top = max(matching, key=lambda e: float(e["share"]))
        name = fact_name("label_share", feature=str(top["feature"]), category=str(top["value"]))
        if name in stats:
            return {
                "feature": str(top["feature"]),
                "value": str(top["value"]),
                "share": float(top["share"]),
                "fact": name,
            }
    return None


def _data_item(
    segment: StoredSegment,
    columns: Sequence[str],
    linker: _EvidenceLinker,
    *,
    note: str,
    contains: bool = False,
) -> EvidencedItem | None:
    top = _top_category(segment, columns, contains=contains)
    if top is None:
        return None
    return EvidencedItem(text=top["value"], evidence=[linker.stat(top["fact"], note=note)])


def _location_item(segment: StoredSegment, linker: _EvidenceLinker) -> EvidencedItem | None:
    """The most common region (and city, when a quarter of the segment lives there)."""
    parts: list[tuple[str, str]] = []
    for column in _LOCATION_COLUMNS:
        top = _top_category(segment, (column,))
        if top is None or top["value"] in (p[0] for p in parts):
            continue
        if column in ("city", "town") and parts and top["share"] < _LOCAL_SHARE:
            continue
        # "Fellgate, North": the city reads first.
        position = 0 if column in ("city", "town") else len(parts)
        parts.insert(position, (top["value"], top["fact"]))
        if len(parts) == 2:
            break
    if not parts:
        return None
    return EvidencedItem(
        text=", ".join(value for value, _fact in parts),
        evidence=[linker.stat(fact, note="most common in this segment") for _v, fact in parts],
    )


def _data_channel(segment: StoredSegment, linker: _EvidenceLinker) -> EvidencedItem | None:
    return _data_item(
        segment, _CHANNEL_WORDS, linker, note="most common preferred channel", contains=True
    )


def _verdict(segment: StoredSegment) -> tuple[str, list[str]]:
    """The worst verdict of the scorecard, and a warning per weak or unstable criterion."""
    scorecard = segment.scorecard
    verdicts = [str(c.get("verdict", "unknown")) for c in scorecard.values()]
    known = [v for v in verdicts if v in ("pass", "warn", "fail")]
    verdict = max(known, key=lambda v: _VERDICT_RANK[v]) if known else "unknown"
    warnings = []
    for name in WEAK_CRITERIA:
        criterion = scorecard.get(name) or {}
        level = str(criterion.get("verdict", "unknown"))
        if level in ("warn", "fail"):
            what = "unstable" if name == "stable" else "weak"
            warnings.append(
                f"This segment is {what} ({name}: {level}). {criterion.get('explanation', '')} "
                "Treat this persona as a rough sketch and check it with real customers."
            )
    return verdict, warnings


def _known_verdict(value: object) -> str:
    return str(value) if value in _VERDICT_RANK else "unknown"


def _carry_edits(previous: Persona, persona: Persona) -> Persona:
    """Keep every field a person edited in ``previous`` (and its ``user`` evidence)."""
    if not previous.edited_fields:
        return persona
    changes: dict[str, Any] = {name: getattr(previous, name) for name in previous.edited_fields}
    changes["edited_fields"] = list(previous.edited_fields)
    return persona.model_copy(update=changes)


# --------------------------------------------------------------------------- store


def _save_version(
    services: Services,
    project_id: int,
    segment_id: int | None,
    persona_id: int | None,
    persona: Persona,
    origin: Literal["generated", "edited"],
    model: str,
    report: dict[str, Any],
) -> tuple[int, int]:
    """Store ``persona`` as the next version (a new persona when ``persona_id`` is None)."""
    now = utc_now()
    data = dumps(persona.model_dump(mode="json", exclude_none=True))
    with services.store.transaction() as db:
        if persona_id is None:
            cursor = db.execute(
                "INSERT INTO personas (project_id, segment_id, name, current_version, created_at) "
                "VALUES (?, ?, ?, 1, ?)",
                (project_id, segment_id, persona.name, now),
            )
            assert cursor.lastrowid is not None
            persona_id, version = int(cursor.lastrowid), 1
        else:
            row = db.execute(
                "SELECT COALESCE(MAX(version), 0) AS v FROM persona_versions WHERE persona_id = ?",
                (persona_id,),
            ).fetchone()
            version = int(row["v"]) + 1
            db.execute(
                "UPDATE personas SET name = ?, current_version = ? WHERE id = ?",
                (persona.name, version, persona_id),
            )
        db.execute(
            "INSERT INTO persona_versions (persona_id, version, data_json, origin, model, "
            "report_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (persona_id, version, data, origin, model, dumps(report), now),
        )
    return persona_id, version


def _persona_row(services: Services, persona_id: int) -> Any:
    row = services.store.query_one(
        "SELECT * FROM personas WHERE id = ? AND project_id = ?",
        (persona_id, services.project_id),
    )
    if row is None:
        raise NotFoundError("persona", persona_id)
    return row


def _prior_persona(services: Services, project_id: int, segment_id: int) -> StoredPersona | None:
    row = services.store.query_one(
        "SELECT id FROM personas WHERE project_id = ? AND segment_id = ? ORDER BY id LIMIT 1",
        (project_id, segment_id),
    )
    return None if row is None else get_persona(services, int(row["id"]))


def _segment_by_id(services: Services, segment_id: int) -> StoredSegment:
    row = services.store.query_one("SELECT * FROM segments WHERE id = ?", (segment_id,))
    if row is None:
        raise NotFoundError("segment", segment_id, hint="See `persona segments show`.")
    return StoredSegment(
        id=int(row["id"]),
        segmentation_id=int(row["segmentation_id"]),
        segment_index=int(row["segment_index"]),
        label=str(row["label"]),
        size=int(row["size"]),
        share=float(row["share"]),
        profile=json.loads(row["profile_json"]),
    )


# --------------------------------------------------------------------------- reading


def get_persona(services: Services, persona_id: int, version: int | None = None) -> StoredPersona:
    """A persona at ``version`` (default: its current version)."""
    head = _persona_row(services, persona_id)
    wanted = int(head["current_version"]) if version is None else version
    row = services.store.query_one(
        "SELECT * FROM persona_versions WHERE persona_id = ? AND version = ?",
        (persona_id, wanted),
    )
    if row is None:
        raise NotFoundError(
            "persona version",
            f"{persona_id} v{wanted}",
            hint=f"Persona {persona_id} has versions 1 to {head['current_version']}.",
        )
    return StoredPersona(
        id=persona_id,
        segment_id=None if head["segment_id"] is None else int(head["segment_id"]),
        version=wanted,
        current_version=int(head["current_version"]),
        origin=row["origin"],
        model=str(row["model"]),
        created_at=str(row["created_at"]),
        persona=Persona.model_validate_json(row["data_json"]),
        report=json.loads(row["report_json"] or "{}"),
    )


def list_personas(services: Services) -> list[PersonaSummary]:
    """Every persona of the project, at its current version, oldest first."""
    rows = services.store.query(
        "SELECT p.id, p.name, p.segment_id, p.current_version, s.segment_index, s.label, "
        "v.origin, v.data_json, v.created_at FROM personas p "
        "JOIN persona_versions v ON v.persona_id = p.id AND v.version = p.current_version "
        "LEFT JOIN segments s ON s.id = p.segment_id "
        "WHERE p.project_id = ? ORDER BY p.id",
        (services.project_id,),
    )
    out = []
    for row in rows:
        data = json.loads(row["data_json"])
        out.append(
            PersonaSummary(
                id=int(row["id"]),
                name=str(row["name"]),
                segment_id=row["segment_id"],
                segment_index=row["segment_index"],
                segment_label=str(row["label"] or data["facts"]["label"]),
                version=int(row["current_version"]),
                origin=str(row["origin"]),
                verdict=str(data.get("verdict", "unknown")),
                warnings=len(data.get("warnings", [])),
                flags=len(data.get("flags", [])),
                updated_at=str(row["created_at"]),
            )
        )
    return out


def list_versions(services: Services, persona_id: int) -> list[tuple[int, str, str, str]]:
    """``(version, origin, model, created_at)`` of every version of a persona."""
    _persona_row(services, persona_id)
    rows = services.store.query(
        "SELECT version, origin, model, created_at FROM persona_versions "
        "WHERE persona_id = ? ORDER BY version",
        (persona_id,),
    )
    return [
        (int(r["version"]), str(r["origin"]), str(r["model"]), str(r["created_at"])) for r in rows
    ]


def find_persona(services: Services, key: str | int) -> int:
    """The id of the persona named ``key`` (case-insensitive) or with id ``key``."""
    text = str(key).strip()
    if text.isdigit():
        row = services.store.query_one(
            "SELECT id FROM personas WHERE id = ? AND project_id = ?",
            (int(text), services.project_id),
        )
        if row is not None:
            return int(row["id"])
    rows = services.store.query(
        "SELECT id, name FROM personas WHERE project_id = ?", (services.project_id,)
    )
    matches = [int(r["id"]) for r in rows if _normal(str(r["name"])) == _normal(text)]
    if not matches:
        matches = [int(r["id"]) for r in rows if _first(str(r["name"])) == _normal(text)]
    if len(matches) == 1:
        return matches[0]
    raise NotFoundError("persona", text)


# --------------------------------------------------------------------------- edits and diffs


def edit_persona(
    services: Services, persona_id: int, field: str, value: str | Sequence[str]
) -> StoredPersona:
    """Store a new ``edited`` version with ``field`` set by hand (evidence ``user``).

    ``value`` is a string for single fields and a list of strings (or one
    string with one item per line) for list fields; an empty value clears an
    optional field. Edited fields survive regeneration.
    """
    if field not in EDITABLE_FIELDS:
        raise NotFoundError(
            "persona field", field, hint=f"Editable fields: {', '.join(EDITABLE_FIELDS)}."
        )
    current = get_persona(services, persona_id)
    persona = current.persona
    user = [Evidence(kind="user", note=f"edited by hand on {utc_now()[:10]}")]
    texts = _edit_texts(value, is_list=field in LIST_FIELDS)
    update: dict[str, Any]
    if field == "name":
        if len(texts) != 1:
            raise PersonaError("A persona's name is one non-empty line.", hint="Give a name.")
        _check_name_free(services, persona_id, texts[0])
        update = {"name": texts[0]}
    elif field in LIST_FIELDS:
        update = {field: [EvidencedItem(text=t, evidence=user) for t in texts]}
    else:
        if len(texts) > 1:
            raise PersonaError(f"{field} is a single text.", hint="Give one line of text.")
        if not texts and field in ("background", "quote"):
            raise PersonaError(f"{field} cannot be empty.", hint="Give some text.")
        update = {field: EvidencedItem(text=texts[0], evidence=user) if texts else None}
    update["edited_fields"] = sorted({*persona.edited_fields, field}, key=EDITABLE_FIELDS.index)
    edited = Persona.model_validate({**persona.model_dump(), **_dumped(update)})
    _persona_id, _version = _save_version(
        services, services.project_id, current.segment_id, persona_id, edited, "edited",
        current.model, {"edited_field": field, "from_version": current.version},
    )  # fmt: skip
    return get_persona(services, persona_id)


def _dumped(update: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in update.items():
        if isinstance(value, list):
            out[key] = [v.model_dump() if hasattr(v, "model_dump") else v for v in value]
        else:
            out[key] = value.model_dump() if hasattr(value, "model_dump") else value
    return out


def _edit_texts(value: str | Sequence[str], *, is_list: bool) -> list[str]:
    raw = value.splitlines() if isinstance(value, str) and is_list else (
        [value] if isinstance(value, str) else list(value)
    )  # fmt: skip
    return [" ".join(strip_invisible(str(t)).split()) for t in raw if str(t).strip()]


def _check_name_free(services: Services, persona_id: int, name: str) -> None:
    rows = services.store.query(
        "SELECT id, name FROM personas WHERE project_id = ? AND id != ?",
        (services.project_id, persona_id),
    )
    for row in rows:
        if _normal(str(row["name"])) == _normal(name):
            raise PersonaError(
                f"Persona {row['id']} is already called {row['name']!r}.",
                hint="Choose a name no other persona of this project has.",
            )


def diff_versions(
    services: Services, persona_id: int, old: int | None = None, new: int | None = None
) -> list[FieldDiff]:
    """Fields that differ between two versions (default: the previous and the current).

    Each side lists the field's item texts, each followed by its evidence kinds
    in brackets, so a change of evidence alone shows too.
    """
    newer = get_persona(services, persona_id, new)
    older = get_persona(services, persona_id, old if old is not None else max(newer.version - 1, 1))
    diffs = []
    for name in ("name", *EDITABLE_FIELDS[1:], "verdict", "warnings", "flags"):
        before, after = _field_lines(older.persona, name), _field_lines(newer.persona, name)
        if before != after:
            diffs.append(FieldDiff(name, before, after))
    return diffs


def _field_lines(persona: Persona, name: str) -> list[str]:
    value = getattr(persona, name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, EvidencedItem):
        value = [value]
    lines = []
    for entry in value:
        if isinstance(entry, EvidencedItem):
            kinds = ", ".join(sorted(entry.kinds))
            lines.append(f"{entry.text} [{kinds}]")
        else:
            lines.append(str(entry))
    return lines
