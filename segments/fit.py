"""The segmentation run: roles → features → k → clusters → profiles, rules and scorecard."""

from __future__ import annotations

import re
import time
import warnings as pywarnings
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
)
from sklearn.pipeline import Pipeline

import segments.scorecard as sc
from segments.assign import assignment_accuracy, make_classifier
from segments.balance import balance_scalers
from segments.cluster import (
    SILHOUETTE_SAMPLE,
    Stability,
    bootstrap_stability,
    check_options,
    choose_k,
    fit_clusters,
    one_thread,
    sample_rows,
)
from segments.dictionary import DataDictionary
from segments.errors import (
    ColumnNotFoundError,
    InvalidOptionError,
    NoFeaturesError,
    NoStructureError,
)
from segments.features import (
    FeatureSpec,
    build_pipeline,
    category_levels,
    date_feature,
    feature_names,
    plan_features,
    prepare_frame,
)
from segments.profile import ProfileColumns, SegmentProfile, build_profiles
from segments.result import SegmentationResult
from segments.rfm import rfm_segments
from segments.roles import ROLES, channel_columns, infer_roles, outcome_columns, type_role
from segments.rules import RuleSet, find_rules, rules_frame

__all__ = ["fit_result", "parse_k"]

Progress = Callable[[str, float], None]

# A persona set needs three segments to be worth having; more than eight is more than a
# team can hold in mind. Users may still ask for 2 (k=2, or k_range=(2, …)).
DEFAULT_K_RANGE = (3, 8)
METHODS = ("cluster", "rfm")
_RFM_NEEDS = ("recency_days", "frequency", "monetary")


def parse_k(text: str) -> tuple[int | str, tuple[int, int]]:
    """``auto`` (the default range), ``N``, or ``LOW-HIGH`` (auto within it) → ``(k, range)``.

    Raises ``ValueError`` with a message for people on anything else.
    """
    value = (text or "auto").strip().lower()
    if value == "auto":
        return "auto", DEFAULT_K_RANGE
    low, dash, high = value.partition("-")
    try:
        if dash:
            return "auto", (int(low), int(high))
        return int(value), DEFAULT_K_RANGE
    except ValueError:
        raise ValueError(
            f"k must be 'auto', a whole number or a range such as 3-6, not {text!r}"
        ) from None


ASSIGN_SAMPLE = 20_000
ENCODE_SAMPLE = 200_000
METRIC_SAMPLE = 100_000
_SPEND = re.compile(r"spend|revenue|sales|monetary|clv|ltv|lifetime_value|order_value|basket")


class _Stages:
    """Maps each stage's own 0–1 progress onto the whole run, and times the stages."""

    _SPANS: ClassVar[dict[str, tuple[float, float]]] = {
        "prepare": (0.0, 0.1),
        "choose_k": (0.1, 0.4),
        "fit": (0.4, 0.55),
        "stability": (0.55, 0.8),
        "describe": (0.8, 0.95),
        "assign": (0.95, 1.0),
    }

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}
        self._stage = "prepare"
        self._started = time.perf_counter()

    def start(self, stage: str, message: str) -> None:
        self._close()
        self._stage = stage
        self._started = time.perf_counter()
        self.report(message, 0.0)

    def _close(self) -> None:
        elapsed = time.perf_counter() - self._started
        self.timings[self._stage] = self.timings.get(self._stage, 0.0) + elapsed

    def report(self, message: str, fraction: float) -> None:
        if self.progress is None:
            return
        low, high = self._SPANS[self._stage]
        self.progress(message, low + (high - low) * min(max(fraction, 0.0), 1.0))

    def finish(self) -> dict[str, float]:
        self._close()
        self.timings["total"] = sum(self.timings.values())
        if self.progress is not None:
            self.progress("Done", 1.0)
        return self.timings


def fit_result(
    frame: pd.DataFrame, params: Mapping[str, Any], progress: Progress | None = None
) -> SegmentationResult:
    """Find customer segments in ``frame`` and describe them.

    The run behind :class:`segments.SegmentModel`: ``params`` are its parameters
    (``SegmentModel.get_params()``), documented on :func:`segments.fit_segments`.
    """
    stages = _Stages(progress)
    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        result = _fit(frame, stages=stages, **params)
    seen: set[str] = set()
    for item in caught:
        if issubclass(item.category, DeprecationWarning | PendingDeprecationWarning):
            continue
        text = f"{item.category.__name__}: {str(item.message).splitlines()[0][:200]}"
        if text not in seen:
            seen.add(text)
            result.warnings.append(text)
    result.timings = stages.finish()
    return result


