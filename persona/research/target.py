"""Which segment a research command is about: its number in the latest segmentation or its label."""

from __future__ import annotations

from persona.errors import NotFoundError
from persona.repos.segmentations import StoredSegment
from persona.segmentation import load_segments
from persona.services import Services

__all__ = ["find_segment"]


def find_segment(services: Services, ref: str | int) -> StoredSegment:
    """The segment of the latest segmentation numbered ``ref`` (as ``persona segments show``
    lists them) or labelled ``ref`` (case-insensitive); :class:`NotFoundError` otherwise."""
    stored = load_segments(services)
    text = str(ref).strip()
    for segment in stored:
        if text.isdigit() and segment.segment_index == int(text):
            return segment
    for segment in stored:
        if segment.label.casefold() == text.casefold():
            return segment
    known = ", ".join(f"{s.segment_index} ({s.label})" for s in stored)
    raise NotFoundError(
        "segment", text, hint=f"Use a segment number or label of the latest segmentation: {known}."
    )
