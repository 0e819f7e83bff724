"""Stopping a looping answer (fast, no model)."""

from __future__ import annotations

import pytest

from persona.interview.loops import loop_cut


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("I wait for offers. Delivery costs too much. I wait for offers. I wait",
         "I wait for offers. Delivery costs too much."),
        ("I love the app\\nIt is quick\\nI love the app\\n", "I love the app\\nIt is quick"),
        ("I shop online because the prices are lower and I shop online because the prices "
         "are lower and", "I shop online because the prices are lower and"),
        ("Prices matter. I compare every shop in town before I buy a tent for the family, "
         "then I compare every shop in town before I buy a tent for the",
         "Prices matter."),
    ],
)  # fmt: skip
def test_a_loop_is_cut_where_it_begins(text: str, kept: str) -> None:
    text = text.replace("\\n", "\n")
    cut = loop_cut(text)
    assert cut is not None and text[:cut].strip() == kept.replace("\\n", "\n")


@pytest.mark.parametrize(
    "text",
    [
        "I wait for offers by email. Then I buy for the whole family.",
        "Yes. Yes.",  # short replies may repeat
        "Delivery costs, delivery slots and delivery charges all annoy me.",
    ],
)
def test_a_plain_answer_is_not_a_loop(text: str) -> None:
    assert loop_cut(text) is None
