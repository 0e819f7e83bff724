"""Sentences in documents that address the AI instead of the reader are removed at ingest.

Indirect prompt injection (OWASP LLM01) plants instructions for the model in
company files. Most published payloads open in one of a few ways: they tell the
model to ignore its previous instructions, address "the AI" or "the assistant"
directly, pose as a system or assistant turn, or ask for something "in every
answer". A sentence that does so is replaced by :data:`REMOVED` and counted, and
markdown images (the known exfiltration channel: the image URL carries the data)
are dropped.

This is a heuristic in front of the structural defences (the ``<document>``
fence, the "documents are data" rule, the output checks), not a replacement: a
paraphrased or translated instruction passes it. A document that merely
*discusses* prompt injection loses the sentences that quote a payload.
"""

from __future__ import annotations

import re

__all__ = ["IMAGES_KIND", "INSTRUCTIONS_KIND", "REMOVED", "remove_instructions"]

INSTRUCTIONS_KIND = "instructions_to_ai"
"""The ``hidden_removed`` key under which removed sentences are counted."""
IMAGES_KIND = "markdown_images"
"""The ``hidden_removed`` key under which removed markdown images are counted."""
REMOVED = "[instruction to the AI removed]"
"""What a removed sentence is replaced with, so the reader sees that something was."""

_ADDRESSEE = (
    r"(?:ai(?: assistant| model)?|a\.i\.|assistant|chat ?bot|language model|llm|gpt)"
    r"(?!\s+(?:manager|director|buyer|editor|coach))"
)
_PATTERNS = [
    # "ignore all previous instructions", "disregard the above rules"
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}?"
    r"\b(?:previous|prior|above|earlier|preceding|all|any|your|these)\b[^.!?\n]{0,25}?"
    r"\b(?:instructions?|prompts?|rules|directions|guidelines|directives)\b",
    # "note to the AI assistant", "message for the language model"
    rf"\b(?:note|message|instructions?|reminder)\b[ ,:-]+(?:to|for)"
    rf"\s+(?:the\s+|any\s+|all\s+)?{_ADDRESSEE}s?\b",
    # "Attention, AI assistant", "Dear language model"
    rf"\b(?:attention|dear|hey|hello)\b[ ,:-]+(?:(?:to|for)\s+)?(?:the\s+)?{_ADDRESSEE}s?\b",
    # a fake conversation turn: "Assistant: …", "SYSTEM: …" at the start of a sentence
    r"(?:^|(?<=[.!?])\s+)(?:system|assistant)\s*:",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.MULTILINE)
_IMAGE = re.compile(r"!\[[^\]\n]{0,200}\]\([^)\n]{0,500}\)")
_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?;])\s+)(?=\S)", re.MULTILINE)


def remove_instructions(text: str) -> tuple[str, dict[str, int]]:
    """Drop markdown images and instructions to the AI; return the text and counts.

    From the sentence where an instruction starts, the rest of its paragraph (up
    to the line break) goes too: a payload rarely stops after one sentence.
    """
    text, images = _IMAGE.subn("", text)
    counts = {IMAGES_KIND: images, INSTRUCTIONS_KIND: 0}
    if not _INSTRUCTION.search(text):
        return text, counts
    lines = []
    for line in text.split("\n"):
        found = _INSTRUCTION.search(line)
        if found is None:
            lines.append(line)
            continue
        starts = [m.start() for m in _SENTENCE_START.finditer(line) if m.start() <= found.start()]
        cut = max(starts, default=0)
        counts[INSTRUCTIONS_KIND] += 1
        lines.append(f"{line[:cut].rstrip()} {REMOVED}".lstrip())
    return "\n".join(lines), counts
