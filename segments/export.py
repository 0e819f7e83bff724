"""Exports: the labels CSV (formula-safe), the profiles JSON and plotly figures.

Every CSV cell that a spreadsheet could read as a formula (first character,
also after leading spaces, ``= + - @`` or their full-width forms, tab, carriage
return, newline or NUL; CWE-1236, OWASP ASVS 1.2.10) is prefixed with ``'``
(:func:`safe_cell`, which the persona exports use too). Files are written by
:func:`write_atomic`: a reader never sees half a file, and a crash never leaves one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from segments.assign import assign_segments
from segments.cluster import sample_rows

if TYPE_CHECKING:
    from segments.profile import SegmentProfile
    from segments.result import SegmentationResult

__all__ = [
    "FORMULA_PREFIXES",
    "export_labels_csv",
    "export_profiles_json",
    "profile_figure",
    "safe_cell",
    "segment_map_figure",
    "value_share_figure",
    "write_atomic",
    "write_labels_csv",
]

FORMULA_PREFIXES = (
    "=", "+", "-", "@", "\t", "\r", "\n", "\0",
    "\uff1d", "\uff0b", "\uff0d", "\uff20",  # full-width = + - @, which Excel also reads
)  # fmt: skip
MAP_POINTS = 5_000


def safe_cell(value: object) -> str:
    """Text of a cell that no spreadsheet will run as a formula (NUL characters dropped).

    ``None`` and NaN are empty cells. A cell starting with one of
    :data:`FORMULA_PREFIXES`, also after leading spaces (which some spreadsheets
    trim), gets a leading apostrophe.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    if text.lstrip(" ").startswith(FORMULA_PREFIXES):
        text = "'" + text
    return text.replace("\0", "")


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) so readers see the old file or the new one, never half.

    A temporary file in the same folder, fsync, ``os.replace``, then fsync of the
    folder so the rename itself survives a crash.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return target


def export_labels_csv(
    result: SegmentationResult,
    path: str | Path,
    *,
    predictions: Mapping[str, pd.Series] | None = None,
) -> Path:
    """Write ``customer ID, segment, segment_label`` for every customer (UTF-8, RFC 4180).

    The only per-customer output of the package: IDs and segment numbers, and
    with ``predictions`` (header → per-customer values indexed by customer id, e.g.
    :meth:`segments.predictions.CustomerPredictions.export_columns`) one more
    column each; nothing from personal-data columns.
    """
    names = {p.segment_id: p.label for p in result.profiles}
    return write_labels_csv(result.labels, names, result.id_column, path, extra=predictions)


def write_labels_csv(
    labels: pd.Series,
    segment_labels: Mapping[int, str],
    id_column: str | None,
    path: str | Path,
    *,
    extra: Mapping[str, pd.Series] | None = None,
) -> Path:
    """Write ``customer ID, segment, segment_label`` rows for ``labels`` (ID → segment).

    :func:`export_labels_csv` for a fitted result; this for customers assigned
    with a loaded model, whose segment names come from the stored profiles.
    ``extra`` adds columns (header → values by customer id; a customer without a
    value gets an empty cell). Every cell is formula-safe (:func:`safe_cell`).
    """
    columns = {name: values.reindex(labels.index) for name, values in (extra or {}).items()}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [safe_cell(id_column or "customer_id"), "segment", "segment_label"]
        + [safe_cell(name) for name in columns]
    )
    cells = [values.tolist() for values in columns.values()]
    for row, (customer, segment) in enumerate(labels.items()):
        writer.writerow(
            [
                safe_cell(customer),
                str(int(segment)),
                safe_cell(segment_labels.get(int(segment), "")),
                *(safe_cell(values[row]) for values in cells),
            ]
        )
    return write_atomic(Path(path), buffer.getvalue())


def export_profiles_json(result: SegmentationResult, path: str | Path) -> Path:
    """Write :meth:`SegmentationResult.to_dict` as indented JSON (aggregates only)."""
    text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    return write_atomic(Path(path), text + "\n")


def _map_labels(result: SegmentationResult, frame: pd.DataFrame) -> np.ndarray:
    if result.id_column is not None and result.id_column in frame.columns:
        known = result.labels.reindex(pd.Index(frame[result.id_column]))
        if known.notna().all():
            return known.to_numpy(dtype="int64")
    elif len(frame) == len(result.labels):
        return result.labels.to_numpy()
    return assign_segments(result, frame).to_numpy()


