"""persona.privacy.scrub_text: identifiers out, ordinary numbers left alone."""

from __future__ import annotations

import pytest

from persona.privacy import contains_pii, scrub_text


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("Mail jo.smith+shop@example.co.uk today", "Mail [EMAIL] today", "email"),
        ("Call +44 20 7946 0958.", "Call [PHONE].", "phone"),
        ("Call (555) 010-0199 now", "Call [PHONE] now", "phone"),
        ("Toll free 1-800-555-0199", "Toll free [PHONE]", "phone"),
        ("Mobile 07700 900123", "Mobile [PHONE]", "phone"),
        ("Ring +49 (30) 1234567", "Ring [PHONE]", "phone"),
        ("Card 4111 1111 1111 1111 used", "Card [CARD] used", "card"),
        ("Card 5500-0000-0000-0004", "Card [CARD]", "card"),
        ("Amex 378282246310005", "Amex [CARD]", "card"),
        ("IBAN GB82 WEST 1234 5698 7654 32 please", "IBAN [IBAN] please", "iban"),
        ("IBAN DE89370400440532013000.", "IBAN [IBAN].", "iban"),
        ("Pay FR1420041010050500013M02606 now", "Pay [IBAN] now", "iban"),
    ],
)
def test_identifiers_are_replaced_and_counted(text: str, expected: str, kind: str) -> None:
    clean, counts = scrub_text(text)
    assert clean == expected
    assert counts[kind] == 1
    assert sum(counts.values()) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Order 2026-08-21, SKU NW-TFT6-GRN, 4,000 mm, £1,299.00 in 2025.",
        "Card-like but not Luhn: 4111 1111 1111 1112.",
        "IBAN-like with a bad checksum: GB82 WEST 1234 5698 7654 33.",
        "Version 5.2.1 of the app; server 192.168.10.20; 18,940 contacts; 23,400 items.",
        "Survey of 1,204 customers; 64% compared prices; ratio 25,000 g/m2/24h.",
        "Postcode LA12 8QT and order number 1234567.",
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    clean, counts = scrub_text(text)
    assert clean == text
    assert not any(counts.values())
    assert not contains_pii(text)


def test_counts_every_kind_and_keeps_surrounding_text() -> None:
    text = (
        "From a@example.com and b@example.org: card 4111111111111111, "
        "IBAN GB82WEST12345698765432, phone +1 555 010 0199."
    )
    clean, counts = scrub_text(text)
    assert counts == {"email": 2, "iban": 1, "card": 1, "phone": 1}
    assert clean == ("From [EMAIL] and [EMAIL]: card [CARD], IBAN [IBAN], phone [PHONE].")
