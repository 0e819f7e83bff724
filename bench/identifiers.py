"""Cost of remembering and masking known customer ids and names (``persona/identifiers.py``).

1. Recording. The identifier and personal columns of a synthetic customer table
   (``segments.sample.make_customers``: id, name, e-mail, phone, IBAN, address)
   are digested and inserted into SQLite, as ``run_segmentation`` does. The
   reference inserts the same columns' raw values into a plain table, the
   cheapest way to remember them. Reported: seconds, rows, database bytes, and
   the peak Python memory (tracemalloc) of both.
2. Masking. Document text (on-topic sentences with some customer ids and names
   mixed in) goes through ``KnownIdentifiers.scrub``; the reference is the
   pattern scrub ``persona.privacy.scrub_text`` every chunk already goes
   through; for scale, the same text is also embedded with the local MiniLM
   model, the step ingest spends its time on. Reported: words per second of all
   three and the ratios, and the load time of the digests.

Usage::

    python bench/identifiers.py                    # 1,000,000 customers
    python bench/identifiers.py --customers 100000 # quick run

Writes Markdown to ``bench/results/identifiers.md`` (``--out``) and prints it.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from persona.identifiers import identifier_rows, known_identifiers  # noqa: E402
from persona.privacy import scrub_text  # noqa: E402
from persona.repos.identifiers import project_salt, record_identifiers  # noqa: E402
from persona.store import Store  # noqa: E402
from segments.sample import make_customers  # noqa: E402

ROLES = {
    "customer_id": "identifier",
    "name": "personal",
    "email": "personal",
    "phone": "personal",
    "iban": "personal",
    "address": "personal",
}
SENTENCES = [
    "Refunds for returned jackets take up to 14 days after the parcel arrives.",
    "Price-conscious families wait for the autumn offers before they buy boots.",
    "The app shows stock in the nearest store and sends offers by notification.",
    "Delivery to the hills takes three working days; click and collect is free.",
]


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    """The result and wall seconds of ``work()``, untraced."""
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def _peak(work: Callable[[], Any]) -> int:
    """Peak bytes Python allocated during ``work()`` (traced: slower, so never timed)."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _file_size(store: Store) -> int:
    store.connection.execute("VACUUM")
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store.path.stat().st_size


def _document(frame: Any, words: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    ids, names = list(frame["customer_id"]), list(frame["name"])
    parts: list[str] = []
    count = 0
    while count < words:
        sentence = rng.choice(SENTENCES)
        if rng.random() < 0.1:
            sentence += f" Case of {rng.choice(names)} ({rng.choice(ids)})."
        parts.append(sentence)
        count += len(sentence.split())
    return " ".join(parts)


def _embedding_speed(text: str, words: int = 20_000) -> tuple[int, float]:
    """Words and seconds to embed the first ``words`` words of ``text`` in 800-char chunks."""
    from persona.config import Settings
    from persona.knowledge.embed import make_embedding_function

    sample = " ".join(text.split()[:words])
    chunks = [sample[i : i + 800] for i in range(0, len(sample), 800)]
    embedder = make_embedding_function(Settings(embeddings="local"))
    embedder(chunks[:4])  # load the model outside the timing
    started = time.perf_counter()
    embedder(chunks)
    return len(sample.split()), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run both measurements and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--words", type=int, default=200_000, help="words of document text")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "identifiers.md")
    args = parser.parse_args(argv)
    frame, _truth = make_customers(args.customers, random_state=0)
    columns = [c for c in ROLES if c in frame.columns]
    with tempfile.TemporaryDirectory(prefix="persona-bench-ids-") as tmp:
        folder = Path(tmp)

        def record(store: Store) -> int:
            # Each call in a fresh database: the timed run and the traced run both insert.
            project_id = store.project_id("bench")
            rows = identifier_rows(project_salt(store, project_id), frame, ROLES)
            with store.transaction() as db:
                record_identifiers(db, project_id, rows)
            return len(rows)

        def reference(store: Store) -> int:
            with store.transaction() as db:
                db.execute("CREATE TABLE raw_values (value TEXT PRIMARY KEY) WITHOUT ROWID")
                values = {str(v) for c in columns for v in frame[c].dropna()}
                db.executemany(
                    "INSERT OR IGNORE INTO raw_values VALUES (?)", ((v,) for v in values)
                )
            return len(values)

        store = Store(folder / "persona.sqlite3")
        recorded, record_s = _timed(lambda: record(store))
        digest_bytes = _file_size(store)
        record_peak = _peak(lambda: record(Store(folder / "traced.sqlite3")))
        raw = Store(folder / "raw.sqlite3")
        raw_count, raw_s = _timed(lambda: reference(raw))
        raw_bytes = _file_size(raw)
        raw_peak = _peak(lambda: reference(Store(folder / "raw-traced.sqlite3")))

        project_id = store.project_id("bench")
        known, load_s = _timed(lambda: known_identifiers(store, project_id))
        load_peak = _peak(lambda: known_identifiers(store, project_id))
        text = _document(frame, args.words)
        words = len(text.split())
        (_masked, counts), mask_s = _timed(lambda: known.scrub(text))
        _, pattern_s = _timed(lambda: scrub_text(text))
        embed_words, embed_s = _embedding_speed(text)

    lines = [
        "# Known identifiers: recording and masking",
        "",
        f"{args.customers:,} customers; columns {', '.join(columns)}. Python "
        f"{sys.version.split()[0]}. Times are untraced runs; peak memory is Python "
        "allocations (tracemalloc) in a second, untimed run of the same work.",
        "",
        "| recording | values | seconds | peak memory | database |",
        "|---|---:|---:|---:|---:|",
        f"| digests (persona) | {recorded:,} | {record_s:.1f} | {record_peak / 2**20:,.0f} MB "
        f"| {digest_bytes / 2**20:,.1f} MB |",
        f"| raw values (reference) | {raw_count:,} | {raw_s:.1f} | {raw_peak / 2**20:,.0f} MB "
        f"| {raw_bytes / 2**20:,.1f} MB |",
        f"| ratio persona / reference | | {record_s / raw_s:.2f} | "
        f"{record_peak / raw_peak:.2f} | {digest_bytes / raw_bytes:.2f} |",
        "",
        "Digests are fewer than raw values because e-mails, phones and IBANs are masked by "
        "their shape and not recorded.",
        "",
        f"Loading the {len(known):,} digests: {load_s:.2f} s, peak {load_peak / 2**20:,.0f} MB.",
        "",
        "| masking | words/s | seconds |",
        "|---|---:|---:|",
        f"| known ids and names (persona) | {words / mask_s:,.0f} | {mask_s:.2f} |",
        f"| pattern scrub (reference) | {words / pattern_s:,.0f} | {pattern_s:.2f} |",
        f"| ratio persona / reference | {pattern_s / mask_s:.2f} | |",
        f"| embedding with MiniLM (scale) | {embed_words / embed_s:,.0f} | {embed_s:.2f} |",
        "",
        f"Masking adds {100 * (mask_s / words) / (embed_s / embed_words):.1f}% to the time "
        "ingest spends embedding the same words.",
        "",
        f"{words:,} words; masked {counts['customer_id']:,} customer ids and "
        f"{counts['name']:,} names (windows of {', '.join(map(str, known.window_sizes))} words).",
    ]
    report = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
