"""Exports: formula-safe labels CSV, profiles JSON, plotly figures."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segments import (
    SegmentationResult,
    export_labels_csv,
    export_profiles_json,
    fit_segments,
    profile_figure,
    segment_map_figure,
)
from segments.export import safe_cell

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\0")


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\0x", "'x"),
        ("plain", "plain"),
        (42, "42"),
        (None, ""),
    ],
)
def test_safe_cell(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_labels_csv_is_formula_safe(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    ids = ["=cmd()", "+1", "-1", "@x", "\tA", "\rB", "ok", "x\0y"] * 10
    frame = pd.DataFrame(
        {
            "=customer": [f"{v}{i}" for i, v in enumerate(ids)],
            "x": np.r_[rng.normal(0, 1, 40), rng.normal(8, 1, 40)],
        }
    )
    result = fit_segments(frame, k=2, id_column="=customer", bootstrap=0, min_segment_size=5)
    path = export_labels_csv(result, tmp_path / "labels.csv")
    cells = _cells(path)
    assert len(cells) == 3 * (len(frame) + 1)
    assert [c for c in cells if c.startswith(DANGEROUS)] == []
    assert "'=customer" in cells and "'=cmd()0" in cells and "ok6" in cells
    assert not list(tmp_path.glob(".*.tmp"))  # no temp file left behind


def test_sample_labels_export_has_every_customer(
    fitted: SegmentationResult, tmp_path: Path
) -> None:
    path = export_labels_csv(fitted, tmp_path / "out" / "labels.csv")
    table = pd.read_csv(path, dtype=str)
    assert list(table.columns) == ["customer_id", "segment", "segment_label"]
    assert len(table) == fitted.n_customers
    assert table["segment"].astype(int).tolist() == fitted.labels.tolist()
    assert [c for c in _cells(path) if c.startswith(DANGEROUS)] == []


def test_profiles_json_round_trips(fitted: SegmentationResult, tmp_path: Path) -> None:
    path = export_profiles_json(fitted, tmp_path / "profiles.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(fitted.to_dict()))
    assert [p["segment_id"] for p in data["profiles"]] == [0, 1, 2, 3, 4]


def test_figures(fitted: SegmentationResult, customers: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, _ = customers
    figure = segment_map_figure(fitted, frame, max_points=500)
    points = sum(len(trace.x) for trace in figure.data)
    assert points == 500
    assert len(figure.data) == fitted.k
    text = figure.to_json()
    assert "NW000" not in text and "@example" not in text
    heat = profile_figure(fitted)
    assert len(heat.data) == 1
    assert len(heat.data[0].y) == fitted.k
    assert 0 < len(heat.data[0].x) <= 12
