"""Calibrate the interview gate's relevance check on hand-labelled answers.

Run ``python -m eval.relevance``. ``eval/data/answer_relevance.csv`` holds 28
answers to interview questions put to a budget-family persona of the bundled
sample, each labelled by hand: does it address the question (1) or not (0: off
topic, chatbot talk, prompt echoes, loops). The evidence is the research notes'
"Budget families" section of the sample documents. For each threshold the
script reports precision and recall of "fails the check" against the label, for
the answer↔question similarity, the answer↔closest-evidence similarity, and the
gate's rule (either below its threshold). Writes ``eval/out/relevance.md``.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running as a script from a checkout
    sys.path.insert(0, str(ROOT))

from persona.config import Settings  # noqa: E402
from persona.evidence.sentences import split_sentences  # noqa: E402
from persona.interview.fallback import (  # noqa: E402
    MIN_ANSWER_EVIDENCE,
    MIN_ANSWER_RELEVANCE,
    relevance,
)
from persona.knowledge.embed import make_embedding_function  # noqa: E402

DATA = ROOT / "eval" / "data" / "answer_relevance.csv"
RESEARCH = ROOT / "persona" / "sample_data" / "documents" / "market-research-segments-2026.pdf"
OUT = ROOT / "eval" / "out"


def _evidence() -> list[str]:
    from pypdf import PdfReader

    page = PdfReader(RESEARCH).pages[1].extract_text()  # "Segment: Budget families"
    return split_sentences(page)


def _scores(flags: list[bool], labels: list[int]) -> tuple[float, float, float]:
    """Precision and recall of ``flags`` (fails the check) for off-topic answers; accuracy."""
    bad = [label == 0 for label in labels]
    caught = sum(f and b for f, b in zip(flags, bad, strict=True))
    precision = caught / sum(flags) if any(flags) else 1.0
    recall = caught / sum(bad) if any(bad) else 1.0
    accuracy = sum(f == b for f, b in zip(flags, bad, strict=True)) / len(labels)
    return precision, recall, accuracy


def main() -> int:
    """Measure and write the calibration table; returns the exit code."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    embed = make_embedding_function(Settings(embeddings="local"))
    evidence = _evidence()
    with DATA.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    labels = [int(r["addresses"]) for r in rows]
    measured = [relevance(r["question"], r["answer"], evidence, embed) for r in rows]
    lines = [
        "# Interview relevance check: calibration",
        "",
        f"{len(rows)} hand-labelled answers ({labels.count(0)} do not address the question), "
        f"{len(evidence)} evidence sentences; MiniLM (all-MiniLM-L6-v2). Precision and "
        "recall are for catching answers that do not address the question.",
        "",
        "| threshold | question: precision | recall | accuracy | evidence: precision | "
        "recall | accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for tenth in range(5, 45, 5):
        t = tenth / 100
        q = _scores([m.question < t for m in measured], labels)
        e = _scores([m.evidence < t for m in measured], labels)
        lines.append(
            f"| {t:.2f} | {q[0]:.0%} | {q[1]:.0%} | {q[2]:.0%} | {e[0]:.0%} | {e[1]:.0%} | "
            f"{e[2]:.0%} |"
        )
    rule = _scores([m.problem() is not None for m in measured], labels)
    lines += [
        "",
        f"Gate rule (question < {MIN_ANSWER_RELEVANCE} or evidence < {MIN_ANSWER_EVIDENCE}): "
        f"precision {rule[0]:.0%}, recall {rule[1]:.0%}, accuracy {rule[2]:.0%}.",
        "",
        "| addresses | question | evidence | answer |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['addresses']} | {m.question:.2f} | {m.evidence:.2f} | {r['answer'][:70]} |"
        for r, m in zip(rows, measured, strict=True)
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "relevance.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:18]))
    print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
