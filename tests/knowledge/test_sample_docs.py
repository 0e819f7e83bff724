"""The committed Northwind sample documents: reproducible, and they ingest as intended."""

from __future__ import annotations

from pathlib import Path

from persona.config import Settings
from persona.knowledge import add_documents
from persona.knowledge.sample_docs import (
    SAMPLE_DOCUMENTS,
    build_sample_documents,
    sample_documents_path,
)
from persona.store import Store


def test_committed_files_match_the_builder(tmp_path: Path) -> None:
    built = {p.name: p.read_bytes() for p in build_sample_documents(tmp_path)}
    committed = sample_documents_path()
    assert sorted(p.name for p in committed.iterdir()) == sorted(SAMPLE_DOCUMENTS)
    for name, data in built.items():
        assert (committed / name).read_bytes() == data, f"{name} is stale: rerun sample_docs"


def test_samples_ingest_with_planted_hidden_content_and_pii(
    store: Store, settings: Settings
) -> None:
    reports = {r.filename: r for r in add_documents(store, settings, [sample_documents_path()])}
    assert {r.media_type for r in reports.values()} >= {
        "application/pdf", "text/html", "text/markdown", "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }  # fmt: skip
    tent = reports["product-trailhead-family-tent-6.html"].hidden_removed
    assert tent["hidden_elements"] == 2 and tent["comments"] == 1 and tent["white_text"] == 1
    notes = reports["support-notes-q3-2026.docx"]
    assert notes.hidden_removed["docx_hidden_runs"] == 1
    assert notes.pii_scrubbed == {"email": 1, "phone": 1, "card": 1, "iban": 1}
    assert reports["market-research-segments-2026.pdf"].n_pages == 7
    stored = " ".join(r["text"] for r in store.query("SELECT text FROM chunks"))
    for planted in ("Ignore all previous instructions", "margin on this SKU", "SYSTEM:",
                    "jenna.patel@example.com", "4111 1111 1111 1111", "win-back rate"):  # fmt: skip
        assert planted not in stored
    for segment in ("Budget families", "Premium adventurers", "Lapsed bargain hunters",
                    "Young app-first urbanites", "Loyal store regulars"):  # fmt: skip
        assert segment in stored
