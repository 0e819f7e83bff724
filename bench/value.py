"""Benchmark: CLV (BG/NBD + Gamma-Gamma) on a large transaction log against a plain script.

    python bench/value.py                        # 1,000,000 customers, about 20M purchases
    python bench/value.py --customers 200000     # smaller

The log is drawn from the models themselves (numpy): each customer's purchase
rate λ ~ Gamma(r, α) and drop-out probability p ~ Beta(a, b); she buys at
exponential intervals from her first purchase and may drop out after each; the
spend per purchase is Gamma(p, ν) with ν ~ Gamma(q, γ). It is written to Parquet
once. Each variant then runs in its own subprocess, so its peak memory (max RSS)
is its own:

* ``segments``: ``read_table`` → ``log_columns`` → ``predict_value`` (summary, both
  fits, P(alive), expected purchases and spend, CLV per customer): ``persona clv``;
* ``reference``: ``pd.read_parquet`` → one ``groupby`` per customer and day →
  the BG/NBD and Gamma-Gamma log-likelihoods maximised with ``scipy.optimize``
  (L-BFGS-B on log-parameters) → the same per-customer predictions.

The report prints both fits next to the planted parameters: the two fits agree
to three digits; both sit a little off the planted values, because purchases on
the same day count as one purchase day (as the models are defined on days).
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

# Planted parameters (weeks): about 20 purchases per customer over the period.
PLANTED = {"r": 2.0, "alpha": 5.0, "a": 0.5, "b": 9.0, "p": 6.0, "q": 4.0, "v": 15.0}
WEEKS = 104
START = "2022-01-03"


def make_log(customers: int, directory: Path, seed: int = 0) -> Path:
    """Write a BG/NBD + Gamma-Gamma log of ``customers`` as Parquet (once per size)."""
    import numpy as np
    import pandas as pd

    path = directory / f"log_{customers}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    rate = rng.gamma(PLANTED["r"], 1 / PLANTED["alpha"], customers)
    drop = rng.beta(PLANTED["a"], PLANTED["b"], customers)
    scale = 1 / rng.gamma(PLANTED["q"], 1 / PLANTED["v"], customers)
    # First purchases spread over the first half of the period, so T varies.
    clock = rng.uniform(0, WEEKS / 2, customers)
    who, when = [np.arange(customers)], [clock.copy()]
    active = np.arange(customers)
    while active.size:
        clock[active] += rng.exponential(1 / rate[active])
        active = active[clock[active] <= WEEKS]
        who.append(active)
        when.append(clock[active])
        active = active[rng.random(active.size) >= drop[active]]
    ids = np.concatenate(who)
    weeks = np.concatenate(when)
    log = pd.DataFrame(
        {
            "customer_id": ids,
            "order_date": pd.Timestamp(START) + pd.to_timedelta(np.floor(weeks * 7), unit="D"),
            "amount": np.round(rng.gamma(PLANTED["p"], scale[ids]), 2),
        }
    )
    log.to_parquet(path, index=False)
    return path


def run_segments(path: Path) -> dict[str, object]:
    import segments
    from segments.logs import log_columns
    from segments.value import predict_value

    start = time.perf_counter()
    table = segments.read_table(path, max_bytes=1 << 34, max_rows=100_000_000)
    loaded = time.perf_counter()
    columns = log_columns(table.frame)
    options = {k: v for k, v in columns.options().items() if v is not None}
    report = predict_value(table.frame, **options, horizon=52.0)
    end = time.perf_counter()
    fitted = {**report.to_dict()["bgnbd"], **report.to_dict()["gamma_gamma"]}  # type: ignore[dict-item]
    return {
        "wall_s": end - start,
        "load_s": loaded - start,
        "customers": len(report.customers),
        "clv_total": float(report.customers["clv"].sum()),
        "params": {k: fitted[k] for k in PLANTED},
        "peak_mb": peak_mb(),
    }


def run_reference(path: Path) -> dict[str, object]:
    import numpy as np
    import pandas as pd
    from scipy import optimize, special

    start = time.perf_counter()
    log = pd.read_parquet(path)
    loaded = time.perf_counter()
    daily = log.groupby(["customer_id", "order_date"])["amount"].sum().reset_index()
    per = daily.groupby("customer_id").agg(
        first=("order_date", "min"), last=("order_date", "max"), n=("amount", "size"),
        total=("amount", "sum"), first_amount=("amount", "first"),
    )  # fmt: skip
    end_date = daily["order_date"].max()
    x = (per["n"] - 1).to_numpy(dtype="float64")
    t_x = ((per["last"] - per["first"]).dt.days / 7).to_numpy()
    T = ((end_date - per["first"]).dt.days / 7).to_numpy()
    m = np.where(x > 0, (per["total"] - per["first_amount"]).to_numpy() / np.maximum(x, 1), 0)

    def bgnbd_nll(lp: np.ndarray) -> float:
        r, alpha, a, b = np.exp(lp)
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.betaln(a, b + x) - special.betaln(a, b)
        a3 = -(r + x) * np.log(alpha + T)
        repeat = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x)
        a4 = np.where(x > 0, repeat, -np.inf)
        return -float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))

    buyers = (x > 0) & (m > 0)
    xb, mb = x[buyers], m[buyers]

    def gg_nll(lp: np.ndarray) -> float:
        p, q, v = np.exp(lp)
        return -float(np.sum(
            special.gammaln(p * xb + q) - special.gammaln(p * xb) - special.gammaln(q)
            + q * np.log(v) + (p * xb - 1) * np.log(mb) + p * xb * np.log(xb)
            - (p * xb + q) * np.log(v + mb * xb)
        ))  # fmt: skip

    with np.errstate(all="ignore"):
        r, alpha, a, b = np.exp(optimize.minimize(bgnbd_nll, np.zeros(4), method="L-BFGS-B").x)
        p, q, v = np.exp(
            optimize.minimize(gg_nll, np.log([1.0, 1.0, mb.mean()]), method="L-BFGS-B").x
        )
        alive = 1 / (1 + (x > 0) * (a / (b + x - 1)) * ((alpha + T) / (alpha + t_x)) ** (r + x))
        t = 52.0
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        purchases = (
            (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
        )
        purchases = purchases / (
            1 + (x > 0) * (a / (b + x - 1)) * ((alpha + T) / (alpha + t_x)) ** (r + x)
        )
        spend = np.where(buyers, p * (v + x * m) / (p * x + q - 1), p * v / (q - 1))
    clv = purchases * spend
    end = time.perf_counter()
    return {
        "wall_s": end - start,
        "load_s": loaded - start,
        "customers": len(per),
        "clv_total": float(np.nansum(clv)),
        "mean_p_alive": float(alive.mean()),
        "params": dict(zip(PLANTED, (r, alpha, a, b, p, q, v), strict=True)),
        "peak_mb": peak_mb(),
    }


def _child(variant: str, path: Path) -> dict[str, object]:
    return run_child(__file__, variant, "--path", str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    parser.add_argument("--child", choices=["segments", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    if args.child:
        run = run_segments if args.child == "segments" else run_reference
        print(json.dumps(run(args.path)))
        return

    import pandas as pd

    directory = args.data_dir or Path(tempfile.gettempdir()) / "persona-bench"
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    path = make_log(args.customers, directory)
    rows = pd.read_parquet(path, columns=["customer_id"]).shape[0]
    print(
        f"data: {args.customers:,} customers, {rows:,} purchases, "
        f"{path.stat().st_size / 1e6:.1f} MB Parquet ({time.perf_counter() - started:.1f} s "
        f"to make or find); {os.cpu_count()} CPUs"
    )
    results = {"segments": _child("segments", path), "reference": _child("reference", path)}
    report: dict[str, object] = {"customers": args.customers, "purchases": rows}
    print("\n| variant | wall s | load s | peak MB | total CLV (52 weeks) |")
    print("|---|---:|---:|---:|---:|")
    for name, outcome in results.items():
        print(
            f"| {name} | {outcome['wall_s']:.1f} | {outcome['load_s']:.1f} | "
            f"{outcome['peak_mb']:.0f} | {outcome['clv_total']:,.0f} |"
        )
        report[name] = outcome
    print("\n| parameter | planted | segments | reference |")
    print("|---|---:|---:|---:|")
    for key, planted in PLANTED.items():
        ours = results["segments"]["params"][key]  # type: ignore[index]
        theirs = results["reference"]["params"][key]  # type: ignore[index]
        print(f"| {key} | {planted:g} | {ours:.3f} | {theirs:.3f} |")
    ratio = float(results["segments"]["wall_s"]) / float(results["reference"]["wall_s"])
    memory = float(results["segments"]["peak_mb"]) / float(results["reference"]["peak_mb"])
    report["ratio"] = ratio
    report["memory_ratio"] = memory
    print(f"\nratio segments / reference: wall {ratio:.2f}, peak memory {memory:.2f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
