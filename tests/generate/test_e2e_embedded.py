"""End to end with the real embedded model (SmolLM2-135M) on the bundled sample data.

With the default writer setting the embedded model does not write personas: the
composer does, from the evidence (real MiniLM embeddings and Chroma on a temp
dir). The second test makes SmolLM2 the model writer and checks that what it
wrote passed the quality gate or was replaced with a visible flag. It checks the
guarantees, not the prose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from persona.evidence import QualityGate, non_words
from persona.facts import invented_numbers
from persona.generate import generate_personas
from persona.knowledge import add_documents, close_clients
from persona.models import Persona
from persona.personas import get_persona
from persona.segmentation import load_segments
from persona.services import Services

pytestmark = [pytest.mark.llm, pytest.mark.slow, pytest.mark.timeout(1200)]

DOCUMENTS = Path(__file__).resolve().parents[2] / "persona" / "sample_data" / "documents"


def test_embedded_model_writes_valid_grounded_personas(sample_services: Services) -> None:
    settings = sample_services.settings.with_(
        llm_provider="llamacpp", structured_retries=0, embeddings="local"
    )
    services = Services(settings)
    try:
        add_documents(services.store, settings, sorted(DOCUMENTS.iterdir()))
        results = generate_personas(services, segment_indexes=[0, 1])
        segments = {s.id: s for s in load_segments(services)}
        assert [r.status for r in results] == ["generated", "generated"], [
            r.reason for r in results
        ]
        names = set()
        quoted: list[str] = []  # document sentences shown, over both personas
        for result in results:
            stored = get_persona(services, result.persona_id or 0)
            persona = Persona.model_validate(stored.persona.model_dump())
            assert persona.synthetic is True
            segment = segments[result.segment_id]
            assert persona.facts.statistics == segment.facts
            assert (persona.facts.size, persona.facts.share) == (segment.size, segment.share)
            assert persona.age is not None and persona.age.kinds == {"stat"}
            # A document's sentence is quoted as written: its numbers are the document's.
            for _field, item in persona.items():
                if item.kinds != {"doc"}:
                    assert invented_numbers(item.text, persona.facts) == [], item.text
            for _field, item in persona.items():
                assert item.evidence
            assert stored.model == "composer" and persona.writer == "composer"
            assert result.report is not None and result.report.retrieved
            grounded = [item.grounded for _f, item in persona.items()]
            assert sum(grounded) / len(grounded) >= 0.8
            gate = QualityGate.for_facts(persona.facts, extra_words=persona.name.split())
            for _field, item in persona.items():
                bad, _total = non_words(item.text, gate.vocabulary)
                assert len(bad) <= 1, (item.text, bad)
            names.add(persona.name.casefold())
            quoted += list(
                dict.fromkeys(
                    item.text for field, item in persona.items()
                    if field != "quote" and item.kinds == {"doc"}
                )
            )  # fmt: skip
        assert len(names) == 2
        # Each document sentence is evidence for one persona of the run only.
        assert quoted and len(quoted) == len(set(quoted)), quoted
    finally:
        close_clients(settings)
        services.store.close()


def test_smollm2_as_model_writer_shows_only_text_that_passed_the_gate(
    sample_services: Services,
) -> None:
    settings = sample_services.settings.with_(
        llm_provider="llamacpp", structured_retries=1, persona_writer="model"
    )
    services = Services(settings)
    try:
        [result] = generate_personas(services, segment_indexes=[0])
        assert result.status == "generated" and result.persona is not None
        persona = result.persona
        assert persona.writer == "model"
        gate = QualityGate.for_facts(persona.facts, extra_words=persona.name.split())
        for _field, item in persona.items():
            if item.kinds == {"inferred"}:  # the model's own text, uncited or demoted
                assert gate.check(item.text) == [], item.text
        assert result.report is not None and "gated" in result.report.checks
    finally:
        close_clients(settings)
        services.store.close()
