"""The knowledge-base service: ingest, search, remove, reindex, isolation, failure paths."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from persona.config import Settings
from persona.errors import DocumentError, IndexMismatchError, KnowledgeError, NotFoundError
from persona.knowledge import (
    add_documents,
    chunk_exists,
    get_chunk,
    list_documents,
    reindex,
    remove_document,
    search,
)
from persona.knowledge.index import ProjectIndex, open_for_delete, remove_index_folder
from persona.store import Store
from tests.knowledge import files

CANARIES = (
    "WHITECANARY", "INVISIBLECANARY", "METACANARY", "HIDDENCANARY", "WHITEDOCXCANARY",
    "TINYCANARY", "CANARYSCRIPT", "CLASSCANARY", "DISPLAYCANARY", "ATTRCANARY",
    "COMMENTCANARY", "MDCOMMENTCANARY", "MDHIDDENCANARY",
)  # fmt: skip


def _all_formats(folder: Path) -> list[Path]:
    return [
        files.pdf_file(folder),
        files.docx_file(folder),
        files.html_file(folder),
        files.markdown_file(folder),
        files.text_file(folder),
    ]


def _index_entries(settings: Settings, store: Store, **where: int) -> dict[str, list]:
    collection = open_for_delete(settings, store.project_id(settings.project))
    if collection is None:
        return {"ids": [], "documents": [], "metadatas": []}
    filters = [{key: value} for key, value in where.items()]
    clause = None if not filters else filters[0] if len(filters) == 1 else {"$and": filters}
    return dict(collection.get(where=clause, include=["documents", "metadatas"]))  # type: ignore[arg-type]


def _row_count(store: Store, table: str) -> int:
    return int(store.query_one(f"SELECT COUNT(*) AS n FROM {table}")["n"])  # type: ignore[index]


def test_every_format_is_ingested_with_page_and_heading(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    reports = add_documents(store, settings, _all_formats(tmp_path))
    assert [r.filename for r in reports] == [
        "brochure.pdf", "notes.docx", "returns.html", "loyalty.md", "faq.txt",
    ]  # fmt: skip
    assert all(r.n_chunks >= 1 and not r.duplicate for r in reports)
    assert reports[0].n_pages == 2
    total = sum(r.n_chunks for r in reports)
    assert _row_count(store, "chunks") == total
    assert len(_index_entries(settings, store)["ids"]) == total

    pdf_hit = search(store, settings, "StormWeave jacket waterproofing 28,000 mm", k=1)[0]
    assert (pdf_hit.filename, pdf_hit.page) == ("brochure.pdf", 2)
    assert pdf_hit.source == "brochure.pdf, p. 2"
    html_hit = search(store, settings, "refunds arrive in five working days", k=1)[0]
    assert (html_hit.filename, html_hit.heading, html_hit.page) == ("returns.html", "Refunds", None)
    docx_hit = search(store, settings, "delivery delays share reason", k=1)[0]
    assert (docx_hit.filename, docx_hit.heading) == ("notes.docx", "Contact reasons")
    md_hit = search(store, settings, "gold members free delivery", k=1)[0]
    assert (md_hit.filename, md_hit.heading) == ("loyalty.md", "Gold tier")
    assert 0.0 < md_hit.score <= 1.0
    assert chunk_exists(store, settings, md_hit.chunk_id)
    assert get_chunk(store, settings, md_hit.chunk_id) == md_hit.__class__(
        **{**md_hit.__dict__, "score": 1.0}
    )


def test_hidden_content_is_counted_and_never_stored_or_indexed(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    reports = add_documents(store, settings, _all_formats(tmp_path))
    hidden = {r.filename: r.hidden_removed for r in reports}
    assert hidden["brochure.pdf"]["white_text"] == 1
    assert hidden["brochure.pdf"]["pdf_invisible_text"] == 1
    assert hidden["brochure.pdf"]["pdf_metadata_fields"] == 2
    assert hidden["notes.docx"]["docx_hidden_runs"] == 1
    assert hidden["returns.html"]["hidden_elements"] == 3
    assert hidden["returns.html"]["invisible_chars"] == 2
    stored = " ".join(r["text"] for r in store.query("SELECT text FROM chunks"))
    indexed = " ".join(_index_entries(settings, store)["documents"])
    for canary in CANARIES:
        assert canary not in stored
        assert canary not in indexed
    listed = {d.filename: d for d in list_documents(store, settings)}
    assert listed["returns.html"].hidden_removed == hidden["returns.html"]


def test_duplicates_are_not_ingested_twice(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    first = add_documents(store, settings, [files.markdown_file(tmp_path)])[0]
    copy = tmp_path / "copy-of-loyalty.md"
    copy.write_bytes((tmp_path / "loyalty.md").read_bytes())
    again, renamed = add_documents(store, settings, [tmp_path / "loyalty.md", copy])
    assert again.duplicate and renamed.duplicate
    assert again.document_id == renamed.document_id == first.document_id
    assert again.n_chunks == first.n_chunks
    assert _row_count(store, "documents") == 1
    assert _row_count(store, "chunks") == first.n_chunks
    assert len(_index_entries(settings, store)["ids"]) == first.n_chunks


def test_personal_data_is_scrubbed_before_storage_and_embedding(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    report = add_documents(store, settings, [files.docx_file(tmp_path)])[0]
    assert report.pii_scrubbed == {"email": 1, "phone": 1}
    stored = " ".join(r["text"] for r in store.query("SELECT text FROM chunks"))
    indexed = " ".join(_index_entries(settings, store)["documents"])
    for text in (stored, indexed):
        assert "ana.lopez@example.com" not in text and "7946" not in text
        assert "[EMAIL]" in text and "[PHONE]" in text


def _oversized(folder: Path) -> Path:
    path = folder / "huge.txt"
    path.write_bytes(b"word " * 300_000)  # 1.5 MB against a 1 MB limit
    return path


def _missing(folder: Path) -> Path:
    return folder / "nowhere.pdf"


def _empty(folder: Path) -> Path:
    path = folder / "empty.md"
    path.write_text("")
    return path


def _unsupported(folder: Path) -> Path:
    path = folder / "slides.pptx"
    path.write_bytes(b"PK\x03\x04")
    return path


BAD_INPUTS: list[tuple[Callable[[Path], Path], str]] = [
    (files.corrupt_pdf, "damaged"),
    (files.encrypted_pdf, "encrypted"),
    (files.image_only_pdf, "no text layer"),
    (files.zip_bomb_docx, "zip bomb"),
    (files.entity_docx, "XML entity"),
    (_oversized, "above the 1 MB limit"),
    (_missing, "no such file"),
    (_empty, "empty"),
    (_unsupported, "unsupported"),
]


@pytest.mark.parametrize(("make", "needle"), BAD_INPUTS)
def test_bad_input_raises_and_leaves_nothing_behind(
    store: Store, settings: Settings, tmp_path: Path, make: Callable[[Path], Path], needle: str
) -> None:
    small = settings.with_(max_upload_mb=1)
    bad = make(tmp_path)
    with pytest.raises(DocumentError, match=needle) as caught:
        add_documents(store, small, [bad])
    assert str(bad) in str(caught.value)
    assert _row_count(store, "documents") == _row_count(store, "chunks") == 0
    assert _index_entries(small, store)["ids"] == []


def test_index_failure_rolls_the_document_back(
    store: Store, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ProjectIndex.add

    def half_then_fail(self: ProjectIndex, chunks: list, embeddings: list) -> None:
        original(self, chunks[:1], embeddings[:1])  # part of the document reaches Chroma
        raise RuntimeError("disk full")

    monkeypatch.setattr(ProjectIndex, "add", half_then_fail)
    with pytest.raises(KnowledgeError, match="nothing was added"):
        add_documents(store, settings, [files.pdf_file(tmp_path)])
    assert _row_count(store, "documents") == _row_count(store, "chunks") == 0
    assert _index_entries(settings, store)["ids"] == []
    monkeypatch.setattr(ProjectIndex, "add", original)
    assert add_documents(store, settings, [tmp_path / "brochure.pdf"])[0].n_chunks >= 2


def test_remove_deletes_every_chunk_from_store_and_index(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    keep, drop = add_documents(
        store, settings, [files.markdown_file(tmp_path), files.html_file(tmp_path)]
    )
    assert len(_index_entries(settings, store, document_id=drop.document_id)["ids"]) == (
        drop.n_chunks
    )
    assert remove_document(store, settings, drop.document_id) == drop.n_chunks
    assert _index_entries(settings, store, document_id=drop.document_id)["ids"] == []
    assert store.query("SELECT id FROM chunks WHERE document_id = ?", (drop.document_id,)) == []
    assert [d.document_id for d in list_documents(store, settings)] == [keep.document_id]
    hits = search(store, settings, "refunds arrive in five working days", k=10)
    assert hits and all(h.document_id == keep.document_id for h in hits)
    with pytest.raises(NotFoundError, match="persona docs list"):
        remove_document(store, settings, drop.document_id)


def test_a_removed_documents_text_is_gone_from_chromas_files(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    """Chroma keeps deleted text in its queue and free pages; removal rewrites the index."""
    secret = tmp_path / "secret.txt"
    secret.write_text("Merger plan codename ZEBRAQUARTZ: close the Leeds store.\n", "utf-8")
    _keep, drop = add_documents(store, settings, [files.markdown_file(tmp_path), secret])

    def on_disk() -> bool:
        return any(
            b"ZEBRAQUARTZ" in p.read_bytes() for p in settings.chroma_path.rglob("*") if p.is_file()
        )

    assert on_disk()
    remove_document(store, settings, drop.document_id)
    assert not on_disk()
    assert sorted(_index_entries(settings, store)["ids"]) == sorted(
        r["id"] for r in store.query("SELECT id FROM chunks")
    )
    assert search(store, settings, "refunds arrive in five working days", k=1)


@pytest.mark.parametrize("close_first", [True, False], ids=["closed", "live-client"])
def test_reindex_rebuilds_an_index_deleted_from_disk(
    store: Store, settings: Settings, tmp_path: Path, close_first: bool
) -> None:
    add_documents(store, settings, _all_formats(tmp_path))
    queries = ["tent sleeps six", "refunds", "gold tier", "delivery costs", "support notes"]

    # Hash vectors tie at similarity 0 for chunks sharing no word; compare the real matches.
    def top() -> list[list[tuple[str, float]]]:
        return [
            [(h.chunk_id, h.score) for h in search(store, settings, q) if h.score > 0.05]
            for q in queries
        ]

    before = top()
    assert all(before)
    if close_first:
        remove_index_folder(settings)
    else:
        shutil.rmtree(settings.chroma_path)
    with pytest.raises(KnowledgeError, match="persona docs reindex"):
        search(store, settings, "tent")
    other = tmp_path / "other.txt"
    other.write_text("A new document that is not in the store yet.")
    with pytest.raises(KnowledgeError, match="persona docs reindex"):
        add_documents(store, settings, [other])
    assert reindex(store, settings) == _row_count(store, "chunks")
    assert top() == before


def test_embedding_model_mismatch_names_reindex(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    add_documents(store, settings, [files.markdown_file(tmp_path)])
    local = settings.with_(embeddings="local")  # never loaded: the check comes first
    with pytest.raises(IndexMismatchError, match="persona docs reindex") as caught:
        search(store, local, "points")
    assert "hash-384-v1" in str(caught.value)
    assert "sentence-transformers/all-MiniLM-L6-v2" in str(caught.value)
    with pytest.raises(IndexMismatchError):
        add_documents(store, local, [files.text_file(tmp_path)])
    assert _row_count(store, "documents") == 1


def test_index_records_its_embedding_model(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    add_documents(store, settings, [files.markdown_file(tmp_path)])
    project_id = store.project_id(settings.project)
    collection = open_for_delete(settings, project_id)
    assert collection is not None
    assert collection.metadata["embedding_model"] == "hash-384-v1"
    assert collection.configuration_json["embedding_function"]["name"] == "persona_hash"
    state = store.query_one("SELECT * FROM index_state WHERE project_id = ?", (project_id,))
    assert state is not None and state["embedding_model"] == "hash-384-v1"


def test_projects_never_see_each_others_chunks(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    project_a, project_b = settings.with_(project="alpha"), settings.with_(project="beta")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a_doc = tmp_path / "a" / "a.md"
    a_doc.write_text("# Alpha\n\nALPHACANARY tents and jackets for families.\n")
    b_doc = tmp_path / "b" / "b.md"
    b_doc.write_text("# Beta\n\nBETACANARY tents and jackets for families.\n")
    add_documents(store, project_a, [a_doc, files.html_file(tmp_path / "a")])
    b_report = add_documents(store, project_b, [b_doc, files.html_file(tmp_path / "b")])
    b_ids = {r["id"] for r in store.query(
        "SELECT id FROM chunks WHERE project_id = ?", (store.project_id("beta"),)
    )}  # fmt: skip
    words = ["BETACANARY", "tents", "jackets", "families", "returns", "refunds", "beta"]
    for i in range(100):
        query = " ".join(words[j % len(words)] for j in range(i, i + 1 + i % 4))
        for hit in search(store, project_a, query, k=10, mmr=i % 2 == 0):
            assert hit.chunk_id not in b_ids
            assert "BETACANARY" not in hit.text
    assert not chunk_exists(store, project_a, next(iter(b_ids)))
    assert get_chunk(store, project_a, next(iter(b_ids))) is None
    with pytest.raises(NotFoundError):
        remove_document(store, project_a, b_report[0].document_id)
    assert [d.filename for d in list_documents(store, project_b)] == ["b.md", "returns.html"]


def test_mmr_prefers_diverse_chunks(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "repeats.md"
    sections = [f"## Tents {i}\n\nFamily tents sleep six and pitch fast.\n" for i in range(6)]
    sections.append("## Jackets\n\nFamily jackets are waterproof.\n")
    path.write_text("\n".join(sections))
    add_documents(store, settings, [path])
    plain = search(store, settings, "family tents", k=3)
    diverse = search(store, settings, "family tents", k=3, mmr=True)
    assert len(plain) == len(diverse) == 3
    assert all(h.heading.startswith("Tents") for h in plain if h.heading)
    assert any(h.heading == "Jackets" for h in diverse)


def test_folders_expand_and_progress_reaches_one(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    files.markdown_file(folder)
    files.text_file(folder / "sub")
    (folder / ".hidden").mkdir()
    files.text_file(folder / ".hidden", "secret.txt")
    (folder / "image.png").write_bytes(b"\x89PNG")
    seen: list[tuple[str, float]] = []
    reports = add_documents(store, settings, [folder], progress=lambda m, f: seen.append((m, f)))
    assert sorted(r.filename for r in reports) == ["faq.txt", "loyalty.md"]
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_empty_project_and_empty_query_return_nothing(store: Store, settings: Settings) -> None:
    assert search(store, settings, "anything") == []
    assert search(store, settings, "   ") == []
    assert list_documents(store, settings) == []
    with pytest.raises(ValueError, match="k must be"):
        search(store, settings, "x", k=0)


def test_files_before_a_bad_one_are_added_and_after_it_are_not(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    good = files.markdown_file(tmp_path)
    bad = files.corrupt_pdf(tmp_path)
    later = files.text_file(tmp_path)
    with pytest.raises(DocumentError, match=r"broken\.pdf"):
        add_documents(store, settings, [good, bad, later])
    assert [d.filename for d in list_documents(store, settings)] == ["loyalty.md"]
    assert len(_index_entries(settings, store)["ids"]) == _row_count(store, "chunks") > 0


def test_the_same_bytes_twice_in_one_call_are_added_once(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    first = files.markdown_file(tmp_path)
    twin = tmp_path / "twin.md"
    twin.write_bytes(first.read_bytes())
    one, two = add_documents(store, settings, [first, twin])
    assert not one.duplicate and two.duplicate and two.document_id == one.document_id
    assert _row_count(store, "documents") == 1
    assert len(_index_entries(settings, store)["ids"]) == one.n_chunks


def test_on_error_collects_bad_files_and_adds_the_rest(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    errors: list[DocumentError] = []
    reports = add_documents(
        store,
        settings,
        [
            files.corrupt_pdf(tmp_path),
            files.markdown_file(tmp_path),
            files.image_only_pdf(tmp_path),
        ],
        on_error=errors.append,
    )
    assert [r.filename for r in reports] == ["loyalty.md"]
    assert [Path(e.path).name for e in errors] == ["broken.pdf", "scan.pdf"]


def test_damaged_index_is_a_clear_error_and_reindex_recovers(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    add_documents(store, settings, [files.markdown_file(tmp_path)])
    remove_index_folder(settings)
    settings.chroma_path.mkdir()
    (settings.chroma_path / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(KnowledgeError, match="persona docs reindex") as caught:
        search(store, settings, "points")
    assert "cannot be" in str(caught.value)
    remove_index_folder(settings)  # "move that folder aside"
    assert reindex(store, settings) == _row_count(store, "chunks")
    assert search(store, settings, "gold members free delivery", k=1)[0].heading == "Gold tier"
