"""A throwaway PostgreSQL server on 127.0.0.1 for tests (Debian's ``postgresql`` package).

The Makefile's ``postgres`` target installs the package; nothing is installed at
test time. :func:`start_postgres` runs ``initdb`` and ``pg_ctl`` in a temporary
folder (as the ``postgres`` system user when the tests run as root, since the
server refuses root), with password (SCRAM) authentication on a free loopback
port and its socket in the same folder; :meth:`PostgresServer.stop` stops it and
removes the folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresServer", "find_bin", "start_postgres"]

USER = "persona"
PASSWORD = "s3cret-test-pw"
DATABASE = "crm"


def find_bin() -> Path | None:
    """Folder of Debian's PostgreSQL programs (``initdb``, ``pg_ctl``), or None."""
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        for version in sorted(root.iterdir(), reverse=True):
            if (version / "bin" / "initdb").exists():
                return version / "bin"
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server: where it listens and how to reach it."""

    folder: Path
    port: int
    bin: Path
    as_user: list[str]

    @property
    def url(self) -> str:
        """Password-free SQLAlchemy URL of the test database."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def url_with_password(self) -> str:
        """The same URL with the password in it."""
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{DATABASE}"

    def psql(self, sql: str) -> str:
        """Run ``sql`` as the superuser through the socket; returns stdout."""
        done = subprocess.run(
            [
                *self.as_user,
                str(self.bin / "psql"),
                "-h",
                str(self.folder),
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                DATABASE,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m",
             "fast", "-w", "stop"],
            capture_output=True,
            check=False,
            timeout=60,
        )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Start a fresh server with user ``persona`` (password auth) and database ``crm``."""
    bin_dir = find_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: run `make postgres`")
    folder = Path(tempfile.mkdtemp(prefix="persona-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = folder / "data"
    pwfile = folder / "pw"
    pwfile.write_text("superuser-pw\n")
    if as_user:
        shutil.chown(pwfile, "postgres", "postgres")
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
         "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
         "-E", "UTF8", "--no-sync"],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB"
    )
    subprocess.run(
        [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
         str(folder / "log"), "-w", "-t", "60", "start"],
        capture_output=True, check=True, timeout=90,
    )  # fmt: skip
    server = PostgresServer(folder, port, bin_dir, as_user)
    subprocess.run(
        [*as_user, str(bin_dir / "psql"), "-h", str(folder), "-p", str(port), "-U", "postgres",
         "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1",
         "-c", f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'",
         "-c", f"CREATE DATABASE {DATABASE} OWNER {USER}"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return server
