"""Embedding functions: hash determinism, the OpenAI-compatible endpoint, the local model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from persona.config import Settings
from persona.errors import ConfigError, IndexMismatchError, ProviderUnavailable
from persona.knowledge import add_documents, reindex, search
from persona.knowledge.embed import HashEmbeddingFunction, make_embedding_function
from persona.knowledge.sample_docs import sample_documents_path
from persona.store import Store
from tests.knowledge import files
from tests.support.openai_stub import running_stub


def test_hash_embeddings_are_deterministic_unit_vectors() -> None:
    embed = HashEmbeddingFunction()
    first, second, empty = embed(["Family tents", "Family tents", ""])
    assert np.array_equal(first, second)
    assert first.shape == (384,)
    assert np.isclose(np.linalg.norm(first), 1.0) and np.isclose(np.linalg.norm(empty), 1.0)
    # Across processes too (no salted hash()): the index must be rebuildable later.
    code = (
        "from persona.knowledge.embed import HashEmbeddingFunction as H;"
        "print(float(H()(['Family tents'])[0][:8].sum()))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(other.stdout) == pytest.approx(float(first[:8].sum()), abs=1e-6)


def test_openai_embeddings_need_an_endpoint(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="PERSONA_EMBEDDINGS"):
        make_embedding_function(settings.with_(embeddings="openai"))


def test_openai_compatible_endpoint_end_to_end(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    add_documents(store, settings, [files.docx_file(tmp_path)])  # built with hash embeddings
    with running_stub() as stub:
        remote = settings.with_(
            embeddings="openai", llm_base_url=stub.base_url, embeddings_model="stub-embed"
        )
        with pytest.raises(IndexMismatchError, match="openai/stub-embed"):
            search(store, remote, "tent poles")
        count = reindex(store, remote)
        assert count >= 2
        hits = search(store, remote, "tent poles", k=2)
        assert len(hits) == 2
        sent = stub.all_request_text()
        assert "stub-embed" in sent and "tent poles" in sent
        # Personal data was scrubbed before anything left for the embeddings endpoint.
        assert "ana.lopez@example.com" not in sent and "7946 0958" not in sent
        # Hidden runs never reach the endpoint either.
        assert "HIDDENCANARY" not in sent


def test_unreachable_endpoint_is_a_provider_error(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    with running_stub() as stub:
        url = stub.base_url
    remote = settings.with_(embeddings="openai", llm_base_url=url, llm_max_retries=0)
    with pytest.raises(ProviderUnavailable, match="cannot be reached"):
        add_documents(store, remote, [files.markdown_file(tmp_path)])
    assert store.query("SELECT id FROM documents") == []


@pytest.mark.slow
def test_local_model_ingests_samples_and_answers_by_meaning(
    store: Store, settings: Settings
) -> None:
    local = settings.with_(embeddings="local")
    reports = add_documents(store, local, [sample_documents_path()])
    assert len(reports) == 9
    hit = search(store, local, "How quickly is my money returned after I send something back?")[0]
    assert (hit.filename, hit.heading) == ("returns-policy.html", "Refunds")
    pdf_hits = search(store, local, "why did former sale shoppers stop buying?", k=3)
    assert any(h.filename.endswith(".pdf") and h.page is not None for h in pdf_hits)
    # Reindex with the same model reproduces the same ranking.
    before = [h.chunk_id for h in search(store, local, "lifetime jacket repairs")]
    assert reindex(store, local) == sum(r.n_chunks for r in reports)
    assert [h.chunk_id for h in search(store, local, "lifetime jacket repairs")] == before
