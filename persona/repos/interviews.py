"""The ``interviews``, ``turns`` and ``guides`` tables: sessions, their messages, their guides.

Every message is one row of ``turns``; ``(interview_id, turn_no, role)`` is the
idempotency key, so writing the same turn twice cannot duplicate it. The user
turn is committed before the model is called and the assistant turn after, each
in its own transaction. A user turn without an answer (the process died, or the
model failed) is marked ``interrupted``.

The ``turns`` table has one JSON column, ``flags_json``; it holds the guard's
:class:`~persona.consistency.Flag` s *and* the document chunks the answer had as
context (entries of kind ``source``). :class:`Turn` splits them again (panel
answers store theirs the same way). The rolling summary of older turns lives in
``interviews.summary`` as JSON (``{"through": turn_no, "text": ...}``) so a
resumed session does not re-summarise. A persona's interview guide is one row
of ``guides``: its questions and the persona version they were built from.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from persona.consistency import Flag
from persona.errors import NotFoundError, StoreError
from persona.models import GuideQuestion, InterviewGuide
from persona.store import Store, dumps, utc_now

__all__ = [
    "AnsweredTurn",
    "InterviewInfo",
    "Role",
    "Source",
    "Status",
    "StoredInterview",
    "SummaryState",
    "Turn",
    "answered_turns",
    "create_interview",
    "decode_flags",
    "encode_flags",
    "find_interview",
    "get_interview",
    "get_turn",
    "insert_answer",
    "insert_question",
    "interview_ids",
    "last_turn_no",
    "list_interviews",
    "load_guide",
    "load_turns",
    "mark_interrupted",
    "mark_orphans",
    "save_summary",
    "store_guide",
    "turn_from_row",
]

Role = Literal["user", "assistant"]
Status = Literal["complete", "interrupted"]


@dataclass(frozen=True)
class Source:
    """A document chunk given to the model as context for one answer."""

    chunk_id: str
    file: str
    page: int | None = None

    def label(self) -> str:
        """``file, p. N`` for people."""
        return self.file if self.page is None else f"{self.file}, p. {self.page}"


@dataclass(frozen=True)
class Turn:
    """One message of an interview: the researcher's question or the persona's answer."""

    id: int
    interview_id: int
    turn_no: int
    role: Role
    content: str
    status: Status
    created_at: str
    flags: tuple[Flag, ...] = ()
    sources: tuple[Source, ...] = ()

    @property
    def complete(self) -> bool:
        """True unless the turn was interrupted."""
        return self.status == "complete"

    @property
    def refused(self) -> bool:
        """True for a question refused as an attempt to break character (and its answer)."""
        return any(flag.kind == "override" for flag in self.flags)

    def warnings(self) -> list[Flag]:
        """The guard's flags, without the informational ``override`` marker."""
        return [flag for flag in self.flags if flag.kind != "override"]


@dataclass(frozen=True)
class InterviewInfo:
    """A row of :func:`~persona.interview.list_interviews`."""

    id: int
    persona_id: int
    persona_name: str
    persona_version: int
    title: str
    created_at: str
    answered: int = 0
    interrupted: int = 0
    last_at: str | None = None
    summary: str = ""


@dataclass(frozen=True)
class SummaryState:
    """The rolling summary: it covers every turn up to and including ``through``."""

    through: int = 0
    text: str = ""

    @classmethod
    def parse(cls, raw: str | None) -> SummaryState:
        """Read ``interviews.summary``; plain text (not written by this module) covers nothing."""
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            return cls(0, "")
        if not isinstance(data, dict):
            return cls()
        return cls(int(data.get("through", 0)), str(data.get("text", "")))

    def dumps(self) -> str:
        """The JSON stored in ``interviews.summary``."""
        return dumps({"through": self.through, "text": self.text})


@dataclass(frozen=True)
class StoredInterview:
    """An ``interviews`` row: which persona version is interviewed, and the rolling summary."""

    id: int
    persona_id: int
    persona_version: int
    title: str
    summary: str
    created_at: str


@dataclass(frozen=True)
class AnsweredTurn:
    """A complete answer with its complete question, as a brief synthesises it."""

    turn_id: int
    question: str
    answer: str
    question_flags: tuple[Flag, ...]
    flags: tuple[Flag, ...]
    sources: tuple[Source, ...]


# --------------------------------------------------------------------------- encoding


