"""Panels: one question to every persona of a project, answers side by side.

Each persona answers from the same system prompt as in an interview (no
history), with the same fenced company context, the same override pre-check
and the same consistency guard. The panel is stored first, then each answer in
its own transaction, so a failure half-way keeps the answers already given.
Answers carry their segment's share of customers, which is what weights them.

Exports: CSV (formula-safe: a cell that a spreadsheet would read as a formula
gets a leading apostrophe, CWE-1236) and Markdown (model text neutralised).
Both say the answers are simulated. File names come from the panel id only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict, Field

from persona.consistency import Flag, check_answer
from persona.errors import ExportError, NotFoundError, PersonaError
from persona.exports import write_export
from persona.interview.override import override_attempt
from persona.interview.prompt import TokenCounter, build_messages, refusal, system_prompt
from persona.interview.session import clean_question, fit_question, retrieve
from persona.llm import capabilities, invoke_text
from persona.models import Persona
from persona.personas import get_persona, list_personas
from persona.repos import panels as panel_repo
from persona.repos.interviews import Source
from persona.safe_text import neutralize_markdown, strip_invisible
from persona.text import csv_cell, synthetic_label

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from persona.knowledge import Citation
    from persona.services import Services

__all__ = [
    "SYNTHETIC_NOTE",
    "PanelAnswer",
    "PanelFormat",
    "PanelResult",
    "ask_panel",
    "export_panel",
    "get_panel",
    "list_panels",
    "panel_csv",
    "panel_markdown",
]

PanelFormat = Literal["csv", "md"]

SYNTHETIC_NOTE = synthetic_label("research")


class PanelAnswer(BaseModel):
    """One persona's answer, with its segment's share of customers and the guard's flags."""

    model_config = ConfigDict(extra="forbid")

    persona_id: int
    persona_name: str
    segment_label: str
    share: float = Field(ge=0.0, le=1.0)
    answer: str
    flags: list[Flag] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list, description="Chunk ids given as context.")
    created_at: str = ""

    @property
    def refused(self) -> bool:
        """True when the question was refused as an override attempt."""
        return any(flag.kind == "override" for flag in self.flags)


class PanelResult(BaseModel):
    """A panel question and every persona's answer, largest segment first."""

    model_config = ConfigDict(extra="forbid")

    synthetic: Literal[True] = True
    id: int
    question: str
    created_at: str
    answers: list[PanelAnswer] = Field(default_factory=list)

    @property
    def covered_share(self) -> float:
        """The share of customers the answering personas stand for together."""
        return sum(a.share for a in self.answers)


# --------------------------------------------------------------------------- asking


def ask_panel(
    services: Services,
    question: str,
    *,
    persona_ids: Sequence[int] | None = None,
    on_answer: Callable[[PanelAnswer], None] | None = None,
) -> PanelResult:
    """Ask every persona of the project (or ``persona_ids``) the same question.

    Against an OpenAI-compatible endpoint up to ``llm_concurrency`` personas
    answer at once; with the embedded model one after another. ``on_answer``
    sees each answer as soon as it is stored. Raises :class:`PersonaError`
    when the project has no personas, :class:`NotFoundError` for an unknown id.
    """
    text = clean_question(question, services.known_identifiers())
    ids = list(dict.fromkeys(persona_ids)) if persona_ids is not None else None
    if ids is None:
        ids = [p.id for p in list_personas(services)]
    if not ids:
        raise PersonaError(
            "This project has no personas to ask.",
            hint="Segment the customer table and generate personas first.",
        )
    personas = {pid: get_persona(services, pid).persona for pid in ids}
    panel_id = panel_repo.create_panel(services.store, services.project_id, text)
    attempt = override_attempt(text)
    citations = [] if attempt is not None else retrieve(services, text)
    model = services.chat_model() if attempt is None else None

    def answer_one(pid: int) -> PanelAnswer:
        return _answer(services, model, panel_id, pid, personas[pid], text, citations, attempt)

    workers = capabilities(model).workers(services.settings.llm_concurrency, len(ids))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="panel") as pool:
            for answer in pool.map(answer_one, ids):
                if on_answer is not None:
                    on_answer(answer)
    else:
        for pid in ids:
            answer = answer_one(pid)
            if on_answer is not None:
                on_answer(answer)
    return get_panel(services, panel_id)


def _answer(
    services: Services,
    model: BaseChatModel | None,
    panel_id: int,
    persona_id: int,
    persona: Persona,
    question: str,
    citations: list[Citation],
    attempt: str | None,
) -> PanelAnswer:
    used: list[Source] = []
    if attempt is not None or model is None:
        answer = refusal(persona)
        flags = [
            Flag(
                kind="override",
                message="An attempt to override the personas; refused in character without "
                "calling the model.",
                text=attempt or "",
            )
        ]
    else:
        counter = TokenCounter(model)
        system = system_prompt(persona)
        current, used, _tokens = fit_question(services, counter, system, question, citations)
        messages: list[BaseMessage] = build_messages(system, [], current)
        answer = " ".join(strip_invisible(invoke_text(model, messages)).split())
        flags = [] if answer else [Flag(kind="empty", message="The model gave no answer.")]
        answer = answer or "I don't know."
        flags += check_answer(answer, persona, question=question)
    panel_repo.save_answer(services.store, panel_id, persona_id, answer, flags, used)
    return PanelAnswer(
        persona_id=persona_id,
        persona_name=persona.name,
        segment_label=persona.facts.label,
        share=persona.facts.share,
        answer=answer,
        flags=flags,
        sources=[s.chunk_id for s in used],
    )


