"""Short human-readable rules that pick out a segment, from a shallow decision tree.

For each segment a depth-3 tree learns "this segment or not" on the prepared
columns (numbers in their own units, one 0/1 column per category label). Every
leaf that votes for the segment becomes a rule such as
``spend_12m > 1,250 and preferred_channel = app``; its precision and recall are
measured with the rounded thresholds that the text states, so the numbers
describe exactly the rule a reader sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from segments.features import FeatureSpec, prepare_frame

__all__ = ["Rule", "RuleSet", "criteria_mask", "find_rules", "rules_frame"]

MAX_DEPTH = 3
MAX_RULES = 3
MIN_RECALL = 0.05
TREE_SAMPLE = 50_000
EVAL_SAMPLE = 200_000


@dataclass
class Rule:
    """A rule for membership of one segment, with its precision and recall."""

    text: str
    precision: float
    recall: float
    support: int = 0
    """How many customers the rule covers (on the rows it was measured on)."""
    criteria: list[dict[str, Any]] = field(default_factory=list)
    """One entry per column the rule tests, in the rule's order: ``column``, ``words``
    (its description), ``text`` (this part of the rule), ``conditions`` (``op`` of
    ``>``/``<=``/``is``/``is not`` with ``threshold`` or ``label``), ``whole`` (whole
    numbers), ``kept`` (share of the segment meeting this part alone) and
    ``kept_cumulative`` (share meeting it and every part before it)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "text": self.text,
            "precision": round(float(self.precision), 4),
            "recall": round(float(self.recall), 4),
            "support": int(self.support),
            "criteria": [dict(c) for c in self.criteria],
        }


@dataclass
class RuleSet:
    """The rules of one segment and how well all of them together pick it out."""

    rules: list[Rule]
    precision: float
    recall: float


@dataclass(frozen=True)
class _Condition:
    column: str
    op: str  # "<=", ">", "is", "is not"
    threshold: float
    label: str | None = None  # category label for is / is not


