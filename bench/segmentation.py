"""Benchmark: segmentation of a large customer table against a plain pandas + sklearn script.

    python bench/segmentation.py                 # 1,000,000 customers × 20 columns
    python bench/segmentation.py --rows 200000   # smaller
    python bench/segmentation.py --bootstrap 0   # skip the stability run

The table (20 mixed columns: ID, numbers, categories, 0/1 flags, a date) is drawn
by :func:`segments.sample.make_customers` and written to Parquet once. Each
variant then runs in its own subprocess, so its peak memory (max RSS) is its own:

* ``segments``: ``read_table`` → ``fit_segments(k="auto", bootstrap=0)``: roles,
  features, automatic k, fit, profiles, rules, scorecard and assignment model;
* ``reference``: ``pd.read_parquet`` → median fill, one-hot, scale → k-means k-search
  (2–10) on a 50k sample by silhouette (on 10k of it) → final k-means on all rows;
* ``segments+bootstrap``: the same as ``segments`` with ``bootstrap=N``; only its
  stability time is reported, as the cost of that criterion on its own.

Targets from the issue: ≤ 60 s and ≤ 3 GB on 2 cores, ratio ≤ 1.5 (without bootstrap).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _child import peak_mb, run_child  # bench/ is the script folder: a sibling import

COLUMNS = [
    "customer_id", "age", "gender", "region", "city", "household_size", "income_band",
    "price_sensitivity", "eco_conscious", "tech_savviness", "member_since", "orders_12m",
    "spend_12m", "avg_basket", "days_since_last_order", "app_sessions_month", "returns_rate",
    "preferred_channel", "responded_last_campaign", "churned",
]  # fmt: skip


def make_data(rows: int, directory: Path) -> tuple[Path, Path]:
    """Write the table and its true segments as Parquet (once per size)."""
    from segments.sample import make_customers

    table = directory / f"customers_{rows}.parquet"
    truth = directory / f"truth_{rows}.parquet"
    if not table.exists() or not truth.exists():
        frame, labels = make_customers(rows, random_state=0)
        frame[COLUMNS].to_parquet(table, index=False)
        labels.to_frame().to_parquet(truth, index=False)
    return table, truth


def run_segments(path: Path, bootstrap: int) -> dict[str, object]:
    import segments

    start = time.perf_counter()
    table = segments.read_table(path)
    loaded = time.perf_counter()
    result = segments.fit_segments(
        table.frame, k="auto", id_column="customer_id", bootstrap=bootstrap, random_state=0
    )
    end = time.perf_counter()
    return {
        "wall_s": end - start,
        "load_s": loaded - start,
        "k": result.k,
        "labels": result.labels.to_numpy().tolist(),
        "timings": result.timings,
        "peak_mb": peak_mb(),
    }


def run_reference(path: Path) -> dict[str, object]:
    import numpy as np
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    start = time.perf_counter()
    frame = pd.read_parquet(path)
    loaded = time.perf_counter()
    features = frame.drop(columns=["customer_id", "responded_last_campaign", "churned"])
    features["member_since"] = (features["member_since"].max() - features["member_since"]).dt.days
    numeric = features.select_dtypes("number").columns
    features[numeric] = features[numeric].fillna(features[numeric].median())
    encoded = pd.get_dummies(features, dummy_na=True, dtype="float64")
    x = StandardScaler().fit_transform(encoded.to_numpy(dtype="float64"))
    rng = np.random.default_rng(0)
    sample = x[rng.choice(len(x), size=min(50_000, len(x)), replace=False)]
    best_k, best_score = 2, -1.0
    for k in range(2, 11):
        labels = KMeans(n_clusters=k, n_init="auto", random_state=0).fit_predict(sample)
        score = silhouette_score(sample, labels, sample_size=10_000, random_state=0)
        if score > best_score:
            best_k, best_score = k, score
    final = KMeans(n_clusters=best_k, n_init="auto", random_state=0).fit(x)
    end = time.perf_counter()
    return {
        "wall_s": end - start,
        "load_s": loaded - start,
        "k": best_k,
        "labels": final.labels_.tolist(),
        "peak_mb": peak_mb(),
    }


def _child(variant: str, path: Path, bootstrap: int) -> dict[str, object]:
    return run_child(__file__, variant, "--path", str(path), "--bootstrap", str(bootstrap))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bootstrap", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    parser.add_argument("--child", choices=["segments", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    if args.child:
        if args.child == "segments":
            outcome = run_segments(args.path, args.bootstrap)
        else:
            outcome = run_reference(args.path)
        print(json.dumps(outcome))
        return

    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    directory = args.data_dir or Path(tempfile.gettempdir()) / "persona-bench"
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    table, truth_path = make_data(args.rows, directory)
    truth = pd.read_parquet(truth_path)["true_segment"].to_numpy()
    print(
        f"data: {args.rows:,} rows × {len(COLUMNS)} columns, {table.stat().st_size / 1e6:.1f} MB "
        f"Parquet ({time.perf_counter() - started:.1f} s to make); {os.cpu_count()} CPUs"
    )
    results = {
        "segments": _child("segments", table, 0),
        "reference": _child("reference", table, 0),
    }
    if args.bootstrap:
        results["segments+bootstrap"] = _child("segments", table, args.bootstrap)
    report: dict[str, object] = {"rows": args.rows, "columns": len(COLUMNS)}
    print("\n| variant | wall s | load s | peak MB | k | ARI vs planted |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, outcome in results.items():
        ari = adjusted_rand_score(truth, outcome.pop("labels"))
        outcome["ari"] = ari
        print(
            f"| {name} | {outcome['wall_s']:.1f} | {outcome['load_s']:.1f} | "
            f"{outcome['peak_mb']:.0f} | {outcome['k']} | {ari:.3f} |"
        )
        report[name] = outcome
    ratio = float(results["segments"]["wall_s"]) / float(results["reference"]["wall_s"])
    report["ratio"] = ratio
    print(f"\nratio segments / reference (wall): {ratio:.2f}  (target ≤ 1.5)")
    print(f"segments stages (s): {json.dumps(results['segments']['timings'])}")
    if args.bootstrap:
        timings = results["segments+bootstrap"]["timings"]
        assert isinstance(timings, dict)
        report["stability_s"] = timings.get("stability")
        print(
            f"stability bootstrap ({args.bootstrap} resamples): "
            f"{timings.get('stability', 0.0):.1f} s on its own"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
