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

from persona.identifiers import (  # noqa: E402
    identifier_rows,
    known_identifiers,
    project_salt,
    record_identifiers,
)
from persona.privacy import scrub_text  # noqa: E402
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


def _measured(work: Callable[[], Any]) -> tuple[Any, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


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
        store = Store(Path(tmp) / "persona.sqlite3")
        project_id = store.project_id("bench")
        salt = project_salt(store, project_id)

        def record() -> int:
            rows = identifier_rows(salt, frame, ROLES)
            with store.transaction() as db:
                record_identifiers(db, project_id, rows)
            return len(rows)

        recorded, record_s, record_peak = _measured(record)
        store.connection.execute("VACUUM")
        store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        digest_bytes = (Path(tmp) / "persona.sqlite3").stat().st_size

        raw = Store(Path(tmp) / "raw.sqlite3")

        def reference() -> int:
            with raw.transaction() as db:
                db.execute("CREATE TABLE raw_values (value TEXT PRIMARY KEY) WITHOUT ROWID")
                values = {str(v) for c in columns for v in frame[c].dropna()}
                db.executemany(
                    "INSERT OR IGNORE INTO raw_values VALUES (?)", ((v,) for v in values)
                )
            return len(values)

        raw_count, raw_s, raw_peak = _measured(reference)
        raw.connection.execute("VACUUM")
        raw.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw_bytes = (Path(tmp) / "raw.sqlite3").stat().st_size
        raw.close()

        known, load_s, load_peak = _measured(lambda: known_identifiers(store, project_id))
        text = _document(frame, args.words)
        words = len(text.split())
        (masked, counts), mask_s, _ = _measured(lambda: known.scrub(text))
        _, pattern_s, _ = _measured(lambda: scrub_text(text))
        embed_words, embed_s = _embedding_speed(text)
        store.close()

    lines = [
        "# Known identifiers: recording and masking",
        "",
        f"{args.customers:,} customers; columns {', '.join(columns)}. Python "
        f"{sys.version.split()[0]}. Peak memory is Python allocations (tracemalloc).",
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
    del masked
    return 0


if __name__ == "__main__":
    sys.exit(main())
