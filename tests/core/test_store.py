from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from persona.errors import NotFoundError, StoreError
from persona.exports import write_atomic
from persona.store import MIGRATIONS, Store


def test_new_store_is_migrated_with_wal_and_full_sync(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    db = store.connection
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in (
        "datasets",
        "segmentations",
        "segments",
        "documents",
        "chunks",
        "personas",
        "persona_versions",
        "interviews",
        "turns",
        "insight_briefs",
    ):
        assert table in tables
    assert store.integrity_check() == "ok"


def test_reopening_does_not_rerun_migrations(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Store(path).project_id("alpha")
    reopened = Store(path)
    assert reopened.projects() == ["alpha"]


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Store(path).connection.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer Persona Studio"):
        Store(path)


def test_garbage_file_is_a_store_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"db\.sqlite3"):
        Store(path)


def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    project = store.project_id("p")
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute(
            "INSERT INTO panels (project_id, question, created_at) VALUES (?, 'q', 'now')",
            (project,),
        )
        raise RuntimeError("crash in the middle of a logical write")
    assert store.query("SELECT * FROM panels") == []


def test_turn_idempotency_key_refuses_duplicates(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    project = store.project_id("p")
    with store.transaction() as db:
        db.execute(
            "INSERT INTO personas (id, project_id, name, current_version, created_at) "
            "VALUES (1, ?, 'Ana', 1, 'now')",
            (project,),
        )
        db.execute(
            "INSERT INTO interviews (id, project_id, persona_id, persona_version, title, "
            "created_at) VALUES (1, ?, 1, 1, 't', 'now')",
            (project,),
        )
        db.execute(
            "INSERT INTO turns (interview_id, turn_no, role, content, created_at) "
            "VALUES (1, 1, 'user', 'hi', 'now')"
        )
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as db:
        db.execute(
            "INSERT INTO turns (interview_id, turn_no, role, content, created_at) "
            "VALUES (1, 1, 'user', 'hi again', 'now')"
        )


def test_require_raises_not_found_with_a_hint(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    with pytest.raises(NotFoundError, match="personas list") as caught:
        store.require("persona", "personas", 42)
    assert isinstance(caught.value, LookupError)


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "brief.md"
    write_atomic(target, "old")
    write_atomic(target, "new content")
    assert target.read_text() == "new content"
    assert [p.name for p in target.parent.iterdir()] == ["brief.md"]


_WRITER = textwrap.dedent(
    """
    import sys
    from persona.store import Store, utc_now
    store = Store(sys.argv[1])
    project = store.project_id("p")
    with store.transaction() as db:
        db.execute("INSERT OR IGNORE INTO personas (id, project_id, name, current_version, "
                   "created_at) VALUES (1, ?, 'Ana', 1, 'now')", (project,))
        db.execute("INSERT OR IGNORE INTO interviews (id, project_id, persona_id, "
                   "persona_version, title, created_at) VALUES (1, ?, 1, 1, 't', 'now')",
                   (project,))
    turn = (store.query_one("SELECT MAX(turn_no) FROM turns")[0] or 0) + 1
    while True:
        # One logical write = a question and its answer, both or neither.
        with store.transaction() as db:
            db.execute("INSERT INTO turns (interview_id, turn_no, role, content, created_at) "
                       "VALUES (1, ?, 'user', ?, ?)", (turn, "q" * 2000, utc_now()))
            db.execute("INSERT INTO turns (interview_id, turn_no, role, content, created_at) "
                       "VALUES (1, ?, 'assistant', ?, ?)", (turn, "a" * 4000, utc_now()))
        print(turn, flush=True)  # acknowledged only after COMMIT returned
        turn += 1
    """
)


@pytest.mark.slow
def test_sigkill_during_writes_loses_no_acknowledged_record(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    kills = 12
    for attempt in range(kills):
        process = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert process.stdout is not None
        acknowledged = 0
        deadline = time.monotonic() + 0.3 + 0.05 * attempt
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            acknowledged = int(line)
        process.send_signal(signal.SIGKILL)
        process.wait()
        store = Store(path)
        assert store.integrity_check() == "ok"
        rows = store.query("SELECT turn_no, role FROM turns")
        users = {r["turn_no"] for r in rows if r["role"] == "user"}
        assistants = {r["turn_no"] for r in rows if r["role"] == "assistant"}
        assert users == assistants, "a logical write was half-committed"
        assert acknowledged == 0 or acknowledged in users, "an acknowledged write was lost"
        assert len(rows) == 2 * len(users)
        store.close()
