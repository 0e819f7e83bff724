"""The ``insight_briefs`` table: compiled briefs, stored whole as JSON.

The brief's own schema belongs to :mod:`persona.insights`; this module is given
it (``schema``) to read one back, so it never imports the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from persona.store import Store, dumps

__all__ = ["BriefSummary", "get_brief", "list_briefs", "save_brief"]

BriefT = TypeVar("BriefT", bound=BaseModel)


@dataclass(frozen=True)
class BriefSummary:
    """A row of :func:`list_briefs`."""

    id: int
    title: str
    model: str
    created_at: str


def save_brief(
    store: Store, project_id: int, brief: BriefT, *, title: str, model: str, created_at: str
) -> BriefT:
    """Store ``brief`` and return it with its new ``id`` (which its JSON holds too)."""
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO insight_briefs (project_id, title, data_json, model, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (project_id, title, "{}", model, created_at),
        )
        brief_id = int(cursor.lastrowid or 0)
        brief = brief.model_copy(update={"id": brief_id})
        db.execute(
            "UPDATE insight_briefs SET data_json = ? WHERE id = ?",
            (dumps(brief.model_dump(mode="json")), brief_id),
        )
    return brief


def get_brief(store: Store, project_id: int, brief_id: int, schema: type[BriefT]) -> BriefT | None:
    """The stored brief read as ``schema``, or ``None`` (also for another project's)."""
    row = store.query_one(
        "SELECT data_json FROM insight_briefs WHERE id = ? AND project_id = ?",
        (brief_id, project_id),
    )
    return None if row is None else schema.model_validate_json(row["data_json"])


def list_briefs(store: Store, project_id: int) -> list[BriefSummary]:
    """Every brief of the project, oldest first."""
    rows = store.query(
        "SELECT id, title, model, created_at FROM insight_briefs WHERE project_id = ? ORDER BY id",
        (project_id,),
    )
    return [
        BriefSummary(int(r["id"]), str(r["title"]), str(r["model"]), str(r["created_at"]))
        for r in rows
    ]
