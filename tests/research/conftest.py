"""A workspace holding the bundled sample table segmented (fake model, hash embeddings)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from persona.config import Settings
from persona.segmentation import SegmentationRun, run_segmentation
from persona.services import Services

SAMPLE = Path(__file__).resolve().parents[2] / "persona" / "sample_data" / "customers.csv"


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """The sample customers with a do-not-contact column (every seventh customer set)."""
    frame = pd.read_csv(SAMPLE)
    frame["do_not_contact"] = ["yes" if i % 7 == 0 else "" for i in range(len(frame))]
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """Services on the temp workspace the CLI also uses (PERSONA_HOME)."""
    monkeypatch.setenv("PERSONA_LLM_PROVIDER", "fake")
    monkeypatch.setenv("PERSONA_EMBEDDINGS", "hash")
    built = Services(Settings(home=tmp_path / "workspace", llm_provider="fake", embeddings="hash"))
    yield built
    built.store.close()


@pytest.fixture
def segmented(services: Services, table: Path) -> SegmentationRun:
    """The sample table segmented into five segments."""
    return run_segmentation(services, table, k=5, roles={"do_not_contact": "ignore"})