def encode_flags(flags: list[Flag], sources: list[Source]) -> str:
    """``flags_json`` for a turn: flags, then ``source`` entries."""
    entries: list[dict[str, Any]] = [f.model_dump(exclude_none=True) for f in flags]
    entries += [
        {"kind": "source", "chunk_id": s.chunk_id, "file": s.file, "page": s.page} for s in sources
    ]
    return dumps(entries)


def decode_flags(raw: str | None) -> tuple[tuple[Flag, ...], tuple[Source, ...]]:
    """Split ``flags_json`` into flags and sources; unreadable entries are skipped."""
    try:
        entries = json.loads(raw or "[]")
    except json.JSONDecodeError:
        return (), ()
    flags: list[Flag] = []
    sources: list[Source] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        if entry.get("kind") == "source" and entry.get("chunk_id"):
            page = entry.get("page")
            sources.append(
                Source(
                    str(entry["chunk_id"]),
                    str(entry.get("file") or ""),
                    int(page) if isinstance(page, int) else None,
                )
            )
            continue
        try:
            flags.append(Flag.model_validate(entry))
        except ValidationError:
            continue
    return tuple(flags), tuple(sources)


def turn_from_row(row: sqlite3.Row) -> Turn:
    """A :class:`Turn` from a ``turns`` row."""
    flags, sources = decode_flags(row["flags_json"])
    return Turn(
        id=int(row["id"]),
        interview_id=int(row["interview_id"]),
        turn_no=int(row["turn_no"]),
        role=row["role"],
        content=str(row["content"]),
        status=row["status"],
        created_at=str(row["created_at"]),
        flags=flags,
        sources=sources,
    )


# --------------------------------------------------------------------------- reads


def _interview(row: sqlite3.Row) -> StoredInterview:
    return StoredInterview(
        id=int(row["id"]),
        persona_id=int(row["persona_id"]),
        persona_version=int(row["persona_version"]),
        title=str(row["title"] or ""),
        summary=str(row["summary"] or ""),
        created_at=str(row["created_at"]),
    )


def find_interview(store: Store, project_id: int, interview_id: int) -> StoredInterview | None:
    """The interview, or ``None`` (also for another project's)."""
    row = store.query_one(
        "SELECT * FROM interviews WHERE id = ? AND project_id = ?", (interview_id, project_id)
    )
    return None if row is None else _interview(row)


def get_interview(store: Store, project_id: int, interview_id: int) -> StoredInterview:
    """The interview, or :class:`NotFoundError` (also for another project's)."""
    found = find_interview(store, project_id, interview_id)
    if found is None:
        raise NotFoundError(
            "interview",
            interview_id,
            hint="List this project's sessions with `persona interviews`.",
        )
    return found


def interview_ids(store: Store, project_id: int) -> list[int]:
    """Ids of every interview of the project, oldest first."""
    rows = store.query("SELECT id FROM interviews WHERE project_id = ? ORDER BY id", (project_id,))
    return [int(r["id"]) for r in rows]


def list_interviews(
    store: Store, project_id: int, *, persona_id: int | None = None
) -> list[InterviewInfo]:
    """Interviews of the project (optionally of one persona) with their counts, oldest first."""
    sql = (
        "SELECT i.*, p.name AS persona_name, "
        "(SELECT COUNT(*) FROM turns t WHERE t.interview_id = i.id AND t.role = 'assistant' "
        " AND t.status = 'complete') AS answered, "
        "(SELECT COUNT(*) FROM turns t WHERE t.interview_id = i.id AND t.role = 'user' "
        " AND t.status = 'interrupted') AS interrupted, "
        "(SELECT MAX(t.created_at) FROM turns t WHERE t.interview_id = i.id) AS last_at "
        "FROM interviews i JOIN personas p ON p.id = i.persona_id WHERE i.project_id = ?"
    )
    params: list[object] = [project_id]
    if persona_id is not None:
        sql += " AND i.persona_id = ?"
        params.append(persona_id)
    rows = store.query(sql + " ORDER BY i.id", params)
    return [
        InterviewInfo(
            id=int(r["id"]),
            persona_id=int(r["persona_id"]),
            persona_name=str(r["persona_name"]),
            persona_version=int(r["persona_version"]),
            title=str(r["title"]),
            created_at=str(r["created_at"]),
            answered=int(r["answered"]),
            interrupted=int(r["interrupted"]),
            last_at=r["last_at"],
            summary=SummaryState.parse(r["summary"]).text,
        )
        for r in rows
    ]


