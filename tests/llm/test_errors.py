"""Transport failures of an OpenAI-compatible endpoint become Persona errors.

Uses loopback only: a closed port, a server that never answers, and a tiny HTTP
server that returns a chosen status (the real llama_cpp.server cannot be made to
answer 404 or 429).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from persona.config import Settings
from persona.errors import ProviderError, ProviderTimeout, ProviderUnavailable
from persona.llm import invoke_text, make_chat_model, stream_text
from tests.support import free_port


def _settings(url: str, **changes: object) -> Settings:
    base = Settings(llm_provider="openai", llm_base_url=url, llm_model="some-model")
    return base.with_(**changes)


def test_closed_port_is_unavailable_within_the_timeout() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = make_chat_model(_settings(url, llm_timeout=10, llm_max_retries=1))
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable) as caught:
        invoke_text(model, "Hello?")
    assert time.monotonic() - started < 10
    assert url in str(caught.value)
    assert "PERSONA_LLM_BASE_URL" in str(caught.value)


def test_closed_port_while_streaming_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = make_chat_model(_settings(url, llm_timeout=10, llm_max_retries=0))
    with pytest.raises(ProviderUnavailable):
        list(stream_text(model, "Hello?"))


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join(timeout=5)
    for connection in accepted:
        connection.close()
    listener.close()


def test_silent_server_times_out(silent_server: str) -> None:
    model = make_chat_model(_settings(silent_server, llm_timeout=1, llm_max_retries=0))
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as caught:
        invoke_text(model, "Hello?")
    assert time.monotonic() - started < 5
    assert "PERSONA_LLM_TIMEOUT" in str(caught.value)
    assert silent_server in str(caught.value)
    assert isinstance(caught.value, TimeoutError)


@pytest.fixture
def status_server() -> Iterator[tuple[str, list[int]]]:
    """Answers every POST with the status at the front of the returned list."""
    statuses: list[int] = [500]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.dumps({"error": {"message": f"status {statuses[0]}", "type": "x"}})
            self.send_response(statuses[0])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", statuses
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize(
    ("status", "error_type", "names"),
    [
        (401, ProviderUnavailable, "PERSONA_LLM_API_KEY"),
        (403, ProviderUnavailable, "PERSONA_LLM_MODEL"),
        (404, ProviderUnavailable, "PERSONA_LLM_MODEL"),
        (429, ProviderUnavailable, "PERSONA_LLM_MAX_RETRIES"),
        (500, ProviderUnavailable, "PERSONA_LLM_MAX_RETRIES"),
        (400, ProviderError, "PERSONA_LLM_MODEL"),
    ],
)
def test_http_errors_name_the_endpoint_and_the_setting(
    status_server: tuple[str, list[int]],
    status: int,
    error_type: type[ProviderError],
    names: str,
) -> None:
    url, statuses = status_server
    statuses[0] = status
    model = make_chat_model(_settings(url, llm_max_retries=0, llm_timeout=10))
    with pytest.raises(error_type) as caught:
        invoke_text(model, "Hello?")
    assert url in str(caught.value)
    assert names in str(caught.value)
    assert str(status) in str(caught.value)
