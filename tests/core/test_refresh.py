"""``persona refresh`` / ``persona history`` on a real SQLite workspace with planted changes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from persona.cli import main
from persona.config import Settings
from persona.errors import SnapshotError
from persona.facts import build_facts
from persona.models import Evidence, EvidencedItem, Persona
from persona.personas import diff_versions
from persona.refresh import refresh
from persona.repos import personas as persona_repo
from persona.segmentation import load_segments, run_segmentation
from persona.services import Services
from persona.snapshots import history
from segments.sample import PLANTED_DRIFT, make_customers, make_snapshot
from tests.support.real_data import cdnow_log


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("snapshots")
    first, _ = make_customers(1200, 3)
    planted, _ = make_snapshot(1200, 3, change=True)
    same, _ = make_snapshot(1200, 3, change=False, snapshot_state=5)
    paths = {"first": out / "first.csv", "planted": out / "planted.csv", "same": out / "same.csv"}
    for name, frame in (("first", first), ("planted", planted), ("same", same)):
        frame.to_csv(paths[name], index=False, date_format="%Y-%m-%d")
    return paths


def _counts(services: Services) -> tuple[int, int, int]:
    rows = [
        services.store.query_one(f"SELECT COUNT(*) FROM {t}")[0]
        for t in ("snapshots", "snapshot_labels", "persona_versions")
    ]
    return rows[0], rows[1], rows[2]


def _persona_for(services: Services, segment_index: int) -> int:
    """A persona of one stored segment whose background cites the returns-rate median."""
    segment = next(s for s in load_segments(services) if s.segment_index == segment_index)
    facts = build_facts(segment)
    cited = "returns_rate_median"
    persona = Persona(
        name="Maya Lindqvist",
        background=EvidencedItem(
            text="Returns a fair share of what she orders.",
            evidence=[Evidence(kind="stat", stat=cited, value=facts.statistics[cited])],
        ),
        quote=EvidencedItem(text="I like to try things on.", evidence=[Evidence(kind="inferred")]),
        facts=facts,
        edited_fields=["quote"],
    )
    persona_id, _ = persona_repo.save_version(
        services.store, services.project_id, segment.id, None, persona, "generated", "test", {}
    )
    return persona_id


def test_refresh_measures_planted_changes_and_versions_personas(
    settings: Settings, snapshots: dict[str, Path]
) -> None:
    services = Services(settings)
    run = run_segmentation(services, snapshots["first"])
    persona_id = _persona_for(services, 0)
    baseline = history(services)
    assert [s.kind for s in baseline] == ["baseline"] and baseline[0].n_rows == 1200

    report = refresh(services, snapshots["planted"])
    data = report.to_dict()
    assert {"migration", "drift", "alerts", "customers"} <= set(data)
    # The planted change: 2 % leave, 3 % arrive; the matrix sums to those in both.
    assert data["customers"] == {"in_both": 1176, "only_old": 24, "only_new": 36}
    body = sum(v for row, cols in data["migration"].items() if row != "new"
               for col, v in cols.items() if col != "gone")  # fmt: skip
    assert body == 1176
    assert data["drift"][PLANTED_DRIFT[0]]["band"] == "significant"
    assert data["drift"]["age"]["band"] == "stable"
    top = report.alerts[:3]
    assert any(a.feature == PLANTED_DRIFT[0] for a in top)
    assert any(a.kind == "share" and "grew" in a.text for a in top)
    assert report.refit_reasons, "a drift this large advises a re-fit"

    # The persona got a refreshed version: facts moved, edited field kept, warning said.
    updated = next(p for p in report.personas if p.persona_id == persona_id)
    assert updated.action == "updated" and updated.version == 2
    stored = persona_repo.get_persona(services.store, services.project_id, persona_id)
    assert stored.origin == "refreshed" and stored.persona.edited_fields == ["quote"]
    assert stored.persona.quote.text == "I like to try things on."
    assert any("returns rate" in w and "moved" in w for w in stored.persona.warnings)
    fields = {d.field: d for d in diff_versions(services, persona_id)}
    assert "facts" in fields
    assert any(line.startswith("returns_rate_median") for line in fields["facts"].after)

    shown = [s.kind for s in history(services)]
    assert shown == ["baseline", "refresh"]
    assert run.segmentation_id == report.segmentation_id


def test_a_snapshot_without_change_raises_no_alert(
    settings: Settings, snapshots: dict[str, Path]
) -> None:
    services = Services(settings)
    run_segmentation(services, snapshots["first"])
    report = refresh(services, snapshots["same"])
    assert report.alerts == [] and report.refit_reasons == []
    assert report.customers == {"in_both": 1200, "only_old": 0, "only_new": 0}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["age"]), "'age'"),
        (lambda f: f.rename(columns={"customer_id": "client"}), "'customer_id'"),
        (lambda f: f.assign(customer_id=["NW000001"] * len(f)), "more than once"),
        (lambda f: f.assign(orders_12m="many"), "changed type"),
        (lambda f: f.assign(customer_id=[f"XX{i}" for i in range(len(f))]), "another project"),
    ],
)
def test_bad_snapshots_are_refused_and_nothing_is_saved(
    settings: Settings,
    snapshots: dict[str, Path],
    tmp_path: Path,
    change,
    message,  # type: ignore[no-untyped-def]
) -> None:
    import pandas as pd

    services = Services(settings)
    run_segmentation(services, snapshots["first"])
    before = _counts(services)
    bad = tmp_path / "bad.csv"
    change(pd.read_csv(snapshots["same"])).to_csv(bad, index=False)
    with pytest.raises(SnapshotError, match=message):
        refresh(services, bad)
    assert _counts(services) == before


def test_cli_refresh_json_history_and_error(
    settings: Settings, snapshots: dict[str, Path], capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:  # fmt: skip
    home = ["--home", str(settings.home)]
    assert main([*home, "segment", str(snapshots["first"])]) == 0
    capsys.readouterr()
    assert main([*home, "refresh", str(snapshots["planted"]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["customers"]["only_new"] == 36 and data["alerts"]
    assert main([*home, "history"]) == 0
    out = capsys.readouterr().out
    assert "Segment shares over time" in out and "Latest alerts" in out
    missing = tmp_path / "missing.csv"
    import pandas as pd

    pd.read_csv(snapshots["same"]).drop(columns=["age"]).to_csv(missing, index=False)
    assert main([*home, "refresh", str(missing)]) == 1
    assert "Traceback" not in capsys.readouterr().out


def test_a_refreshed_log_weighs_the_migration_by_predicted_value(tmp_path: Path) -> None:
    """CDNOW (real): the first 39 weeks segmented, all 78 refreshed; value moves with people."""
    log = cdnow_log()
    dates = pd.to_datetime(log["order_date"].astype(str), format="%Y%m%d")
    first, full = tmp_path / "first.csv", tmp_path / "all.csv"
    log[dates <= "1997-09-30"].to_csv(first, index=False)
    log.to_csv(full, index=False)
    services = Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))
    run_segmentation(services, first)
    report = refresh(services, full)
    value = report.migration.value
    assert value is not None
    assert (value.index == report.migration.counts.index).all()
    # A cell with nobody in it is worth nothing; the customers in both carry all the value.
    assert (value[report.migration.counts == 0].fillna(0) == 0).all().all()
    assert value.to_numpy().sum() > 0
    assert any("predicted value" in note for note in report.notes)
