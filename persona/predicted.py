"""Predicted value and churn risk of stored segments, as people read them.

The segment table's value and risk columns (CLI and app) and the brief's "which
segment to save first" are built here from the aggregates each stored profile
holds (``profile["prediction"]``, :class:`segments.SegmentPrediction`); no
per-customer prediction is read.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from persona.errors import NotFoundError
from persona.repos.segmentations import StoredSegment
from persona.safe_text import neutralize_markdown
from persona.segmentation import load_segments
from persona.services import Services

__all__ = [
    "SAVE_FIRST_NOTE",
    "SAVE_FIRST_TITLE",
    "SavePriority",
    "prediction_cells",
    "prediction_columns",
    "prediction_legend",
    "project_save_first",
    "save_first",
    "save_first_markdown",
]


def _prediction(segment: StoredSegment) -> dict[str, Any]:
    return dict(segment.profile.get("prediction") or {})


def prediction_columns(stored: list[StoredSegment]) -> dict[str, str]:
    """Header → prediction field for the value and risk columns the segments have."""
    fields = {key for s in stored for key, v in _prediction(s).items() if v is not None}
    wanted = {
        "value share": "value_share",
        "VIPs": "vip_rate",
        "P(alive)": "mean_p_alive",
        "churn risk": "mean_churn_risk",
        "at risk": "value_at_risk_share",
    }
    return {header: key for header, key in wanted.items() if key in fields}


def prediction_cells(segment: StoredSegment, columns: dict[str, str]) -> list[str]:
    """The segment's value and risk cells (percentages; empty when withheld)."""
    data = _prediction(segment)
    return ["" if data.get(key) is None else f"{data[key]:.0%}" for key in columns.values()]


def prediction_legend(stored: list[StoredSegment]) -> str:
    """One line saying what the value and risk columns are."""
    data = next((_prediction(s) for s in stored if _prediction(s)), {})
    if data.get("source") == "value":
        return (
            f"value share: of all value predicted for the next {data.get('horizon_weeks', 52):g} "
            "weeks (BG/NBD + Gamma-Gamma); VIPs: customers in the top tenth by predicted "
            "value; at risk: share of the value of customers who may be leaving "
            "(value × (1 − P(alive)))."
        )
    return (
        f"churn risk: mean predicted probability of {data.get('outcome')!r} (cross-validated); "
        "at risk: share of the customers expected to leave."
    )


class SavePriority(BaseModel):
    """One segment in the "which segment to save first" ranking (aggregates only)."""

    model_config = ConfigDict(extra="forbid")

    rank: int
    segment_index: int
    label: str
    source: str
    """``value`` (BG/NBD on a log) or ``churn`` (a churn model on an outcome column)."""
    customer_share: float
    value_share: float | None = None
    risk: float | None = None
    """Mean churn risk, or 1 − mean P(alive)."""
    value_at_risk: float
    value_at_risk_share: float | None = None
    sentence: str


def _sentence(segment: StoredSegment, data: dict[str, Any]) -> str:
    share = f"{segment.share:.0%} of customers"
    if data.get("value_share") is not None:
        share += f", {data['value_share']:.0%} of predicted value"
    of_all = (
        f" ({data['value_at_risk_share']:.0%} of all)"
        if data.get("value_at_risk_share") is not None
        else ""
    )
    if data.get("source") == "value":
        weeks = data.get("horizon_weeks") or 52
        risk = (
            f"mean P(alive) {data['mean_p_alive']:.0%}"
            if data.get("mean_p_alive") is not None
            else ""
        )
        at_risk = (
            f"{data['value_at_risk']:,.0f} of the value predicted for the next {weeks:g} weeks "
            f"is with customers who may be leaving{of_all}"
        )
    else:
        risk = f"mean risk of {data.get('outcome')} {data.get('mean_churn_risk', 0):.0%}"
        at_risk = f"{data['value_at_risk']:,.0f} customers are expected to leave{of_all}"
    text = f"Segment {segment.segment_index} ({segment.label}): {share}; {risk}; {at_risk}."
    return text.replace("%", " %")


def save_first(stored: list[StoredSegment]) -> list[SavePriority]:
    """Segments with predictions, most value at risk first ("which segment to save first").

    Value at risk is predicted value × (1 − P(alive)) summed over a segment's
    customers (a log), or the number of customers expected to leave (churn risk
    only); see :mod:`segments.predictions`. Segments too small to describe have no
    prediction and are not ranked.
    """
    known = [(s, _prediction(s)) for s in stored]
    known = [(s, d) for s, d in known if d.get("value_at_risk") is not None]
    known.sort(key=lambda item: (-float(item[1]["value_at_risk"]), item[0].segment_index))
    out = []
    for rank, (segment, data) in enumerate(known, start=1):
        risk = data.get("mean_churn_risk")
        if risk is None and data.get("mean_p_alive") is not None:
            risk = 1.0 - float(data["mean_p_alive"])
        out.append(
            SavePriority(
                rank=rank,
                segment_index=segment.segment_index,
                label=segment.label,
                source=str(data.get("source", "")),
                customer_share=segment.share,
                value_share=data.get("value_share"),
                risk=risk,
                value_at_risk=float(data["value_at_risk"]),
                value_at_risk_share=data.get("value_at_risk_share"),
                sentence=_sentence(segment, data),
            )
        )
    return out


SAVE_FIRST_TITLE = "Which segment to save first"
SAVE_FIRST_NOTE = (
    "Ranked by value at risk: predicted value × (1 − P(alive)) of each segment's "
    "customers for a transaction log, the customers expected to leave for a churn "
    "outcome. Predictions come from the customer data, not from the interviews."
)


def project_save_first(services: Services) -> list[SavePriority]:
    """:func:`save_first` of the project's latest segmentation (empty without one)."""
    try:
        return save_first(load_segments(services))
    except NotFoundError:
        return []


def save_first_markdown(priorities: list[SavePriority]) -> list[str]:
    """The brief's "which segment to save first" section as Markdown lines (empty if none)."""
    if not priorities:
        return []
    lines = ["", f"## {SAVE_FIRST_TITLE}", "", SAVE_FIRST_NOTE, ""]
    return lines + [f"{p.rank}. {neutralize_markdown(p.sentence)}" for p in priorities]
