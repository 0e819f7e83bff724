"""generate_structured through ChatOpenAI against a loopback stub that speaks json_schema.

The real llama_cpp.server rejects ``json_schema`` (see test_openai_server.py);
OpenAI itself wants it. This stub accepts it, so the preferred path, and what is
sent on the wire, can be checked without the network.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import BaseModel, Field

from persona.config import Settings
from persona.llm import make_chat_model
from persona.structured import generate_structured


class Person(BaseModel):
    name: str = Field(min_length=1)
    age: int = Field(ge=18, le=99)


@pytest.fixture
def json_schema_server() -> Iterator[tuple[str, list[dict[str, Any]], list[str]]]:
    """Answers chat completions with the queued contents; records request bodies."""
    requests: list[dict[str, Any]] = []
    contents: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            requests.append(body)
            reply = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "stub"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": contents.pop(0)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", requests, contents
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_json_schema_is_preferred_and_reasks_carry_the_errors(
    json_schema_server: tuple[str, list[dict[str, Any]], list[str]],
) -> None:
    url, requests, contents = json_schema_server
    contents.extend(['{"name": "Ada", "age": 7}', '{"name": "Ada", "age": 36}'])
    settings = Settings(llm_provider="openai", llm_base_url=url, llm_max_retries=0)
    model = make_chat_model(settings)

    result = generate_structured(model, "Describe a person.", Person, retries=1)

    assert result.value == Person(name="Ada", age=36)
    assert result.method == "json_schema"
    assert result.reasks == 1
    first, second = requests
    assert first["response_format"]["type"] == "json_schema"
    assert first["response_format"]["json_schema"]["schema"]["required"] == ["name", "age"]
    assert first["max_tokens"] == settings.llm_max_tokens
    assert second["messages"][-2] == {"role": "assistant", "content": '{"name": "Ada", "age": 7}'}
    assert "age" in second["messages"][-1]["content"]
