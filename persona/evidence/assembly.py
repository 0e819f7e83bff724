"""Evidence assembly: a segment's statistics and a checked draft → a :class:`Persona`.

Everything here is deterministic. The facts a prompt shows (:func:`prompt_facts`,
:func:`traits`) and the search query for documents (:func:`retrieval_query`) are
chosen from the segment's profile; :func:`assemble_persona` links each item of
the draft to its evidence (``stat`` for a fact it states or names, ``doc`` for a
cited chunk, else ``inferred``), takes demographics from the data where the data
has them, and adds the scorecard verdict and the warnings of a weak segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from persona.facts import FEATURE_NAMES, fact_values, find_numbers, format_value, match_number
from persona.models import Evidence, EvidencedItem, Persona, PersonaDraft, SegmentFacts
from persona.text import feature_words
from segments.facts import fact_name

if TYPE_CHECKING:
    from persona.knowledge import Citation
    from persona.segmentation import StoredSegment

__all__ = [
    "CITED_NOTE",
    "WEAK_CRITERIA",
    "assemble_persona",
    "carry_edits",
    "data_fields",
    "prompt_facts",
    "retrieval_query",
    "traits",
    "verdict_fields",
]

WEAK_CRITERIA = ("sizable", "stable", "coherent")
CITED_NOTE = "cited by the model"
"""The note of evidence a model cited (checked by :mod:`persona.evidence.review`)."""
_VERDICT_RANK = {"pass": 0, "unknown": 0, "warn": 1, "fail": 2}
_LOCATION_COLUMNS = ("region", "state", "county", "country", "location", "area", "city", "town")
_LOCAL_SHARE = 0.25
"""A city is named only when at least this share of the segment lives there."""
_OCCUPATION_COLUMNS = ("occupation", "job", "profession", "job_title", "role")
_CHANNEL_WORDS = ("channel", "contact")


def retrieval_query(segment: StoredSegment) -> str:
    """A search query describing the segment in words (no numbers, no personal data)."""
    facts = segment.typed_facts
    words = []
    for feature in _top_features(segment):
        column, _, value = feature.partition(" = ")
        words.append(f"{feature_words(facts, column)} {value}".strip())
    return (
        f"{segment.label}. Customers with {', '.join(words) or 'these traits'}: "
        "their needs, goals, problems, complaints and preferred channels."
    )


def _top_features(segment: StoredSegment) -> list[str]:
    return [str(f) for f in segment.profile.get("top_features", [])]


def prompt_facts(segment: StoredSegment, facts: SegmentFacts) -> list[tuple[str, str]]:
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


def traits(segment: StoredSegment) -> list[str]:
    """One line per distinguishing feature, naming the fact behind it."""
    facts = segment.typed_facts
    typed = {(f.statistic, f.feature, f.category): f for f in facts}
    lines = []
    for feature in _top_features(segment):
        if " = " in feature:
            column, value = feature.split(" = ", 1)
            share = typed.get(("label_share", column, value))
            if share is not None and ("label_base_share", column, value) in typed:
                lines.append(
                    f"{feature_words(facts, column)} '{value}' is more common than among all "
                    "customers "
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
            lines.append(f"{feature_words(facts, feature)} is {direction} than usual ({shown})")
        elif flag is not None:
            share_value = float(flag.value)
            base_fact = typed.get(("label_base_share", feature, "true"))
            base = share_value if base_fact is None else float(base_fact.value)
            word = "more" if share_value >= base else "fewer"
            lines.append(
                f"{word} are {feature_words(facts, feature)} than usual "
                f"({flag.name}: {format_value(share_value)})"
            )
    return lines


def assemble_persona(
    draft: PersonaDraft,
    segment: StoredSegment,
    facts: SegmentFacts,
    documents: dict[str, Citation],
    flags: list[str],
    *,
    cited: Mapping[str, Evidence] | None = None,
) -> Persona:
    """Build the full persona: data-backed demographics, evidence per item, verdict.

    ``cited`` maps the evidence candidate ids the model may cite (``S1`` …) to
    their evidence.
    """
    linker = _EvidenceLinker(segment, facts, documents, cited)
    lists: dict[str, list[EvidencedItem]] = {}
    for key in ("goals", "challenges", "needs", "pain_points", "behaviour_patterns"):
        lists[key] = [linker.item(item.text, item.sources) for item in getattr(draft, key)]
    for key in ("personality", "hobbies", "channels"):
        lists[key] = [linker.item(text, []) for text in getattr(draft, key)]
    demographics = data_fields(segment, facts)
    channel = demographics.pop("channel")
    if channel is not None and not any(
        channel.text.casefold() in item.text.casefold() for item in lists["channels"]
    ):
        lists["channels"].insert(0, channel)
    verdict, warnings, scorecard = verdict_fields(segment)
    return Persona.model_validate(
        {
            "name": draft.name,
            **demographics,
            "occupation": demographics["occupation"] or linker.item(draft.occupation, []),
            "background": linker.item(draft.background, []),
            "quote": linker.item(draft.quote, []),
            "facts": facts,
            "verdict": verdict,
            "scorecard": scorecard,
            "warnings": warnings,
            "flags": flags,
            "writer": "model",
            **lists,
        }
    )


def data_fields(segment: StoredSegment, facts: SegmentFacts) -> dict[str, EvidencedItem | None]:
    """What the data says directly: ``age``, ``occupation``, ``location`` and ``channel``.

    ``channel`` is the most common preferred channel (for the channels list); each
    is ``None`` when the table has no such column.
    """
    linker = _EvidenceLinker(segment, facts, {})
    return {
        "age": _age_item(facts),
        "occupation": _data_item(
            segment, _OCCUPATION_COLUMNS, linker, note="most common occupation"
        ),
        "location": _location_item(segment, linker),
        "channel": _data_channel(segment, linker),
    }


def verdict_fields(segment: StoredSegment) -> tuple[str, list[str], dict[str, str]]:
    """The segment's worst verdict, its weak-segment warnings and its verdict per criterion."""
    verdict, warnings = _verdict(segment)
    scorecard = {name: _known_verdict(c.get("verdict")) for name, c in segment.scorecard.items()}
    return verdict, warnings, scorecard


class _EvidenceLinker:
    """Turns a text and its cited sources into evidence, deterministically."""

    def __init__(
        self,
        segment: StoredSegment,
        facts: SegmentFacts,
        documents: dict[str, Citation],
        cited: Mapping[str, Evidence] | None = None,
    ) -> None:
        self.cited = dict(cited or {})
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
            if source in self.cited:
                add(self.cited[source].model_copy(update={"note": CITED_NOTE}))
            elif citation is not None:
                add(
                    Evidence(
                        kind="doc",
                        chunk_id=citation.chunk_id,
                        file=citation.filename,
                        page=citation.page,
                        note=CITED_NOTE,
                    )
                )
            elif source in self.facts.statistics or source in ("segment_size", "share_pct"):
                add(self.stat(source, note=CITED_NOTE))
        for mention in find_numbers(text):
            name = match_number(mention, self.values)
            if name is not None and name not in ("label", FEATURE_NAMES):
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
        # Ages for people: whole years ("58–67", not "58–67.25").
        text += f" (most are {round(float(q1))}–{round(float(q3))})"
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


def carry_edits(previous: Persona, persona: Persona) -> Persona:
    """Keep every field a person edited in ``previous`` (and its ``user`` evidence)."""
    if not previous.edited_fields:
        return persona
    changes: dict[str, Any] = {name: getattr(previous, name) for name in previous.edited_fields}
    changes["edited_fields"] = list(previous.edited_fields)
    return persona.model_copy(update=changes)
