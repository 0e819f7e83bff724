"""Pydantic schemas of personas, their evidence, and interview guides.

Two layers, on purpose:

* :class:`PersonaDraft` is the *only* thing a language model fills in: short
  narrative strings and small lists, each list item optionally citing its
  sources. It has no number fields, forbids extra keys and caps every length,
  so a small model under JSON-schema-constrained decoding can succeed and a
  large one cannot smuggle in anything else.
* :class:`Persona` is what the application assembles from a draft plus the
  deterministic :class:`SegmentFacts`: every narrative item carries
  :class:`Evidence` (``stat``, ``doc``, ``inferred`` or ``user``), and the
  persona is labelled ``synthetic``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    model_validator,
)

from segments.facts import Fact

__all__ = [
    "EDITABLE_FIELDS",
    "ITEM_FIELDS",
    "LIST_FIELDS",
    "TEXT_FIELDS",
    "DraftItem",
    "Evidence",
    "EvidenceKind",
    "EvidencedItem",
    "GuideDraft",
    "GuideQuestion",
    "InterviewGuide",
    "Persona",
    "PersonaDraft",
    "SegmentFacts",
    "Verdict",
    "draft_schema",
]

EvidenceKind = Literal["stat", "doc", "inferred", "user", "research"]
Verdict = Literal["pass", "warn", "fail", "unknown"]

LIST_FIELDS: tuple[str, ...] = (
    "goals",
    "challenges",
    "needs",
    "pain_points",
    "personality",
    "hobbies",
    "behaviour_patterns",
    "channels",
)
"""Persona fields holding a list of evidenced items, in display order."""

TEXT_FIELDS: tuple[str, ...] = ("age", "occupation", "location", "background", "quote")
"""Persona fields holding one evidenced item (``age``/``location`` may be absent)."""

EDITABLE_FIELDS: tuple[str, ...] = ("name", *TEXT_FIELDS, *LIST_FIELDS)
"""Fields a user may edit by hand; facts, verdict and the synthetic label are not editable."""


# --------------------------------------------------------------------------- evidence


class Evidence(BaseModel):
    """Why a persona item says what it says.

    * ``stat``: a named statistic of the segment (``stat`` and its ``value``);
    * ``doc``: a document chunk (``chunk_id``, ``file``, ``page``);
    * ``inferred``: the model's guess, shown to users as such;
    * ``user``: written or changed by a person;
    * ``research``: notes of a real interview (``file``, ``chunk_id`` ``note:<id>``,
      an excerpt in ``note``), shown as real, above anything simulated.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: EvidenceKind
    stat: str | None = None
    value: float | int | str | None = None
    chunk_id: str | None = None
    file: str | None = None
    page: int | None = None
    note: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _complete(self) -> Evidence:
        if self.kind == "stat" and not self.stat:
            raise ValueError("stat evidence names its statistic")
        if self.kind == "doc" and not self.chunk_id:
            raise ValueError("doc evidence names its chunk_id")
        if self.kind == "research" and not self.file:
            raise ValueError("research evidence names its notes file")
        return self

    @property
    def grounded(self) -> bool:
        """True for evidence from data (``stat``) or documents (``doc``)."""
        return self.kind in ("stat", "doc")

    def label(self) -> str:
        """A short human-readable badge text, e.g. ``stat: age_median = 34``."""
        if self.kind == "stat":
            value = self.value
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return f"stat: {self.stat} = {value}"
        if self.kind == "doc":
            page = f", p. {self.page}" if self.page is not None else ""
            return f"doc: {self.file or self.chunk_id}{page}"
        if self.kind == "research":
            return f"real interview: {self.file}"
        return self.kind


class EvidencedItem(BaseModel):
    """One narrative statement with the evidence behind it (at least one entry)."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]
    evidence: list[Evidence] = Field(min_length=1)

    @property
    def kinds(self) -> set[str]:
        """The evidence kinds present."""
        return {e.kind for e in self.evidence}

    @property
    def grounded(self) -> bool:
        """True when some evidence is a statistic or a document chunk."""
        return any(e.grounded for e in self.evidence)

    @property
    def strength(self) -> int:
        """0 inferred only, 1 user, 2 doc, 3 stat, 4 research: used to find the weakest fields."""
        order = {"inferred": 0, "user": 1, "doc": 2, "stat": 3, "research": 4}
        return max(order[e.kind] for e in self.evidence)


# --------------------------------------------------------------------------- facts


class SegmentFacts(BaseModel):
    """The deterministic facts of a persona's segment: the only source of its numbers."""

    model_config = ConfigDict(extra="forbid")

    segment_id: int
    segment_index: int
    label: str
    size: int = Field(ge=0)
    share: float = Field(ge=0.0, le=1.0)
    statistics: dict[str, float | int | str] = Field(default_factory=dict)
    """The flat name → value view: the facts block a model sees, and what numbers match."""
    facts: list[Fact] = Field(default_factory=list)
    """The same statistics typed (which statistic of which feature), for code to read."""


