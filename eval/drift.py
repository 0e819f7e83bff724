"""Segments over time: planted changes found, false alerts on no-change snapshots, a real log.

    python eval/drift.py [--out eval/out/drift.md] [--seeds 20]

* **Planted change** (sample generator, 2,000 customers): segment the first
  snapshot, refresh with :func:`segments.sample.make_snapshot` (40 % of Loyal store
  regulars lapse, returns rate +0.04 for everyone, 2 % leave, 3 % arrive); are the
  planted changes the top alerts?
* **No change**, ``--seeds`` snapshots of the same customers drawn again
  (``change=False``): how many raise any alert (the false-alert rate)?
* **Real log**: the CDNOW sample (``lifetimes``) cut at 39 weeks (1997-09-30):
  segment the first 39 weeks, refresh with all 78; the matrix must sum to the
  customers present in both; the matrix and the alerts are printed.

Everything runs through the product's own functions in a temporary workspace.
It measures; it never fails a build.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CUT = 19970930


def _services(home: Path, project: str):  # type: ignore[no-untyped-def]
    from persona.config import load_settings
    from persona.services import Services

    return Services(load_settings({"PERSONA_HOME": str(home), "PERSONA_PROJECT": project}))


def _matrix(report, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
    counts = report.migration.counts
    head = ["from \\ to", *map(str, counts.columns)]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in counts.index:
        label = str(row) if isinstance(row, str) else f"{row} {report.labels.get(row, '')}"
        lines.append(
            f"| {label[:50]} | " + " | ".join(f"{int(v):,}" for v in counts.loc[row]) + " |"
        )
    lines.append("")


def _planted(home: Path, lines: list[str], seeds: int) -> None:
    from persona.refresh import refresh
    from persona.segmentation import run_segmentation
    from segments.sample import PLANTED_DRIFT, PLANTED_GROWTH, make_customers, make_snapshot

    first, truth = make_customers(2000, 0)
    path = home / "customers.csv"
    first.to_csv(path, index=False, date_format="%Y-%m-%d")
    services = _services(home, "planted")
    started = time.perf_counter()
    run = run_segmentation(services, path)
    fit_seconds = time.perf_counter() - started
    labels = run.result.labels.to_numpy()
    # The fitted segment holding most of the customers the change moves them into.
    target = PLANTED_GROWTH[1]
    inside = {s: int(((labels == s) & (truth.to_numpy() == target)).sum()) for s in set(labels)}
    grown = max(inside, key=lambda s: inside[s])
    later, _ = make_snapshot(2000, 0, change=True)
    later_path = home / "planted.csv"
    later.to_csv(later_path, index=False, date_format="%Y-%m-%d")
    started = time.perf_counter()
    report = refresh(services, later_path)
    seconds = time.perf_counter() - started
    top = report.alerts[:3]
    growth_found = any(a.kind == "share" and a.segment == grown and "grew" in a.text for a in top)
    drift_found = any(a.feature == PLANTED_DRIFT[0] for a in top)
    lines += [
        "## Planted change (sample, 2,000 customers)",
        "",
        f"Segmented in {fit_seconds:.1f} s; refresh took {seconds:.2f} s. Planted: "
        f"{PLANTED_GROWTH[2]:.0%} of {PLANTED_GROWTH[0]} lapse into {PLANTED_GROWTH[1]} "
        f"(segment {grown}); {PLANTED_DRIFT[0]} +{PLANTED_DRIFT[1]}; 2 % leave, 3 % arrive.",
        "",
        f"* growth of segment {grown} among the top 3 alerts: "
        f"**{'yes' if growth_found else 'no'}**",
        f"* drift of {PLANTED_DRIFT[0]} among the top 3 alerts: "
        f"**{'yes' if drift_found else 'no'}**",
        f"* customers: {report.customers}",
        "",
        "Alerts, ranked:",
        "",
        *(f"{i}. {a.text} (severity {a.severity:.2f})" for i, a in enumerate(report.alerts, 1)),
        "",
    ]
    _matrix(report, lines)
    _no_change(services, home, lines, seeds)


def _no_change(services, home: Path, lines: list[str], seeds: int) -> None:  # type: ignore[no-untyped-def]
    from persona.refresh import refresh
    from segments.sample import make_snapshot

    # Compared with the segmentation's own snapshot, not the planted one above.
    services = _services(home, "nochange")
    from persona.segmentation import run_segmentation

    run_segmentation(services, home / "customers.csv")
    raised, texts, worst = 0, [], 0.0
    for seed in range(1, seeds + 1):
        frame, _ = make_snapshot(2000, 0, change=False, snapshot_state=seed)
        path = home / f"same_{seed}.csv"
        frame.to_csv(path, index=False, date_format="%Y-%m-%d")
        report = refresh(services, path)
        overall = max((d.psi for d in report.drift if d.segment is None), default=0.0)
        worst = max(worst, overall)
        if report.alerts:
            raised += 1
            texts.extend(a.text for a in report.alerts)
    lines += [
        f"## No change ({seeds} seeds, same customers drawn again)",
        "",
        f"Snapshots raising any alert: **{raised} of {seeds}** "
        f"(false-alert rate {raised / seeds:.0%}); largest overall PSI of any feature "
        f"{worst:.3f}.",
        "",
        *(f"* {t}" for t in texts[:10]),
        "",
    ]


def _real_log(home: Path, lines: list[str]) -> None:
    from persona.refresh import refresh
    from persona.segmentation import run_segmentation
    from tests.support.real_data import cdnow_log

    log = cdnow_log()
    first = home / "cdnow_39w.csv"
    everything = home / "cdnow_78w.csv"
    log[log["order_date"] <= CUT].to_csv(first, index=False)
    log.to_csv(everything, index=False)
    services = _services(home, "cdnow")
    run = run_segmentation(services, first)
    report = refresh(services, everything)
    total = int(report.migration.counts.to_numpy().sum())
    in_both = report.customers["in_both"]
    matrix_both = int(report.migration.counts.drop(index="new", columns="gone").to_numpy().sum())
    lines += [
        "## Real log: CDNOW, first 39 weeks → all 78",
        "",
        f"Segmented {run.result.n_customers:,} customers (k={run.result.k}, "
        f"{run.result.algorithm}); the refresh has {report.n_customers:,}. "
        f"Customers: {report.customers}. The matrix without new/gone sums to "
        f"{matrix_both:,} (in both: {in_both:,}: "
        f"**{'equal' if matrix_both == in_both else 'DIFFERENT'}**); all cells {total:,}.",
        "",
    ]
    _matrix(report, lines)
    lines += ["PSI across all customers:", ""]
    lines += [
        f"* {d.feature}: {d.psi:.3f} ({d.band})"
        for d in sorted(report.drift, key=lambda d: -d.psi)
        if d.segment is None
    ]
    lines += ["", "Alerts, ranked:", ""]
    lines += [f"{i}. {a.text}" for i, a in enumerate(report.alerts, 1)] or ["(none)"]
    if report.refit_reasons:
        lines += ["", "Re-fit advised: " + "; ".join(report.refit_reasons)]
    lines.append("")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "drift.md")
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    lines = ["# Segments over time: refresh, drift and alerts", ""]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        _planted(home, lines, args.seeds)
        _real_log(home, lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
