"""Segment recovery on the Northwind sample: ARI per algorithm, and the scorecard.

    python eval/segments.py [--out eval/out/segments.md] [--n 2000] [--seeds 0 1 2]

Writes a Markdown report; it measures, it never fails a build.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "segments.md")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    import segments
    from segments.sample import make_customers

    lines = [
        "# Segment recovery on the Northwind sample",
        "",
        f"Synthetic base of {args.n:,} customers with 5 planted segments "
        f"(`segments.sample.make_customers`), data seeds {args.seeds}. Adjusted Rand index "
        "(ARI) of the found segments against the planted ones; 1.0 is perfect, 0 is chance.",
        "",
        "| algorithm | k asked | k found (per seed) | ARI mean | ARI min | seconds (mean) |",
        "|---|---|---|---:|---:|---:|",
    ]
    runs = [
        ("kmeans", "auto"), ("gmm", "auto"), ("agglomerative", "auto"), ("hdbscan", "auto"),
        ("kmeans", 5), ("gmm", 5), ("agglomerative", 5),
    ]  # fmt: skip
    main_result = None
    for algorithm, k in runs:
        aris, ks, times = [], [], []
        for seed in args.seeds:
            frame, truth = make_customers(args.n, random_state=seed)
            started = time.perf_counter()
            result = segments.fit_segments(
                frame, k=k, algorithm=algorithm, id_column="customer_id", bootstrap=0,
                random_state=0,
            )  # fmt: skip
            times.append(time.perf_counter() - started)
            aris.append(adjusted_rand_score(truth, result.labels.to_numpy()))
            ks.append(result.k)
        lines.append(
            f"| {algorithm} | {k} | {', '.join(map(str, ks))} | {np.mean(aris):.3f} | "
            f"{np.min(aris):.3f} | {np.mean(times):.1f} |"
        )
    frame, truth = make_customers(args.n, random_state=args.seeds[0])
    main_result = segments.fit_segments(frame, k="auto", id_column="customer_id", random_state=0)
    lines += [
        "",
        f"## Scorecard: k-means, k=auto, data seed {args.seeds[0]}, 20 bootstrap resamples",
        "",
        "| criterion | verdict | value | explanation |",
        "|---|---|---:|---|",
    ]
    for name, criterion in main_result.scorecard.criteria.items():
        value = "" if criterion.value is None else f"{criterion.value:.3f}"
        lines.append(f"| {name} | {criterion.verdict} | {value} | {criterion.explanation} |")
    lines += [
        "",
        f"Assignment model (cross-validated accuracy): {main_result.assignment_accuracy:.3f}",
        "",
        "## Segments",
        "",
        "| # | label | share | planted segment (majority) | purity | "
        + " | ".join(segments.CRITERIA)
        + " |",
        "|---|---|---:|---|---:|" + "---|" * len(segments.CRITERIA),
    ]
    planted = truth.to_numpy()
    labels = main_result.labels.to_numpy()
    for profile in main_result.profiles:
        inside = planted[labels == profile.segment_id]
        values, counts = np.unique(inside, return_counts=True)
        majority = values[np.argmax(counts)]
        purity = counts.max() / counts.sum()
        verdicts = " | ".join(profile.scorecard[c].verdict for c in segments.CRITERIA)
        lines.append(
            f"| {profile.segment_id} | {profile.label} | {profile.share:.1%} | {majority} | "
            f"{purity:.3f} | {verdicts} |"
        )
    lines += ["", "## Rules", ""]
    for profile in main_result.profiles:
        for rule in profile.rules:
            lines.append(
                f"- segment {profile.segment_id}: `{rule.text}` (precision "
                f"{rule.precision:.2f}, recall {rule.recall:.2f})"
            )
    if main_result.warnings:
        lines += ["", "## Warnings", "", *[f"- {w}" for w in main_result.warnings]]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
