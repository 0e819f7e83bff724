"""Screeners: questions from the stored rule, precision and recall that match the table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from persona.cli import main
from persona.errors import ResearchError
from persona.research.kit import render_kit_html, render_kit_markdown, write_kit
from persona.research.screener import build_screener
from persona.research.target import find_segment
from persona.segmentation import SegmentationRun, load_assignment_model
from persona.services import Services
from segments.rules import criteria_mask, rules_frame


def test_screener_precision_and_recall_are_those_of_its_questions_on_the_table(
    services: Services, segmented: SegmentationRun
) -> None:
    model, _ = load_assignment_model(services)
    tested, _levels = rules_frame(segmented.frame, model.feature_spec)
    labels = segmented.result.labels.to_numpy()
    for segment in segmented.segments:
        screener = build_screener(segment)
        assert screener.questions and all(q.question.endswith("?") for q in screener.questions)
        criteria = segment.profile["rules"][0]["criteria"]
        passed = criteria_mask(tested, criteria)
        members = labels == segment.segment_index
        assert screener.precision == pytest.approx(
            (passed & members).sum() / passed.sum(), abs=1e-4
        )
        assert screener.recall == pytest.approx((passed & members).sum() / members.sum(), abs=1e-4)
        assert screener.support == int(passed.sum())
        kept = [q.kept_cumulative for q in screener.questions]
        assert kept == sorted(kept, reverse=True) and kept[-1] == pytest.approx(
            screener.recall, abs=1e-4
        )
        for question, part in zip(screener.questions, criteria, strict=True):
            alone = criteria_mask(tested, [part])
            assert question.kept == pytest.approx((alone & members).sum() / members.sum(), abs=1e-4)
            assert question.qualifying and set(question.qualifying) <= set(question.options)
        assert np.mean([screener.precision]) > 0.8


def test_screener_json_markdown_and_html(
    services: Services, segmented: SegmentationRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["screener", "0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"questions", "precision", "recall"} <= set(data)
    assert data["questions"][0]["qualifying"]
    screener = build_screener(find_segment(services, "0"))
    markdown = render_kit_markdown(screener)
    assert "## Screener" in markdown and f"{screener.precision * 100:.1f}%" in markdown
    html = render_kit_html(screener)
    assert "<script" not in html and "Content-Security-Policy" in html
    path = write_kit(services.settings.exports_path, screener, None, "html")
    assert path.name == "screener-0.html" and path.read_text().startswith("<!DOCTYPE html>")


def test_a_suppressed_or_unknown_segment_is_a_clear_error(
    services: Services, segmented: SegmentationRun, capsys: pytest.CaptureFixture[str]
) -> None:
    segment = segmented.segments[0]
    small = type(segment)(
        **{**segment.__dict__, "profile": {**segment.profile, "suppressed": True}}
    )
    with pytest.raises(ResearchError, match="fewer than the minimum segment size"):
        build_screener(small)
    assert main(["screener", "42"]) == 1
    assert "No segment '42'" in capsys.readouterr().out


def test_a_customer_id_never_reaches_the_screener(
    services: Services, segmented: SegmentationRun, table: Path
) -> None:
    ids = set(segmented.result.labels.index.astype(str))
    for segment in segmented.segments:
        text = render_kit_markdown(build_screener(segment))
        assert not any(word.strip("*.,") in ids for word in text.split())
