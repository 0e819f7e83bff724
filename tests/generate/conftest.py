"""Fixtures for persona generation: fake models, hand-made segments, the sample workspace."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from persona.config import Settings
from persona.llm import ScriptedChatModel
from persona.services import Services
from persona.store import dumps, utc_now

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "persona" / "sample_data" / "customers.csv"


def profile(
    index: int,
    *,
    size: int = 400,
    share: float = 0.2,
    label: str = "High household size, preferred channel: email",
    scorecard: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A segment profile shaped like ``segments.SegmentProfile.to_dict()`` plus facts."""
    verdicts = {
        "sizable": "pass",
        "identifiable": "pass",
        "reachable": "pass",
        "responds_differently": "pass",
        "coherent": "pass",
        "stable": "pass",
        **(scorecard or {}),
    }
    facts: dict[str, Any] = {
        "segment_id": index,
        "segment_label": label,
        "segment_size": size,
        "share_pct": round(share * 100, 1),
        "age_mean": 39.02 + index,
        "age_median": 39.0 + index,
        "age_q1": 36.0 + index,
        "age_q3": 42.0 + index,
        "household_size_median": 4.0,
        "household_size_base_median": 2.0,
        "household_size_vs_base_pct": 67.1,
        "spend_12m_median": 353.73,
        "spend_12m_vs_base_pct": -51.1,
        "region_north_share_pct": 41.3,
        "region_north_base_share_pct": 25.0,
        "city_fellgate_share_pct": 30.5,
        "city_fellgate_base_share_pct": 12.0,
        "preferred_channel_email_share_pct": 73.8,
        "preferred_channel_email_base_share_pct": 30.2,
        "preferred_channel_app_share_pct": 6.2,
        "preferred_channel_app_base_share_pct": 35.0,
        "rule_1": "household_size ≥ 3 and avg_basket ≤ 138",
        **{f"{name}_verdict": verdict for name, verdict in verdicts.items()},
    }
    return {
        "segment_id": index,
        "label": label,
        "size": size,
        "share": share,
        "suppressed": False,
        "numeric": [],
        "categorical": [
            {"feature": "region", "value": "North", "share": 0.413, "base_share": 0.25},
            {"feature": "city", "value": "Fellgate", "share": 0.305, "base_share": 0.12},
            {"feature": "preferred_channel", "value": "email", "share": 0.738, "base_share": 0.302},
            {"feature": "preferred_channel", "value": "app", "share": 0.062, "base_share": 0.35},
        ],
        "top_features": ["household_size", "preferred_channel = email", "spend_12m"],
        "rules": [],
        "scorecard": {
            name: {"name": name, "verdict": v, "value": 0.5, "explanation": f"{name} says {v}."}
            for name, v in verdicts.items()
        },
        "facts": facts,
    }


def add_segments(services: Services, profiles: list[dict[str, Any]]) -> list[int]:
    """Store a segmentation made of ``profiles``; return the segments' database ids."""
    now = utc_now()
    project_id = services.project_id
    ids = []
    with services.store.transaction() as db:
        dataset = db.execute(
            "INSERT INTO datasets (project_id, name, source, sha256, n_rows, n_columns, "
            "roles_json, created_at) VALUES (?, 'test.csv', 'test.csv', 'x', 100, 5, '{}', ?)",
            (project_id, now),
        ).lastrowid
        segmentation = db.execute(
            "INSERT INTO segmentations (project_id, dataset_id, algorithm, k, params_json, "
            "result_json, created_at) VALUES (?, ?, 'kmeans', ?, '{}', '{}', ?)",
            (project_id, dataset, len(profiles), now),
        ).lastrowid
        for data in profiles:
            cursor = db.execute(
                "INSERT INTO segments (segmentation_id, segment_index, label, size, share, "
                "profile_json) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    segmentation,
                    data["segment_id"],
                    data["label"],
                    data["size"],
                    data["share"],
                    dumps(data),
                ),
            )
            ids.append(int(cursor.lastrowid or 0))
    return ids


def draft(**changes: Any) -> dict[str, Any]:
    """A valid :class:`~persona.models.PersonaDraft` as a dict, with ``changes`` applied."""
    data: dict[str, Any] = {
        "name": "Maya Lindqvist",
        "occupation": "Primary school teacher",
        "background": "Busy parent of a large family who plans every purchase.",
        "goals": [{"text": "Keep the whole family outdoors on a budget",
                   "sources": ["household_size_median"]}],
        "challenges": [{"text": "Kit for growing children wears out fast", "sources": []}],
        "needs": [{"text": "Durable gear that lasts several seasons", "sources": []}],
        "pain_points": [{"text": "Slow refunds for returned items", "sources": []}],
        "personality": ["Practical", "Careful"],
        "hobbies": ["Family camping"],
        "behaviour_patterns": [{"text": "Waits for offers by email before buying",
                                "sources": []}],
        "channels": ["email newsletter"],
        "quote": "If it lasts, it is worth it.",
    }  # fmt: skip
    data.update(changes)
    return data


def reply(**changes: Any) -> str:
    """:func:`draft` as the JSON text a model would send."""
    return json.dumps(draft(**changes))


def script(services: Services, *replies: str) -> ScriptedChatModel:
    """Make ``services`` use a scripted model answering ``replies`` in order."""
    model = ScriptedChatModel(replies=list(replies))
    services.use_model(model)
    return model


@pytest.fixture
def gen_settings(tmp_path: Path) -> Settings:
    """A temp workspace with the fake model, hash embeddings and one re-ask."""
    return Settings(
        home=tmp_path / "ws", llm_provider="fake", embeddings="hash", structured_retries=1
    )


@pytest.fixture
def services(gen_settings: Settings) -> Iterator[Services]:
    """Services on the temp workspace; Chroma clients are released afterwards."""
    built = Services(gen_settings)
    yield built
    from persona.knowledge import close_clients

    close_clients(gen_settings)
    built.store.close()


@pytest.fixture(scope="session")
def sample_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace database holding the segmentation of the bundled sample customers."""
    from persona.segmentation import run_segmentation

    home = tmp_path_factory.mktemp("sample-ws")
    built = Services(Settings(home=home, llm_provider="fake", embeddings="hash"))
    run_segmentation(built, SAMPLE_CSV)
    built.store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    built.store.close()
    return home / "persona.sqlite3"


@pytest.fixture
def sample_services(services: Services, sample_database: Path) -> Services:
    """:func:`services` with the sample segmentation already in its database."""
    target = services.settings.database_path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sample_database, target)
    with closing(sqlite3.connect(target)) as db:
        assert db.execute("SELECT COUNT(*) FROM segments").fetchone()[0] > 0
    return services
