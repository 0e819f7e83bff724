"""Weigh groups of correlated numeric columns as one column, so no block decides the clusters.

A customer table often measures one thing many times: Caravan's policy counts
(``APERSAUT``) and contributions (``PPERSAUT``) come in pairs, area shares come in
families that sum to 100 %. Standardised, each copy adds as much distance as an
independent column, so k-means clusters on whatever the table repeats most.

:func:`correlated_groups` finds the groups (average-linkage clustering of the
numeric columns on 1 − |Spearman ρ|, cut at ρ = :data:`GROUP_CORRELATION`), and
:func:`group_weights` gives each column of a group the weight 1/√λ₁, λ₁ being the
largest eigenvalue of the group's correlation matrix: the weighting of multiple
factor analysis (Escofier & Pagès), under which a group of m copies of one column
weighs as one column and a group of unrelated columns keeps weight ≈ 1. Groups a
data dictionary declares (its ``group`` column) are used as given: a family of
columns that measure one thing (Caravan's area demographics, its insurance
holdings) without being strongly correlated pairwise.

:func:`balance_scalers` folds the weights into the fitted ``StandardScaler`` s of the
encoder (``scale_`` divided by the weight), so the saved model and the assignment
of new customers apply them with no new step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.pipeline import Pipeline

__all__ = [
    "GROUP_CORRELATION",
    "Balance",
    "balance_scalers",
    "correlated_groups",
    "group_weights",
]

GROUP_CORRELATION = 0.9
_SAMPLE = 20_000


@dataclass
class Balance:
    """The groups weighed (two columns or more) and every re-weighted column's weight."""

    groups: list[list[str]] = field(default_factory=list)
    """Declared groups first (named in ``declared``), then the correlated ones."""
    weights: dict[str, float] = field(default_factory=dict)
    declared: list[str] = field(default_factory=list)

    def note(self, describe: Callable[[str], str] = str) -> str | None:
        """One sentence for the user (columns named by ``describe``), or ``None`` when
        nothing was re-weighted."""
        if not self.groups:
            return None
        parts = []
        named = self.groups[: len(self.declared)]
        if named:
            listed = ", ".join(
                f"{name} ({len(group)} columns)"
                for name, group in zip(self.declared, named, strict=True)
            )
            parts.append(f"the dictionary's groups {listed}")
        found = self.groups[len(self.declared) :]
        if found:
            largest = sorted(found, key=len, reverse=True)[:3]
            shown = "; ".join(
                ", ".join(map(describe, group[:3])) + (" …" if len(group) > 3 else "")
                for group in largest
            )
            parts.append(
                f"{sum(map(len, found))} columns that move together in {len(found)} group(s) "
                f"(largest: {shown})"
            )
        return f"Weighed {' and '.join(parts)} about as one column each in the clustering"


def correlated_groups(
    frame: pd.DataFrame, threshold: float = GROUP_CORRELATION, *, random_state: int = 0
) -> list[list[str]]:
    """Groups of two or more numeric columns whose average |Spearman ρ| is ≥ ``threshold``."""
    columns = [c for c in frame.columns if frame[c].nunique(dropna=True) > 1]
    if len(columns) < 2:
        return []
    data = frame[columns]
    if len(data) > _SAMPLE:
        data = data.sample(_SAMPLE, random_state=random_state)
    rho = data.rank().corr().abs().fillna(0.0).to_numpy(copy=True)
    np.fill_diagonal(rho, 1.0)
    distance = np.clip(1.0 - rho, 0.0, None)
    tree = linkage(squareform(distance, checks=False), method="average")
    ids = fcluster(tree, t=1.0 - threshold, criterion="distance")
    groups: dict[int, list[str]] = {}
    for column, group in zip(columns, ids, strict=True):
        groups.setdefault(int(group), []).append(str(column))
    return [members for members in groups.values() if len(members) > 1]


def group_weights(frame: pd.DataFrame, groups: list[list[str]]) -> dict[str, float]:
    """1/√λ₁ of each group's correlation matrix for its columns (others: 1)."""
    weights = {str(c): 1.0 for c in frame.columns}
    for group in groups:
        corr = frame[group].corr().fillna(0.0).to_numpy(copy=True)
        np.fill_diagonal(corr, 1.0)
        largest = float(np.linalg.eigvalsh(corr)[-1])
        for column in group:
            weights[column] = 1.0 / np.sqrt(max(largest, 1.0))
    return weights


def balance_scalers(
    pipeline: Pipeline,
    prepared: pd.DataFrame,
    columns: list[str],
    *,
    declared: Mapping[str, list[str]] | None = None,
    random_state: int = 0,
) -> Balance:
    """Weigh the groups among ``columns`` of ``prepared`` in the fitted encoder of
    ``pipeline`` (its ``num`` and ``log`` scalers); returns what it did.

    ``declared`` groups (a data dictionary's ``group`` column) are taken as given;
    the other columns are grouped by correlation (:func:`correlated_groups`), found
    on the columns as the clustering sees them (after the signed log of skewed
    columns), since that is the distance being balanced.
    """
    encode = pipeline.named_steps["encode"]
    scaled: dict[str, tuple[object, int]] = {}
    for name, transformer, block in encode.transformers_:
        if name in ("num", "log"):
            scaler = transformer.named_steps["scale"]
            for position, column in enumerate(block):
                scaled[str(column)] = (scaler, position)
    usable = [c for c in columns if c in scaled]
    if len(usable) < 2:
        return Balance()
    rows = prepared[usable]
    if len(rows) > _SAMPLE:
        rows = rows.sample(_SAMPLE, random_state=random_state)
    names = [str(n).split("__", 1)[1] for n in encode.get_feature_names_out()]
    encoded = np.asarray(encode.transform(prepared.loc[rows.index]), dtype="float64")
    seen = pd.DataFrame(encoded[:, [names.index(c) for c in usable]], columns=usable)
    chosen = {
        name: kept
        for name, members in (declared or {}).items()
        if len(kept := [c for c in members if c in seen.columns]) > 1
    }
    given = list(chosen.values())
    taken = {c for members in given for c in members}
    rest = seen[[c for c in usable if c not in taken]]
    groups = [*given, *correlated_groups(rest, random_state=random_state)]
    weights = group_weights(seen, groups)
    for column, weight in weights.items():
        if weight != 1.0:
            scaler, position = scaled[column]
            scaler.scale_[position] /= weight  # type: ignore[attr-defined]
    return Balance(
        groups=groups,
        weights={c: round(w, 4) for c, w in weights.items() if w != 1.0},
        declared=list(chosen),
    )
