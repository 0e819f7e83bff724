"""The ``personas`` and ``persona_versions`` tables: versions stored, read and listed.

A persona is a head row (name, segment, current version) and one row per
version holding the whole :class:`~persona.models.Persona` as JSON with how it
was made (``generated`` or ``edited``, the model, the generation report).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from persona.errors import NotFoundError
from persona.models import Persona
from persona.store import Store, dumps, utc_now

__all__ = [
    "PersonaSummary",
    "StoredPersona",
    "archive_persona",
    "first_persona_of_segment",
    "get_persona",
    "list_personas",
    "list_versions",
    "persona_in_project",
    "persona_name",
    "persona_names",
    "save_version",
    "set_segment",
]


@dataclass(frozen=True)
class StoredPersona:
    """One stored version of a persona."""

    id: int
    segment_id: int | None
    version: int
    current_version: int
    origin: Literal["generated", "edited", "refreshed"]
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
    archived_at: str | None = None
    """When its segment vanished in a re-fit (an archived persona is kept, not deleted)."""


def save_version(
    store: Store,
    project_id: int,
    segment_id: int | None,
    persona_id: int | None,
    persona: Persona,
    origin: Literal["generated", "edited", "refreshed"],
    model: str,
    report: dict[str, Any],
) -> tuple[int, int]:
    """Store ``persona`` as the next version (a new persona when ``persona_id`` is None)."""
    now = utc_now()
    data = dumps(persona.model_dump(mode="json", exclude_none=True))
    with store.transaction() as db:
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


def _persona_row(store: Store, project_id: int, persona_id: int) -> sqlite3.Row:
    row = store.query_one(
        "SELECT * FROM personas WHERE id = ? AND project_id = ?",
        (persona_id, project_id),
    )
    if row is None:
        raise NotFoundError("persona", persona_id)
    return row


def first_persona_of_segment(store: Store, project_id: int, segment_id: int) -> int | None:
    """The id of the (first) persona made for ``segment_id``, or ``None``."""
    row = store.query_one(
        "SELECT id FROM personas WHERE project_id = ? AND segment_id = ? ORDER BY id LIMIT 1",
        (project_id, segment_id),
    )
    return None if row is None else int(row["id"])


def get_persona(
    store: Store, project_id: int, persona_id: int, version: int | None = None
) -> StoredPersona:
    """A persona at ``version`` (default: its current version)."""
    head = _persona_row(store, project_id, persona_id)
    wanted = int(head["current_version"]) if version is None else version
    row = store.query_one(
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


def list_personas(store: Store, project_id: int) -> list[PersonaSummary]:
    """Every persona of the project, at its current version, oldest first."""
    rows = store.query(
        "SELECT p.id, p.name, p.segment_id, p.current_version, p.archived_at, "
        "s.segment_index, s.label, "
        "v.origin, v.data_json, v.created_at FROM personas p "
        "JOIN persona_versions v ON v.persona_id = p.id AND v.version = p.current_version "
        "LEFT JOIN segments s ON s.id = p.segment_id "
        "WHERE p.project_id = ? ORDER BY p.id",
        (project_id,),
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
                archived_at=row["archived_at"],
            )
        )
    return out


def list_versions(
    store: Store, project_id: int, persona_id: int
) -> list[tuple[int, str, str, str]]:
    """``(version, origin, model, created_at)`` of every version of a persona."""
    _persona_row(store, project_id, persona_id)
    rows = store.query(
        "SELECT version, origin, model, created_at FROM persona_versions "
        "WHERE persona_id = ? ORDER BY version",
        (persona_id,),
    )
    return [
        (int(r["version"]), str(r["origin"]), str(r["model"]), str(r["created_at"])) for r in rows
    ]


def persona_in_project(store: Store, project_id: int, persona_id: int) -> bool:
    """Whether persona ``persona_id`` exists in this project."""
    row = store.query_one(
        "SELECT id FROM personas WHERE id = ? AND project_id = ?", (persona_id, project_id)
    )
    return row is not None


def persona_names(store: Store, project_id: int) -> list[tuple[int, str]]:
    """``(id, name)`` of every persona of the project."""
    rows = store.query("SELECT id, name FROM personas WHERE project_id = ?", (project_id,))
    return [(int(r["id"]), str(r["name"])) for r in rows]


def persona_name(store: Store, persona_id: int) -> str | None:
    """The current name of persona ``persona_id``, or ``None`` when it was deleted."""
    row = store.query_one("SELECT name FROM personas WHERE id = ?", (persona_id,))
    return None if row is None else str(row["name"])


def set_segment(db: sqlite3.Connection, persona_id: int, segment_id: int) -> None:
    """Point a persona at the segment that succeeds its old one (after a re-fit)."""
    db.execute("UPDATE personas SET segment_id = ? WHERE id = ?", (segment_id, persona_id))


def archive_persona(db: sqlite3.Connection, persona_id: int, when: str) -> None:
    """Mark a persona whose segment vanished as archived (kept with all its versions)."""
    db.execute("UPDATE personas SET archived_at = ? WHERE id = ?", (when, persona_id))
