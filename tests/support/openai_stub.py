"""A recording, fault-injecting OpenAI-compatible server on loopback, for tests.

It speaks enough of the OpenAI HTTP API for ``openai``/``langchain-openai`` clients:
``GET /v1/models``, ``POST /v1/chat/completions`` (plain, streaming, ``response_format``
JSON schema, and function calling) and ``POST /v1/embeddings``. Every request body is
recorded in :attr:`OpenAIStub.requests` so privacy tests can search what left the app.

Faults are scripted per request with :meth:`OpenAIStub.push`:

* ``Fault.status(429, retry_after=1)`` / ``Fault.status(500)`` — an HTTP error
* ``Fault.delay(seconds)`` — answer late (for client timeouts)
* ``Fault.drop_stream(after_chunks)`` — close a stream half-way
* ``Fault.malformed()`` — a 200 whose body is not JSON
* ``Fault.truncated()`` — structured output cut off mid-JSON

Structured answers are built from the request's JSON schema (:func:`instance_from_schema`),
so the stub can stand in for a real model in end-to-end runs.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Fault", "OpenAIStub", "instance_from_schema", "running_stub"]


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour for the next request."""

    kind: str
    status_code: int = 200
    retry_after: float | None = None
    seconds: float = 0.0
    after_chunks: int = 0

    @classmethod
    def status(cls, code: int, *, retry_after: float | None = None) -> Fault:
        return cls("status", status_code=code, retry_after=retry_after)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        return cls("delay", seconds=seconds)

    @classmethod
    def drop_stream(cls, after_chunks: int = 2) -> Fault:
        return cls("drop_stream", after_chunks=after_chunks)

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def truncated(cls) -> Fault:
        return cls("truncated")


Replier = Callable[[dict[str, Any]], str]


def _default_reply(request: dict[str, Any]) -> str:
    return "I mostly shop when there is a good reason to, and I compare prices first."


@dataclass
class OpenAIStub:
    """The server's state: scripted faults, the reply function, recorded requests."""

    reply: Replier = _default_reply
    requests: list[dict[str, Any]] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def push(self, *faults: Fault) -> None:
        """Queue faults; each applies to one request, in order."""
        with self._lock:
            self.faults.extend(faults)

    def next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    def record(self, path: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append({"path": path, "body": body})

    def all_request_text(self) -> str:
        """Every recorded request body as one string (for searching seeded values)."""
        with self._lock:
            return "\n".join(json.dumps(r["body"], ensure_ascii=False) for r in self.requests)


# --------------------------------------------------------------------------- schema → instance


def instance_from_schema(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A small valid instance of a JSON schema (objects, arrays, strings, numbers, enums, refs)."""
    defs = (
        defs if defs is not None else {**schema.get("$defs", {}), **schema.get("definitions", {})}
    )
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return instance_from_schema(defs[name], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return instance_from_schema(options[0], defs)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: instance_from_schema(sub, defs) for name, sub in properties.items()}
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        count = min(count, int(schema.get("maxItems", count)))
        items = schema.get("items", {"type": "string"})
        return [instance_from_schema(items, defs) for _ in range(count)]
    if kind == "integer":
        return int(schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1))
    if kind == "number":
        return float(schema.get("minimum", 0.0))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    text = "Prefers practical, durable gear"
    low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 10_000))
    text = (text * (1 + low // len(text)))[: max(low, min(len(text), high))]
    return text


# --------------------------------------------------------------------------- HTTP handler


def _handler(stub: OpenAIStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # silence stderr
            return

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
            else:
                self._json(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._json(400, {"error": {"message": "invalid JSON"}})
                return
            stub.record(self.path, body)
            fault = stub.next_fault()
            if fault is not None and fault.kind == "status":
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                self._json(fault.status_code, {"error": {"message": "scripted failure"}}, headers)
                return
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.seconds)
            if fault is not None and fault.kind == "malformed":
                self._raw(200, b"<html>gateway hiccup</html>", "application/json")
                return
            if self.path.rstrip("/") == "/v1/embeddings":
                self._embeddings(body)
            elif self.path.rstrip("/") == "/v1/chat/completions":
                self._chat(body, fault)
            else:
                self._json(404, {"error": {"message": "not found"}})

        # -- endpoints -----------------------------------------------------------------

        def _embeddings(self, body: dict[str, Any]) -> None:
            inputs = body.get("input", [])
            if isinstance(inputs, str):
                inputs = [inputs]
            data = [
                {"object": "embedding", "index": i, "embedding": _hash_vector(str(text))}
                for i, text in enumerate(inputs)
            ]
            self._json(200, {"object": "list", "data": data, "model": body.get("model", "stub")})

        def _chat(self, body: dict[str, Any], fault: Fault | None) -> None:
            tool_call = None
            content = ""
            schema = _requested_schema(body)
            if body.get("tools"):
                function = body["tools"][0]["function"]
                arguments = json.dumps(instance_from_schema(function.get("parameters", {})))
                tool_call = {"name": function["name"], "arguments": arguments}
            elif schema is not None:
                content = json.dumps(instance_from_schema(schema))
            else:
                content = stub.reply(body)
            if fault is not None and fault.kind == "truncated":
                content = content[: max(1, len(content) // 2)]
                if tool_call:
                    tool_call["arguments"] = tool_call["arguments"][
                        : len(tool_call["arguments"]) // 2
                    ]
            if body.get("stream"):
                self._stream(content, tool_call, fault)
                return
            message: dict[str, Any] = {"role": "assistant", "content": content or None}
            if tool_call:
                message["tool_calls"] = [
                    {"id": "call_1", "type": "function", "function": tool_call}
                ]
            self._json(
                200,
                {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "stub"),
                    "choices": [
                        {
                            "index": 0,
                            "message": message,
                            "finish_reason": "tool_calls" if tool_call else "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                },
            )

        def _stream(
            self, content: str, tool_call: dict[str, Any] | None, fault: Fault | None
        ) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            pieces = _pieces(content) if not tool_call else []
            for number, piece in enumerate(pieces):
                if (
                    fault is not None
                    and fault.kind == "drop_stream"
                    and number >= fault.after_chunks
                ):
                    self.wfile.flush()
                    self.close_connection = True
                    return
                chunk = {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": "stub",
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            final = {
                "id": "chatcmpl-stub",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": "stub",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            self.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
            self.close_connection = True

        # -- plumbing ------------------------------------------------------------------

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._raw(status, json.dumps(payload).encode(), "application/json", headers)

        def _raw(
            self, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _requested_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return dict(response_format.get("json_schema", {}).get("schema", {}))
    if response_format.get("type") == "json_object" and "schema" in response_format:
        return dict(response_format["schema"])
    return None


def _pieces(text: str, size: int = 8) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _hash_vector(text: str, dimensions: int = 64) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest() * (dimensions // 32 + 1)
    return [(byte - 128) / 128 for byte in digest[:dimensions]]


@contextmanager
def running_stub(reply: Replier | None = None) -> Iterator[OpenAIStub]:
    """Run an :class:`OpenAIStub` on a free 127.0.0.1 port for the duration of the block."""
    stub = OpenAIStub(reply=reply or _default_reply)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    stub.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