# --------------------------------------------------------------------------- persona


class Persona(BaseModel):
    """A synthetic persona: narrative grounded in one segment, with evidence per item."""

    model_config = ConfigDict(extra="forbid")

    synthetic: Literal[True] = True
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    age: EvidencedItem | None = None
    occupation: EvidencedItem | None = None
    location: EvidencedItem | None = None
    background: EvidencedItem
    goals: list[EvidencedItem] = Field(default_factory=list, max_length=12)
    challenges: list[EvidencedItem] = Field(default_factory=list, max_length=12)
    needs: list[EvidencedItem] = Field(default_factory=list, max_length=12)
    pain_points: list[EvidencedItem] = Field(default_factory=list, max_length=12)
    personality: list[EvidencedItem] = Field(default_factory=list, max_length=12)
    hobbies: list[EvidencedItem] = Field(default_factory=list, max_length=12)
    behaviour_patterns: list[EvidencedItem] = Field(default_factory=list, max_length=12)
    channels: list[EvidencedItem] = Field(default_factory=list, max_length=12)
    quote: EvidencedItem
    facts: SegmentFacts
    verdict: Verdict = "unknown"
    scorecard: dict[str, Verdict] = Field(
        default_factory=dict, description="The segment's verdict per scorecard criterion."
    )
    warnings: list[str] = Field(default_factory=list)
    flags: list[str] = Field(
        default_factory=list,
        description="Validation problems left after re-asking, and what the app did about them.",
    )
    edited_fields: list[str] = Field(default_factory=list)

    def items(self) -> list[tuple[str, EvidencedItem]]:
        """Every narrative item with its field name (single fields first, then lists)."""
        out: list[tuple[str, EvidencedItem]] = []
        for name in TEXT_FIELDS:
            item = getattr(self, name)
            if item is not None:
                out.append((name, item))
        for name in LIST_FIELDS:
            out.extend((name, item) for item in getattr(self, name))
        return out

    def field_items(self, name: str) -> list[EvidencedItem]:
        """The items of one field as a list (empty when the field is absent)."""
        value = getattr(self, name)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    def narrative_texts(self) -> list[str]:
        """Every string the model wrote or a user edited: name and item texts."""
        return [self.name, *(item.text for _field, item in self.items())]


# --------------------------------------------------------------------------- the LLM's draft

# Narrative characters: no digits, no markup brackets, no quote, backslash or control
# character (a raw newline would break the JSON string), and a letter first. The
# pattern goes into the JSON schema only (``json_schema_extra``), so constrained
# decoding keeps a small model from writing numbers or markup at all, and bounds
# every string; pydantic does not enforce it, and the deterministic checks in
# ``persona.generate`` catch what an unconstrained model writes instead.
_PLAIN = r'[^0-9<>\[\]{}"\\\x00-\x1f]'


def _plain(max_length: int) -> Any:
    return Field(json_schema_extra={"pattern": f"^[A-Za-z]{_PLAIN}{{0,{max_length - 1}}}$"})


def _text(max_length: int) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Short = Annotated[str, _text(32), _plain(32)]
Line = Annotated[str, _text(80), _plain(80)]
Background = Annotated[str, _text(200), _plain(200)]
Quote = Annotated[str, _text(120), _plain(120)]
PersonName = Annotated[
    str,
    _text(40),
    Field(json_schema_extra={"pattern": r"^[A-Z][a-z'-]{1,14} [A-Z][A-Za-z'-]{1,16}$"}),
]
SourceId = Annotated[
    str, _text(64), Field(json_schema_extra={"pattern": r"^[A-Za-z][A-Za-z0-9_]{0,63}$"})
]


class DraftItem(BaseModel):
    """One short statement, optionally citing sources: fact names or document ids."""

    model_config = ConfigDict(extra="forbid")

    text: Line
    sources: list[SourceId] = Field(default_factory=list, max_length=2)


