"""The support check's parts: what counts as the participant's words, and polarity cues."""

from __future__ import annotations

import numpy as np

from persona.research.support import check_support, flips, sentences


def test_sentences_leave_out_the_interviewer_questions_and_headings() -> None:
    text = (
        "# Interview 3\n"
        "Interviewer: Tell me about returns.\n"
        "P3: My refund came back within two days. You can reach me at [EMAIL]\n"
        "or [PHONE] if needed.\n\n"
        "Q: And the app?\n"
        "A: I rarely use it now.\n"
        "Did that help?\n"
    )
    assert sentences(text) == [
        "P3: My refund came back within two days.",
        "You can reach me at [EMAIL] or [PHONE] if needed.",
        "A: I rarely use it now.",
    ]


def test_negations_and_antonyms_flip_polarity() -> None:
    hypothesis = "Refunds for returned jackets take weeks"
    assert flips(hypothesis, "My refund came back in two days, really quick.")
    assert not flips(hypothesis, "I waited almost a month for my refund, it was slow.")
    assert flips("They prefer ordering in the app", "I never use the app.")
    assert not flips("They don't use the app", "I never use the app.")
    assert flips("Checkout is easy", "Checkout is confusing.")


def _words_embedding(texts: list[str]) -> np.ndarray:
    vocabulary = sorted({w for t in texts for w in t.lower().split()})
    return np.array([[t.lower().split().count(w) for w in vocabulary] for t in texts], float)


def test_unrelated_notes_decide_nothing_and_related_ones_do() -> None:
    notes = ["P1: The parking near the store is terrible.", "P2: Support never answered me."]
    verdicts = check_support(
        ["Support answered me quickly", "Sustainable materials matter"], notes, _words_embedding
    )
    assert verdicts[0].verdict == "contradicted" and "never answered" in verdicts[0].sentence
    assert verdicts[1].verdict is None
    assert check_support(["anything at all"], [], _words_embedding)[0].verdict is None
