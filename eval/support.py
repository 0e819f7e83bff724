"""Calibrate the support check: MiniLM similarity of a claim and its cited evidence.

Run ``python eval/support.py``. It scores the hand-labelled pairs of
``eval/data/support_pairs.csv`` (claims about the sample's segments against the
statistic or document sentence they cite; ``supported`` is 1 when the evidence
says what the claim says) with the local MiniLM model, and reports precision and
recall of "supported" at each threshold and at :data:`persona.evidence.SUPPORT_THRESHOLD`.

Writes ``eval/out/support.md`` and ``eval/out/support.json``. Never gates CI.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running as a script from a checkout
    sys.path.insert(0, str(ROOT))

from persona.config import Settings  # noqa: E402
from persona.evidence import SUPPORT_THRESHOLD, support_many  # noqa: E402
from persona.knowledge.embed import make_embedding_function  # noqa: E402

PAIRS = ROOT / "eval" / "data" / "support_pairs.csv"
OUT = ROOT / "eval" / "out"


def scores() -> list[tuple[float, bool]]:
    """``(similarity, labelled supported)`` per pair."""
    with PAIRS.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    embed = make_embedding_function(Settings(embeddings="local"))
    results = support_many([(r["text"], [r["evidence"]]) for r in rows], embed)
    return [(r.score, row["supported"] == "1") for r, row in zip(results, rows, strict=True)]


def precision_recall(scored: list[tuple[float, bool]], threshold: float) -> tuple[float, float]:
    """Precision and recall of "supported" at ``threshold``."""
    predicted = [label for score, label in scored if score >= threshold]
    positives = sum(label for _s, label in scored)
    hits = sum(predicted)
    precision = hits / len(predicted) if predicted else 1.0
    return precision, hits / positives if positives else 0.0


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    scored = scores()
    table = []
    for step in range(20, 71, 5):
        threshold = step / 100
        precision, recall = precision_recall(scored, threshold)
        table.append({"threshold": threshold, "precision": precision, "recall": recall})
    chosen = precision_recall(scored, SUPPORT_THRESHOLD)
    OUT.mkdir(parents=True, exist_ok=True)
    payload = {
        "pairs": len(scored),
        "supported": sum(label for _s, label in scored),
        "threshold": SUPPORT_THRESHOLD,
        "precision": chosen[0],
        "recall": chosen[1],
        "table": table,
    }
    (OUT / "support.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    lines = [
        "## Support check calibration",
        "",
        f"{len(scored)} hand-labelled claim/evidence pairs from the sample "
        f"({payload['supported']} supported), all-MiniLM-L6-v2 cosine similarity.",
        f"Threshold in use: **{SUPPORT_THRESHOLD}**: precision {chosen[0]:.0%}, "
        f"recall {chosen[1]:.0%}.",
        "",
        "| threshold | precision | recall |",
        "|---:|---:|---:|",
        *(f"| {r['threshold']:.2f} | {r['precision']:.0%} | {r['recall']:.0%} |" for r in table),
        "",
    ]
    (OUT / "support.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