class PersonaDraft(BaseModel):
    """What the language model writes: narrative only, never numbers fields.

    Kept small for SmolLM2-135M under constrained decoding and a 512-token
    answer: one name, one occupation, a short background and quote, at most
    two statements per list and three words or phrases per trait list.
    """

    model_config = ConfigDict(extra="forbid")

    name: PersonName = Field(description="A first name and a last name, e.g. 'Maya Lindqvist'.")
    occupation: Short
    background: Background
    goals: list[DraftItem] = Field(min_length=1, max_length=2)
    challenges: list[DraftItem] = Field(min_length=1, max_length=2)
    needs: list[DraftItem] = Field(min_length=1, max_length=2)
    pain_points: list[DraftItem] = Field(min_length=1, max_length=2)
    personality: list[Short] = Field(min_length=1, max_length=3)
    hobbies: list[Short] = Field(min_length=1, max_length=3)
    behaviour_patterns: list[DraftItem] = Field(min_length=1, max_length=2)
    channels: list[Short] = Field(min_length=1, max_length=3)
    quote: Quote

    def strings(self) -> list[tuple[str, str]]:
        """Every string of the draft as ``(where, text)``, e.g. ``("goals[0]", "…")``."""
        out: list[tuple[str, str]] = [
            ("name", self.name),
            ("occupation", self.occupation),
            ("background", self.background),
            ("quote", self.quote),
        ]
        for field in ITEM_FIELDS:
            for i, item in enumerate(getattr(self, field)):
                out.append((f"{field}[{i}]", item.text))
        for field in ("personality", "hobbies", "channels"):
            for i, text in enumerate(getattr(self, field)):
                out.append((f"{field}[{i}]", text))
        return out

    def cited(self) -> list[tuple[str, str]]:
        """Every cited source as ``(where, source id)``."""
        out: list[tuple[str, str]] = []
        for field in ITEM_FIELDS:
            for i, item in enumerate(getattr(self, field)):
                out.extend((f"{field}[{i}]", source) for source in item.sources)
        return out


ITEM_FIELDS: tuple[str, ...] = ("goals", "challenges", "needs", "pain_points", "behaviour_patterns")
"""Draft fields whose items may cite sources."""


@lru_cache(maxsize=64)
def draft_schema(
    source_ids: tuple[str, ...] | None, first_names: tuple[str, ...] | None = None
) -> type[PersonaDraft]:
    """:class:`PersonaDraft` whose JSON schema admits only ``source_ids`` as sources.

    ``None`` leaves sources free; an empty tuple allows none (for a model too
    small to cite meaningfully). ``first_names``, when given, limits the name's
    first word to those (a small model otherwise names people after the segment).
    Only the JSON schema changes, steering constrained decoding; validation
    stays that of :class:`PersonaDraft`, and citations are still checked
    against the project.
    """
    if source_ids is None and first_names is None:
        return PersonaDraft
    fields: dict[str, Any] = {}
    if source_ids is not None:
        if source_ids:
            pattern = "^(" + "|".join(re.escape(s) for s in source_ids) + ")$"
            sources: Any = (
                list[Annotated[str, _text(64), Field(json_schema_extra={"pattern": pattern})]],
                Field(default_factory=list, max_length=2),
            )
        else:
            sources = (
                list[SourceId],
                Field(default_factory=list, json_schema_extra={"maxItems": 0}),
            )
        item = create_model("DraftItem", __base__=DraftItem, sources=sources)
        fields.update(
            (name, (list[item], Field(min_length=1, max_length=2)))  # type: ignore[valid-type]
            for name in ITEM_FIELDS
        )
    if first_names:
        pattern = "^(" + "|".join(re.escape(n) for n in first_names) + ") [A-Z][a-z]{2,15}$"
        fields["name"] = (
            Annotated[str, _text(40), Field(json_schema_extra={"pattern": pattern})],
            Field(),
        )
    return create_model("PersonaDraft", __base__=PersonaDraft, **fields)


# --------------------------------------------------------------------------- interview guides

GuideTopic = Literal[
    "background", "goals", "challenges", "needs", "pain_points", "behaviour", "channels", "other"
]


class GuideQuestion(BaseModel):
    """One prepared interview question: open, non-leading, about one topic."""

    model_config = ConfigDict(extra="forbid")

    topic: GuideTopic
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=300)]
    field: str | None = Field(default=None, description="The persona field it probes.")
    reason: str = Field(default="", max_length=300)
    evidence: EvidenceKind | None = Field(
        default=None, description="The weakest evidence kind of the probed item."
    )


class InterviewGuide(BaseModel):
    """Prepared questions for one persona; ``edited`` once a person changed them."""

    model_config = ConfigDict(extra="forbid")

    persona_id: int
    persona_name: str
    questions: list[GuideQuestion] = Field(min_length=1, max_length=40)
    edited: bool = False
    phrased_by: str = "templates"


class GuideDraft(BaseModel):
    """What a model returns when asked to rephrase a guide: one string per question."""

    model_config = ConfigDict(extra="forbid")

    questions: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]] = (
        Field(min_length=1, max_length=20)
    )
