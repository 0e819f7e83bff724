"""The demo: the whole flow on the bundled sample data of Northwind Outfitters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from persona.brief import export_brief
from persona.generate import generate_personas
from persona.insights import compile_brief, export_insights
from persona.interview import ask, start_interview
from persona.knowledge import add_documents
from persona.panel import ask_panel, export_panel
from persona.segmentation import run_segmentation
from persona.services import Services

__all__ = ["DEMO_QUESTIONS", "SAMPLE_DATA", "DemoReport", "run_demo"]

SAMPLE_DATA = Path(__file__).resolve().parent / "sample_data"
DEMO_QUESTIONS = (
    "What do you look for when you buy outdoor gear?",
    "What frustrates you most when you shop with us?",
)
PANEL_QUESTION = "How would you feel about a paid membership with free returns?"


@dataclass
class DemoReport:
    """What the demo did, step by step, and the files it wrote."""

    steps: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def run_demo(services: Services, say: Callable[[str], None] = lambda _line: None) -> DemoReport:
    """Run segment → documents → personas → interviews → panel → insights on the sample data."""
    report = DemoReport()

    def step(line: str) -> None:
        report.steps.append(line)
        say(line)

    run = run_segmentation(services, SAMPLE_DATA / "customers.csv")
    step(
        f"Segmented {len(run.result.labels)} sample customers into {run.result.k} segments "
        f"({run.result.algorithm}): "
        + "; ".join(f"{s.label} ({s.share:.0%})" for s in run.segments)
    )

    documents = sorted(p for p in (SAMPLE_DATA / "documents").iterdir() if p.is_file())
    ingested = add_documents(services.store, services.settings, documents)
    chunks = sum(r.n_chunks for r in ingested)
    step(f"Indexed {len(ingested)} company documents ({chunks} chunks) in Chroma")

    results = generate_personas(services)
    made = [r for r in results if r.status == "generated" and r.persona_id is not None]
    skipped = [r for r in results if r.status != "generated"]
    step(
        f"Generated {len(made)} synthetic personas: "
        + ", ".join(f"{r.persona.name if r.persona else '?'} ({r.label})" for r in made)
        + (
            f"; {len(skipped)} skipped ({'; '.join(str(r.reason) for r in skipped)})"
            if skipped
            else ""
        )
    )
    if not made:
        step("No persona validated, so the demo stops here; see the reasons above.")
        return report
    for result in made:
        assert result.persona_id is not None
        report.files.append(export_brief(services, result.persona_id, "html"))
        report.files.append(export_brief(services, result.persona_id, "md"))

    interview_ids = []
    for result in made:
        assert result.persona_id is not None
        interview_id = start_interview(services, result.persona_id, title="Demo interview")
        for question in DEMO_QUESTIONS:
            ask(services, interview_id, question)
        interview_ids.append(interview_id)
    step(
        f"Interviewed each persona ({len(DEMO_QUESTIONS)} questions, {len(interview_ids)} "
        "sessions saved)"
    )

    panel = ask_panel(services, PANEL_QUESTION)
    report.files.append(export_panel(services, panel.id, "csv"))
    step(f"Asked the panel {PANEL_QUESTION!r} ({len(panel.answers)} answers)")

    brief = compile_brief(services, interview_ids=interview_ids, panel_ids=[panel.id])
    for fmt in ("md", "html", "json"):
        report.files.append(export_insights(services, brief.id, fmt))  # type: ignore[arg-type]
    step(
        f"Compiled the insight brief #{brief.id} (synthetic research) with "
        f"{len(brief.key_findings)} key findings"
    )
    return report