def load_turns(store: Store, interview_id: int) -> list[Turn]:
    """Every turn of an interview in order: by number, the question before its answer."""
    rows = store.query(
        "SELECT * FROM turns WHERE interview_id = ? "
        "ORDER BY turn_no, CASE role WHEN 'user' THEN 0 ELSE 1 END",
        (interview_id,),
    )
    return [turn_from_row(r) for r in rows]


def get_turn(store: Store, interview_id: int, turn_no: int, role: Role) -> Turn | None:
    """One turn by its idempotency key."""
    row = store.query_one(
        "SELECT * FROM turns WHERE interview_id = ? AND turn_no = ? AND role = ?",
        (interview_id, turn_no, role),
    )
    return None if row is None else turn_from_row(row)


def last_turn_no(store: Store, interview_id: int) -> int:
    """The highest turn number of an interview (0 before the first question)."""
    row = store.query_one(
        "SELECT COALESCE(MAX(turn_no), 0) AS n FROM turns WHERE interview_id = ?", (interview_id,)
    )
    return 0 if row is None else int(row["n"])


def answered_turns(store: Store, interview_id: int) -> list[AnsweredTurn]:
    """Every complete answer with its complete question, in turn order."""
    rows = store.query(
        "SELECT a.id, a.content, a.flags_json, q.content AS question, q.flags_json AS qflags "
        "FROM turns a JOIN turns q ON q.interview_id = a.interview_id AND q.turn_no = a.turn_no "
        "AND q.role = 'user' WHERE a.interview_id = ? AND a.role = 'assistant' "
        "AND a.status = 'complete' AND q.status = 'complete' ORDER BY a.turn_no",
        (interview_id,),
    )
    out = []
    for r in rows:
        question_flags, _ = decode_flags(r["qflags"])
        flags, sources = decode_flags(r["flags_json"])
        out.append(
            AnsweredTurn(
                turn_id=int(r["id"]),
                question=str(r["question"]),
                answer=str(r["content"]),
                question_flags=question_flags,
                flags=flags,
                sources=sources,
            )
        )
    return out


# --------------------------------------------------------------------------- writes


