"""Personal-data scrubbing for text that may reach a model or the vector index.

:func:`scrub_text` replaces e-mail addresses, phone numbers, payment-card numbers
(Luhn-checked) and IBANs (mod-97-checked) with placeholders such as ``[EMAIL]``
and says how many of each it replaced. It is pattern-based, offline and fast: it
catches the well-formed identifiers that commonly leak through documents and
free text, not names or addresses (those need NER; see the reliability notes,
§4). Checksums keep order numbers, SKUs and dates from being masked.

Order matters: e-mails first (they may contain digits), then IBANs and cards
(long digit runs a phone pattern would otherwise swallow), then phones.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["PII_KINDS", "PLACEHOLDERS", "contains_pii", "scrub_text"]

PII_KINDS: tuple[str, ...] = ("email", "iban", "card", "phone")
"""Kinds of personal data :func:`scrub_text` detects, in the order it applies them."""

PLACEHOLDERS: dict[str, str] = {
    "email": "[EMAIL]",
    "iban": "[IBAN]",
    "card": "[CARD]",
    "phone": "[PHONE]",
}
"""The text each kind is replaced with."""

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)

# Printed IBANs come in groups of four separated by single spaces, or unbroken.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?")

# Country -> IBAN length (SWIFT IBAN registry). Unknown countries: 15-34 + checksum.
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22,
    "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24,
    "SI": 19, "SK": 24, "SM": 27, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22,
    "VG": 24, "XK": 20,
}  # fmt: skip

# 13-19 digits, optionally in groups separated by single spaces or hyphens.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")

_PHONE = re.compile(
    r"""
    (?<![\w+/.-])
    (?:
        (?:\+|\b00)[1-9]\d{0,2}                    # international prefix
        (?:[ .-]?\(?\d{1,5}\)?){2,6}               # groups, maybe one in brackets
      | (?:\b1[ .-])?\(?\b[2-9]\d{2}\)?[ .-]\d{3}[ .-]\d{4}   # North American
      | (?:\(0\d{2,5}\)|\b0\d{2,5})[ .-]?\d{3,4}[ .-]?\d{3,4} # national trunk 0
    )
    (?![\w-])
    """,
    re.VERBOSE,
)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    expected = _IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _replace_iban(match: re.Match[str], count: list[int]) -> str:
    text = match.group(0)
    # The greedy pattern may swallow a following capitalised word; try shorter cuts.
    for end in range(len(text), 14, -1):
        if _iban_ok(text[:end]) and (end == len(text) or text[end - 1] != " "):
            count[0] += 1
            return PLACEHOLDERS["iban"] + text[end:]
    return text


def _replace_card(match: re.Match[str], count: list[int]) -> str:
    digits = _digits(match.group(0))
    if 13 <= len(digits) <= 19 and _luhn_ok(digits) and len(set(digits)) > 1:
        count[0] += 1
        return PLACEHOLDERS["card"]
    return match.group(0)


def _replace_phone(match: re.Match[str], count: list[int]) -> str:
    if 8 <= len(_digits(match.group(0))) <= 15:
        count[0] += 1
        return PLACEHOLDERS["phone"]
    return match.group(0)


def _replace_email(match: re.Match[str], count: list[int]) -> str:
    count[0] += 1
    return PLACEHOLDERS["email"]


_STEPS: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str], list[int]], str]], ...] = (
    ("email", _EMAIL, _replace_email),
    ("iban", _IBAN, _replace_iban),
    ("card", _CARD, _replace_card),
    ("phone", _PHONE, _replace_phone),
)


def scrub_text(text: str) -> tuple[str, dict[str, int]]:
    """Replace personal identifiers in ``text`` with placeholders.

    Returns the cleaned text and a count per kind (every key of :data:`PII_KINDS`
    is present, zero when nothing was found)::

        >>> scrub_text("Mail jo@example.com or call +44 20 7946 0958.")
        ('Mail [EMAIL] or call [PHONE].', {'email': 1, 'iban': 0, 'card': 0, 'phone': 1})
    """
    counts: dict[str, int] = {}
    for kind, pattern, replace in _STEPS:
        found = [0]
        text = pattern.sub(lambda m, r=replace, f=found: r(m, f), text)  # type: ignore[misc]
        counts[kind] = found[0]
    return text, counts


def contains_pii(text: str) -> bool:
    """True when :func:`scrub_text` would change ``text``."""
    return any(scrub_text(text)[1].values())