def segment_map_figure(
    result: SegmentationResult, frame: pd.DataFrame, *, max_points: int = MAP_POINTS
) -> Any:
    """A 2-D map of the segments (PCA of the feature matrix) as a plotly ``Figure``.

    At most ``max_points`` customers are drawn (a reproducible sample); points
    carry their segment only, never an ID.
    """
    import plotly.graph_objects as go
    from sklearn.decomposition import PCA

    rows = sample_rows(len(frame), max_points, result.random_state, salt=31)
    part = frame.iloc[rows]
    labels = _map_labels(result, part)
    x = np.asarray(result.model[:-1].transform(part), dtype="float64")
    components = min(2, x.shape[1], len(x))
    pca = PCA(n_components=components, random_state=result.random_state)
    points = pca.fit_transform(x)
    if points.shape[1] < 2:
        points = np.column_stack([points[:, 0], np.zeros(len(points))])
    explained = [*pca.explained_variance_ratio_, 0.0]
    names = {p.segment_id: p.label for p in result.profiles}
    figure = go.Figure()
    for segment in sorted(np.unique(labels)):
        inside = labels == segment
        name = f"{segment}: {names.get(int(segment), '')}"
        figure.add_trace(
            go.Scattergl(
                x=points[inside, 0],
                y=points[inside, 1],
                mode="markers",
                name=name,
                marker={"size": 5, "opacity": 0.7},
                hovertemplate=f"{name}<extra></extra>",
            )
        )
    figure.update_layout(
        title="Segment map (principal components of the features)",
        xaxis_title=f"component 1 ({explained[0]:.0%} of variance)",
        yaxis_title=f"component 2 ({explained[1]:.0%} of variance)",
        legend_title="segment",
    )
    return figure


def _column_words(name: str, words: Mapping[str, str]) -> str:
    feature, _, value = name.partition(" = ")
    shown = words.get(feature, feature)
    return f"{shown}: {value}" if value else shown


def profile_figure(result: SegmentationResult, *, features: int = 12) -> Any:
    """A heat map of how each segment differs from the base, as a plotly ``Figure``.

    Cells are standardised differences (segment mean − base mean, in base
    standard deviations; for category labels, share differences scaled the same
    way) for the features that most often rank among the segments' top ones.
    """
    import plotly.graph_objects as go

    described = [p for p in result.profiles if not p.suppressed]
    diffs: dict[int, dict[str, float]] = {}
    for p in described:
        row: dict[str, float] = {}
        for stat in p.numeric:
            if stat.std_diff is not None and not stat.outcome:
                row[stat.feature] = stat.std_diff
        for cat in p.categorical:
            if cat.std_diff is not None and not cat.outcome:
                row[cat.feature if cat.value == "true" else f"{cat.feature} = {cat.value}"] = (
                    cat.std_diff
                )
        diffs[p.segment_id] = row
    order: dict[str, float] = {}
    for p in described:
        for name in p.top_features:
            order[name] = max(order.get(name, 0.0), abs(diffs[p.segment_id].get(name, 0.0)))
    columns = sorted(order, key=lambda n: (-order[n], n))[:features]
    z = [[diffs[p.segment_id].get(c, 0.0) for c in columns] for p in described]
    words = {k: v for p in described for k, v in p.descriptions.items()}
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[_column_words(c, words) for c in columns],
            y=[f"{p.segment_id}: {p.label}" for p in described],
            colorscale="RdBu",
            reversescale=True,
            zmid=0.0,
            colorbar={"title": "std. diff."},
            hovertemplate="%{y}<br>%{x}: %{z:+.2f} sd<extra></extra>",
        )
    )
    figure.update_layout(title="How the segments differ from the customer base")
    return figure


def value_share_figure(profiles: Sequence[SegmentProfile]) -> Any | None:
    """Customer share against predicted-value share per segment, as a plotly ``Figure``.

    Bars side by side: a segment whose value bar towers over its customer bar holds
    more than its share of next period's value. Without a value prediction (churn
    risk only) the second bar is the share of customers expected to leave. ``None``
    when no segment has a prediction.
    """
    import plotly.graph_objects as go

    shown = [p for p in profiles if p.prediction is not None]
    if not shown:
        return None
    by_value = all(p.prediction is not None and p.prediction.value_share is not None for p in shown)
    names = [f"{p.segment_id}: {p.label}" for p in shown]
    customers = [p.prediction.customer_share for p in shown if p.prediction is not None]
    second = [
        (p.prediction.value_share if by_value else p.prediction.value_at_risk_share) or 0.0
        for p in shown
        if p.prediction is not None
    ]
    second_name = "share of predicted value" if by_value else "share of customers expected to leave"
    figure = go.Figure(
        [
            go.Bar(name="share of customers", x=names, y=customers,
                   hovertemplate="%{x}<br>%{y:.1%} of customers<extra></extra>"),
            go.Bar(name=second_name, x=names, y=second,
                   hovertemplate="%{x}<br>%{y:.1%} " + second_name[9:] + "<extra></extra>"),
        ]
    )  # fmt: skip
    horizon = shown[0].prediction.horizon_weeks if shown[0].prediction else None
    ahead = f" (next {horizon:g} weeks)" if by_value and horizon else ""
    figure.update_layout(
        barmode="group",
        title=f"Share of customers against {second_name[9:]}{ahead}",
        yaxis={"tickformat": ".0%", "title": "share"},
        legend={"orientation": "h", "y": -0.3},
    )
    return figure
