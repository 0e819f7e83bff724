"""Benchmark: a large transaction log out of core (DuckDB) against a plain DuckDB + sklearn script.

    python bench/duckdb_scale.py                                   # 100M rows, 2M customers
    python bench/duckdb_scale.py --rows 20000000 --customers 500000

The log is made by DuckDB itself (``COPY … TO`` Parquet, once per size): row i
belongs to a customer drawn with a skew (some buy often, most rarely), on a day
in two years, with an amount that depends on the customer's group. Each variant
runs in its own subprocess, so its peak memory (max RSS) is its own:

* ``segments``: the product's path for a file past the upload cap:
  :class:`segments.engines.outofcore.Scan` → log columns recognised on a sample →
  :func:`log_to_customers` (one SQL pass: exact-repeat removal, cleaning, RFM
  per customer) → :func:`segments.fit_segments` at a fixed k (features, k-means,
  stability, profiles, rules, scorecard, assignment model);
* ``segments-keep-repeats``: the same without the exact-repeat rule (every line
  counts, as in the reference), to show what that rule costs;
* ``reference``: one DuckDB ``GROUP BY customer`` with the same six columns →
  ``StandardScaler`` + ``KMeans`` at the same k → per-segment means.

DuckDB gets the same memory limit in both (``--memory``).
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

K = 4


def make_log(rows: int, customers: int, directory: Path) -> Path:
    """Write the log as Parquet with DuckDB (once per size)."""
    import duckdb

    path = directory / f"log_{rows}_{customers}.parquet"
    if path.exists():
        return path
    with duckdb.connect(config={"memory_limit": "4GB", "temp_directory": str(directory)}) as con:
        con.execute(
            f"""
            COPY (
              SELECT c AS customer_id,
                     DATE '2023-01-01' + CAST(hash(i, 7) % 730 AS INTEGER) AS order_date,
                     round(10 + (c % 3) * 35 + (hash(i, 11) % 2000) / 100.0, 2) AS amount
              FROM (SELECT i, CAST(floor({customers} * pow((hash(i) % 1000003) / 1000003.0, 2))
                                   AS BIGINT) AS c
                    FROM range({rows}) t(i))
            ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
            """
        )
    return path


def run_segments(path: Path, memory: str, *, drop_repeats: bool = True) -> dict[str, object]:
    import segments
    from segments.engines.outofcore import Scan, log_to_customers

    started = time.perf_counter()
    scan = Scan(path, memory_limit=memory)
    columns = segments.recognise_log(scan.sample())
    assert columns is not None
    customers = log_to_customers(scan, columns, drop_repeats=drop_repeats)
    aggregated = time.perf_counter() - started
    result = segments.fit_segments(customers, k=K, id_column=columns.customer, random_state=0)
    return {
        "wall_s": time.perf_counter() - started,
        "aggregate_s": aggregated,
        "customers": len(customers),
        "sizes": sorted((p.size for p in result.profiles), reverse=True),
        "stages_s": {k: round(v, 1) for k, v in result.timings.items()},
        "peak_mb": peak_mb(),
    }


def run_reference(path: Path, memory: str) -> dict[str, object]:
    import duckdb
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    started = time.perf_counter()
    with duckdb.connect(config={"memory_limit": memory}) as con:
        frame = con.execute(
            f"""
            WITH g AS (SELECT customer_id, min(order_date) AS first, max(order_date) AS last,
                              count(*) AS n, sum(amount) AS spend
                       FROM read_parquet('{path}') GROUP BY customer_id)
            SELECT customer_id,
                   (SELECT max(last) FROM g) - last AS recency_days,
                   n AS frequency, spend AS monetary,
                   (SELECT max(last) FROM g) - first AS tenure_days,
                   spend / n AS avg_order_value,
                   CASE WHEN n > 1 THEN (last - first) / (n - 1) END AS interpurchase_days
            FROM g
            """
        ).df()
    aggregated = time.perf_counter() - started
    features = frame.drop(columns="customer_id").fillna(0.0).to_numpy(float)
    x = StandardScaler().fit_transform(features)
    labels = KMeans(n_clusters=K, n_init=4, random_state=0).fit_predict(x)
    frame["segment"] = labels
    frame.groupby("segment").mean(numeric_only=True)
    return {
        "wall_s": time.perf_counter() - started,
        "aggregate_s": aggregated,
        "customers": len(frame),
        "sizes": sorted(frame["segment"].value_counts().tolist(), reverse=True),
        "peak_mb": peak_mb(),
    }


def _child(variant: str, path: Path, memory: str) -> dict[str, object]:
    return run_child(__file__, variant, "--path", str(path), "--memory", memory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--customers", type=int, default=2_000_000)
    parser.add_argument("--memory", default="4GB", help="DuckDB memory limit in both variants")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    variants = ["segments", "segments-keep-repeats", "reference"]
    parser.add_argument("--child", choices=variants, help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    if args.child:
        if args.child == "reference":
            outcome = run_reference(args.path, args.memory)
        else:
            keep = args.child == "segments-keep-repeats"
            outcome = run_segments(args.path, args.memory, drop_repeats=not keep)
        print(json.dumps(outcome))
        return

    directory = args.data_dir or Path(tempfile.gettempdir()) / "persona-bench"
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    path = make_log(args.rows, args.customers, directory)
    print(
        f"data: {args.rows:,} purchases of up to {args.customers:,} customers, "
        f"{path.stat().st_size / 1e6:.0f} MB Parquet ({time.perf_counter() - started:.1f} s to "
        f"make or find); {os.cpu_count()} CPUs; DuckDB memory limit {args.memory}"
    )
    results = {
        name: _child(name, path, args.memory)
        for name in ("segments", "segments-keep-repeats", "reference")
    }
    report: dict[str, object] = {"rows": args.rows, "memory_limit": args.memory}
    print("\n| variant | wall s | aggregation s | peak MB | customers | segment sizes |")
    print("|---|---:|---:|---:|---:|---|")
    for name, outcome in results.items():
        print(
            f"| {name} | {outcome['wall_s']:.1f} | {outcome['aggregate_s']:.1f} | "
            f"{outcome['peak_mb']:.0f} | {outcome['customers']:,} | {outcome['sizes']} |"
        )
        report[name] = outcome
    print(f"segments stages (s): {results['segments']['stages_s']}")
    for name in ("segments", "segments-keep-repeats"):
        ratio = float(results[name]["wall_s"]) / float(results["reference"]["wall_s"])
        memory = float(results[name]["peak_mb"]) / float(results["reference"]["peak_mb"])
        report[f"{name}_ratio"] = ratio
        report[f"{name}_memory_ratio"] = memory
        print(f"ratio {name} / reference: wall {ratio:.2f}, peak memory {memory:.2f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
