"""The ``panels`` and ``panel_answers`` tables: one question put to many personas.

An answer's ``flags_json`` holds the guard's flags and the chunks the answer had
as context, encoded like an interview turn's (:func:`~persona.repos.interviews.encode_flags`).
"""

from __future__ import annotations

from dataclasses import dataclass

from persona.consistency import Flag
from persona.repos.interviews import Source, decode_flags, encode_flags
from persona.store import Store, utc_now

__all__ = [
    "StoredPanel",
    "StoredPanelAnswer",
    "create_panel",
    "find_panel",
    "panel_answers",
    "panel_ids",
    "save_answer",
]


@dataclass(frozen=True)
class StoredPanel:
    """A ``panels`` row: the question as asked."""

    id: int
    question: str
    created_at: str


@dataclass(frozen=True)
class StoredPanelAnswer:
    """A ``panel_answers`` row with the persona's current name."""

    persona_id: int
    persona_name: str
    answer: str
    flags: tuple[Flag, ...]
    sources: tuple[Source, ...]
    created_at: str


def create_panel(store: Store, project_id: int, question: str) -> int:
    """Store a new panel question; return its id."""
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO panels (project_id, question, created_at) VALUES (?, ?, ?)",
            (project_id, question, utc_now()),
        )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def save_answer(
    store: Store,
    panel_id: int,
    persona_id: int,
    answer: str,
    flags: list[Flag],
    sources: list[Source],
) -> None:
    """Store one persona's answer (a second write of the same answer keeps the first)."""
    with store.transaction() as db:
        db.execute(
            "INSERT INTO panel_answers (panel_id, persona_id, answer, flags_json, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (panel_id, persona_id) DO NOTHING",
            (panel_id, persona_id, answer, encode_flags(flags, sources), utc_now()),
        )


def find_panel(store: Store, project_id: int, panel_id: int) -> StoredPanel | None:
    """The panel, or ``None`` (also for another project's)."""
    row = store.query_one(
        "SELECT * FROM panels WHERE id = ? AND project_id = ?", (panel_id, project_id)
    )
    if row is None:
        return None
    return StoredPanel(int(row["id"]), str(row["question"]), str(row["created_at"]))


def panel_answers(store: Store, panel_id: int) -> list[StoredPanelAnswer]:
    """Every answer of a panel, by persona id."""
    rows = store.query(
        "SELECT a.*, p.name FROM panel_answers a JOIN personas p ON p.id = a.persona_id "
        "WHERE a.panel_id = ? ORDER BY a.persona_id",
        (panel_id,),
    )
    answers = []
    for row in rows:
        flags, sources = decode_flags(row["flags_json"])
        answers.append(
            StoredPanelAnswer(
                persona_id=int(row["persona_id"]),
                persona_name=str(row["name"]),
                answer=str(row["answer"]),
                flags=flags,
                sources=sources,
                created_at=str(row["created_at"]),
            )
        )
    return answers


def panel_ids(store: Store, project_id: int) -> list[int]:
    """Ids of every panel of the project, oldest first."""
    rows = store.query("SELECT id FROM panels WHERE project_id = ? ORDER BY id", (project_id,))
    return [int(r["id"]) for r in rows]