def rules_frame(
    frame: pd.DataFrame, spec: FeatureSpec, prepared: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The columns rules are learnt and tested on, and the category labels they may name.

    Numbers in their own units, dates as days ago, categories as their kept labels,
    yes/no columns as ``"true"``/``"false"``. ``prepared`` reuses an already prepared
    frame (:func:`segments.features.prepare_frame` of ``frame``).
    """
    out = (prepare_frame(frame, spec.to_dict()) if prepared is None else prepared).copy()
    for flag in spec.boolean:
        out[flag] = out[flag].map({1.0: "true", 0.0: "false"})
    levels = {c: list(spec.levels[c]) for c in spec.categorical}
    levels.update({flag: ["true", "false"] for flag in spec.boolean})
    return out, levels


def _round_threshold(value: float, integral: bool) -> float:
    if integral:
        return float(np.floor(value))  # x <= 5.5 ⟺ x <= 5 for whole numbers
    if value == 0:
        return 0.0
    digits = 3 - int(np.floor(np.log10(abs(value)))) - 1
    return float(round(value, max(digits, 0) if abs(value) >= 1 else digits))


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}"


def _design(
    frame: pd.DataFrame, numeric: list[str], categorical: dict[str, list[str]]
) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """Numbers (NaN → median) plus one 0/1 column per kept category label."""
    columns: dict[str, pd.Series] = {}
    indicators: dict[str, tuple[str, str]] = {}
    for c in numeric:
        values = frame[c].astype("float64")
        columns[c] = values.fillna(values.median() if values.notna().any() else 0.0)
    for c, levels in categorical.items():
        for level in levels:
            name = f"{c} = {level}"
            columns[name] = (frame[c] == level).astype("float64")
            indicators[name] = (c, level)
    return pd.DataFrame(columns, index=frame.index), indicators


def _leaf_paths(tree: Any, names: list[str]) -> list[tuple[int, list[tuple[str, str, float]]]]:
    """Root-to-leaf paths; a subtree whose leaves all vote alike counts as one leaf.

    Trees often split a region into parts that predict the same class; as rules
    those parts would be fragments of one statement ("12 ≤ visits ≤ 16", "visits ≥ 17").
    """
    t = tree.tree_

    def vote(node: int) -> int | None:
        left, right = t.children_left[node], t.children_right[node]
        if left == right:
            return int(np.argmax(t.value[node][0]))
        a, b = vote(left), vote(right)
        return a if a is not None and a == b else None

    paths: list[tuple[int, list[tuple[str, str, float]]]] = []
    stack: list[tuple[int, list[tuple[str, str, float]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = t.children_left[node], t.children_right[node]
        if left == right or vote(node) is not None:
            paths.append((node, path))
            continue
        name, threshold = names[t.feature[node]], float(t.threshold[node])
        stack.append((right, [*path, (name, ">", threshold)]))
        stack.append((left, [*path, (name, "<=", threshold)]))
    return paths


def _conditions(
    path: list[tuple[str, str, float]],
    indicators: dict[str, tuple[str, str]],
    integral: set[str],
) -> list[_Condition]:
    lower: dict[str, float] = {}
    upper: dict[str, float] = {}
    out: list[_Condition] = []
    for name, op, threshold in path:
        if name in indicators:
            column, level = indicators[name]
            cond = _Condition(column, "is" if op == ">" else "is not", 0.5, level)
            if cond not in out:
                out.append(cond)
            continue
        rounded = _round_threshold(threshold, name in integral)
        if op == ">":
            lower[name] = max(lower.get(name, -np.inf), rounded)
        else:
            upper[name] = min(upper.get(name, np.inf), rounded)
    for name in dict.fromkeys([p[0] for p in path if p[0] not in indicators]):
        if name in lower:
            out.append(_Condition(name, ">", lower[name]))
        if name in upper:
            out.append(_Condition(name, "<=", upper[name]))
    return out


def _words(column: str, describe: Callable[[str], str]) -> str:
    # A date is profiled as days before the reference date; the rule's number is in days.
    words = describe(column)
    return f"{words} (days ago)" if column.endswith("_days_ago") else words


def _text(
    conditions: list[_Condition], integral: set[str], describe: Callable[[str], str] = str
) -> str:
    parts: list[str] = []
    bounds: dict[str, dict[str, float]] = {}
    for cond in conditions:
        if cond.op in (">", "<="):
            bounds.setdefault(cond.column, {})[cond.op] = cond.threshold
    done: set[str] = set()
    for cond in conditions:
        if cond.op == "is":
            parts.append(f"{_words(cond.column, describe)} = {cond.label}")
        elif cond.op == "is not":
            parts.append(f"{_words(cond.column, describe)} ≠ {cond.label}")
        elif cond.column not in done:
            done.add(cond.column)
            b = bounds[cond.column]
            whole = cond.column in integral
            low = (
                None
                if ">" not in b
                else (f"≥ {_fmt(b['>'] + 1)}" if whole else f"> {_fmt(b['>'])}")
            )
            high = None if "<=" not in b else f"≤ {_fmt(b['<='])}"
            if low and high:
                # "12 ≤ visits ≤ 16" reads better than "visits ≥ 12 and ≤ 16".
                left = f"{_fmt(b['>'] + 1)} ≤" if whole else f"{_fmt(b['>'])} <"
                parts.append(f"{left} {_words(cond.column, describe)} {high}")
            else:
                parts.append(f"{_words(cond.column, describe)} {low or high}")
    return " and ".join(parts)


def _mask(data: pd.DataFrame, conditions: list[_Condition]) -> np.ndarray:
    mask = np.ones(len(data), dtype=bool)
    for cond in conditions:
        if cond.op in ("is", "is not"):
            hit = (data[cond.column] == cond.label).to_numpy()
            mask &= hit if cond.op == "is" else ~hit
        else:
            values = data[cond.column].to_numpy(dtype="float64")
            mask &= values > cond.threshold if cond.op == ">" else values <= cond.threshold
    return mask


def _criteria(
    conditions: list[_Condition],
    integral: set[str],
    describe: Callable[[str], str],
    data: pd.DataFrame,
    members: np.ndarray,
) -> list[dict[str, Any]]:
    """The rule split by column, each part with the share of the segment it keeps."""
    by_column: dict[str, list[_Condition]] = {}
    for cond in conditions:
        by_column.setdefault(cond.column, []).append(cond)
    n_members = max(1, int(members.sum()))
    so_far = np.ones(len(data), dtype=bool)
    out: list[dict[str, Any]] = []
    for column, parts in by_column.items():
        hit = _mask(data, parts)
        so_far &= hit
        out.append(
            {
                "column": column,
                "words": _words(column, describe),
                "text": _text(parts, integral, describe),
                "whole": column in integral,
                "conditions": [
                    {"op": c.op, "threshold": c.threshold, "label": c.label} for c in parts
                ],
                "kept": round(int((hit & members).sum()) / n_members, 4),
                "kept_cumulative": round(int((so_far & members).sum()) / n_members, 4),
            }
        )
    return out


def criteria_mask(data: pd.DataFrame, criteria: list[dict[str, Any]]) -> np.ndarray:
    """Rows of ``data`` (prepared columns) meeting every one of a rule's ``criteria``.

    A missing number fails its condition, as when the rule was measured.
    """
    conditions = [
        _Condition(
            str(part["column"]),
            str(c["op"]),
            float(c.get("threshold") or 0.0),
            None if c.get("label") is None else str(c["label"]),
        )
        for part in criteria
        for c in part["conditions"]
    ]
    return _mask(data, conditions)


def find_rules(
    frame: pd.DataFrame,
    labels: np.ndarray,
    *,
    numeric: list[str],
    categorical: dict[str, list[str]],
    min_leaf: int,
    random_state: int,
    describe: Callable[[str], str] = str,
) -> dict[int, RuleSet]:
    """Rules per segment from one-vs-rest decision trees on ``frame`` (prepared columns).

    ``describe`` gives the words a rule's text uses for a column (by default its name).

    Missing numbers count as the median while learning; a rule's precision and
    recall are measured on the data as they are (a missing value fails a numeric
    condition).
    """
    n = len(frame)
    rng = np.random.default_rng([random_state, 17])
    train_rows = np.sort(rng.choice(n, TREE_SAMPLE, replace=False)) if n > TREE_SAMPLE else None
    eval_rows = np.sort(rng.choice(n, EVAL_SAMPLE, replace=False)) if n > EVAL_SAMPLE else None
    training = frame if train_rows is None else frame.iloc[train_rows]
    design, indicators = _design(training, numeric, categorical)
    names = list(design.columns)
    integral = {
        c
        for c in numeric
        if training[c].notna().any()
        and bool(np.all(np.mod(training[c].dropna().to_numpy(), 1) == 0))
    }
    x_train = design.to_numpy(dtype="float64")
    y_all = np.asarray(labels)
    y_train = y_all if train_rows is None else y_all[train_rows]
    evaluation = frame if eval_rows is None else frame.iloc[eval_rows]
    y_eval = y_all if eval_rows is None else y_all[eval_rows]
    leaf = max(1, int(min_leaf))
    out: dict[int, RuleSet] = {}
    for segment in np.unique(y_all):
        seg = int(segment)
        target = y_train == segment
        members = y_eval == segment
        if not target.any() or target.all() or not names:
            out[seg] = RuleSet([], 0.0, 0.0)
            continue
        tree = DecisionTreeClassifier(
            max_depth=MAX_DEPTH,
            min_samples_leaf=min(leaf, max(1, len(target) // 20)),
            random_state=random_state,
        ).fit(x_train, target)
        positive = list(tree.classes_).index(True)
        rules: list[tuple[float, Rule, np.ndarray]] = []
        for node, path in _leaf_paths(tree, names):
            value = tree.tree_.value[node][0]
            if value[positive] <= 0.5 * value.sum() or not path:
                continue
            conditions = _conditions(path, indicators, integral)
            hit = _mask(evaluation, conditions)
            covered = int(hit.sum())
            if covered == 0:
                continue
            true_hits = int((hit & members).sum())
            precision = true_hits / covered
            recall = true_hits / max(1, int(members.sum()))
            f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
            rule = Rule(
                _text(conditions, integral, describe),
                precision,
                recall,
                covered,
                _criteria(conditions, integral, describe, evaluation, members),
            )
            rules.append((f1, rule, hit))
        rules.sort(key=lambda item: (-item[0], item[1].text))
        # Leaves that catch a sliver of the segment or are mostly wrong add noise, not insight.
        kept = [r for r in rules if r[1].recall >= MIN_RECALL and r[1].precision >= 0.5]
        kept = (kept or rules[:1])[:MAX_RULES]
        if kept:
            union = np.logical_or.reduce([hit for _, _, hit in kept])
            covered = int(union.sum())
            true_hits = int((union & members).sum())
            out[seg] = RuleSet(
                [r for _, r, _ in kept],
                true_hits / covered if covered else 0.0,
                true_hits / max(1, int(members.sum())),
            )
        else:
            out[seg] = RuleSet([], 0.0, 0.0)
    return out
