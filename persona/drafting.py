"""What the model is given and what of its draft is accepted: prompt parts, checks, repairs.

:func:`draft_problems` is the validate callback of
:func:`persona.structured.generate_structured`: it lists, as instructions the
model can act on, every invented number, unknown citation, link or markup,
repeated statement and taken name in a schema-valid draft. Whatever problems
remain after the last re-ask are fixed by :func:`repair_draft`, one flag per
repair. Document chunks reach the prompt through :func:`fence_document`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from persona.facts import fact_values, find_numbers, match_number
from persona.models import ITEM_FIELDS, DraftItem, PersonaDraft, SegmentFacts
from persona.names import fallback_name, first_name, normal_name, surname_key, with_free_surname
from persona.privacy import scrub_text
from persona.safe_text import defang_urls, strip_invisible
from persona.text import clip

if TYPE_CHECKING:
    from persona.knowledge import Citation
    from persona.segmentation import StoredSegment

__all__ = [
    "citable_sources",
    "draft_problems",
    "fence_attribute",
    "fence_document",
    "repair_draft",
]

_MARKUP = re.compile(r"<[a-zA-Z/!][^>]*>|\]\(|!\[")
_URLISH = re.compile(r"(?i)\b(?:https?|ftp|javascript|data|file|mailto):|\bwww\.")


def citable_sources(facts: SegmentFacts, documents: dict[str, Citation]) -> tuple[str, ...]:
    """What a citing model may cite: document references first, then the fact names."""
    return (
        *documents,
        "segment_size",
        "share_pct",
        *sorted(set(facts.statistics) - {"segment_size", "share_pct"}),
    )


def fence_document(citation: Citation, limit: int) -> str:
    """Chunk text fit to sit inside ``<document>``: scrubbed, bounded, unable to close the fence."""
    text, _counts = scrub_text(strip_invisible(citation.text))
    text = clip(text, limit)
    # Angle brackets would let a document close its own fence and open an "instruction".
    return text.replace("<", "‹").replace(">", "›")


def fence_attribute(value: str) -> str:
    """``value`` safe inside a quoted attribute of the ``<document>`` fence."""
    return re.sub(r"[\"<>\n\r\t]", "_", strip_invisible(value))[:120]


def draft_problems(
    draft: PersonaDraft,
    facts: SegmentFacts,
    *,
    documents: set[str],
    taken_names: dict[str, str],
    chunk_exists: Callable[[str], bool],
    candidates: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """Everything wrong with a schema-valid draft, as instructions the model can act on.

    * a number that is not in the facts;
    * a cited source that is neither a fact name, an evidence candidate id
      (``S1`` …), a document reference given in the prompt (``D1`` …), nor an
      existing chunk of the project;
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
        key = normal_name(text).rstrip(".!")
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
    known_facts = set(facts.statistics) | {"segment_size", "share_pct"} | set(candidates)
    for where, source in draft.cited():
        if source in known_facts or source in documents:
            continue
        if re.fullmatch(r"[0-9a-f]{32}", source) and chunk_exists(source):
            continue
        problems.append(
            f"{where} cites {source!r}, which is none of the ids given above (S1 …, D1 …). "
            "Cite only those, or leave sources empty."
        )
    clash = taken_names.get(normal_name(draft.name)) or taken_names.get(first_name(draft.name))
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


def repair_draft(
    draft: PersonaDraft,
    facts: SegmentFacts,
    documents: dict[str, Citation],
    taken: dict[str, str],
    chunk_exists: Callable[[str], bool],
    segment: StoredSegment,
    *,
    candidates: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[PersonaDraft, list[str]]:
    """Fix what re-asking did not: drop invented numbers and bad citations, rename clashes.

    Returns the repaired draft and one flag per repair, shown with the persona.
    """
    flags: list[str] = []
    values = fact_values(facts)
    known_facts = set(facts.statistics) | {"segment_size", "share_pct"} | set(candidates)

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
        return bool(re.fullmatch(r"[0-9a-f]{32}", source)) and chunk_exists(source)

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
    clash = taken.get(normal_name(name)) or taken.get(first_name(name))
    odd = _label_name(name, facts.label) or find_numbers(name)
    if clash or odd or _URLISH.search(name) or _MARKUP.search(name):
        data["name"] = fallback_name(taken, segment.segment_index)
        reason = (
            f"clashed with {clash!r}"
            if clash
            else "echoed the segment label"
            if _label_name(name, facts.label)
            else "was not a plain name"
        )
        flags.append(f"name: the model's name {name!r} {reason}; the app chose {data['name']!r}")
    elif same_surname := taken.get(surname_key(name)):
        # Small models copy the surname of the names they are told are taken.
        data["name"] = with_free_surname(name, taken, segment.segment_index)
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
    seen = {normal_name(str(data[k])).rstrip(".!") for k in ("occupation", "background", "quote")}
    for key in ("goals", "challenges", "needs", "pain_points", "behaviour_patterns",
                "personality", "hobbies", "channels"):  # fmt: skip
        kept = []
        for entry in data[key]:
            text = entry["text"] if isinstance(entry, dict) else entry
            norm = normal_name(str(text)).rstrip(".!")
            if norm in seen:
                flags.append(f"{key}: a repeated statement was dropped ({text!r})")
                continue
            seen.add(norm)
            kept.append(entry)
        data[key] = kept
