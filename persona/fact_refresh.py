"""A persona's facts brought up to date by a newer snapshot, as a new version.

The segment keeps its definition (the saved model assigns the newer customers),
so its statistics are measured again on them: size, share, and every numeric and
category statistic. Rules and scorecard verdicts belong to the fit and keep their
values. The narrative is not rewritten — edited fields stay as the person wrote
them, generated ones as they were — but an item that cites a fact that moved
materially gets a warning on the persona saying which fact moved, so nobody reads
an old number as current. Regeneration (``persona personas regenerate``) rewrites.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from persona.models import Persona, SegmentFacts
from segments.profile import SegmentProfile

__all__ = ["FactMove", "refreshed_persona"]

_KEPT = ("segment_id", "segment_label")
"""Facts that name the segment: a refresh does not rename it."""


@dataclass(frozen=True)
class FactMove:
    """One fact whose value changed between two snapshots."""

    name: str
    label: str
    before: float | int | str
    after: float | int | str
    material: bool
    """Moved enough to matter: 1 point for percentages, else 5 % of the old value."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "name": self.name,
            "label": self.label,
            "before": self.before,
            "after": self.after,
            "material": self.material,
        }


def _material(before: Any, after: Any, unit: str) -> bool:
    if not isinstance(before, int | float) or not isinstance(after, int | float):
        return before != after
    if unit == "percent":
        return abs(after - before) >= 1.0
    scale = max(abs(float(before)), 1e-9)
    return abs(after - before) / scale >= 0.05


def refreshed_persona(
    persona: Persona, profile: SegmentProfile, snapshot: str
) -> tuple[Persona, list[FactMove]]:
    """``persona`` with its segment's facts measured on the newer snapshot.

    ``profile`` is the segment measured on the newer customers
    (:func:`segments.snapshot.measure_snapshot` with ``profiles=True``);
    ``snapshot`` names it in warnings (e.g. ``"snapshot #3 (customers_nov.csv)"``).
    Returns the new persona and the facts that moved.
    """
    old = persona.facts
    fresh = {f.name: f for f in profile.fact_list() if f.statistic not in _KEPT}
    moves: list[FactMove] = []
    typed = []
    for fact in old.facts:
        new = fresh.get(fact.name)
        if new is None or new.value == fact.value:
            typed.append(fact)
            continue
        moves.append(
            FactMove(
                fact.name,
                fact.label,
                fact.value,
                new.value,
                _material(fact.value, new.value, fact.unit),
            )
        )
        typed.append(replace(fact, value=new.value))
    statistics = dict(old.statistics)
    for move in moves:
        if move.name in statistics:
            statistics[move.name] = move.after
    facts = SegmentFacts(
        segment_id=old.segment_id,
        segment_index=old.segment_index,
        label=old.label,
        size=int(profile.size),
        share=float(profile.share),
        statistics=statistics,
        facts=typed,
    )
    material = {m.name: m for m in moves if m.material}
    warnings = [w for w in persona.warnings if not w.startswith("Since snapshot")]
    for field, item in persona.items():
        for evidence in item.evidence:
            cited = material.get(evidence.stat or "")
            if evidence.kind == "stat" and cited is not None:
                warnings.append(
                    f"Since {snapshot}, {cited.label} moved from {cited.before} to {cited.after}; "
                    f"the {field.replace('_', ' ')} item citing it was written with the old "
                    "value (regenerate to rewrite it)."
                )
    return persona.model_copy(update={"facts": facts, "warnings": warnings}), moves