# --------------------------------------------------------------------------- reading


def get_panel(services: Services, panel_id: int) -> PanelResult:
    """A stored panel with its answers, largest segment first."""
    row = panel_repo.find_panel(services.store, services.project_id, panel_id)
    if row is None:
        raise NotFoundError("panel", panel_id, hint="List panels with `persona panel --list`.")
    answers = []
    for answer in panel_repo.panel_answers(services.store, panel_id):
        persona = _persona_or_none(services, answer.persona_id)
        answers.append(
            PanelAnswer(
                persona_id=answer.persona_id,
                persona_name=answer.persona_name,
                segment_label=persona.facts.label if persona else "",
                share=persona.facts.share if persona else 0.0,
                answer=answer.answer,
                flags=list(answer.flags),
                sources=[s.chunk_id for s in answer.sources],
                created_at=answer.created_at,
            )
        )
    answers.sort(key=lambda a: (-a.share, a.persona_id))
    return PanelResult(
        id=panel_id, question=row.question, created_at=row.created_at, answers=answers
    )


def _persona_or_none(services: Services, persona_id: int) -> Persona | None:
    try:
        return get_persona(services, persona_id).persona
    except NotFoundError:
        return None


def list_panels(services: Services) -> list[PanelResult]:
    """Every panel of the project with its answers, oldest first."""
    return [
        get_panel(services, i) for i in panel_repo.panel_ids(services.store, services.project_id)
    ]


# --------------------------------------------------------------------------- exports


def _as_list(results: PanelResult | Sequence[PanelResult]) -> list[PanelResult]:
    return [results] if isinstance(results, PanelResult) else list(results)


def _rows(results: list[PanelResult]) -> list[tuple[int, str, str, float]]:
    """(persona id, name, segment, share) of every persona answering any panel."""
    seen: dict[int, tuple[int, str, str, float]] = {}
    for result in results:
        for a in result.answers:
            seen.setdefault(a.persona_id, (a.persona_id, a.persona_name, a.segment_label, a.share))
    return sorted(seen.values(), key=lambda r: (-r[3], r[0]))


def _flag_text(flags: Sequence[Flag]) -> str:
    return "; ".join(f"{f.kind}: {f.message}" for f in flags)


def panel_csv(results: PanelResult | Sequence[PanelResult]) -> str:
    """The answer matrix as CSV: one row per persona, one answer column per question.

    Columns: persona, segment, share of customers (percent), each question's
    answer, flags, and ``synthetic``. Every cell is made formula-safe.
    """
    panels = _as_list(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["persona", "segment", "share_of_customers_pct"]
    header += [p.question for p in panels]
    header += ["flags", "synthetic"]
    writer.writerow([csv_cell(h) for h in header])
    by_panel = [{a.persona_id: a for a in p.answers} for p in panels]
    for persona_id, name, segment, share in _rows(panels):
        answers = [by.get(persona_id) for by in by_panel]
        flags = "; ".join(
            f"Q{n}: {_flag_text(a.flags)}"
            for n, a in enumerate(answers, start=1)
            if a is not None and a.flags
        )
        row = [name, segment, f"{share * 100:.1f}"]
        row += [a.answer if a is not None else "" for a in answers]
        row += [flags, "simulated answer"]
        writer.writerow([csv_cell(strip_invisible(str(cell))) for cell in row])
    return buffer.getvalue()


def panel_markdown(results: PanelResult | Sequence[PanelResult]) -> str:
    """The panel as Markdown: the synthetic label, then a table per question."""
    panels = _as_list(results)
    lines = ["# Persona panel", "", f"> **{SYNTHETIC_NOTE}**", ""]
    for number, panel in enumerate(panels, start=1):
        lines += [
            f"## Question {number}: {neutralize_markdown(panel.question)}",
            "",
            f"Asked {panel.created_at[:16].replace('T', ' ')} UTC; the answering personas "
            f"stand for {panel.covered_share * 100:.1f}% of customers.",
            "",
            "| Persona | Segment | Share of customers | Answer | Flags |",
            "|---|---|---:|---|---|",
        ]
        for a in panel.answers:
            lines.append(
                f"| {neutralize_markdown(a.persona_name)} | {neutralize_markdown(a.segment_label)} "
                f"| {a.share * 100:.1f}% | {neutralize_markdown(a.answer)} "
                f"| {neutralize_markdown(_flag_text(a.flags)) or '—'} |"
            )
        lines.append("")
    return "\n".join(lines)


def export_panel(
    services: Services,
    panel_ids: int | Sequence[int],
    fmt: PanelFormat = "csv",
    path: Path | None = None,
) -> Path:
    """Write one panel (or a matrix of several) as CSV or Markdown, atomically.

    The default file is ``exports/panel-<ids>.<fmt>`` in the workspace.
    """
    ids = [panel_ids] if isinstance(panel_ids, int) else list(panel_ids)
    if not ids:
        raise ExportError("No panel to export.", hint="Name at least one panel id.")
    if fmt not in ("csv", "md"):
        raise ExportError(f"Unknown panel format {fmt!r}.", hint="Use csv or md.")
    results = [get_panel(services, pid) for pid in ids]
    text = panel_csv(results) if fmt == "csv" else panel_markdown(results)
    target = path or services.settings.exports_path / f"panel-{'-'.join(map(str, ids))}.{fmt}"
    return write_export(target, text)
