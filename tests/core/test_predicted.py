"""A segmented real log stores predicted value per segment; the brief says which to save first."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona.config import Settings
from persona.insights import InsightBrief, render_html, render_json, render_markdown
from persona.predicted import project_save_first, save_first, save_first_markdown
from persona.segmentation import load_segments, run_segmentation
from persona.services import Services
from tests.support.real_data import cdnow_log
from ui.insights import brief_html


@pytest.fixture
def segmented(settings: Settings, tmp_path: Path) -> Services:
    path = tmp_path / "cdnow.csv"
    cdnow_log().to_csv(path, index=False)
    services = Services(settings)
    run = run_segmentation(services, path, k=4)
    assert run.predictions is not None and run.predictions.source == "value"
    return services


def test_stored_segments_carry_predictions_as_facts_without_customer_rows(
    segmented: Services,
) -> None:
    stored = load_segments(segmented)
    described = [s for s in stored if not s.profile["suppressed"]]
    assert described
    for segment in described:
        prediction = segment.profile["prediction"]
        assert prediction["source"] == "value" and prediction["horizon_weeks"] == 52
        assert segment.facts["value_summary"].startswith(f"{segment.share:.0%}".replace("%", " %"))
        typed = {f.name: f for f in segment.typed_facts}
        assert typed["predicted_value_share_pct"].value == pytest.approx(
            round(100 * prediction["value_share"], 1)
        )
        assert typed["p_alive_pct"].statistic == "mean_p_alive"
    shares = sum(s.profile["prediction"]["value_share"] for s in described)
    assert shares == pytest.approx(1.0, abs=1e-4) or len(described) < len(stored)
    # Per-customer predictions stay out of the stored aggregates.
    text = " ".join(str(s.profile) for s in stored)
    assert "expected_purchases" not in text


def test_save_first_ranks_by_value_at_risk(segmented: Services) -> None:
    stored = load_segments(segmented)
    ranked = save_first(stored)
    assert [p.rank for p in ranked] == list(range(1, len(ranked) + 1))
    risks = [p.value_at_risk for p in ranked]
    assert risks == sorted(risks, reverse=True)
    top = ranked[0]
    data = next(s for s in stored if s.segment_index == top.segment_index).profile["prediction"]
    assert top.value_at_risk == pytest.approx(data["value_at_risk"])
    assert top.risk == pytest.approx(1 - data["mean_p_alive"])
    assert "of predicted value" in top.sentence and "may be leaving" in top.sentence
    assert sum(p.value_at_risk_share or 0 for p in ranked) == pytest.approx(1.0, abs=1e-4) or (
        len(ranked) < len(stored)
    )
    assert project_save_first(segmented) == ranked
    lines = save_first_markdown(ranked)
    assert lines[1] == "## Which segment to save first" and lines[-1].startswith(f"{len(ranked)}. ")


def test_the_insight_brief_has_the_save_first_section(segmented: Services) -> None:
    brief = InsightBrief(
        title="Retention",
        created_at="2026-12-02T00:00:00",
        model="fake",
        method="extractive",
        save_first=project_save_first(segmented),
    )
    markdown = render_markdown(brief)
    assert "## Which segment to save first" in markdown
    assert markdown.index("Which segment to save first") > markdown.index("Hypotheses")
    page = render_html(brief)
    assert "<h2>Which segment to save first</h2>" in page
    assert brief.save_first[0].sentence.replace("'", "&#39;") in page or (
        brief.save_first[0].sentence in page
    )
    assert InsightBrief.model_validate_json(render_json(brief)) == brief
    card = brief_html(brief)
    assert 'id="brief-save-first"' in card and card.count("<li>") >= len(brief.save_first)
    empty = InsightBrief(title="t", created_at="2026-12-02", model="fake", method="extractive")
    assert "save first" not in render_markdown(empty)


def test_a_project_without_segments_has_nothing_to_save(settings: Settings) -> None:
    assert project_save_first(Services(settings)) == []
