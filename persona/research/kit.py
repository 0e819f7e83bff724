"""Screener and research-kit files: Markdown and standalone HTML, written atomically.

A research kit is the screener of a segment plus the guide for real interviews
with its customers, in one file for the recruiter and the interviewer. Every
data-derived string is neutralised in Markdown and escaped in HTML. The files
go to the workspace's exports unless a path is given; they name no customer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from persona.errors import ExportError
from persona.exports import write_export
from persona.render import render_html
from persona.research.guide import RealGuide
from persona.research.screener import Screener
from persona.safe_text import neutralize_markdown as _md

__all__ = ["KitFormat", "render_kit_html", "render_kit_markdown", "write_kit"]

KitFormat = Literal["md", "html"]

SCREENER_NOTE = (
    "Questions about what the company records (spend, orders, visits) can be answered from "
    "the customer table for invited customers; ask them only of people recruited elsewhere."
)


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _title(screener: Screener, guide: RealGuide | None) -> str:
    what = "Research kit" if guide is not None else "Screener"
    return f"{what}: segment {screener.segment}, {screener.label}"


def render_kit_markdown(screener: Screener, guide: RealGuide | None = None) -> str:
    """The screener (and the guide, for a kit) as Markdown."""
    lines = [
        f"# {_md(_title(screener, guide))}",
        "",
        f"{screener.size:,} customers in the segment.",
        "",
        "## Screener",
        "",
        f"Invite a person only if every answer qualifies. On the segmented table, "
        f"{_pct(screener.precision)} of the customers who qualify belong to the segment "
        f"(precision) and {_pct(screener.recall)} of the segment qualifies (recall); "
        f"{screener.support:,} customers qualify. Rule: {_md(screener.rule)}.",
        "",
    ]
    for q in screener.questions:
        answers = " / ".join(f"**{_md(o)}**" if o in q.qualifying else _md(o) for o in q.options)
        lines += [
            f"{q.number}. {_md(q.question)}",
            f"    - Answers (qualifying in bold): {answers}",
            f"    - Checks {_md(q.criterion)}: keeps {_pct(q.kept)} of the segment alone, "
            f"{_pct(q.kept_cumulative)} with the questions above.",
        ]
    lines += ["", SCREENER_NOTE, ""]
    if screener.alternatives:
        lines += ["Other rules that also pick out this segment:", ""]
        lines += [
            f"- {_md(str(a['rule']))} (precision {_pct(float(a['precision']))}, "
            f"recall {_pct(float(a['recall']))})"
            for a in screener.alternatives
        ]
        lines.append("")
    if guide is not None:
        lines += ["## Interview guide", "", f"*Opening:* {_md(guide.opening)}", ""]
        lines += [f"{n}. {_md(g.text)}" for n, g in enumerate(guide.questions, start=1)]
        if guide.probes:
            lines += [
                "",
                "### Topics to probe",
                "",
                "Hypotheses from simulated research. Do not read them out; ask the question "
                "and let the participant answer in their own words.",
                "",
            ]
            for n, probe in enumerate(guide.probes, start=1):
                lines += [
                    f"{n}. {_md(probe.text)}",
                    f"    - Hypothesis ({_md(probe.tier or '')}): {_md(probe.hypothesis or '')}",
                ]
        lines += ["", f"*Closing:* {_md(guide.closing)}", ""]
        lines += [f"- {_md(n)}" for n in guide.notes]
    return "\n".join(lines).rstrip() + "\n"


def render_kit_html(screener: Screener, guide: RealGuide | None = None) -> str:
    """The screener (and the guide, for a kit) as one standalone HTML page."""
    return render_html(
        "research_kit",
        title=_title(screener, guide),
        screener=screener,
        guide=guide,
        screener_note=SCREENER_NOTE,
    )


def write_kit(
    exports: Path,
    screener: Screener,
    guide: RealGuide | None = None,
    fmt: str = "md",
    path: Path | None = None,
) -> Path:
    """Write the screener (``guide`` None) or the research kit; default file in ``exports``:
    ``screener-<segment>.<fmt>`` or ``research-kit-<segment>.<fmt>``."""
    renderers = {"md": render_kit_markdown, "html": render_kit_html}
    if fmt not in renderers:
        raise ExportError(f"Unknown format {fmt!r}.", hint="Use md or html.")
    stem = "screener" if guide is None else "research-kit"
    target = path or exports / f"{stem}-{screener.segment}.{fmt}"
    return write_export(target, renderers[fmt](screener, guide))
