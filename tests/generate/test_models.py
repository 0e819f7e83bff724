"""The draft schema a model fills and the persona the application assembles."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from persona.models import (
    Evidence,
    EvidencedItem,
    Persona,
    PersonaDraft,
    SegmentFacts,
    draft_schema,
)
from tests.generate.conftest import draft


def _leaf_types(schema: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return _leaf_types(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    kind = schema.get("type")
    if kind == "object":
        return {t for sub in schema["properties"].values() for t in _leaf_types(sub, defs)}
    if kind == "array":
        return _leaf_types(schema["items"], defs)
    return {str(kind)}


def test_the_draft_has_no_number_fields_and_bounded_strings() -> None:
    schema = PersonaDraft.model_json_schema()
    assert _leaf_types(schema, schema.get("$defs", {})) == {"string"}
    assert schema["additionalProperties"] is False
    text = json.dumps(schema)
    assert '"type": "integer"' not in text and '"type": "number"' not in text
    for name, field in schema["properties"].items():
        if field.get("type") == "array":
            assert field["maxItems"] <= 3, name
        else:
            assert field["maxLength"] <= 280, name


def test_draft_patterns_keep_digits_and_markup_out_of_constrained_decoding() -> None:
    schema = PersonaDraft.model_json_schema()
    pattern = schema["properties"]["background"]["pattern"]
    assert "0-9" in pattern and "<>" in pattern
    # The pattern steers decoding only: pydantic leaves numbers to the facts check.
    assert PersonaDraft.model_validate(draft(background="Aged 47")).background == "Aged 47"


@pytest.mark.parametrize(
    "change",
    [
        {"extra": "field"},
        {"quote": "x" * 161},
        {"goals": []},
        {"goals": [{"text": "a"}] * 4},
        {"goals": [{"text": "a", "sources": ["a", "b", "c"]}]},
        {"goals": [{"text": "a", "age": 40}]},
        {"name": ""},
    ],
)
def test_the_draft_rejects_extra_keys_and_oversize_values(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PersonaDraft.model_validate(draft(**change))


def test_evidence_must_name_its_source() -> None:
    with pytest.raises(ValidationError):
        Evidence(kind="stat")
    with pytest.raises(ValidationError):
        Evidence(kind="doc", file="faq.txt")
    assert Evidence(kind="stat", stat="age_median", value=39).label() == "stat: age_median = 39"
    with pytest.raises(ValidationError):
        EvidencedItem(text="x", evidence=[])


def test_a_persona_is_always_labelled_synthetic() -> None:
    item = EvidencedItem(text="x", evidence=[Evidence(kind="inferred")])
    facts = SegmentFacts(segment_id=1, segment_index=0, label="s", size=30, share=0.1)
    persona = Persona(name="A B", background=item, quote=item, facts=facts)
    assert persona.synthetic is True
    with pytest.raises(ValidationError):
        Persona.model_validate(
            {"name": "A B", "background": item, "quote": item, "facts": facts, "synthetic": False}
        )


def test_draft_schema_steers_citations_and_names_without_changing_validation() -> None:
    cited = draft_schema(("D1", "age_median")).model_json_schema()
    item = cited["$defs"]["DraftItem"]["properties"]["sources"]["items"]
    assert item["pattern"] == "^(D1|age_median)$"
    silent = draft_schema((), ("Maya", "Jonas")).model_json_schema()
    assert silent["$defs"]["DraftItem"]["properties"]["sources"]["maxItems"] == 0
    assert silent["properties"]["name"]["pattern"].startswith("^(Maya|Jonas) ")
    # Validation is the plain draft's: the checks in generate judge citations and names.
    value = draft_schema((), ("Maya",)).model_validate(
        draft(name="Zed Quinn", goals=[{"text": "a", "sources": ["D9"]}])
    )
    assert isinstance(value, PersonaDraft) and value.cited() == [("goals[0]", "D9")]
    assert draft_schema(None) is PersonaDraft
