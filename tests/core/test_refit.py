"""``persona refresh --refit`` end to end: planted merge, split, vanished and new segments.

The sample generator draws the same customers again with their true segments
changed (``make_customers(..., segments_of=...)``): one segment's customers turn
into another's (a merge), one segment's customers leave (it vanishes), customers
of a segment absent before arrive (a new one), or the first segmentation is too
coarse (k=3 for five true segments) so the re-fit splits it. Real SQLite
workspace, real fit; personas follow their successor or are archived, and a
failure half-way leaves the project as it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import persona.refresh as refresh_module
from persona.cli import main
from persona.config import Settings
from persona.facts import build_facts
from persona.models import Evidence, EvidencedItem, Persona
from persona.refresh import refresh
from persona.repos import personas as persona_repo
from persona.segmentation import latest_segmentation, load_segments, run_segmentation
from persona.services import Services
from persona.snapshots import history
from segments.sample import SEGMENTS, make_customers

N = 1500
CITED = "spend_12m_median"
TRUE = {s.name: i for i, s in enumerate(SEGMENTS)}
BUDGET, PREMIUM, LAPSED, YOUNG, LOYAL = (
    TRUE[name]
    for name in (
        "Budget families",
        "Premium adventurers",
        "Lapsed bargain hunters",
        "Young app-first urbanites",
        "Loyal store regulars",
    )
)


def _truth() -> tuple[pd.DataFrame, np.ndarray]:
    first, names = make_customers(N, 3)
    return first, names.map(TRUE).to_numpy(dtype="int64")


@pytest.fixture(scope="module")
def merge_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Before: no loyal regulars. After: budget families shop like premium adventurers
    (merge), the lapsed bargain hunters are gone (vanished), loyal regulars arrive (new)."""
    out = tmp_path_factory.mktemp("merge")
    first, truth = _truth()
    later_truth = np.where(truth == BUDGET, PREMIUM, truth)
    later, _ = make_customers(N, [3, 9], segments_of=later_truth)
    first.loc[truth != LOYAL].to_csv(out / "before.csv", index=False)
    later.loc[truth != LAPSED].to_csv(out / "after.csv", index=False)
    return out / "before.csv", out / "after.csv"


