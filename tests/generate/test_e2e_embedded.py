"""End to end with the real embedded model (SmolLM2-135M) on the bundled sample data.

One model call per persona (no re-asks: what does not validate is repaired and
flagged). About 10-20 s per persona on two idle cores, minutes when the cores are
busy. It checks the guarantees, not the prose: valid personas whose facts are the
segment profile's and whose narrative holds no invented number.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
    settings = sample_services.settings.with_(llm_provider="llamacpp", structured_retries=0)
    services = Services(settings)
    try:
        add_documents(services.store, settings, sorted(DOCUMENTS.iterdir()))
        results = generate_personas(services, segment_indexes=[0, 1])
        segments = {s.id: s for s in load_segments(services)}
        assert [r.status for r in results] == ["generated", "generated"], [
            r.reason for r in results
        ]
        names = set()
        for result in results:
            stored = get_persona(services, result.persona_id or 0)
            persona = Persona.model_validate(stored.persona.model_dump())
            assert persona.synthetic is True
            segment = segments[result.segment_id]
            assert persona.facts.statistics == segment.facts
            assert (persona.facts.size, persona.facts.share) == (segment.size, segment.share)
            assert persona.age is not None and persona.age.kinds == {"stat"}
            for text in persona.narrative_texts():
                assert invented_numbers(text, persona.facts) == [], text
            for _field, item in persona.items():
                assert item.evidence
            assert stored.model.endswith(".gguf")
            assert result.report is not None and result.report.retrieved
            names.add(persona.name.casefold())
        assert len(names) == 2
    finally:
        close_clients(settings)
        services.store.close()
