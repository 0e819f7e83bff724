"""Benchmark: a refresh of many customers against the saved model vs plain predict + crosstab.

    python bench/refresh.py                       # 1,000,000 customers
    python bench/refresh.py --customers 200000    # smaller

The sample generator draws the customers twice (:func:`segments.sample.make_customers`
and :func:`segments.sample.make_snapshot` with planted changes), written to Parquet
once; the segments are fitted on a 20,000-customer sample so the bench measures the
refresh, not the fit. Each variant runs in its own subprocess, so its peak memory
(max RSS) is its own:

* ``segments``: :func:`segments.snapshot.measure_snapshot` (assign with the saved
  model, confidence, every feature in the reference buckets overall and per
  segment, profiles) → :func:`segments.drift.drift_table` →
  :func:`segments.migration.migration_matrix` → :func:`segments.alerts.snapshot_alerts`:
  what ``persona refresh`` computes, without SQLite;
* ``reference``: ``AssignmentModel.predict`` → ``pd.crosstab`` of old vs new labels:
  the plain script a data scientist would write (no drift, no confidence, no alerts).

Results are ratios to the reference in the same run; timings are wall-clock.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _prepare(directory: Path, n: int) -> None:
    import pandas as pd

    import segments
    from segments.sample import make_customers, make_snapshot

    first, _ = make_customers(n, 0)
    later, _ = make_snapshot(n, 0, change=True)
    first.to_parquet(directory / "first.parquet")
    later.to_parquet(directory / "later.parquet")
    sample = first.sample(min(n, 20_000), random_state=0)
    result = segments.fit_segments(sample, k=5, id_column="customer_id", bootstrap=0)
    (directory / "state.json").write_text(json.dumps(result.model_state()))
    model = segments.load_model(result.model_state())
    labels = segments.assign_segments(model, first)
    pd.DataFrame({"customer_id": labels.index.map(str), "segment": labels.to_numpy()}).to_parquet(
        directory / "labels.parquet"
    )


def _segments(directory: Path) -> dict[str, float]:
    import pandas as pd

    import segments
    from segments.alerts import Thresholds, snapshot_alerts
    from segments.drift import drift_table
    from segments.migration import migration_matrix
    from segments.snapshot import measure_snapshot

    model = segments.load_model(json.loads((directory / "state.json").read_text()))
    first = pd.read_parquet(directory / "first.parquet")
    old = pd.read_parquet(directory / "labels.parquet")
    old_labels = pd.Series(old["segment"].to_numpy(), index=old["customer_id"])
    started = time.perf_counter()
    reference = measure_snapshot(model, first, labels=old_labels.set_axis(first.index))
    reference_seconds = time.perf_counter() - started
    later = pd.read_parquet(directory / "later.parquet")
    started = time.perf_counter()
    now = measure_snapshot(model, later, bins=reference.bins, profiles=True)
    drift = drift_table(reference.counts, now.counts)
    migration = migration_matrix(old_labels, now.labels)
    alerts = snapshot_alerts(
        labels={}, shares_before=reference.shares, shares_after=now.shares,
        migration=migration, drift=drift, confidence_before=reference.confidence,
        confidence_after=now.confidence, thresholds=Thresholds(),
    )  # fmt: skip
    return {
        "seconds": time.perf_counter() - started,
        "baseline_seconds": reference_seconds,
        "in_both": migration.in_both,
        "alerts": len(alerts),
    }


def _reference(directory: Path) -> dict[str, float]:
    import pandas as pd

    import segments

    model = segments.load_model(json.loads((directory / "state.json").read_text()))
    old = pd.read_parquet(directory / "labels.parquet").set_index("customer_id")["segment"]
    later = pd.read_parquet(directory / "later.parquet")
    started = time.perf_counter()
    new = pd.Series(model.predict(later), index=later["customer_id"].astype(str))
    joined = pd.concat([old.rename("old"), new.rename("new")], axis=1, join="inner")
    table = pd.crosstab(joined["old"], joined["new"])
    return {"seconds": time.perf_counter() - started, "in_both": int(table.to_numpy().sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--variant", choices=["segments", "reference", "prepare"])
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.variant:
        run = {"prepare": _prepare, "segments": _segments, "reference": _reference}[args.variant]
        out = run(args.dir, args.customers) if args.variant == "prepare" else run(args.dir)  # type: ignore[operator]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({**(out or {}), "peak_mb": peak}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for variant in ("prepare", "segments", "reference"):
            done = subprocess.run(
                [sys.executable, __file__, "--variant", variant, "--dir", tmp,
                 "--customers", str(args.customers)],
                check=True, capture_output=True, text=True, cwd=ROOT,
            )  # fmt: skip
            results[variant] = json.loads(done.stdout.strip().splitlines()[-1])
    seg, ref = results["segments"], results["reference"]
    print(
        f"customers: {args.customers:,}; in both: {seg['in_both']:,} (reference {ref['in_both']:,})"
    )
    print(f"segments refresh: {seg['seconds']:.2f} s, peak {seg['peak_mb']:.0f} MB, "
          f"{seg['alerts']} alerts (baseline measure {seg['baseline_seconds']:.2f} s)")  # fmt: skip
    print(f"reference predict + crosstab: {ref['seconds']:.2f} s, peak {ref['peak_mb']:.0f} MB")
    print(f"ratio: wall {seg['seconds'] / ref['seconds']:.2f}, "
          f"memory {seg['peak_mb'] / ref['peak_mb']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