@pytest.fixture(scope="module")
def split_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same customers drawn twice; the first segmentation is made with k=3."""
    out = tmp_path_factory.mktemp("split")
    first, truth = _truth()
    later, _ = make_customers(N, [3, 9], segments_of=truth)
    first.to_csv(out / "before.csv", index=False)
    later.to_csv(out / "after.csv", index=False)
    return out / "before.csv", out / "after.csv"


def _persona(services: Services, segment_index: int, name: str) -> int:
    segment = next(s for s in load_segments(services) if s.segment_index == segment_index)
    facts = build_facts(segment)
    persona = Persona(
        name=name,
        background=EvidencedItem(
            text="Buys for the whole family.",
            evidence=[Evidence(kind="stat", stat=CITED, value=facts.statistics[CITED])],
        ),
        quote=EvidencedItem(text="Value matters.", evidence=[Evidence(kind="inferred")]),
        facts=facts,
        edited_fields=["quote"],
    )
    persona_id, _ = persona_repo.save_version(
        services.store, services.project_id, segment.id, None, persona, "generated", "test", {}
    )
    return persona_id


def _segment_of_truth(services: Services, truth_index: int) -> int:
    """The stored segment whose label describes true segment ``truth_index`` best."""
    stored = load_segments(services)
    first, truth = _truth()
    labels = services.store.query(
        "SELECT customer_id, segment_index FROM segment_labels WHERE segmentation_id = ?",
        (latest_segmentation(services),),
    )
    by_id = {r["customer_id"]: int(r["segment_index"]) for r in labels}
    members = [by_id[c] for c in first.loc[truth == truth_index, "customer_id"] if c in by_id]
    found = int(np.bincount(members).argmax())
    assert found in {s.segment_index for s in stored}
    return found


def _table_counts(services: Services) -> dict[str, int]:
    tables = ("segmentations", "segments", "segment_labels", "snapshots", "snapshot_labels",
              "persona_versions")  # fmt: skip
    counts = {t: services.store.query_one(f"SELECT COUNT(*) FROM {t}")[0] for t in tables}
    counts["archived"] = services.store.query_one(
        "SELECT COUNT(*) FROM personas WHERE archived_at IS NOT NULL"
    )[0]
    return counts


def test_refit_reports_merged_vanished_new_and_personas_follow(
    settings: Settings, merge_files: tuple[Path, Path]
) -> None:
    services = Services(settings)
    before, after = merge_files
    old_run = run_segmentation(services, before, k=4)
    budget, lapsed, young = (_segment_of_truth(services, t) for t in (BUDGET, LAPSED, YOUNG))
    budget_persona = _persona(services, budget, "Bea Budget")
    lapsed_persona = _persona(services, lapsed, "Len Lapsed")
    young_persona = _persona(services, young, "Yan Young")

    report = refresh(services, after, refit=True)

    transitions = {m.transition: m for m in report.matches}
    assert set(transitions) == {"kept", "merged", "vanished", "new"}, report.matches
    assert budget in transitions["merged"].old and len(transitions["merged"].old) == 2
    assert transitions["vanished"].old == (lapsed,)
    assert transitions["kept"].old == (young,)
    new_id = latest_segmentation(services)
    assert report.refit_segmentation_id == new_id != old_run.segmentation_id
    new_segments = {s.segment_index: s for s in load_segments(services, new_id)}

    # Budget's persona follows the merged segment, with that segment's facts.
    moved = persona_repo.get_persona(services.store, services.project_id, budget_persona)
    merged_into = new_segments[transitions["merged"].new[0]]
    assert moved.segment_id == merged_into.id and moved.origin == "refreshed"
    assert moved.persona.facts.segment_id == merged_into.id
    assert moved.persona.facts.size == merged_into.size
    assert moved.persona.edited_fields == ["quote"] and moved.persona.quote.text == "Value matters."
    young_now = persona_repo.get_persona(services.store, services.project_id, young_persona)
    assert young_now.segment_id == new_segments[transitions["kept"].new[0]].id
    # The vanished segment's persona is archived, with every version kept.
    summaries = {p.id: p for p in persona_repo.list_personas(services.store, services.project_id)}
    assert summaries[lapsed_persona].archived_at is not None
    assert summaries[budget_persona].archived_at is None
    kept = persona_repo.get_persona(services.store, services.project_id, lapsed_persona)
    assert kept.persona.name == "Len Lapsed"
    actions = {p.persona_id: p.action for p in report.personas if p.action in ("moved", "archived")}
    assert actions == {budget_persona: "moved", young_persona: "moved", lapsed_persona: "archived"}

    # The refresh is recorded against the old segments, then the new baseline.
    assert [(s.kind, s.segmentation_id) for s in history(services)] == [
        ("baseline", old_run.segmentation_id),
        ("refresh", old_run.segmentation_id),
        ("baseline", new_id),
    ]
    data = report.to_dict()
    assert data["refit"]["segmentation_id"] == new_id
    assert {m["transition"] for m in data["refit"]["matches"]} == set(transitions)


def test_refit_of_a_too_coarse_segmentation_reports_splits_and_cli_prints_them(
    settings: Settings, split_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = split_files
    home = ["--home", str(settings.home)]
    assert main([*home, "segment", str(before), "--k", "3"]) == 0
    services = Services(settings)
    old = {s.segment_index: s for s in load_segments(services)}
    largest = max(old.values(), key=lambda s: s.size)
    persona_id = _persona(services, largest.segment_index, "Sam Split")
    capsys.readouterr()

    assert main([*home, "refresh", str(after), "--refit", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    splits = [m for m in data["refit"]["matches"] if m["transition"] == "split"]
    assert splits and any(m["old"] == [largest.segment_index] for m in splits), data["refit"]
    new = {s.segment_index: s for s in load_segments(services, data["refit"]["segmentation_id"])}
    assert len(new) > len(old)
    # The persona follows the largest part of its split segment.
    split = next(m for m in splits if m["old"] == [largest.segment_index])
    biggest_part = max(split["new"], key=lambda n: new[n].size)
    stored = persona_repo.get_persona(services.store, services.project_id, persona_id)
    assert stored.segment_id == new[biggest_part].id
    assert {"persona_id": persona_id, "action": "moved"}.items() <= next(
        p for p in data["personas"] if p["persona_id"] == persona_id and p["action"] == "moved"
    ).items()

    # The human report names the transitions.
    assert main([*home, "refresh", str(after), "--refit"]) == 0
    out = capsys.readouterr().out
    assert "Re-fit: segmentation" in out and "kept:" in out
    # History names the last refresh's alerts, not the re-fit's baseline that came after it.
    assert main([*home, "history"]) == 0
    shown = capsys.readouterr().out
    assert [s.kind for s in history(services)][-2:] == ["refresh", "baseline"]
    assert re.search(r"(Latest alerts|No alerts in the latest refresh) \(snapshot 4\)", shown)


@pytest.mark.parametrize("where", ["fit", "persona moves"])
def test_a_failed_refit_saves_nothing(
    settings: Settings,
    merge_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    services = Services(settings)
    before, after = merge_files
    run_segmentation(services, before, k=4)
    persona_id = _persona(services, _segment_of_truth(services, LAPSED), "Len Lapsed")
    counts = _table_counts(services)
    segmentation = latest_segmentation(services)

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"killed during the {where}")

    if where == "fit":
        monkeypatch.setattr("segments.fit_segments", boom)
    else:
        monkeypatch.setattr(refresh_module, "_move_personas", boom)
    with pytest.raises(RuntimeError, match="killed"):
        refresh(services, after, refit=True)

    assert _table_counts(services) == counts
    assert latest_segmentation(services) == segmentation
    summary = persona_repo.list_personas(services.store, services.project_id)[0]
    assert summary.id == persona_id and summary.archived_at is None
    # And the same refresh without the failure goes through.
    monkeypatch.undo()
    assert refresh(services, after, refit=True).refit_segmentation_id is not None
