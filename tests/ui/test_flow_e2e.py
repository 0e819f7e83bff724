"""The whole flow in a real browser with the real embedded model (SmolLM2 via llama.cpp).

Upload the sample customer table → segments → add the sample documents →
personas → a two-turn interview → panel → insight brief → downloads, with a
screenshot of each screen in ``test-artifacts/ui``. Embeddings are the fast
``hash`` ones: this test is about the app, not about retrieval quality.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from persona.config import Settings
from persona.llm import LlamaCppChatModel, default_model_path
from persona.services import Services
from tests.ui.conftest import Recorder, serve
from tests.ui.helpers import choose, click_tab, shoot, type_into, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.llm]

SAMPLE = Path(__file__).resolve().parents[2] / "persona" / "sample_data"
MODEL_STEP = 300_000  # ms: one step that runs the embedded model on a busy 2-core machine


def _download(page: Any, elem_id: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.locator(f"#{elem_id}").click()
    download = info.value
    target = folder / download.suggested_filename
    download.save_as(str(target))
    return target


@pytest.mark.timeout(900)  # about 2-3 minutes on an idle 2-core runner, 7 on a busy one
def test_whole_flow_in_the_browser(
    tmp_path: Path,
    open_page: Callable[[str], tuple[Any, Recorder]],
    artifacts: Path,
) -> None:
    settings = Settings(home=tmp_path / "ws", llm_provider="llamacpp", embeddings="hash")
    services = Services(settings)
    # The bundled model, on one thread: llama.cpp's worker threads spin while they wait,
    # and on a busy 2-core runner two threads measured 25x slower than one (0.5 vs 12
    # tokens/s); on an idle machine one thread costs little.
    services.use_model(
        LlamaCppChatModel(
            model_path=str(default_model_path()),
            n_threads=1,
            n_ctx=settings.llm_context,
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,
            busy_timeout=settings.llm_timeout,
        )
    )
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with serve(services) as url:
        page, recorder = open_page(url)

        # 1. Data & segments
        page.locator("#data-file input[type=file]").set_input_files(str(SAMPLE / "customers.csv"))
        wait_for_text(page, "data-notes", r"2,000 rows")
        assert "@" not in page.locator("#data-preview").inner_text()  # e-mails masked
        shoot(page, artifacts, "01-data-preview")
        choose(page, "data-k", "3", exact=True)
        page.locator("#data-run").click()
        page.wait_for_selector("#scorecard-table", timeout=MODEL_STEP)
        wait_for_text(page, "data-summary", r"3 segments")
        page.locator("#data-map .js-plotly-plot").first.wait_for()
        shoot(page, artifacts, "02-segments")
        labels = _download(page, "data-labels", downloads)
        rows = list(csv.reader(io.StringIO(labels.read_text(encoding="utf-8"))))
        assert rows[0][:3] == ["customer_id", "segment", "segment_label"] and len(rows) == 2001
        # The sample's yes/no outcome is predicted per customer (#14): its risk column follows.
        assert rows[0][3:] == ["responded_last_campaign_risk"], rows[0]

        # 2. Documents
        click_tab(page, "documents")
        documents = sorted((SAMPLE / "documents").iterdir())
        page.locator("#docs-files input[type=file]").set_input_files([str(p) for p in documents])
        page.locator("#docs-add").click()
        wait_for_text(
            page, "docs-report", rf"Added {len(documents)} of {len(documents)}", MODEL_STEP
        )
        type_into(page, "docs-query", "How long do refunds take?")
        page.locator("#docs-search").click()
        wait_for_text(page, "docs-results", r"similarity")
        shoot(page, artifacts, "03-documents")

        # 3. Personas (two of the three segments, to keep the run short)
        click_tab(page, "personas")
        choose(page, "personas-segments", "#0 ")
        choose(page, "personas-segments", "#1 ")
        page.locator("#personas-gen").click()
        wait_for_text(page, "personas-summary", r"persona\(s\) written", MODEL_STEP)
        card = wait_for_text(page, "personas-card", r"synthetic persona")
        assert re.search(r"stat: \w+", card)  # numbers carry their statistic
        page.locator("#personas-brief").click()
        page.locator('#personas-brief-files a[download$=".html"]').wait_for()
        shoot(page, artifacts, "04-personas")

        # 4. A two-turn interview: one typed question, one from the guide
        click_tab(page, "interview")
        choose(page, "interview-persona", "segment #0")
        type_into(page, "interview-question", "Tell me about the last time you bought gear.")
        page.locator("#interview-ask").click()
        session = page.locator("#interview-session input")
        page.wait_for_function(
            "() => /1 answer/.test(document.querySelector('#interview-session input').value)",
            timeout=MODEL_STEP,
        )
        page.locator("#interview-guide tr, #interview-guide button").first.click()
        page.wait_for_function(
            "() => /2 answer/.test(document.querySelector('#interview-session input').value)",
            timeout=MODEL_STEP,
        )
        assert "2 answer" in session.input_value()
        chat = page.locator("#interview-chat").inner_text()
        assert "Tell me about the last time you bought gear." in chat
        shoot(page, artifacts, "05-interview")

        # 5. Panel, matrix and insight brief
        click_tab(page, "panel")
        type_into(page, "panel-question", "What would make you shop with us more often?")
        page.locator("#panel-ask").click()
        wait_for_text(page, "panel-matrix", r"shop with us more often", MODEL_STEP)
        matrix = _download(page, "panel-download", downloads)
        assert "simulated answer" in matrix.read_text(encoding="utf-8")
        shoot(page, artifacts, "06-panel")
        page.locator("#insights-compile").click()
        brief = wait_for_text(page, "insights-preview", r"Synthetic research", MODEL_STEP)
        assert "Key findings" in brief and "Hypotheses to validate" in brief
        with page.expect_download() as info:
            page.locator('#insights-files a[download$=".html"]').click()
        html_brief = info.value.path().read_text(encoding="utf-8")
        assert "Synthetic research" in html_brief and "<script" not in html_brief
        shoot(page, artifacts, "07-insights")

        assert recorder.outbound() == []
        assert recorder.dialogs == []
