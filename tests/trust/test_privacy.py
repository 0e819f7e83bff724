"""No seeded personal identifier reaches a model, the Chroma index or the logs (issue 8).

A synthetic table of 800 customers and three documents carry over 200 unique
identifiers (customer ids, unique full names, e-mails, phones, IBANs, card
numbers). A full run — segment, documents, personas, one interview turn per
persona, a panel, a brief — goes once through the fake recording provider and
once through the OpenAI client against the recording stub on loopback; every
prompt, the Chroma folder's bytes and the DEBUG logs are searched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from persona.config import Settings
from persona.knowledge import add_documents, close_clients, list_documents, search
from persona.knowledge.embed import make_embedding_function
from persona.knowledge.index import open_index
from persona.segmentation import run_segmentation
from persona.services import Services
from tests.support.openai_stub import running_stub
from tests.trust.support import (
    FlowReport,
    SchemaFake,
    SeededInputs,
    all_prompt_text,
    find_seeded,
    folder_bytes,
    run_flow,
    seed_workspace_inputs,
    where_seeded,
)

pytestmark = pytest.mark.timeout(240)

MIN_SEEDED = 200


@pytest.fixture
def inputs(tmp_path: Path) -> SeededInputs:
    """The seeded customer table and documents."""
    return seed_workspace_inputs(tmp_path / "inputs")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record of every logger, at DEBUG."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {getattr(r, 'exc_text', '') or ''}"
        for r in caplog.records
    )


def _check_flow(
    report: FlowReport, prompts: str, settings: Settings, inputs: SeededInputs, logs: str
) -> None:
    assert inputs.count >= MIN_SEEDED
    assert report.personas, f"the run produced no persona: {report.statuses}"
    assert report.interviews and report.panel_id is not None and report.brief_text
    assert find_seeded(prompts, inputs.values) == {}, "seeded identifiers reached the model"
    chroma = settings.chroma_path
    assert find_seeded(folder_bytes(chroma), inputs.values) == {}, (
        f"seeded identifiers reached the Chroma index: {where_seeded(chroma, inputs.values)}"
    )
    assert find_seeded(logs, inputs.values) == {}, "seeded identifiers reached the logs"
    assert find_seeded(report.brief_text, inputs.values) == {}


def _check_small_segments(report: FlowReport, prompts: str, services: Services) -> None:
    assert report.small_segments, "the fixture must produce segments below the minimum"
    assert report.statuses.count("skipped") == len(report.small_segments)
    small_ids = {
        int(r["id"])
        for r in services.store.query(
            "SELECT id, segment_index FROM segments WHERE size < ?",
            (services.settings.min_segment_size,),
        )
    }
    assert small_ids
    described = {
        int(r["segment_id"])
        for r in services.store.query("SELECT segment_id FROM personas")
        if r["segment_id"] is not None
    }
    assert not described & small_ids
    for label in report.small_segments.values():
        assert label not in prompts


def test_fake_provider_run_sends_no_seeded_identifier(
    tmp_path: Path, inputs: SeededInputs, debug_logs: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        home=tmp_path / "ws",
        llm_provider="fake",
        embeddings="hash",
        min_segment_size=inputs.min_segment_size,
    )
    services = Services(settings)
    model = SchemaFake(default_reply="I compare prices first and wait for the offers.")
    services.use_model(model)
    try:
        report = run_flow(services, inputs)
        prompts = all_prompt_text(model)
        assert len(model.calls) >= 3 * len(report.personas)
        _check_flow(report, prompts, settings, inputs, _log_text(debug_logs))
        _check_small_segments(report, prompts, services)
    finally:
        close_clients(settings)
        services.store.close()


def test_openai_path_sends_no_seeded_identifier(
    tmp_path: Path, inputs: SeededInputs, debug_logs: pytest.LogCaptureFixture
) -> None:
    with running_stub() as stub:
        settings = Settings(
            home=tmp_path / "ws",
            llm_provider="openai",
            llm_base_url=stub.base_url,
            llm_api_key="test",
            embeddings="hash",
            llm_timeout=30,
            min_segment_size=inputs.min_segment_size,
        )
        services = Services(settings)
        try:
            report = run_flow(services, inputs)
            prompts = stub.all_request_text()
            assert len(stub.requests) >= 3 * len(report.personas)
            _check_flow(report, prompts, settings, inputs, _log_text(debug_logs))
            _check_small_segments(report, prompts, services)
        finally:
            close_clients(settings)
            services.store.close()


def test_the_scan_would_see_a_leak(inputs: SeededInputs) -> None:
    """The scanner itself finds values as written and with their spaces removed."""
    iban = sorted(inputs.values["iban"])[0]
    phone = sorted(inputs.values["phone"])[0]
    text = f"prompt {iban.replace(' ', '')} and {phone}"
    found = find_seeded(text, inputs.values)
    assert iban in found["iban"] and phone in found["phone"]


def _complaint(tmp_path: Path, inputs: SeededInputs) -> tuple[Path, dict[str, list[str]]]:
    name = sorted(inputs.values["name"])[0]
    customer = sorted(inputs.values["customer_id"])[0]
    doc = tmp_path / "complaint.txt"
    doc.write_text(
        f"Complaint from {name} (customer {customer}): the jacket leaked after two walks.\n"
        f"{name.upper()} asked for a refund; ticket {customer.lower()}.\n",
        encoding="utf-8",
    )
    return doc, {"name": [name], "customer_id": [customer]}


def test_names_and_customer_ids_in_documents_added_after_segmenting_are_masked(
    tmp_path: Path, inputs: SeededInputs
) -> None:
    settings = Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash")
    services = Services(settings)
    doc, seeded = _complaint(tmp_path, inputs)
    try:
        run_segmentation(services, inputs.customers, k=3, id_column="customer_id")
        [report] = add_documents(services.store, settings, [doc])
        assert report.pii_scrubbed == {"name": 2, "customer_id": 2}
        assert find_seeded(folder_bytes(settings.chroma_path), seeded) == {}
        [chunk] = services.store.query("SELECT text FROM chunks")
        assert chunk["text"].startswith("Complaint from [NAME] (customer [CUSTOMER_ID])")
    finally:
        close_clients(settings)
        services.store.close()


def test_documents_added_before_segmenting_are_masked_once_the_table_is_known(
    tmp_path: Path, inputs: SeededInputs
) -> None:
    settings = Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash")
    services = Services(settings)
    doc, seeded = _complaint(tmp_path, inputs)
    try:
        add_documents(services.store, settings, [doc, *inputs.documents])
        before = find_seeded(folder_bytes(settings.chroma_path), seeded)
        assert before == {k: set(v) for k, v in seeded.items()}  # the scan sees them
        run = run_segmentation(services, inputs.customers, k=3, id_column="customer_id")
        assert any("masked in the documents" in w for w in run.warnings), run.warnings
        close_clients(settings)
        chroma = settings.chroma_path
        assert find_seeded(folder_bytes(chroma), inputs.values) == {}, where_seeded(
            chroma, inputs.values
        )
        hits = search(services.store, settings, "jacket leaked refund", k=1)
        assert hits and "[NAME]" in hits[0].text and "[CUSTOMER_ID]" in hits[0].text
        stored = services.store.query_one("SELECT COUNT(*) AS n FROM chunks")
        assert stored is not None
        index = open_index(
            services.store, settings, services.project_id, make_embedding_function(settings),
            create=False,
        )  # fmt: skip
        assert index is not None and index.count() == stored["n"]
        [info] = [d for d in list_documents(services.store, settings) if d.filename == doc.name]
        assert info.pii_scrubbed == {"name": 2, "customer_id": 2}
    finally:
        close_clients(settings)
        services.store.close()
