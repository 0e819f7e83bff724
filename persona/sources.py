"""Where a customer table comes from: a file, or a database query; one reader for every command.

:func:`read_source` is what ``persona segment``, ``refresh``, ``feedback add`` and
the app's data screen call. A database source is a SQLAlchemy URL with a query or
a table name (:mod:`segments.database`); with ``--query``/``--table`` and no URL,
``PERSONA_DB_URL`` is used. A password comes from the URL, the ``password``
argument (asked by the CLI or the app), ``PERSONA_DB_PASSWORD``, or libpq's own
``PGPASSWORD``/``~/.pgpass``; it is never logged, shown or stored:
:meth:`Source.describe` is the password-free name kept in the workspace.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import segments
from persona.config import Settings
from segments.database import is_database_url, read_database, redact_url
from segments.errors import DatabaseError

__all__ = ["Source", "frame_digest", "read_source", "resolve_source"]


@dataclass(frozen=True)
class Source:
    """A resolved source: a file path, or a database URL (with its password) and its SQL."""

    path: Path | None = None
    url: str | None = None
    query: str | None = None
    table: str | None = None

    @property
    def is_database(self) -> bool:
        """Whether rows come from a database rather than a file."""
        return self.url is not None

    @property
    def name(self) -> str:
        """Short name for lists: the file name, or the table / ``query`` with the database."""
        if self.path is not None:
            return self.path.name
        assert self.url is not None
        return f"{self.table or 'query'} @ {redact_url(self.url)}"

    def describe(self) -> str:
        """Password-free description: the path, or the URL and the SQL."""
        if self.path is not None:
            return str(self.path)
        assert self.url is not None
        what = f"table {self.table}" if self.table else f"query: {self.query}"
        return f"{redact_url(self.url)} ({what})"


def resolve_source(
    settings: Settings,
    source: str | Path | None,
    *,
    query: str | None = None,
    table: str | None = None,
) -> Source:
    """Decide whether ``source`` is a file or a database, and check the options fit it.

    Raises:
        DatabaseError: SQL options with a file, a URL without SQL, or nothing at all.
    """
    text = None if source is None else str(source)
    wants_sql = query is not None or table is not None
    if text is None or not text.strip():
        if wants_sql and settings.db_url:
            text = settings.db_url
        else:
            raise DatabaseError(
                "no source given." if not wants_sql else "--query/--table needs a database.",
                hint="Name a file, or a database URL with --query or --table "
                "(or set PERSONA_DB_URL).",
            )
    if is_database_url(text):
        if query is not None and table is not None:
            raise DatabaseError(
                "give either --query or --table, not both.", source=redact_url(text)
            )
        if not wants_sql:
            raise DatabaseError(
                "a database needs a query or a table.",
                source=redact_url(text),
                hint='Add --query "SELECT …" or --table NAME.',
            )
        if query is not None and not query.strip():
            raise DatabaseError("the query is empty.", source=redact_url(text), hint="Give SQL.")
        return Source(url=text, query=query, table=table)
    if wants_sql:
        raise DatabaseError(
            "--query and --table are for databases, not files.",
            source=text,
            hint="Give a database URL such as postgresql://user@host/db, or drop --query/--table.",
        )
    return Source(path=Path(text))


def read_source(
    settings: Settings,
    source: str | Path | Source | None,
    *,
    query: str | None = None,
    table: str | None = None,
    sheet: str | None = None,
    password: str | None = None,
) -> segments.LoadedTable:
    """Load a customer table or log from a file or a database, with the product's caps.

    Files: :func:`segments.read_table` with ``PERSONA_MAX_UPLOAD_MB`` and
    ``PERSONA_MAX_ROWS``. Databases: :func:`segments.database.read_database` with
    ``PERSONA_DB_TIMEOUT`` and ``PERSONA_MAX_ROWS``; ``password`` (else
    ``PERSONA_DB_PASSWORD``) is used when the URL has none. ``loaded.source`` never
    holds a password.

    Raises:
        InputError: a :class:`~segments.errors.DatabaseError` or a file error, each
            naming the source and what to do.
    """
    resolved = (
        source
        if isinstance(source, Source)
        else resolve_source(settings, source, query=query, table=table)
    )
    if resolved.path is not None:
        return segments.read_table(
            resolved.path,
            sheet=sheet,
            max_bytes=settings.max_upload_mb * 1024 * 1024,
            max_rows=settings.max_rows,
        )
    assert resolved.url is not None
    loaded = read_database(
        resolved.url,
        query=resolved.query,
        table=resolved.table,
        password=password or settings.db_password,
        timeout=settings.db_timeout,
        max_rows=settings.max_rows,
    )
    loaded.source = resolved.describe()
    return loaded


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's contents (for sources that are not a file to hash)."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()
