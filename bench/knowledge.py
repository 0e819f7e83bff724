"""Knowledge-base benchmarks, each against a reference measured in the same run.

1. Ingest throughput. Synthetic Markdown documents go through
   ``persona.knowledge.add_documents`` (read, clean, scrub, chunk, embed, SQLite,
   Chroma). The reference embeds exactly the same chunk texts with raw
   sentence-transformers ``encode`` and adds them with a raw Chroma
   ``collection.add``. Reported: chunks/s of both and their ratio (target >= 0.8).
2. Query latency of ``persona.knowledge.search`` (query embedding, Chroma, the
   SQLite lookup of texts and citations) at 10,000 and 100,000 chunks, p50/p95,
   next to the raw Chroma query with a precomputed vector.

Filling an index with 100,000 real embeddings would take about an hour on two
CPU cores, so the latency indexes hold ``--base`` real chunk embeddings plus
perturbed copies of them (Gaussian noise, renormalised). The HNSW index and the
SQLite tables are full size; only the vectors' provenance is synthetic.

Usage::

    python bench/knowledge.py                                   # full run
    python bench/knowledge.py --ingest-chunks 300 --sizes 2000  # quick run
    python bench/knowledge.py --embeddings hash                 # no model (plumbing only)

Writes Markdown to ``bench/results/knowledge.md`` (``--out``) and prints a summary.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from persona.config import Settings  # noqa: E402
from persona.knowledge import add_documents, close_clients, search  # noqa: E402
from persona.knowledge.chunk import embedding_text  # noqa: E402
from persona.knowledge.embed import PersonaEmbeddingFunction, make_embedding_function  # noqa: E402
from persona.knowledge.index import IndexedChunk, open_index  # noqa: E402
from persona.store import Store, utc_now  # noqa: E402

_SUBJECTS = [
    "The family tent", "Our waterproof jacket", "The commuter backpack", "Trail Club members",
    "The repair bench", "Click and collect", "The returns team", "Budget families",
    "Premium adventurers", "The Northwind app", "Store regulars", "The Renew scheme",
    "Next-day delivery", "The walking boot", "Little Explorers kit", "The price match",
]  # fmt: skip
_VERBS = [
    "keeps", "helps", "costs less for", "is popular with", "was redesigned for", "protects",
    "saves time for", "is recommended to", "disappointed", "was reviewed by",
]  # fmt: skip
_OBJECTS = [
    "children on wet campsites", "climbers in winter", "cyclists after dark",
    "customers who compare prices", "members who visit every month", "first-time campers",
    "shoppers who use scan-and-go", "walkers on long trails", "students in the city",
    "parents during school holidays", "people who repair rather than replace",
]  # fmt: skip
_QUERIES = [
    "how long do refunds take", "waterproof jacket for winter climbing", "family tent weight",
    "app checkout problems", "loyalty points expiry", "free delivery threshold",
    "repair my rucksack strap", "student discount", "click and collect times",
    "why customers stopped buying", "kids clothing points", "tent hire price",
]  # fmt: skip


def _paragraph(rng: random.Random) -> str:
    sentences = [
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
        f"(note {rng.randrange(10**6)})."
        for _ in range(rng.randint(4, 8))
    ]
    return " ".join(sentences)


def write_documents(folder: Path, n_chunks: int, seed: int = 7) -> list[Path]:
    """Markdown files that chunk into roughly ``n_chunks`` chunks in total."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    per_doc = 10
    for number in range(max(1, n_chunks // per_doc)):
        sections = [
            f"## Section {s}\n\n{_paragraph(rng)}\n\n{_paragraph(rng)}\n" for s in range(per_doc)
        ]
        path = folder / f"doc-{number:04d}.md"
        path.write_text(f"# Document {number}\n\n" + "\n".join(sections), encoding="utf-8")
        paths.append(path)
    return paths


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# --------------------------------------------------------------------------- ingest


def _pipeline_run(embeddings: str, paths: list[Path], home: Path) -> tuple[float, Store]:
    settings = Settings(home=home, embeddings=embeddings)  # type: ignore[arg-type]
    store = Store(settings.database_path)
    started = time.perf_counter()
    add_documents(store, settings, paths)
    elapsed = time.perf_counter() - started
    close_clients(settings)
    return elapsed, store


def _reference_run(
    embedder: PersonaEmbeddingFunction, embeddings: str, ids: list[str], texts: list[str],
    path: Path,
) -> float:  # fmt: skip
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.create_collection(
        "raw", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    started = time.perf_counter()
    if embeddings == "local":
        model = embedder.model  # type: ignore[attr-defined]
        vectors = model.encode(texts, batch_size=64, normalize_embeddings=True)
    else:
        vectors = np.asarray(embedder(texts))
    batch = client.get_max_batch_size()
    for start in range(0, len(ids), batch):
        collection.add(
            ids=ids[start : start + batch],
            embeddings=vectors[start : start + batch],
            documents=texts[start : start + batch],
        )
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed


def bench_ingest(embeddings: str, n_chunks: int, repeat: int, workdir: Path) -> dict[str, Any]:
    """Pipeline and reference alternate ``repeat`` times; the fastest of each counts
    (other processes on a shared machine only ever add time)."""
    embedder = make_embedding_function(
        Settings(home=workdir / "probe", embeddings=embeddings)  # type: ignore[arg-type]
    )
    embedder(["warm up the model before any clock starts"])
    paths = write_documents(workdir / "docs", n_chunks)
    pipeline_times: list[float] = []
    reference_times: list[float] = []
    chunks = 0
    for run in range(repeat):
        elapsed, store = _pipeline_run(embeddings, paths, workdir / f"ingest-{run}")
        pipeline_times.append(elapsed)
        rows = store.query("SELECT id, text, heading FROM chunks ORDER BY document_id, ordinal")
        store.close()
        texts = [embedding_text(r["text"], r["heading"]) for r in rows]
        ids = [r["id"] for r in rows]
        chunks = len(ids)
        reference_times.append(
            _reference_run(embedder, embeddings, ids, texts, workdir / f"raw-{run}")
        )
    pipeline_s, raw_s = min(pipeline_times), min(reference_times)
    pipeline_rate, raw_rate = chunks / pipeline_s, chunks / raw_s
    return {
        "documents": len(paths),
        "chunks": chunks,
        "repeat": repeat,
        "pipeline_s": pipeline_s,
        "raw_s": raw_s,
        "pipeline_all": pipeline_times,
        "raw_all": reference_times,
        "pipeline_rate": pipeline_rate,
        "raw_rate": raw_rate,
        "ratio": pipeline_rate / raw_rate,
    }


# --------------------------------------------------------------------------- latency


def _fill(
    store: Store,
    settings: Settings,
    embedder: PersonaEmbeddingFunction,
    size: int,
    base_texts: list[str],
    base_vectors: np.ndarray,
    rng: np.random.Generator,
) -> None:
    project_id = store.project_id(settings.project)
    index = open_index(store, settings, project_id, embedder, create=True)
    assert index is not None
    per_doc = 100
    added = utc_now()
    for doc_start in range(0, size, per_doc * 50):
        rows_docs = []
        rows_chunks = []
        indexed: list[IndexedChunk] = []
        vectors = []
        for doc in range(doc_start // per_doc, min(size, doc_start + per_doc * 50) // per_doc):
            rows_docs.append((doc + 1, project_id, f"doc-{doc}.md", f"sha{doc}", "text/markdown",
                              None, per_doc, "{}", added))  # fmt: skip
            for ordinal in range(per_doc):
                number = doc * per_doc + ordinal
                source = number % len(base_texts)
                chunk_id = f"c{number:07d}"
                text = base_texts[source]
                rows_chunks.append((chunk_id, doc + 1, project_id, ordinal, text, None, None, ""))
                indexed.append(
                    IndexedChunk(
                        chunk_id,
                        text,
                        {"project_id": project_id, "document_id": doc + 1, "ordinal": ordinal},
                    )
                )
                vector = base_vectors[source]
                if number >= len(base_texts):
                    vector = vector + rng.normal(0.0, 0.05, vector.shape).astype(np.float32)
                    vector = vector / np.linalg.norm(vector)
                vectors.append(vector)
        with store.transaction() as db:
            db.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows_docs)
            db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows_chunks)
        index.add(indexed, vectors)


def bench_latency(
    embeddings: str, sizes: list[int], base: int, n_queries: int, workdir: Path
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(11)
    texts_rng = random.Random(3)
    base_texts = [_paragraph(texts_rng)[:700] for _ in range(base)]
    probe = Settings(home=workdir / "probe", embeddings=embeddings)  # type: ignore[arg-type]
    embedder = make_embedding_function(probe)
    base_vectors = np.asarray(embedder(base_texts), dtype=np.float32)
    queries = [_QUERIES[i % len(_QUERIES)] + f" {i}" for i in range(n_queries)]
    query_vectors = embedder(queries)
    results = []
    for size in sizes:
        settings = Settings(home=workdir / f"latency-{size}", embeddings=embeddings)  # type: ignore[arg-type]
        store = Store(settings.database_path)
        started = time.perf_counter()
        _fill(store, settings, embedder, size, base_texts, base_vectors, rng)
        fill_s = time.perf_counter() - started
        search(store, settings, "warm up", k=5)
        full: list[float] = []
        for query in queries:
            t0 = time.perf_counter()
            hits = search(store, settings, query, k=5)
            full.append(time.perf_counter() - t0)
            assert len(hits) == 5
        index = open_index(store, settings, store.project_id("default"), embedder, create=False)
        assert index is not None
        embed: list[float] = []
        for query in queries:
            t0 = time.perf_counter()
            embedder.embed_query([query])
            embed.append(time.perf_counter() - t0)
        raw: list[float] = []
        for vector in query_vectors:
            t0 = time.perf_counter()
            index.collection.query(query_embeddings=[vector], n_results=5)
            raw.append(time.perf_counter() - t0)
        results.append(
            {
                "size": size,
                "fill_s": fill_s,
                "p50": _percentile(full, 50),
                "p95": _percentile(full, 95),
                "embed_p50": _percentile(embed, 50),
                "raw_p50": _percentile(raw, 50),
                "raw_p95": _percentile(raw, 95),
                "mean": statistics.fmean(full),
            }
        )
        store.close()
        close_clients(settings)
    return results


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--embeddings", choices=["local", "hash"], default="local")
    parser.add_argument("--ingest-chunks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2, help="alternating ingest runs")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated chunk counts")
    parser.add_argument("--base", type=int, default=2000, help="real embeddings per index")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "knowledge.md")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    lines = [
        "# Knowledge-base benchmark",
        "",
        f"- Embeddings: `{args.embeddings}`; machine: {_machine()}",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="persona-bench-") as folder:
        workdir = Path(folder)
        if not args.skip_ingest:
            ingest = bench_ingest(args.embeddings, args.ingest_chunks, args.repeat, workdir)
            lines += [
                "## Ingest throughput",
                "",
                "| run | chunks | seconds | chunks/s |",
                "|---|---|---|---|",
                f"| persona.knowledge.add_documents ({ingest['documents']} Markdown files) | "
                f"{ingest['chunks']} | {ingest['pipeline_s']:.2f} | "
                f"{ingest['pipeline_rate']:.1f} |",
                f"| reference: raw encode + raw Chroma add, same chunks | {ingest['chunks']} | "
                f"{ingest['raw_s']:.2f} | {ingest['raw_rate']:.1f} |",
                "",
                f"**Ratio pipeline / reference: {ingest['ratio']:.2f}** (target >= 0.80)",
                "",
                f"Fastest of {ingest['repeat']} alternating runs each; all runs (s): pipeline "
                + ", ".join(f"{t:.1f}" for t in ingest["pipeline_all"])
                + "; reference "
                + ", ".join(f"{t:.1f}" for t in ingest["raw_all"])
                + ".",
                "",
            ]
            print(
                f"ingest: {ingest['pipeline_rate']:.1f} chunks/s vs reference "
                f"{ingest['raw_rate']:.1f} chunks/s -> ratio {ingest['ratio']:.2f}"
            )
        if not args.skip_latency and sizes:
            latency = bench_latency(args.embeddings, sizes, args.base, args.queries, workdir)
            lines += [
                "## Query latency (k = 5)",
                "",
                f"{args.queries} queries per size; indexes hold {args.base} real embeddings plus "
                "perturbed copies (see the module docstring).",
                "",
                "| chunks | search() p50 | search() p95 | query embedding p50 "
                "| raw Chroma query p50 | raw p95 | fill |",
                "|---|---|---|---|---|---|---|",
            ]
            for row in latency:
                lines.append(
                    f"| {row['size']:,} | {row['p50'] * 1000:.1f} ms | {row['p95'] * 1000:.1f} ms "
                    f"| {row['embed_p50'] * 1000:.1f} ms "
                    f"| {row['raw_p50'] * 1000:.1f} ms | {row['raw_p95'] * 1000:.1f} ms | "
                    f"{row['fill_s']:.0f} s |"
                )
                print(
                    f"latency @ {row['size']:,}: p50 {row['p50'] * 1000:.1f} ms, "
                    f"p95 {row['p95'] * 1000:.1f} ms (query embedding p50 "
                    f"{row['embed_p50'] * 1000:.1f} ms, raw Chroma p50 "
                    f"{row['raw_p50'] * 1000:.1f} ms)"
                )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"-> {args.out}")
    return 0


def _machine() -> str:
    import os
    import platform

    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


if __name__ == "__main__":
    raise SystemExit(main())
