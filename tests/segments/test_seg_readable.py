"""A coded-name table with a data dictionary: no code reaches a label, rule, fact or prompt."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segments
from persona.config import Settings
from persona.errors import NotFoundError
from persona.evidence import retrieval_query, traits
from persona.generate import generate_personas
from persona.interview.prompt import system_prompt
from persona.llm import ScriptedChatModel
from persona.segmentation import latest_segmentation, load_dictionary, run_segmentation
from persona.services import Services
from tests.ui.helpers import draft_reply

DESCRIPTIONS = {
    "MOPLLAAG": "lower level education (share of the area)",
    "MZFONDS": "national health service insured",
    "MKOOPKLA": "purchasing power class",
    "MOSHOOFD": "customer main type",
}
CODES = re.compile(r"\b(" + "|".join(DESCRIPTIONS) + r")\b")


def coded_table(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Three planted groups, every column named by a code."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "MOPLLAAG": rng.normal(np.array([2, 6, 9])[group], 0.7),
            "MZFONDS": rng.normal(np.array([8, 4, 1])[group], 0.7),
            "MKOOPKLA": rng.normal(np.array([1, 5, 8])[group], 0.7),
            "MOSHOOFD": np.array(["farmers", "families", "seniors"])[group],
        }
    )


def write_dictionary(path: Path, rows: dict[str, str]) -> Path:
    pd.DataFrame({"column": list(rows), "description": list(rows.values())}).to_csv(
        path, index=False
    )
    return path


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "coded.csv"
    coded_table().to_csv(path, index=False)
    return path


def shown_text(stored: list, facts: bool = True) -> list[str]:
    texts = []
    for segment in stored:
        texts.append(segment.label)
        texts += [str(r["text"]) for r in segment.profile.get("rules", [])]
        if facts:
            texts += [f.label for f in segment.typed_facts]
            texts += traits(segment)
            texts.append(retrieval_query(segment))
    return texts


def test_with_a_dictionary_no_code_is_shown(
    settings: Settings, table: Path, tmp_path: Path
) -> None:
    services = Services(settings)
    dictionary = write_dictionary(tmp_path / "columns.csv", DESCRIPTIONS)
    run = run_segmentation(services, table, k=3, dictionary=dictionary)
    stored = run.segments
    texts = shown_text(stored)
    assert [t for t in texts if CODES.search(t)] == []
    assert any("purchasing power class" in t or "education" in t for t in texts)
    assert load_dictionary(services).describe("MZFONDS") == DESCRIPTIONS["MZFONDS"]
    figure = segments.profile_figure(run.result)
    assert not [x for x in figure.data[0].x if CODES.search(str(x))]
    services.use_model(ScriptedChatModel(replies=[draft_reply("Maya Lindqvist")]))
    made = [r.persona for r in generate_personas(services, segment_indexes=[0]) if r.persona]
    assert made
    prompt = system_prompt(made[0])
    assert not CODES.search(prompt), prompt


def test_without_a_dictionary_codes_are_warned_about_once(settings: Settings, table: Path) -> None:
    run = run_segmentation(Services(settings), table, k=3)
    warnings = [n for n in run.notes if "look like codes" in n]
    assert len(warnings) == 1 and "MOPLLAAG" in warnings[0]
    assert any(CODES.search(t) for t in shown_text(run.segments, facts=False))


@pytest.mark.parametrize(
    "rows",
    [{**DESCRIPTIONS, "NOT_A_COLUMN": "nothing"}, {"MOPLLAAG": ""}],
    ids=["unknown column", "empty description"],
)
def test_a_bad_dictionary_fails_before_anything_is_saved(
    settings: Settings, table: Path, tmp_path: Path, rows: dict[str, str]
) -> None:
    services = Services(settings)
    dictionary = write_dictionary(tmp_path / "bad.csv", rows)
    with pytest.raises(segments.SegmentsError) as caught:
        run_segmentation(services, table, k=3, dictionary=dictionary)
    assert "bad.csv" in str(caught.value)
    with pytest.raises(NotFoundError):
        latest_segmentation(services)