def create_interview(
    store: Store, project_id: int, persona_id: int, persona_version: int, title: str
) -> int:
    """Store a new interview of ``persona_id`` at ``persona_version``; return its id."""
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO interviews (project_id, persona_id, persona_version, title, summary, "
            "created_at) VALUES (?, ?, ?, ?, '', ?)",
            (project_id, persona_id, persona_version, title, utc_now()),
        )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def insert_question(
    store: Store, interview_id: int, content: str, flags: list[Flag], turn_no: int | None
) -> tuple[Turn, Turn | None]:
    """Commit the user turn; return it and the answer if this turn was already answered.

    Without ``turn_no`` the next number is taken. With it, a retry of the same
    question is recognised: the stored turn (and its complete answer, if any) is
    returned instead of a duplicate; an interrupted turn is reopened (its
    partial answer removed) so it can be answered again. A different question under a used number,
    or a number beyond the next one, raises :class:`StoreError`.
    """
    with store.transaction() as db:
        row = db.execute(
            "SELECT COALESCE(MAX(turn_no), 0) AS n FROM turns WHERE interview_id = ?",
            (interview_id,),
        ).fetchone()
        next_no = int(row["n"]) + 1
        if turn_no is not None and turn_no < next_no:
            existing = db.execute(
                "SELECT * FROM turns WHERE interview_id = ? AND turn_no = ? AND role = 'user'",
                (interview_id, turn_no),
            ).fetchone()
            if existing is None or existing["content"] != content:
                raise StoreError(
                    f"Turn {turn_no} of interview {interview_id} already holds another question.",
                    hint="Ask without a turn number to add a new turn.",
                )
            answer = db.execute(
                "SELECT * FROM turns WHERE interview_id = ? AND turn_no = ? AND role = 'assistant'",
                (interview_id, turn_no),
            ).fetchone()
            if answer is not None and answer["status"] == "complete":
                return turn_from_row(existing), turn_from_row(answer)
            # Retrying an interrupted turn: its partial answer gives way to a new one.
            db.execute(
                "DELETE FROM turns WHERE interview_id = ? AND turn_no = ? AND role = 'assistant'",
                (interview_id, turn_no),
            )
            db.execute("UPDATE turns SET status = 'complete' WHERE id = ?", (int(existing["id"]),))
            existing = db.execute(
                "SELECT * FROM turns WHERE id = ?", (int(existing["id"]),)
            ).fetchone()
            return turn_from_row(existing), None
        if turn_no is not None and turn_no > next_no:
            raise StoreError(
                f"Interview {interview_id} is at turn {next_no - 1}; "
                f"turn {turn_no} cannot come next.",
                hint="Ask without a turn number to add a new turn.",
            )
        cursor = db.execute(
            "INSERT INTO turns (interview_id, turn_no, role, content, status, flags_json, "
            "created_at) VALUES (?, ?, 'user', ?, 'complete', ?, ?)",
            (interview_id, next_no, content, encode_flags(flags, []), utc_now()),
        )
        created = db.execute("SELECT * FROM turns WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return turn_from_row(created), None


def insert_answer(
    store: Store,
    interview_id: int,
    turn_no: int,
    content: str,
    *,
    status: Status,
    flags: list[Flag],
    sources: list[Source],
) -> Turn:
    """Commit the assistant turn (a second write of the same turn keeps the first)."""
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO turns (interview_id, turn_no, role, content, status, flags_json, "
            "created_at) VALUES (?, ?, 'assistant', ?, ?, ?, ?) "
            "ON CONFLICT (interview_id, turn_no, role) DO NOTHING",
            (interview_id, turn_no, content, status, encode_flags(flags, sources), utc_now()),
        )
        if cursor.rowcount and status == "interrupted":
            db.execute(
                "UPDATE turns SET status = 'interrupted' "
                "WHERE interview_id = ? AND turn_no = ? AND role = 'user'",
                (interview_id, turn_no),
            )
        row = db.execute(
            "SELECT * FROM turns WHERE interview_id = ? AND turn_no = ? AND role = 'assistant'",
            (interview_id, turn_no),
        ).fetchone()
    return turn_from_row(row)


def mark_interrupted(store: Store, interview_id: int, turn_no: int) -> None:
    """Mark one unanswered user turn ``interrupted``."""
    with store.transaction() as db:
        db.execute(
            "UPDATE turns SET status = 'interrupted' WHERE interview_id = ? AND turn_no = ? "
            "AND role = 'user' AND NOT EXISTS (SELECT 1 FROM turns a WHERE a.interview_id = ? "
            "AND a.turn_no = ? AND a.role = 'assistant' AND a.status = 'complete')",
            (interview_id, turn_no, interview_id, turn_no),
        )


def mark_orphans(store: Store, interview_id: int) -> int:
    """Mark every user turn without an answer ``interrupted``; return how many."""
    with store.transaction() as db:
        cursor = db.execute(
            "UPDATE turns SET status = 'interrupted' WHERE interview_id = ? AND role = 'user' "
            "AND status = 'complete' AND NOT EXISTS (SELECT 1 FROM turns a "
            "WHERE a.interview_id = turns.interview_id AND a.turn_no = turns.turn_no "
            "AND a.role = 'assistant')",
            (interview_id,),
        )
    return int(cursor.rowcount or 0)


def save_summary(store: Store, interview_id: int, state: SummaryState) -> None:
    """Store the rolling summary (one small transaction)."""
    with store.transaction() as db:
        db.execute("UPDATE interviews SET summary = ? WHERE id = ?", (state.dumps(), interview_id))


# --------------------------------------------------------------------------- guides


def load_guide(
    store: Store, persona_id: int, persona_name: str
) -> tuple[InterviewGuide, int | None] | None:
    """The stored guide of a persona and the persona version it was built from, or ``None``."""
    row = store.query_one(
        "SELECT questions_json, edited FROM guides WHERE persona_id = ?", (persona_id,)
    )
    if row is None:
        return None
    payload = json.loads(row["questions_json"])
    guide = InterviewGuide(
        persona_id=persona_id,
        persona_name=persona_name,
        questions=[GuideQuestion.model_validate(q) for q in payload["questions"]],
        edited=bool(row["edited"]),
        phrased_by=str(payload.get("phrased_by", "templates")),
    )
    return guide, payload.get("version")


def store_guide(
    store: Store, persona_id: int, guide: InterviewGuide, version: int, *, edited: bool
) -> None:
    """Store (or replace) the guide of a persona, built from persona ``version``."""
    payload = {
        "version": version,
        "phrased_by": guide.phrased_by,
        "questions": [q.model_dump(mode="json", exclude_none=True) for q in guide.questions],
    }
    with store.transaction() as db:
        db.execute(
            "INSERT INTO guides (persona_id, questions_json, edited, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (persona_id) DO UPDATE SET "
            "questions_json = excluded.questions_json, edited = excluded.edited, "
            "updated_at = excluded.updated_at",
            (persona_id, dumps(payload), int(edited), utc_now()),
        )
