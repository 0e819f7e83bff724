"""A workspace saved by main before #18 opens with this code, and keeps working.

The fixture (``tests/fixtures/workspace_main_2026_12``, see its README) holds a
pickled segmentation model; migration 3 turns it into a JSON state.
"""

from __future__ import annotations

import csv
import pickle
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segments
from persona.config import Settings
from persona.consistency import segment_traits
from persona.insights import get_brief
from persona.interview import transcript
from persona.personas import get_persona
from persona.segmentation import (
    assign_new_customers,
    get_segment,
    latest_segmentation,
    load_assignment_model,
    load_segments,
)
from persona.services import Services
from persona.store import MIGRATIONS
from segments.facts import facts_view

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "workspace_main_2026_12"
SAMPLE = Path(__file__).resolve().parents[2] / "persona" / "sample_data" / "customers.csv"


def _old_blob() -> bytes:
    with closing(sqlite3.connect(FIXTURE / "persona.sqlite3")) as db:
        return bytes(db.execute("SELECT model_blob FROM segmentations WHERE id = 1").fetchone()[0])


def _open(tmp_path: Path, *, blob: bytes | None = None) -> Services:
    target = tmp_path / "ws" / "persona.sqlite3"
    target.parent.mkdir(parents=True)
    shutil.copyfile(FIXTURE / "persona.sqlite3", target)
    if blob is not None:
        with closing(sqlite3.connect(target)) as db, db:
            db.execute("UPDATE segmentations SET model_blob = ?", (blob,))
    return Services(Settings(home=target.parent, llm_provider="fake", embeddings="hash"))


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return _open(tmp_path)


def test_the_fixture_is_what_main_wrote() -> None:
    with closing(sqlite3.connect(FIXTURE / "persona.sqlite3")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert (FIXTURE / "persona.sqlite3").stat().st_size < 2_000_000


def test_everything_reads_back_after_the_migration(services: Services) -> None:
    store = services.store
    assert store.query_one("PRAGMA user_version")[0] == len(MIGRATIONS)
    assert store.integrity_check() == "ok"
    columns = {r["name"] for r in store.query("PRAGMA table_info(segmentations)")}
    assert "model_blob" not in columns and "model_state" in columns

    segmentation_id = latest_segmentation(services)
    stored = load_segments(services, segmentation_id)
    assert [s.segment_index for s in stored] == [0, 1, 2]
    assert sum(s.size for s in stored) == 400
    for segment in stored:
        assert segment.facts["segment_size"] == segment.size
        assert segment.scorecard and segment.label
        assert get_segment(services, segment.id) == segment
    labels = store.query_one(
        "SELECT COUNT(*) FROM segment_labels WHERE segmentation_id = ?", (segmentation_id,)
    )
    assert labels[0] == 400

    names = [get_persona(services, i).persona.name for i in (1, 2, 3)]
    assert names == ["Maya Lindqvist", "Jonas Okafor", "Ada Brennan"]
    by_id = {s.id: s for s in stored}
    for persona_id in (1, 2, 3):
        facts = get_persona(services, persona_id).persona.facts
        # Migration 4 typed the facts stored with each persona, keeping their values.
        assert facts_view(facts.facts) == facts.statistics
        assert facts.facts == by_id[facts.segment_id].typed_facts
        assert segment_traits(facts), persona_id
    turns = transcript(services, 1)
    assert [t.role for t in turns] == ["user", "assistant"]
    assert "outdoor gear" in turns[0].content
    assert get_brief(services, 1).id == 1


def test_new_customers_are_assigned_as_the_pickled_model_did(
    services: Services, tmp_path: Path
) -> None:
    old: segments.SegmentationResult = pickle.loads(_old_blob())
    customers = pd.read_csv(SAMPLE, dtype=str)
    new_rows = customers.iloc[400:700]
    table = segments.read_table(_write(new_rows, tmp_path / "new.csv")).frame
    model, saved = load_assignment_model(services)
    np.testing.assert_array_equal(model.predict(table), old.model.predict(table))
    assert saved.roles == old.roles

    written, accuracy, count = assign_new_customers(
        services, tmp_path / "new.csv", tmp_path / "assigned.csv"
    )
    assert count == 300 and accuracy == pytest.approx(old.assignment_accuracy, abs=1e-4)
    with written.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = old.model.predict(table)
    assert [int(r["segment"]) for r in rows] == expected.tolist()
    assert [r["customer_id"] for r in rows] == new_rows["customer_id"].tolist()
    names = {s.segment_index: s.label for s in load_segments(services)}
    assert {r["segment_label"] for r in rows} <= set(names.values())


def test_an_unreadable_pickle_leaves_the_segments_readable_and_asks_for_a_refit(
    tmp_path: Path,
) -> None:
    services = _open(tmp_path, blob=pickle.dumps("not a segmentation")[:-3])
    stored = load_segments(services)
    assert len(stored) == 3 and all(s.facts for s in stored)
    assert get_persona(services, 1).persona.name == "Maya Lindqvist"
    pd.read_csv(SAMPLE, dtype=str).iloc[400:450].to_csv(tmp_path / "new.csv", index=False)
    with pytest.raises(segments.ModelStateError, match="Segment the customer table again"):
        assign_new_customers(services, tmp_path / "new.csv", tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path
