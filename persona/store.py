"""The workspace store: SQLite is the source of truth for everything a user makes.

One database file per workspace (``Settings.database_path``), opened in WAL mode
with ``synchronous=FULL`` so that a committed write survives a killed process
and a power cut. Every *logical* write (a dataset with its segments, a persona
version, one interview turn) happens in one transaction via
:meth:`Store.transaction`, so a crash leaves either all of it or none.

The schema evolves through :data:`MIGRATIONS`, an ordered list of plain
functions; ``PRAGMA user_version`` records how many have run.

The SQL of each aggregate lives in its repository (:mod:`persona.repos`), which
uses :meth:`Store.transaction` / :meth:`Store.query`; this module owns the
schema, the connection rules and the projects table (files: :mod:`persona.exports`).
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from persona.errors import NotFoundError, StoreError
from segments.profile import stored_facts
from segments.state import model_state

__all__ = [
    "MIGRATIONS",
    "Store",
    "dumps",
    "utc_now",
]


def utc_now() -> str:
    """Current time as an ISO-8601 UTC string (what every ``created_at`` holds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# --------------------------------------------------------------------------- migrations


def _execute_script(db: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the caller's transaction.

    ``executescript`` would COMMIT first, breaking the one-transaction-per-migration rule.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise StoreError(f"Incomplete SQL statement in a migration: {statement.strip()[:80]}")


def _m001_initial(db: sqlite3.Connection) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE projects (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            created_at  TEXT NOT NULL
        );
        CREATE TABLE datasets (
            id          INTEGER PRIMARY KEY,
            project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            name        TEXT NOT NULL,
            source      TEXT NOT NULL,
            sha256      TEXT NOT NULL,
            n_rows      INTEGER NOT NULL,
            n_columns   INTEGER NOT NULL,
            roles_json  TEXT NOT NULL,
            warnings_json TEXT NOT NULL DEFAULT '[]',
            created_at  TEXT NOT NULL
        );
        CREATE TABLE segmentations (
            id          INTEGER PRIMARY KEY,
            project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
            algorithm   TEXT NOT NULL,
            k           INTEGER NOT NULL,
            params_json TEXT NOT NULL,
            result_json TEXT NOT NULL,
            model_blob  BLOB,
            created_at  TEXT NOT NULL
        );
        CREATE TABLE segments (
            id              INTEGER PRIMARY KEY,
            segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
            segment_index   INTEGER NOT NULL,
            label           TEXT NOT NULL,
            size            INTEGER NOT NULL,
            share           REAL NOT NULL,
            profile_json    TEXT NOT NULL,
            UNIQUE (segmentation_id, segment_index)
        );
        -- Customer id -> segment. Stays in SQLite: never sent to a model or to Chroma.
        CREATE TABLE segment_labels (
            segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
            customer_id     TEXT NOT NULL,
            segment_index   INTEGER NOT NULL,
            PRIMARY KEY (segmentation_id, customer_id)
        ) WITHOUT ROWID;
        CREATE TABLE documents (
            id          INTEGER PRIMARY KEY,
            project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            filename    TEXT NOT NULL,
            sha256      TEXT NOT NULL,
            media_type  TEXT NOT NULL,
            n_pages     INTEGER,
            n_chunks    INTEGER NOT NULL,
            report_json TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            UNIQUE (project_id, sha256)
        );
        CREATE TABLE chunks (
            id          TEXT PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            ordinal     INTEGER NOT NULL,
            text        TEXT NOT NULL,
            page        INTEGER,
            heading     TEXT,
            sha256      TEXT NOT NULL,
            UNIQUE (document_id, ordinal)
        );
        CREATE INDEX chunks_project ON chunks(project_id);
        CREATE TABLE index_state (
            project_id      INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
            collection      TEXT NOT NULL,
            embedding_model TEXT NOT NULL,
            updated_at      TEXT NOT NULL
        );
        CREATE TABLE personas (
            id              INTEGER PRIMARY KEY,
            project_id      INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            segment_id      INTEGER REFERENCES segments(id) ON DELETE SET NULL,
            name            TEXT NOT NULL,
            current_version INTEGER NOT NULL,
            created_at      TEXT NOT NULL
        );
        CREATE TABLE persona_versions (
            persona_id  INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
            version     INTEGER NOT NULL,
            data_json   TEXT NOT NULL,
            origin      TEXT NOT NULL CHECK (origin IN ('generated', 'edited')),
            model       TEXT NOT NULL,
            report_json TEXT NOT NULL DEFAULT '{}',
            created_at  TEXT NOT NULL,
            PRIMARY KEY (persona_id, version)
        );
        CREATE TABLE guides (
            persona_id     INTEGER PRIMARY KEY REFERENCES personas(id) ON DELETE CASCADE,
            questions_json TEXT NOT NULL,
            edited         INTEGER NOT NULL DEFAULT 0,
            updated_at     TEXT NOT NULL
        );
        CREATE TABLE interviews (
            id              INTEGER PRIMARY KEY,
            project_id      INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            persona_id      INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
            persona_version INTEGER NOT NULL,
            title           TEXT NOT NULL,
            summary         TEXT NOT NULL DEFAULT '',
            created_at      TEXT NOT NULL
        );
        -- One row per message. (interview_id, turn_no, role) is the idempotency key:
        -- a retried write of the same turn cannot create a duplicate.
        CREATE TABLE turns (
            id           INTEGER PRIMARY KEY,
            interview_id INTEGER NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
            turn_no      INTEGER NOT NULL,
            role         TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
            content      TEXT NOT NULL,
            status       TEXT NOT NULL DEFAULT 'complete'
                         CHECK (status IN ('complete', 'interrupted')),
            flags_json   TEXT NOT NULL DEFAULT '[]',
            created_at   TEXT NOT NULL,
            UNIQUE (interview_id, turn_no, role)
        );
        CREATE TABLE panels (
            id          INTEGER PRIMARY KEY,
            project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            question    TEXT NOT NULL,
            created_at  TEXT NOT NULL
        );
        CREATE TABLE panel_answers (
            panel_id    INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
            persona_id  INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
            answer      TEXT NOT NULL,
            flags_json  TEXT NOT NULL DEFAULT '[]',
            created_at  TEXT NOT NULL,
            PRIMARY KEY (panel_id, persona_id)
        );
        CREATE TABLE insight_briefs (
            id          INTEGER PRIMARY KEY,
            project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            title       TEXT NOT NULL,
            data_json   TEXT NOT NULL,
            model       TEXT NOT NULL,
            created_at  TEXT NOT NULL
        );
        """,
    )


def _m002_known_identifiers(db: sqlite3.Connection) -> None:
    _execute_script(
        db,
        """
        -- Keyed digests of customer ids and names (persona/identifiers.py); no raw values.
        CREATE TABLE identifier_salts (
            project_id  INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
            salt        BLOB NOT NULL,
            recorded    INTEGER NOT NULL DEFAULT 0  -- digests recorded so far
        );
        -- kind 'start': the first word of a longer value, so text is searched for
        -- multi-word values only where one could begin.
        CREATE TABLE known_identifiers (
            project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            kind        TEXT NOT NULL,
            digest      INTEGER NOT NULL,
            n_words     INTEGER NOT NULL,
            PRIMARY KEY (project_id, kind, digest)
        ) WITHOUT ROWID;
        """,
    )


def _m003_model_state(db: sqlite3.Connection) -> None:
    """Replace each pickled segmentation model by its state as JSON, then drop the pickles.

    The blobs are our own data in our own database (written by ``persona.segmentation``
    before #18), never user-supplied, so unpickling them once here is safe. A blob that
    no longer unpickles (a library moved on) leaves ``model_state`` NULL: the segments
    stay readable and assigning new customers asks for a re-fit.
    """
    db.execute("ALTER TABLE segmentations ADD COLUMN model_state TEXT")
    rows = db.execute(
        "SELECT id, model_blob FROM segmentations WHERE model_blob IS NOT NULL"
    ).fetchall()
    for row in rows:
        state = _state_of_pickle(row["model_blob"])
        if state is not None:
            db.execute(
                "UPDATE segmentations SET model_state = ? WHERE id = ?", (dumps(state), row["id"])
            )
    db.execute("ALTER TABLE segmentations DROP COLUMN model_blob")


def _state_of_pickle(blob: bytes) -> dict[str, Any] | None:
    try:
        result = pickle.loads(blob)  # our own blob, see _m003_model_state
        return model_state(result.model, result.feature_spec, result.id_column)
    except Exception:  # whatever broke (pickle, sklearn, the state): a re-fit is needed
        return None


def _m004_typed_persona_facts(db: sqlite3.Connection) -> None:
    """Give every stored persona version the typed facts of its segment.

    Segments need no conversion: their typed facts are rebuilt from the profile
    structure already stored (:func:`segments.profile.stored_facts`). A persona's
    facts were stored as a flat name → value view only, so the typed facts come
    from its segment's row, keeping the values the persona was written with;
    no fact name is parsed.
    """
    profiles = {
        int(row["id"]): json.loads(row["profile_json"])
        for row in db.execute("SELECT id, profile_json FROM segments").fetchall()
    }
    rows = db.execute("SELECT persona_id, version, data_json FROM persona_versions").fetchall()
    for row in rows:
        data = json.loads(row["data_json"])
        facts = data.get("facts")
        if not isinstance(facts, dict) or "facts" in facts:
            continue
        statistics = facts.get("statistics", {})
        profile = profiles.get(int(facts.get("segment_id", -1)), {})
        typed = [
            {k: v for k, v in fact.to_dict().items() if v is not None}
            | {"value": statistics[fact.name]}
            for fact in stored_facts(profile)
            if fact.name in statistics
        ]
        facts["facts"] = typed
        db.execute(
            "UPDATE persona_versions SET data_json = ? WHERE persona_id = ? AND version = ?",
            (dumps(data), row["persona_id"], row["version"]),
        )


def _m005_data_dictionary(db: sqlite3.Connection) -> None:
    """Keep the data dictionary (column → description) a segmentation was made with.

    Older segmentations had none: NULL, and their column names are humanised.
    """
    db.execute("ALTER TABLE segmentations ADD COLUMN dictionary_json TEXT")


def _m006_snapshots(db: sqlite3.Connection) -> None:
    """Snapshots over time, refreshed persona versions, archived personas.

    A snapshot is one table of the project's customers measured against a
    segmentation: the segmentation's own data (``baseline``) or a newer export
    (``refresh``). Its labels stay in SQLite like the segmentation's. Persona
    versions gain the origin ``refreshed`` (SQLite cannot alter a CHECK, so the
    table is rebuilt; nothing references it). A persona whose segment vanished in a
    re-fit is archived (``archived_at``), never deleted.
    """
    _execute_script(
        db,
        """
        CREATE TABLE snapshots (
            id              INTEGER PRIMARY KEY,
            project_id      INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
            kind            TEXT NOT NULL CHECK (kind IN ('baseline', 'refresh')),
            source          TEXT NOT NULL,
            sha256          TEXT NOT NULL,
            taken_at        TEXT NOT NULL,
            n_rows          INTEGER NOT NULL,
            shares_json     TEXT NOT NULL,
            counts_json     TEXT NOT NULL,
            drift_json      TEXT NOT NULL DEFAULT '[]',
            migration_json  TEXT NOT NULL DEFAULT '{}',
            alerts_json     TEXT NOT NULL DEFAULT '[]',
            summary_json    TEXT NOT NULL DEFAULT '{}',
            created_at      TEXT NOT NULL
        );
        CREATE INDEX snapshots_by_segmentation ON snapshots (segmentation_id, id);
        CREATE TABLE snapshot_labels (
            snapshot_id   INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
            customer_id   TEXT NOT NULL,
            segment_index INTEGER NOT NULL,
            PRIMARY KEY (snapshot_id, customer_id)
        ) WITHOUT ROWID;
        ALTER TABLE personas ADD COLUMN archived_at TEXT;
        CREATE TABLE persona_versions_new (
            persona_id  INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
            version     INTEGER NOT NULL,
            data_json   TEXT NOT NULL,
            origin      TEXT NOT NULL CHECK (origin IN ('generated', 'edited', 'refreshed')),
            model       TEXT NOT NULL,
            report_json TEXT NOT NULL DEFAULT '{}',
            created_at  TEXT NOT NULL,
            PRIMARY KEY (persona_id, version)
        );
        INSERT INTO persona_versions_new SELECT persona_id, version, data_json, origin, model,
            report_json, created_at FROM persona_versions;
        DROP TABLE persona_versions;
        ALTER TABLE persona_versions_new RENAME TO persona_versions;
        """,
    )


def _m007_research(db: sqlite3.Connection) -> None:
    """Real research: recruitment batches (customers as keyed digests) and masked notes."""
    _execute_script(
        db,
        """
        CREATE TABLE recruit_batches (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
            segment_index INTEGER NOT NULL,
            size INTEGER NOT NULL,
            file_name TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE recruited_customers (
            batch_id INTEGER NOT NULL REFERENCES recruit_batches(id) ON DELETE CASCADE,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            digest INTEGER NOT NULL,
            PRIMARY KEY (batch_id, digest)
        );
        CREATE INDEX recruited_by_project ON recruited_customers (project_id, digest);
        CREATE TABLE research_notes (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            text TEXT NOT NULL,
            masked_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (project_id, segment_id, sha256)
        );
        """,
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _m001_initial,
    _m002_known_identifiers,
    _m003_model_state,
    _m004_typed_persona_facts,
    _m005_data_dictionary,
    _m006_snapshots,
    _m007_research,
]
"""Ordered schema migrations. Append only; never edit one that has shipped."""


# --------------------------------------------------------------------------- store


class Store:
    """A connection to one workspace database.

    Thread-safe for the way the app uses it (one connection per thread, created
    lazily); writes are serialised by SQLite's own lock (``BEGIN IMMEDIATE``).
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"The workspace database {self.path} cannot be opened: {error}.",
                hint="If it is damaged, move it aside; documents and personas are rebuilt "
                "only from a healthy copy (see README, 'Where data is stored').",
            ) from error
        except OSError as error:
            raise StoreError(
                f"The workspace folder {self.path.parent} is not writable: {error.strerror}.",
                hint="Set PERSONA_HOME to a writable folder.",
            ) from error

    # -- connections ---------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One logical write: everything inside commits together or not at all."""
        db = self.connection
        if db.in_transaction:  # nested: join the outer transaction
            yield db
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Run a read query and return all rows."""
        return self.connection.execute(sql, params).fetchall()

    def query_one(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> sqlite3.Row | None:
        """Run a read query and return the first row, or ``None``."""
        return self.connection.execute(sql, params).fetchone()

    def _migrate(self) -> None:
        db = self.connection
        done = db.execute("PRAGMA user_version").fetchone()[0]
        if done > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by a newer Persona Studio (schema {done}).",
                hint="Upgrade persona-studio, or point PERSONA_HOME at another folder.",
            )
        for number, migration in enumerate(MIGRATIONS[done:], start=done + 1):
            with self.transaction():
                migration(db)
                db.execute(f"PRAGMA user_version={number}")

    # -- integrity -----------------------------------------------------------------

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: ``"ok"`` for a healthy database."""
        return str(self.connection.execute("PRAGMA integrity_check").fetchone()[0])

    # -- projects ------------------------------------------------------------------

    def project_id(self, name: str) -> int:
        """The id of project ``name``, created on first use."""
        row = self.query_one("SELECT id FROM projects WHERE name = ?", (name,))
        if row is not None:
            return int(row["id"])
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO projects (name, created_at) VALUES (?, ?)",
                (name, utc_now()),
            )
            row = db.execute("SELECT id FROM projects WHERE name = ?", (name,)).fetchone()
        return int(row["id"])

    def projects(self) -> list[str]:
        """Names of every project in the workspace."""
        return [r["name"] for r in self.query("SELECT name FROM projects ORDER BY name")]

    def require(self, kind: str, table: str, key: int) -> sqlite3.Row:
        """Fetch one row by id from ``table`` or raise :class:`NotFoundError`."""
        row = self.query_one(f"SELECT * FROM {table} WHERE id = ?", (key,))
        if row is None:
            raise NotFoundError(kind, key)
        return row


def dumps(value: Any) -> str:
    """JSON for a database column: compact, UTF-8, NaN refused."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
