"""Interview transcripts as files: Markdown for reading, CSV for analysis, JSON for tools.

Every format carries the synthetic-research label, the persona and its version,
and for each answer its status, the guard's flags and the documents it was given.
Model text is neutralised for Markdown (no links or images survive) and made
formula-safe for CSV (CWE-1236); invisible characters are dropped everywhere.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from persona.errors import ExportError
from persona.exports import write_export
from persona.repos import interviews as interview_repo
from persona.repos.interviews import Turn
from persona.repos.personas import persona_name
from persona.safe_text import neutralize_markdown, strip_invisible
from persona.services import Services
from persona.text import csv_cell, synthetic_label

__all__ = [
    "TRANSCRIPT_FORMATS",
    "Transcript",
    "export_transcript",
    "load_transcript",
    "transcript_csv",
    "transcript_json",
    "transcript_markdown",
]

TranscriptFormat = Literal["md", "csv", "json"]
TRANSCRIPT_FORMATS: tuple[TranscriptFormat, ...] = ("md", "csv", "json")
SYNTHETIC_NOTE = synthetic_label("research")


@dataclass(frozen=True)
class Transcript:
    """One interview with what is needed to show it outside the app."""

    interview_id: int
    title: str
    persona_name: str
    persona_version: int
    created_at: str
    turns: list[Turn]

    @property
    def unanswered(self) -> frozenset[int]:
        """Numbers of the questions that have no stored answer."""
        asked = {t.turn_no for t in self.turns if t.role == "user"}
        return frozenset(asked - {t.turn_no for t in self.turns if t.role == "assistant"})


def load_transcript(services: Services, interview_id: int) -> Transcript:
    """The interview's turns and header; :class:`NotFoundError` for an unknown id."""
    row = interview_repo.get_interview(services.store, services.project_id, interview_id)
    name = persona_name(services.store, row.persona_id)
    return Transcript(
        interview_id=interview_id,
        title=row.title,
        persona_name=name if name is not None else "(deleted persona)",
        persona_version=row.persona_version,
        created_at=row.created_at,
        turns=interview_repo.load_turns(services.store, interview_id),
    )


def _who(turn: Turn, transcript: Transcript) -> str:
    return "Researcher" if turn.role == "user" else transcript.persona_name


def _notes(turn: Turn, transcript: Transcript) -> list[str]:
    notes = [] if turn.complete else ["interrupted: no complete answer was stored"]
    if turn.complete and turn.role == "user" and turn.turn_no in transcript.unanswered:
        notes.append("no answer was stored")
    notes += [f"{flag.kind}: {flag.message}" for flag in turn.flags]
    return notes


def transcript_markdown(transcript: Transcript) -> str:
    """The transcript as Markdown: label, header, then each turn with its sources and flags."""
    name = neutralize_markdown(transcript.persona_name)
    lines = [
        f"# Interview {transcript.interview_id} with {name}",
        "",
        f"> **{SYNTHETIC_NOTE}**",
        "",
        f"Persona version {transcript.persona_version}; started "
        f"{transcript.created_at[:16].replace('T', ' ')} UTC.",
        "",
    ]
    for turn in transcript.turns:
        who = neutralize_markdown(_who(turn, transcript))
        lines.append(f"**{who}** ({turn.turn_no}): {neutralize_markdown(turn.content)}")
        if turn.sources:
            cited = "; ".join(neutralize_markdown(s.label()) for s in turn.sources)
            lines.append(f"  \n*Documents given:* {cited}")
        for note in _notes(turn, transcript):
            lines.append(f"  \n*⚠ {neutralize_markdown(note)}*")
        lines.append("")
    return "\n".join(lines)


def transcript_csv(transcript: Transcript) -> str:
    """One row per turn: turn, speaker, text, status, flags, sources, synthetic."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["interview", "turn", "speaker", "text", "status", "flags", "sources",
                     "synthetic"])  # fmt: skip
    for turn in transcript.turns:
        row = [
            transcript.interview_id,
            turn.turn_no,
            _who(turn, transcript),
            turn.content,
            turn.status,
            "; ".join(_notes(turn, transcript)),
            "; ".join(s.label() for s in turn.sources),
            "simulated answer" if turn.role == "assistant" else "researcher question",
        ]
        writer.writerow([csv_cell(strip_invisible(str(cell))) for cell in row])
    return buffer.getvalue()


def transcript_json(transcript: Transcript) -> str:
    """The transcript as JSON, labelled synthetic."""
    data = {
        "synthetic": True,
        "note": SYNTHETIC_NOTE,
        "interview_id": transcript.interview_id,
        "title": strip_invisible(transcript.title),
        "persona": strip_invisible(transcript.persona_name),
        "persona_version": transcript.persona_version,
        "created_at": transcript.created_at,
        "turns": [
            {
                "turn": turn.turn_no,
                "speaker": "researcher" if turn.role == "user" else "persona",
                "text": strip_invisible(turn.content),
                "status": turn.status,
                "answered": turn.role == "assistant" or turn.turn_no not in transcript.unanswered,
                "flags": [{"kind": f.kind, "message": f.message} for f in turn.flags],
                "sources": [
                    {"chunk_id": s.chunk_id, "file": s.file, "page": s.page} for s in turn.sources
                ],
            }
            for turn in transcript.turns
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


_WRITERS = {"md": transcript_markdown, "csv": transcript_csv, "json": transcript_json}


def export_transcript(
    services: Services, interview_id: int, fmt: str = "md", path: Path | None = None
) -> Path:
    """Write one interview's transcript atomically; returns the file written.

    The default file is ``exports/interview-<id>.<fmt>`` in the workspace. Raises
    :class:`ExportError` for an unknown format or an unwritable path and
    :class:`NotFoundError` for an unknown interview.
    """
    if fmt not in _WRITERS:
        raise ExportError(
            f"Unknown transcript format {fmt!r}.", hint=f"Use {', '.join(TRANSCRIPT_FORMATS)}."
        )
    transcript = load_transcript(services, interview_id)
    target = path or services.settings.exports_path / f"interview-{interview_id}.{fmt}"
    return write_export(target, _WRITERS[fmt](transcript))
