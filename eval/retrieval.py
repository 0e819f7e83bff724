"""Retrieval quality of the knowledge base on the Northwind sample documents.

Ingests ``persona/sample_data/documents`` into a throw-away workspace, asks
labelled questions and reports recall@1, recall@5 and MRR (plain similarity
and MMR), with the rank of the first relevant chunk for every question.

A label is a (file, phrase) pair, not a chunk id: a retrieved chunk is relevant
when it comes from that file and contains the phrase (case and whitespace
ignored). Labels then survive changes of chunk size or IDs, and a question may
list several acceptable sources.

Usage::

    python eval/retrieval.py                      # local all-MiniLM-L6-v2
    python eval/retrieval.py --embeddings hash    # model-free baseline
    python eval/retrieval.py --out eval/out/retrieval.md

Writes a Markdown report (default ``eval/out/retrieval.md``); never gates CI.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TENT = "product-trailhead-family-tent-6.html"
JACKET = "product-summit-pro-stormweave-jacket.html"
BACKPACK = "product-cityline-commuter-backpack.html"
RETURNS = "returns-policy.html"
LOYALTY = "trail-club-loyalty-programme.md"
FAQ = "faq.txt"
BROCHURE = "brochure-aw26.pdf"
RESEARCH = "market-research-segments-2026.pdf"
SUPPORT = "support-notes-q3-2026.docx"


@dataclass(frozen=True)
class Case:
    """A question and the (file, phrase) sources that answer it."""

    question: str
    sources: tuple[tuple[str, str], ...]


def _case(question: str, *sources: tuple[str, str]) -> Case:
    return Case(question, sources)


CASES: list[Case] = [
    _case("How heavy is the Trailhead tent when packed?", (TENT, "11.2 kg")),
    _case("How long does it take to put up the family tent?", (TENT, "12 minutes")),
    _case(
        "Can I rent a tent before I decide to buy one?",
        (TENT, "Hire before you buy"),
        (FAQ, "Can I hire gear"),
    ),
    _case("How waterproof is the StormWeave shell?", (JACKET, "28,000 mm")),
    _case("Will you mend my Summit Pro jacket for free?", (JACKET, "free lifetime repairs")),
    _case("How often should a waterproof jacket be re-proofed?", (JACKET, "20 to 30 washes")),
    _case("Can I book a fitting for a mountain jacket?", (JACKET, "20-minute fitting")),
    _case("Does a 16 inch laptop fit in the commuter bag?", (BACKPACK, "16-inch laptop")),
    _case(
        "When are new Cityline colours released in the app?",
        (BACKPACK, "first Thursday of each month"),
        (BROCHURE, "first Thursday of each month"),
    ),
    _case("How many days do I have to send something back?", (RETURNS, "within 60 days")),
    _case(
        "Can I return walking boots I have already worn outdoors?", (RETURNS, "Wear it, test it")
    ),
    _case("How quickly is my money refunded after a return?", (RETURNS, "within 5 working days")),
    _case("Do I pay for returning an item by post?", (RETURNS, "£2.95")),
    _case("Can clearance items be returned?", (RETURNS, "final sale")),
    _case(
        "How many loyalty points do I get for each pound I spend?",
        (LOYALTY, "1 point for every £1"),
    ),
    _case("What must I spend to reach the top Trail Club tier?", (LOYALTY, "Spend £750 in a year")),
    _case("When do my Trail Club points run out?", (LOYALTY, "24 months")),
    _case("Is there an offer to win back customers who stopped buying?", (LOYALTY, "We miss you")),
    _case("Do children's clothes earn extra points?", (LOYALTY, "triple points")),
    _case("What does next-day delivery cost?", (FAQ, "£6.95")),
    _case("Do you ship orders to Europe?", (FAQ, "EU in 5 to 8 working days")),
    _case("Is there a discount for students?", (FAQ, "Students get 10%")),
    _case(
        "Will you match a lower price from another shop?",
        (FAQ, "refund the difference"),
        (TENT, "refund the difference"),
    ),
    _case(
        "What happens to old gear I bring back to a store?",
        (FAQ, "Renew is our take-back scheme"),
        (BROCHURE, "Renew take-back scheme"),
    ),
    _case("Can I spread the cost of a big order over several payments?", (FAQ, "interest-free")),
    _case(
        "How can I pay without queuing at the till?",
        (FAQ, "Scan-and-go"),
        (BROCHURE, "scan-and-go"),
    ),
    _case(
        "In which cities does Northwind have shops?", (BROCHURE, "Keswick, Ambleside, Manchester")
    ),
    _case("When and where was the company started?", (BROCHURE, "Founded in Keswick in 1998")),
    _case("What new features are coming in the next app version?", (BROCHURE, "gear locker")),
    _case("How many items were repaired last year?", (BROCHURE, "23,400")),
    _case("How much does a guided family camping weekend cost?", (BROCHURE, "£89 per weekend")),
    _case("How many people answered the 2026 customer survey?", (RESEARCH, "1,204")),
    _case(
        "Why do experienced climbers shop with Northwind instead of marketplaces?",
        (RESEARCH, "expert advice is why they buy"),
        (JACKET, "expert advice is the main reason"),
    ),
    _case(
        "Why did former sale shoppers stop buying from us?",
        (RESEARCH, "delivery costs as the main reason"),
        (RESEARCH, "free-delivery threshold"),
    ),
    _case("How do young city customers prefer to shop?", (RESEARCH, "shop mainly in the app")),
    _case("How often do long-standing store customers visit?", (RESEARCH, "six times a year")),
    _case(
        "What did the research recommend about delivery charges?",
        (RESEARCH, "Reinstate free delivery"),
    ),
    _case(
        "What is the most common reason people contact customer support?",
        (SUPPORT, "Where is my order"),
    ),
    _case("What was the problem with the tent poles this summer?", (SUPPORT, "snaps at the hub")),
    _case("Which version of the Android app crashed during checkout?", (SUPPORT, "Version 5.2")),
    _case(
        "Are support agents allowed to waive delivery fees?", (SUPPORT, "waive the £3.95 charge")
    ),
    _case(
        "What did regular customers in Keswick complain about?", (SUPPORT, "shorter opening hours")
    ),
    _case("How long did customers wait for repairs at Ambleside?", (SUPPORT, "three weeks")),
    _case(
        "What do budget-conscious parents value most?",
        (RESEARCH, "bundles, price match, hire before you buy"),
    ),
]


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _relevant(case: Case, filename: str, text: str) -> bool:
    body = _normal(text)
    return any(filename == f and _normal(p) in body for f, p in case.sources)


@dataclass
class Outcome:
    case: Case
    rank: int | None  # 1-based rank of the first relevant chunk in the top k, or None
    top: str  # source of the first result


def run(embeddings: str, k: int, mmr: bool, workspace: Path) -> tuple[list[Outcome], float]:
    """Ask every question once; return outcomes and the mean query time in seconds."""
    from persona.config import Settings
    from persona.knowledge import search
    from persona.store import Store

    settings = Settings(home=workspace, embeddings=embeddings)  # type: ignore[arg-type]
    store = Store(settings.database_path)
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    for case in CASES:
        hits = search(store, settings, case.question, k=k, mmr=mmr)
        rank = next(
            (i for i, hit in enumerate(hits, 1) if _relevant(case, hit.filename, hit.text)), None
        )
        outcomes.append(Outcome(case, rank, hits[0].source if hits else "-"))
    return outcomes, (time.perf_counter() - started) / len(CASES)


def _metrics(outcomes: list[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    return {
        "recall@1": sum(o.rank == 1 for o in outcomes) / n,
        "recall@5": sum(o.rank is not None and o.rank <= 5 for o in outcomes) / n,
        "mrr@5": sum(1 / o.rank for o in outcomes if o.rank) / n,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Recall@5 of the knowledge base.")
    parser.add_argument("--embeddings", choices=["local", "hash", "openai"], default="local")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "retrieval.md")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from persona.config import Settings
    from persona.knowledge import add_documents, close_clients
    from persona.knowledge.sample_docs import sample_documents_path
    from persona.store import Store

    with tempfile.TemporaryDirectory(prefix="persona-eval-") as folder:
        workspace = Path(folder)
        settings = Settings(home=workspace, embeddings=args.embeddings)
        store = Store(settings.database_path)
        started = time.perf_counter()
        reports = add_documents(store, settings, [sample_documents_path()])
        ingest_s = time.perf_counter() - started
        n_chunks = sum(r.n_chunks for r in reports)
        plain, plain_s = run(args.embeddings, 5, False, workspace)
        diverse, diverse_s = run(args.embeddings, 5, True, workspace)
        store.close()
        close_clients(settings)

    m_plain, m_mmr = _metrics(plain), _metrics(diverse)
    lines = [
        "# Retrieval evaluation: Northwind sample documents",
        "",
        f"- Embeddings: `{args.embeddings}`; {len(reports)} documents, {n_chunks} chunks "
        f"(ingest {ingest_s:.1f} s including model load)",
        f"- Questions: {len(CASES)} labelled question → (file, phrase) pairs",
        "",
        "| retrieval | recall@1 | recall@5 | MRR@5 | mean query time |",
        "|---|---|---|---|---|",
        f"| similarity | {m_plain['recall@1']:.3f} | **{m_plain['recall@5']:.3f}** | "
        f"{m_plain['mrr@5']:.3f} | {plain_s * 1000:.0f} ms |",
        f"| MMR (fetch 20, λ 0.5) | {m_mmr['recall@1']:.3f} | {m_mmr['recall@5']:.3f} | "
        f"{m_mmr['mrr@5']:.3f} | {diverse_s * 1000:.0f} ms |",
        "",
        "## Per question (similarity)",
        "",
        "| # | question | rank | top result |",
        "|---|---|---|---|",
    ]
    for number, outcome in enumerate(plain, 1):
        rank = str(outcome.rank) if outcome.rank else "miss"
        lines.append(f"| {number} | {outcome.case.question} | {rank} | {outcome.top} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"{args.embeddings}: recall@5 {m_plain['recall@5']:.3f} (MMR {m_mmr['recall@5']:.3f}), "
        f"recall@1 {m_plain['recall@1']:.3f}, {len(CASES)} questions -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
