from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from persona.config import Settings
from persona.segmentation import assign_new_customers, load_segments, run_segmentation
from persona.services import Services


def test_segmentation_is_stored_and_new_customers_are_assigned(
    settings: Settings, sample_data: Path, tmp_path: Path
) -> None:
    services = Services(settings)
    run = run_segmentation(services, sample_data / "customers.csv")

    stored = load_segments(services)
    assert [s.segment_index for s in stored] == [p.segment_id for p in run.result.profiles]
    assert sum(s.size for s in stored) == len(run.result.labels)
    assert all(s.facts and s.scorecard for s in stored)
    labels = services.store.query_one(
        "SELECT COUNT(*) FROM segment_labels WHERE segmentation_id = ?", (run.segmentation_id,)
    )
    assert labels[0] == len(run.result.labels)
    # Profiles are aggregates: no customer id or e-mail leaves the labels table.
    customers = pd.read_csv(sample_data / "customers.csv", dtype=str)
    profiles = " ".join(str(s.profile) for s in stored)
    assert customers["customer_id"].iloc[0] not in profiles
    assert customers["email"].iloc[0] not in profiles

    new = tmp_path / "new.csv"
    customers.head(40).to_csv(new, index=False)
    written, accuracy, count = assign_new_customers(services, new, tmp_path / "assigned.csv")
    assert count == 40 and accuracy > 0.9
    with written.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = run.result.labels.head(40)
    assert {r["customer_id"]: int(r["segment"]) for r in rows} == {
        str(k): int(v) for k, v in expected.items()
    }


def test_a_transaction_log_is_segmented_and_its_dropped_rows_are_reported(
    tmp_path: Path,
) -> None:
    log = pd.read_csv(Path(__file__).resolve().parents[2] / "persona/sample_data/transactions.csv")
    log.loc[:9, "amount"] = None  # ten unusable rows
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    services = Services(Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash"))
    try:
        run = run_segmentation(services, path, k=3, transactions=True)
        assert any("Left out 10 of" in w for w in run.warnings), run.warnings
        assert len(run.frame) == sum(s.size for s in run.segments)
        assert "frequency" in run.frame.columns
    finally:
        services.store.close()
