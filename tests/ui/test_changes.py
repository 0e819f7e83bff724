"""The Changes screen: refresh with a planted-change snapshot, then alerts, matrix, chart, drift.

The first tests call the screen's functions on a real SQLite workspace; the last
one drives the whole screen in Debian's Chromium: upload the sample, find
segments, open *Changes*, upload the newer snapshot, refresh, read the alerts
and see the chart (screenshot in ``test-artifacts/ui``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from persona.config import Settings
from persona.refresh import refresh
from persona.segmentation import run_segmentation
from persona.services import Services
from segments.sample import PLANTED_DRIFT, SEGMENTS, make_customers, make_snapshot
from tests.ui.conftest import Recorder, serve
from tests.ui.helpers import choose, click_tab, shoot, toasts, wait_for_text
from ui.changes import NO_SNAPSHOT, changes_state, run_refresh
from ui.common import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "persona" / "sample_data"


def _write(frame: Any, path: Path) -> Path:
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))


def test_before_any_refresh_the_screen_says_what_to_do(services: Services, tmp_path: Path) -> None:
    summary, alerts, matrix, figure, drift = changes_state(services)
    assert "segment" in summary.lower() and figure is None and matrix.empty
    run_segmentation(services, _write(make_customers(600, 4)[0], tmp_path / "first.csv"))
    summary, alerts, matrix, figure, drift = changes_state(services)
    assert summary == NO_SNAPSHOT and alerts == "" and "No drift measured yet" in drift
    assert figure is not None and len(figure.data) >= 2  # the baseline's shares, one line each


def test_after_a_refresh_the_screen_shows_alerts_matrix_chart_and_banded_drift(
    services: Services, tmp_path: Path
) -> None:
    run_segmentation(services, _write(make_customers(1200, 3)[0], tmp_path / "first.csv"))
    planted = _write(make_snapshot(1200, 3, change=True)[0], tmp_path / "planted.csv")
    report = refresh(services, planted)
    summary, alerts, matrix, figure, drift = changes_state(services)

    assert "1,176 in both snapshots, 36 new, 24 gone" in summary
    assert "Time to find the segments again" in summary  # the planted drift is large
    assert [line[2:] for line in alerts.splitlines()[1:]] == [a.text for a in report.alerts]
    # Matrix: one row per old segment plus new customers; the body sums to those in both.
    assert matrix.shape[0] == len(report.labels) + 1
    body = matrix.iloc[:-1, 1:-1].map(lambda text: int(text.split(" ")[0].replace(",", "")))
    assert int(body.to_numpy().sum()) == 1176
    assert matrix.iloc[-1, 0] == "new customers" and matrix.columns[-1] == "→ gone"
    # Chart: one line per segment over two snapshots.
    assert len(figure.data) == len(report.labels)
    assert all(len(trace.x) == 2 for trace in figure.data)
    # Drift table: the planted feature is significant overall, age stays stable.
    row = re.search(rf"<tr><td>{PLANTED_DRIFT[0]}</td>(.*?)</tr>", drift)
    assert row and 'class="ps-psi ps-psi-significant"' in row.group(1).split("</td>")[0]
    age = re.search(r"<tr><td>age</td>(.*?)</tr>", drift)
    assert age and "ps-psi-stable" in age.group(1).split("</td>")[0]


def test_the_refit_option_reports_the_matches_and_charts_both_segmentations(
    services: Services, tmp_path: Path
) -> None:
    first, names = make_customers(1500, 3)
    run_segmentation(services, _write(first, tmp_path / "first.csv"), k=3)
    truth = names.map({s.name: i for i, s in enumerate(SEGMENTS)}).to_numpy(dtype="int64")
    later = _write(make_customers(1500, [3, 9], segments_of=truth)[0], tmp_path / "later.csv")
    ws = Workspace(services)
    summary, alerts, _matrix, figure, _drift = run_refresh(
        ws, services.settings.project, str(later), True, lambda *_a, **_k: None
    )
    assert "**Re-fit:** new segmentation #2." in summary
    assert re.search(r"^- split: \\#\d ", summary, re.M), summary  # labels are escaped text
    assert alerts.startswith("### Alerts of snapshot #2")
    # The chart carries both segmentations: the old one's lines, then the re-fit's.
    assert {trace.name.rsplit("(", 1)[-1] for trace in figure.data} == {
        "segmentation 1)",
        "segmentation 2)",
    }


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_refresh_in_the_browser_shows_the_planted_changes(
    services: Services,
    tmp_path: Path,
    open_page: Callable[[str], tuple[Any, Recorder]],
    artifacts: Path,
) -> None:
    # The sample table is make_customers(2000, 0); its later snapshot carries planted changes.
    later = _write(make_snapshot(2000, 0, change=True)[0], tmp_path / "customers-later.csv")
    with serve(services) as url:
        page, recorder = open_page(url)
        page.locator("#data-file input[type=file]").set_input_files(str(SAMPLE / "customers.csv"))
        wait_for_text(page, "data-notes", r"2,000 rows")
        choose(page, "data-k", "5", exact=True)
        page.locator("#data-run").click()
        page.wait_for_selector("#scorecard-table", timeout=180_000)

        click_tab(page, "changes")
        wait_for_text(page, "changes-summary", r"No refresh yet")
        page.locator("#changes-file input[type=file]").set_input_files(str(later))
        page.locator("#changes-run").click()
        text = wait_for_text(page, "changes-alerts", r"Alerts of snapshot", timeout=180_000)
        summary = page.locator("#changes-summary").inner_text()
        assert re.search(r"1,960 in both snapshots, 60 new, 40 gone", summary), summary
        assert "grew" in text and PLANTED_DRIFT[0].replace("_", " ") in text, text
        page.locator("#changes-chart .js-plotly-plot").first.wait_for()
        traces = page.locator("#changes-chart .js-plotly-plot .scatterlayer .trace").count()
        assert traces == 5
        assert page.locator("#drift-table .ps-psi-significant").count() >= 1
        assert "new customers" in page.locator("#changes-migration").inner_text()
        shoot(page, artifacts, "06-changes")
        assert not toasts(page) and not recorder.page_errors
        assert not recorder.outbound()

        # Opened again later (a fresh page), the screen shows the stored latest alerts.
        again, _ = open_page(url)
        click_tab(again, "changes")
        assert "grew" in wait_for_text(again, "changes-alerts", r"Alerts of snapshot")