def _check_scalars(min_segment_size: Any, bootstrap: Any, random_state: Any) -> None:
    for name, value, low in (
        ("min_segment_size", min_segment_size, 1),
        ("bootstrap", bootstrap, 0),
        ("random_state", random_state, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InvalidOptionError(
                f"{name}={value!r} is not valid.", hint=f"Use a whole number ≥ {low}."
            )


def _check_method(method: str, frame: pd.DataFrame) -> None:
    if method not in METHODS:
        raise InvalidOptionError(
            f"method {method!r} is not known.", hint=f"Use one of: {', '.join(METHODS)}."
        )
    missing = [c for c in _RFM_NEEDS if method == "rfm" and c not in frame.columns]
    if missing:
        raise ColumnNotFoundError(
            f"RFM score segments need the columns recency_days, frequency and monetary; "
            f"the table has no {', '.join(missing)}.",
            column=None,
            hint="Use --method rfm on a transaction log (--transactions), or --method cluster "
            "for a customer table.",
        )


def _dictionary_roles(
    inferred: dict[str, str], words: DataDictionary, overrides: Mapping[str, str] | None
) -> dict[str, str]:
    """The roles a data dictionary gives (its ``role`` column, one of :data:`ROLES`), where
    the caller set none; a column found to hold personal data or ids keeps that role."""
    out = dict(inferred)
    for column, role in words.roles().items():
        if column not in out or column in (overrides or {}) or role not in ROLES:
            continue
        if out[column] not in ("personal", "identifier"):
            out[column] = role
    return out


def _customer_ids(
    frame: pd.DataFrame, id_column: str | None, warnings: list[str]
) -> tuple[pd.DataFrame, pd.Index]:
    """Drop rows without an ID and repeated IDs (first kept); return frame and IDs."""
    if id_column is None:
        if frame.index.has_duplicates:
            warnings.append(
                "The table's index has repeated values; customers are numbered by position."
            )
            frame = frame.reset_index(drop=True)
        return frame, frame.index
    ids = frame[id_column]
    missing = ids.isna().to_numpy()
    if missing.any():
        warnings.append(f"Left out {int(missing.sum())} rows without a customer ID.")
        frame = frame.loc[~missing]
        ids = ids[~missing]
    repeated = ids.duplicated(keep="first").to_numpy()
    if repeated.any():
        warnings.append(
            f"{int(repeated.sum())} rows repeat a customer ID already seen; kept the first "
            "row of each customer."
        )
        frame = frame.loc[~repeated]
        ids = ids[~repeated]
    return frame, pd.Index(ids, name=id_column)


def _fit(
    frame: pd.DataFrame,
    *,
    k: int | str,
    algorithm: str,
    method: str,
    id_column: str | None,
    roles: Mapping[str, str] | None,
    dictionary: DataDictionary | None,
    min_segment_size: int,
    random_state: int,
    k_range: tuple[int, int],
    bootstrap: int,
    balance: bool,
    stages: _Stages,
) -> SegmentationResult:
    stages.start("prepare", "Reading the columns")
    _check_scalars(min_segment_size, bootstrap, random_state)
    if not isinstance(frame, pd.DataFrame):
        raise InvalidOptionError(
            f"expected a pandas DataFrame, got {type(frame).__name__}.",
            hint="Load the table with segments.read_table(path).frame.",
        )
    check_options(algorithm, k, k_range, len(frame))
    _check_method(method, frame)
    words = dictionary if dictionary is not None else DataDictionary()
    frame = frame.rename(columns=str)
    if frame.columns.has_duplicates:
        repeated = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise InvalidOptionError(
            f"the table has repeated column names: {', '.join(map(repr, repeated))}.",
            hint="Rename the columns so that each name is used once.",
        )
    warnings: list[str] = []
    roles = _dictionary_roles(
        infer_roles(frame, overrides=roles, id_column=id_column), words, roles
    )
    if id_column is None:
        candidates = [c for c, r in roles.items() if r == "identifier"]
        if len(candidates) == 1:
            id_column = candidates[0]
            warnings.append(
                f"Used {id_column!r} as the customer ID (pass id_column to choose another)."
            )
    frame, ids = _customer_ids(frame, id_column, warnings)
    check_options(algorithm, k, k_range, len(frame))
    if algorithm == "hdbscan" and k != "auto":
        warnings.append("HDBSCAN finds its own number of segments; k was ignored.")
    spec, feature_warnings = plan_features(frame, roles, min_category_count=min_segment_size)
    warnings.extend(feature_warnings)
    outcomes = outcome_columns(frame, roles)
    kept_out = [c for c in outcomes if roles.get(c) == "ignore"]
    if kept_out:
        warnings.append(
            f"Kept outcome columns out of the clustering and used them to judge the segments: "
            f"{', '.join(kept_out)} (set their role to include them)."
        )
    pipeline = build_pipeline(spec)
    # The prepared frame is also what the profiles describe: prepare once, encode after.
    prepared = pipeline.named_steps["prepare"].fit_transform(frame)
    # Medians, means and variances settle long before a million rows: fit the encoder
    # on a sample, then transform everything.
    fit_rows = sample_rows(len(prepared), ENCODE_SAMPLE, random_state, salt=37)
    try:
        pipeline[1:].fit(prepared.iloc[fit_rows])
        if balance:
            balanced = balance_scalers(
                pipeline,
                prepared.iloc[fit_rows],
                spec.prepared_numeric,
                declared=words.groups(),
                random_state=random_state,
            )
            note = balanced.note(words.describe)
            if note:
                warnings.append(f"{note}.")
        x = np.asarray(pipeline[1:].transform(prepared), dtype="float64")
    except ValueError as exc:
        if "variance threshold" not in str(exc):
            raise
        raise NoFeaturesError(
            "every feature column is constant after cleaning.",
            hint="Check the roles: the columns that vary may be marked as identifiers or text.",
        ) from exc
    bad = ~np.isfinite(x)
    if bad.any():
        warnings.append(f"{int(bad.sum())} feature values could not be scaled and were set to 0.")
        x[bad] = 0.0
    names = feature_names(pipeline)
    k_selection: dict[str, Any] = {}

    chosen: int | None
    rfm_names: list[str] = []
    if method == "rfm" or algorithm == "hdbscan":
        chosen = None
    elif k == "auto":
        stages.start("choose_k", "Choosing the number of segments")
        with one_thread():
            choice = choose_k(
                x,
                algorithm=algorithm,
                k_range=(int(k_range[0]), int(k_range[1])),
                n_total=len(x),
                min_segment_size=min_segment_size,
                random_state=random_state,
                progress=stages.report,
            )
        chosen = choice.k
        k_selection = {
            "criterion": choice.criterion,
            "chosen": choice.k,
            "scores": {str(key): round(v, 4) for key, v in choice.scores.items()},
            "smallest_share": {str(key): round(v, 4) for key, v in choice.smallest_share.items()},
            "stability": {str(key): round(v, 4) for key, v in choice.stability.items()},
            "calinski_harabasz": {
                str(key): round(v, 1) for key, v in choice.calinski_harabasz.items()
            },
            "davies_bouldin": {str(key): round(v, 4) for key, v in choice.davies_bouldin.items()},
            "mean_rank": {str(key): round(v, 2) for key, v in choice.mean_rank.items()},
            "runner_up": choice.runner_up,
            "reason": choice.reason,
        }
        if choice.bic:
            k_selection["bic"] = {str(key): round(v, 1) for key, v in choice.bic.items()}
        if choice.note:
            warnings.append(f"Choosing k: {choice.note}.")
    else:
        chosen = int(k)
    stages.start("fit", "Fitting the segments")
    if method == "rfm":
        labels, rfm_names = rfm_segments(frame)
        # The scores are not a clustering of x: resampling and re-clustering says nothing.
        bootstrap = 0
    else:
        fitted = fit_clusters(
            x,
            algorithm=algorithm,
            k=chosen,
            min_segment_size=min_segment_size,
            random_state=random_state,
        )
        labels = fitted.labels
        warnings.extend(f"{note[:1].upper()}{note[1:]}." for note in fitted.notes)
    n_segments = int(labels.max()) + 1
    if n_segments < 2:
        raise NoStructureError(
            "the data hold only one distinct group of customers.",
            hint="Add feature columns that vary between customers.",
        )

    stability: Stability | None = None
    if bootstrap > 0:
        stages.start("stability", "Checking stability")
        with one_thread():
            stability = bootstrap_stability(
                x,
                labels,
                algorithm=algorithm,
                k=n_segments,
                resamples=bootstrap,
                random_state=random_state,
                progress=stages.report,
            )

    stages.start("describe", "Describing the segments")
    prepared, columns = profile_frame(frame, prepared, spec, outcomes)
    profiles = build_profiles(
        prepared, labels, columns, min_segment_size=min_segment_size, describe=words.describe
    )
    for profile in profiles:
        if rfm_names:
            suffix = " (too small to describe)" if profile.suppressed else ""
            profile.label = rfm_names[profile.segment_id] + suffix
    stages.report("Finding rules", 0.3)
    tested, levels = rules_frame(frame, spec, prepared)
    rule_sets = find_rules(
        tested,
        labels,
        numeric=spec.prepared_numeric,
        categorical=levels,
        min_leaf=min_segment_size,
        random_state=random_state,
        describe=words.describe,
    )
    stages.report("Scoring the segments", 0.6)
    channels = channel_columns(frame, roles)
    outcome_values, fallback = _outcome_values(prepared, frame, spec, outcomes)
    with one_thread():
        metrics, per_segment_sil = _coherence(x, labels, random_state)

    stages.start("assign", "Training the assignment model")
    rows = sample_rows(len(x), ASSIGN_SAMPLE, random_state, salt=19)
    # RFM segments are boxes in score space, not convex clusters of x: neighbours vote.
    stand_in = "hdbscan" if method == "rfm" else algorithm
    classifier = make_classifier(stand_in).fit(x[rows], labels[rows])
    with one_thread():
        accuracy = assignment_accuracy(x, labels, algorithm=stand_in, random_state=random_state)
    metrics["assignment_accuracy"] = accuracy
    if stability is not None:
        metrics["stability_ari"] = stability.ari
    model = Pipeline([*pipeline.steps, ("assign", classifier)])

    card = _score(
        profiles,
        rule_sets,
        frame,
        labels,
        channels=channels,
        outcome_values=outcome_values,
        fallback=fallback,
        metrics=metrics,
        per_segment_sil=per_segment_sil,
        stability=stability,
        min_segment_size=min_segment_size,
        accuracy=accuracy,
    )
    return SegmentationResult(
        labels=pd.Series(labels, index=ids, name="segment"),
        profiles=profiles,
        scorecard=card,
        k=n_segments,
        algorithm="rfm" if method == "rfm" else algorithm,
        roles=roles,
        warnings=warnings,
        model=model,
        assignment_accuracy=accuracy,
        id_column=id_column,
        feature_spec=spec,
        feature_names=names,
        outcomes=outcomes,
        channels=channels,
        k_selection=k_selection,
        random_state=random_state,
        min_segment_size=min_segment_size,
    )


def profile_frame(
    frame: pd.DataFrame, prepared: pd.DataFrame, spec: FeatureSpec, outcomes: list[str]
) -> tuple[pd.DataFrame, ProfileColumns]:
    """Prepared features plus prepared outcome columns, and how to describe each.

    ``prepared`` is :func:`~segments.features.prepare_frame` of ``frame``; the fit and a
    snapshot under the fixed assignment (:mod:`segments.snapshot`) describe segments
    from the same columns this way.
    """
    extra = FeatureSpec()
    for column in outcomes:
        if column in spec.sources:
            continue
        if type_role(frame[column]) == "boolean":
            extra.boolean.append(column)
        else:
            extra.numeric.append(column)
    if extra.sources:
        prepared = pd.concat([prepared, prepare_frame(frame, extra.to_dict())], axis=1)
    columns = ProfileColumns(
        numeric=[*spec.prepared_numeric, *extra.numeric],
        flags=[*spec.boolean, *extra.boolean],
        categorical=category_levels(spec),
        dates=[date_feature(c) for c in spec.datetime],
        outcomes=list(outcomes),
    )
    return prepared, columns


def _outcome_values(
    prepared: pd.DataFrame, frame: pd.DataFrame, spec: FeatureSpec, outcomes: list[str]
) -> tuple[dict[str, np.ndarray], bool]:
    if outcomes:
        return {c: prepared[c].to_numpy(dtype="float64") for c in outcomes}, False
    spend = [c for c in spec.numeric if _SPEND.search(c.lower())]
    return {c: prepared[c].to_numpy(dtype="float64") for c in spend}, True


def _coherence(
    x: np.ndarray, labels: np.ndarray, random_state: int
) -> tuple[dict[str, float | None], dict[int, float | None]]:
    rows = sample_rows(len(x), SILHOUETTE_SAMPLE, random_state, salt=23)
    metrics: dict[str, float | None] = {}
    per_segment: dict[int, float | None] = {int(s): None for s in np.unique(labels)}
    sample_labels = labels[rows]
    if len(np.unique(sample_labels)) >= 2:
        values = silhouette_samples(x[rows], sample_labels)
        metrics["silhouette"] = float(values.mean())
        for segment in per_segment:
            inside = values[sample_labels == segment]
            per_segment[segment] = float(inside.mean()) if inside.size >= 2 else None
    else:
        metrics["silhouette"] = None
    big = sample_rows(len(x), METRIC_SAMPLE, random_state, salt=29)
    xb, lb = x[big], labels[big]
    if len(np.unique(lb)) >= 2:
        metrics["calinski_harabasz"] = float(calinski_harabasz_score(xb, lb))
        metrics["davies_bouldin"] = float(davies_bouldin_score(xb, lb))
        centre = xb.mean(axis=0)
        within = between = 0.0
        for segment in np.unique(lb):
            group = xb[lb == segment]
            mean = group.mean(axis=0)
            within += float(((group - mean) ** 2).sum())
            between += len(group) * float(((mean - centre) ** 2).sum())
        metrics["within_between_ratio"] = within / between if between else None
    return metrics, per_segment


def _score(
    profiles: list[SegmentProfile],
    rule_sets: dict[int, RuleSet],
    frame: pd.DataFrame,
    labels: np.ndarray,
    *,
    channels: list[str],
    outcome_values: dict[str, np.ndarray],
    fallback: bool,
    metrics: dict[str, float | None],
    per_segment_sil: dict[int, float | None],
    stability: Stability | None,
    min_segment_size: int,
    accuracy: float,
) -> sc.Scorecard:
    resamples = 0 if stability is None else stability.resamples
    reach: list[sc.Criterion] = []
    for profile in profiles:
        seg = profile.segment_id
        members = labels == seg
        rule_set = rule_sets.get(seg, RuleSet([], 0.0, 0.0))
        reach.append(sc.reachable(frame, members, channels))
        card = {
            "sizable": sc.sizable(profile.size, profile.share, min_segment_size),
            "identifiable": sc.identifiable(
                rule_set.precision,
                rule_set.recall,
                len(rule_set.rules),
                [rule.text for rule in rule_set.rules],
            ),
            "reachable": reach[-1],
            "responds_differently": sc.responds(outcome_values, members, fallback),
            "coherent": sc.coherent(per_segment_sil.get(seg)),
            "stable": sc.stable(
                None if stability is None else stability.jaccard.get(seg), resamples
            ),
        }
        profile.scorecard = card
        if not profile.suppressed:
            profile.rules = list(rule_set.rules)
    weights = [p.size for p in profiles]
    overall = {
        "sizable": sc.sizable_overall(weights, len(labels), min_segment_size),
        "identifiable": sc.identifiable_overall(
            [rule_sets.get(p.segment_id, RuleSet([], 0.0, 0.0)).precision for p in profiles],
            [rule_sets.get(p.segment_id, RuleSet([], 0.0, 0.0)).recall for p in profiles],
            weights,
            accuracy,
        ),
        "reachable": sc.reachable_overall(reach, weights),
        "responds_differently": sc.responds_overall(outcome_values, labels, fallback),
        "coherent": sc.coherent_overall(metrics),
        "stable": sc.stable_overall(None if stability is None else stability.ari, resamples),
    }
    return sc.Scorecard(criteria=overall, metrics=dict(metrics))
