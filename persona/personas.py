"""Personas as a user sees them: read, find, edit by hand, compare versions.

The stored versions are owned by :mod:`persona.repos.personas`; this module adds
the project scope, the rules for hand edits (an edit is a new ``edited`` version
whose field carries ``user`` evidence and survives regeneration) and the
field-by-field diff of two versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from persona.errors import NotFoundError, PersonaError
from persona.models import EDITABLE_FIELDS, LIST_FIELDS, Evidence, EvidencedItem, Persona
from persona.names import first_name, normal_name
from persona.repos import personas as persona_repo
from persona.repos.personas import PersonaSummary, StoredPersona
from persona.safe_text import strip_invisible
from persona.store import utc_now

if TYPE_CHECKING:
    from persona.services import Services

__all__ = [
    "FieldDiff",
    "PersonaSummary",
    "StoredPersona",
    "diff_versions",
    "edit_persona",
    "find_persona",
    "get_persona",
    "list_personas",
    "list_versions",
]


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


def get_persona(services: Services, persona_id: int, version: int | None = None) -> StoredPersona:
    """A persona at ``version`` (default: its current version)."""
    return persona_repo.get_persona(services.store, services.project_id, persona_id, version)


def list_personas(services: Services) -> list[PersonaSummary]:
    """Every persona of the project, at its current version, oldest first."""
    return persona_repo.list_personas(services.store, services.project_id)


def list_versions(services: Services, persona_id: int) -> list[tuple[int, str, str, str]]:
    """``(version, origin, model, created_at)`` of every version of a persona."""
    return persona_repo.list_versions(services.store, services.project_id, persona_id)


def find_persona(services: Services, key: str | int) -> int:
    """The id of the persona named ``key`` (case-insensitive) or with id ``key``."""
    text = str(key).strip()
    if text.isdigit() and persona_repo.persona_in_project(
        services.store, services.project_id, int(text)
    ):
        return int(text)
    rows = persona_repo.persona_names(services.store, services.project_id)
    matches = [i for i, name in rows if normal_name(name) == normal_name(text)]
    if not matches:
        matches = [i for i, name in rows if first_name(name) == normal_name(text)]
    if len(matches) == 1:
        return matches[0]
    raise NotFoundError("persona", text)


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
    _persona_id, _version = persona_repo.save_version(
        services.store, services.project_id, current.segment_id, persona_id, edited, "edited",
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
    for other, taken in persona_repo.persona_names(services.store, services.project_id):
        if other != persona_id and normal_name(taken) == normal_name(name):
            raise PersonaError(
                f"Persona {other} is already called {taken!r}.",
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
    moved = _moved_facts(older.persona, newer.persona)
    if moved:
        diffs.append(FieldDiff("facts", *moved))
    return diffs


def _moved_facts(older: Persona, newer: Persona) -> tuple[list[str], list[str]] | None:
    """The segment facts whose values differ (a refresh moves them), as ``name = value``."""
    before = {"segment_size": older.facts.size, **older.facts.statistics}
    after = {"segment_size": newer.facts.size, **newer.facts.statistics}
    names = [n for n in dict.fromkeys([*before, *after]) if before.get(n) != after.get(n)]
    if not names:
        return None
    return (
        [f"{n} = {before.get(n, '(none)')}" for n in names],
        [f"{n} = {after.get(n, '(none)')}" for n in names],
    )


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
