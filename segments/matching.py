"""Match two segmentations of the same customers: kept, split, merged, new, vanished.

After a re-fit, :func:`match_segments` links an old segment to a new one when they
share members: the old one went mostly to the new one (``overlap / old size ≥
MOSTLY``), or the new one came mostly from the old one (``overlap / new size ≥
MOSTLY``) and took at least ``MIN_SHARE`` of it (a smaller splinter is *new*). The links
then read as the cluster transitions of MONIC (Spiliopoulou et al., 2006): one
to one is *kept*, one old to several new is a *split*, several old to one new a
*merge*, an old segment with no link *vanished*, a new one with no link is *new*.
Each match also carries the distance between the two sides' centres in one
feature space (the old model's standardised units); an old segment that lost its
members and a new one that has no past are still *kept* when their centres are
closer than ``NEAR`` (the same place in feature space, repopulated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["MIN_SHARE", "MOSTLY", "NEAR", "SegmentMatch", "match_segments"]

MOSTLY = 0.5
MIN_SHARE = 0.2
NEAR = 0.5

Transition = Literal["kept", "split", "merged", "new", "vanished"]


@dataclass(frozen=True)
class SegmentMatch:
    """One transition: which old segments became which new ones."""

    transition: Transition
    old: tuple[int, ...]
    new: tuple[int, ...]
    shared: int = 0
    """Customers in both the old and the new side."""
    jaccard: float = 0.0
    distance: float | None = None
    """Mean distance between linked centres (old model's standardised feature space)."""
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "transition": self.transition,
            "old": list(self.old),
            "new": list(self.new),
            "shared": self.shared,
            "jaccard": round(self.jaccard, 4),
            "distance": None if self.distance is None else round(self.distance, 4),
        }


def _centres(x: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    return {int(s): x[labels == s].mean(axis=0) for s in np.unique(labels)}


def match_segments(
    old: pd.Series, new: pd.Series, features: np.ndarray | None = None
) -> list[SegmentMatch]:
    """Transitions from the ``old`` to the ``new`` customer → segment assignment.

    ``old`` and ``new`` are indexed by customer id (compared as text); only customers
    in both count. ``features``: the encoded features of ``new``'s customers (rows in
    ``new``'s order) in one space, for centre distances.
    """
    before = pd.Series(old.to_numpy(dtype="int64"), index=old.index.map(str))
    after = pd.Series(new.to_numpy(dtype="int64"), index=new.index.map(str))
    common = before.index.intersection(after.index)
    a, b = before.loc[common].to_numpy(), after.loc[common].to_numpy()
    table = pd.crosstab(a, b)
    old_size, new_size = table.sum(axis=1), table.sum(axis=0)
    distance: dict[tuple[int, int], float] = {}
    if features is not None:
        positions = after.index.get_indexer(common)
        x = features[positions]
        old_c, new_c = _centres(x, a), _centres(x, b)
        distance = {
            (o, n): float(np.linalg.norm(old_c[o] - new_c[n])) for o in old_c for n in new_c
        }
    links: set[tuple[int, int]] = set()
    for o in table.index:
        for n in table.columns:
            shared = int(table.loc[o, n])
            of_old, of_new = shared / old_size[o], shared / new_size[n]
            if of_old >= MOSTLY or (of_new >= MOSTLY and of_old >= MIN_SHARE):
                links.add((int(o), int(n)))
    out: list[SegmentMatch] = []
    seen_new: set[int] = set()

    def match(kind: Transition, olds: list[int], news: list[int]) -> SegmentMatch:
        shared = int(table.loc[olds, news].to_numpy().sum()) if olds and news else 0
        union = int(old_size[olds].sum() + new_size[news].sum()) - shared if olds else 0
        pairs = [distance[(o, n)] for o in olds for n in news if (o, n) in distance]
        return SegmentMatch(
            kind,
            tuple(olds),
            tuple(news),
            shared=shared,
            jaccard=shared / union if union else 0.0,
            distance=float(np.mean(pairs)) if pairs else None,
        )

    by_old = {int(o): sorted(n for oo, n in links if oo == o) for o in table.index}
    by_new = {int(n): sorted(o for o, nn in links if nn == n) for n in table.columns}
    for n, olds in by_new.items():
        if len(olds) > 1:
            out.append(match("merged", olds, [n]))
            seen_new.add(n)
    for o, news in by_old.items():
        news = [n for n in news if n not in seen_new]
        if not news and not by_old[o]:
            out.append(match("vanished", [o], []))
        elif len(news) > 1:
            out.append(match("split", [o], news))
            seen_new.update(news)
        elif len(news) == 1:
            out.append(match("kept", [o], news))
            seen_new.update(news)
    for n in table.columns:
        if int(n) not in seen_new and not by_new[int(n)]:
            out.append(match("new", [], [int(n)]))
    out = _pair_by_distance(out, distance, match)
    order = {"kept": 0, "split": 1, "merged": 2, "vanished": 3, "new": 4}
    return sorted(out, key=lambda m: (order[m.transition], m.old, m.new))


def _pair_by_distance(
    matches: list[SegmentMatch],
    distance: dict[tuple[int, int], float],
    match: Any,
) -> list[SegmentMatch]:
    """Turn a vanished and a new segment with nearly the same centre into one *kept*."""
    vanished = [m.old[0] for m in matches if m.transition == "vanished"]
    fresh = [m.new[0] for m in matches if m.transition == "new"]
    pairs = sorted((distance[(o, n)], o, n) for o in vanished for n in fresh if (o, n) in distance)
    used_old: set[int] = set()
    used_new: set[int] = set()
    kept = []
    for gap, o, n in pairs:
        if gap < NEAR and o not in used_old and n not in used_new:
            used_old.add(o)
            used_new.add(n)
            kept.append(match("kept", [o], [n]))
    rest = [
        m
        for m in matches
        if not (m.transition == "vanished" and m.old[0] in used_old)
        and not (m.transition == "new" and m.new[0] in used_new)
    ]
    return rest + kept
