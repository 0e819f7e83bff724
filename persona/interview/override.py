"""Direct attempts to make a persona break character, caught before any model call.

OWASP LLM01 (2025) says no prompt is a reliable defence on its own, so the
interview has two layers: the system prompt tells the persona to refuse in
character, and :func:`override_attempt` recognises the common forms of a direct
override ("ignore previous instructions", "you are now …", "reveal your system
prompt", chat-template tokens, a fake ``system:`` line) deterministically. A
recognised attempt is answered with a fixed in-character refusal and the model
is not called at all.

The patterns are specific on purpose: "what would make you ignore our e-mails?"
or "forget the price for a moment" are ordinary research questions.
"""

from __future__ import annotations

import re
import unicodedata

from persona.safe_text import strip_invisible

__all__ = ["normalise", "override_attempt"]

_TARGET = (
    r"(?:instructions?|rules|prompts?|directions|guidelines|directives|programming|"
    r"persona|character|role|guardrails|restrictions|system message)"
)
_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # "ignore all previous instructions", "disregard your rules", "forget the above prompt"
        rf"\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon)\b"
        rf"(?:\s+(?:all|any|every|of|the|your|my|these|those|previous|prior|above|earlier|"
        rf"preceding|original|initial|system|existing|current|whole|entire))*\s+{_TARGET}\b",
        r"\byou are (?:now|no longer)\b",
        r"\bfrom now on,? (?:you|act|behave|respond|answer|pretend)\b",
        r"\b(?:act|behave|respond|answer) as (?:if you (?:were|are) )?(?:an? |the )?"
        r"(?:ai|assistant|chatbot|language model|llm|system|developer|admin|administrator|"
        r"dan|different (?:person|persona|character))\b",
        r"\bpretend (?:to be|you are|you're) (?:an? )?(?:ai|assistant|chatbot|language model|"
        r"llm|different (?:person|persona|character)|someone else)\b",
        r"\b(?:reveal|show|print|repeat|output|display|leak|tell me|give me|what (?:is|are|were))"
        r"\s+(?:me\s+)?(?:all\s+)?(?:your|the)\s+(?:full\s+|exact\s+|hidden\s+|original\s+|"
        r"initial\s+|secret\s+)?(?:system\s+)?(?:prompt|instructions|system message|"
        r"initial prompt|configuration)\b",
        r"\bsystem prompt\b",
        r"\bdeveloper mode\b",
        r"\bjail ?break",
        r"\bdo anything now\b",
        r"\b(?:break|step|get|come) out of (?:your )?(?:character|role|persona)\b",
        r"\bbreak (?:your |the )?(?:character|persona|role)\b",
        r"\bout of character\b",
        r"\bdrop (?:the|your|this) (?:act|persona|role|character)\b",
        r"\bstop (?:pretending|role-?playing|playing (?:a|this) role)\b",
        r"\bare you (?:really )?(?:an? )?(?:ai|bot|robot|chatbot|language model|llm|"
        r"machine|computer program)\b",
        r"\bnew (?:instructions|rules|system prompt)\b",
        r"<\|?(?:im_start|im_end|system|endoftext)\|?>|\[/?INST\]|<</?SYS>>",
        # The same attempts in a few other languages the product's users write in.
        r"\bignor(?:a|e|ez|iere|ieren)\b.{0,40}\b(?:instrucciones|instructions|anweisungen|"
        r"istruzioni|instruções|regeln|reglas|règles)\b",
        r"\bvergiss\b.{0,40}\banweisungen\b",
    )
)
# A pasted line that pretends to be another chat role.
_ROLE_LINE = re.compile(r"^\s*(?:system|assistant|developer)\s*:", re.IGNORECASE | re.MULTILINE)
# "DAN" is only a jailbreak name in capitals; "Dan" is a first name.
_DAN = re.compile(r"\bDAN\b")


def normalise(text: str) -> str:
    """NFKC-normalised text without invisible characters and with single spaces.

    Zero-width characters and full-width letters are a cheap way to slip an
    override past a pattern; this undoes them.
    """
    clean = unicodedata.normalize("NFKC", strip_invisible(text))
    return " ".join(clean.replace("\u2019", "'").split())


def override_attempt(text: str) -> str | None:
    """The words that make ``text`` an attempt to override the persona, or ``None``."""
    clean = normalise(text)
    role = _ROLE_LINE.search(unicodedata.normalize("NFKC", strip_invisible(text)))
    if role is not None:
        return role.group(0).strip()
    for pattern in _PATTERNS:
        match = pattern.search(clean)
        if match is not None:
            return match.group(0)[:120]
    match = _DAN.search(clean)
    return match.group(0) if match is not None else None
