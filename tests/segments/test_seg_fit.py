"""fit_segments on the Northwind sample: recovery, reproducibility, privacy, scorecard."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from segments import CRITERIA, SegmentationResult, assign_segments, fit_segments
from segments.errors import (
    ColumnNotFoundError,
    InvalidOptionError,
    NoFeaturesError,
    TooFewRowsError,
)
from segments.profile import SegmentProfile
from segments.rules import find_rules

PERSONAL = ["name", "email", "phone", "iban", "address"]


def test_planted_segments_are_recovered(
    fitted: SegmentationResult, customers: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, truth = customers
    assert fitted.k == 5
    truth_by_id = pd.Series(truth.to_numpy(), index=frame["customer_id"])
    ari = adjusted_rand_score(truth_by_id.loc[fitted.labels.index], fitted.labels)
    assert ari >= 0.9
    assert fitted.labels.index.name == "customer_id"
    assert fitted.labels.index.is_unique
    assert sorted(fitted.labels.unique()) == [0, 1, 2, 3, 4]
    sizes = fitted.labels.value_counts().sort_index().to_numpy()
    assert list(sizes) == sorted(sizes, reverse=True)  # 0 is the largest


def test_same_random_state_gives_identical_results(
    fitted: SegmentationResult, customers: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, _ = customers
    again = fit_segments(frame, k="auto", id_column="customer_id", random_state=0)
    pd.testing.assert_series_equal(again.labels, fitted.labels)
    first, second = fitted.to_dict(), again.to_dict()
    first.pop("timings")
    second.pop("timings")
    assert first == second


def test_personal_data_never_becomes_a_feature_or_leaves(
    fitted: SegmentationResult, customers: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, _ = customers
    for column in PERSONAL:
        assert fitted.roles[column] == "personal"
    assert fitted.roles["customer_id"] == "identifier"
    used = set(fitted.feature_spec.sources)
    assert used.isdisjoint([*PERSONAL, "customer_id"])
    assert not any(
        name.split("__", 1)[1].startswith(tuple(PERSONAL)) for name in fitted.feature_names
    )
    text = json.dumps(fitted.to_dict(), ensure_ascii=False)
    for column in [*PERSONAL, "customer_id"]:
        for value in frame[column].head(300):
            assert value not in text
    for profile in fitted.profiles:
        for stat in profile.numeric:
            assert stat.feature not in PERSONAL
        for cat in profile.categorical:
            assert cat.feature not in [*PERSONAL, "customer_id"]


def test_to_dict_is_json_safe(fitted: SegmentationResult) -> None:
    data = fitted.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["k"] == 5
    assert len(data["profiles"]) == 5


def test_scorecard_has_six_criteria_with_verdicts(fitted: SegmentationResult) -> None:
    assert tuple(fitted.scorecard.criteria) == CRITERIA
    for criterion in fitted.scorecard.criteria.values():
        assert criterion.verdict in ("pass", "warn", "fail", "unknown")
        assert criterion.explanation.endswith(".")
    # On clean planted data the segmentation should pass on every criterion.
    verdicts = {n: c.verdict for n, c in fitted.scorecard.criteria.items()}
    assert verdicts == dict.fromkeys(CRITERIA, "pass")
    assert fitted.scorecard["stable"].value is not None
    assert fitted.scorecard["stable"].value >= 0.8
    for profile in fitted.profiles:
        assert tuple(profile.scorecard) == CRITERIA
        assert profile.scorecard["sizable"].verdict == "pass"
        assert profile.scorecard["reachable"].verdict in ("pass", "warn")


def test_profiles_describe_the_planted_segments(fitted: SegmentationResult) -> None:
    labels = " | ".join(p.label for p in fitted.profiles)
    assert "app sessions month" in labels
    assert "long since last order" in labels.lower()  # days_since_last_order, in words
    assert len({p.label for p in fitted.profiles}) == 5
    for profile in fitted.profiles:
        assert not profile.suppressed
        assert 0 < profile.share < 1
        assert profile.top_features
        assert profile.rules and all(0 <= r.precision <= 1 for r in profile.rules)
        assert profile.rules[0].precision >= 0.8
        facts = profile.facts()
        assert facts["segment_size"] == profile.size
        assert facts["share_pct"] == round(100 * profile.share, 1)
        assert "age_median" in facts and "churned_true_share_pct" in facts
        assert all(isinstance(v, str | int | float) for v in facts.values())
    assert abs(sum(p.share for p in fitted.profiles) - 1) < 1e-9


def test_profile_statistics_match_pandas(
    fitted: SegmentationResult, customers: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, _ = customers
    table = frame.set_index("customer_id").loc[fitted.labels.index]
    profile: SegmentProfile = fitted.profiles[0]
    members = table[fitted.labels.to_numpy() == profile.segment_id]
    age = next(s for s in profile.numeric if s.feature == "age")
    assert age.mean == pytest.approx(members["age"].mean())
    assert age.median == pytest.approx(members["age"].median())
    assert age.base_mean == pytest.approx(table["age"].mean())
    app = next(
        c for c in profile.categorical if c.feature == "preferred_channel" and c.value == "app"
    )
    assert app.share == pytest.approx((members["preferred_channel"] == "app").mean())


def test_rules_state_their_measured_precision_and_recall() -> None:
    rng = np.random.default_rng(0)
    n = 1000
    visits = rng.integers(0, 20, n)
    channel = np.where(rng.random(n) < 0.5, "app", "store")
    labels = ((visits >= 12) & (channel == "app")).astype(int)
    labels[:20] = 1 - labels[:20]  # some noise, so precision and recall are below 1
    frame = pd.DataFrame({"visits": visits.astype(float), "channel": channel})
    found = find_rules(
        frame,
        labels,
        numeric=["visits"],
        categorical={"channel": ["app", "store"]},
        min_leaf=100,
        random_state=0,
    )
    rule = found[1].rules[0]
    assert sorted(rule.text.split(" and ")) == ["channel = app", "visits ≥ 12"]
    covered = (visits >= 12) & (channel == "app")
    members = labels == 1
    assert rule.precision == pytest.approx((covered & members).sum() / covered.sum())
    assert rule.recall == pytest.approx((covered & members).sum() / members.sum())
    assert rule.support == covered.sum()
    assert 0.9 < rule.precision < 1.0


def test_assignment_model_is_accurate(
    fitted: SegmentationResult, customers: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, _ = customers
    assert fitted.assignment_accuracy >= 0.95
    assigned = assign_segments(fitted, frame)
    assert assigned.index.equals(fitted.labels.index)
    assert (assigned == fitted.labels).mean() >= 0.97
    shuffled = frame.sample(frac=1.0, random_state=1).drop(columns=PERSONAL)
    again = assign_segments(fitted, shuffled)
    assert (again == fitted.labels.loc[again.index]).mean() >= 0.97


def test_assign_needs_the_feature_columns(fitted: SegmentationResult) -> None:
    with pytest.raises(ColumnNotFoundError, match="feature column"):
        assign_segments(fitted, pd.DataFrame({"age": [30]}))


@pytest.mark.parametrize("algorithm", ["gmm", "agglomerative", "hdbscan"])
def test_each_algorithm_runs(algorithm: str, customers: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, truth = customers
    k = "auto" if algorithm == "hdbscan" else 5
    result = fit_segments(frame, k=k, algorithm=algorithm, id_column="customer_id", bootstrap=3)
    assert result.algorithm == algorithm
    assert result.k >= 2
    assert len(result.labels) == len(frame)
    assert tuple(result.scorecard.criteria) == CRITERIA
    assert 0.0 <= result.assignment_accuracy <= 1.0
    assert adjusted_rand_score(truth, result.labels.to_numpy()) >= 0.9
    assert not any("Warning:" in w for w in result.warnings), result.warnings


def test_auto_k_with_gmm_reports_bic(customers: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, truth = customers
    result = fit_segments(frame, algorithm="gmm", k_range=(2, 6), bootstrap=0)
    assert "silhouette" in result.k_selection["criterion"]
    assert set(result.k_selection["scores"]) == {"2", "3", "4", "5", "6"}
    assert set(result.k_selection["davies_bouldin"]) == {"2", "3", "4", "5", "6"}
    assert result.k_selection["reason"].startswith("5 segments: the best mean rank")
    assert "Runner-up" in result.k_selection["reason"]
    assert set(result.k_selection["bic"]) == {"2", "3", "4", "5", "6"}
    assert result.k == 5
    assert adjusted_rand_score(truth, result.labels.to_numpy()) >= 0.9
    assert result.scorecard["stable"].verdict == "unknown"


def test_progress_is_reported_in_order(customers: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, _ = customers
    seen: list[tuple[str, float]] = []
    fit_segments(frame.iloc[:400], k=3, bootstrap=2, progress=lambda m, f: seen.append((m, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in fractions)


def test_dirty_table_is_cleaned_with_warnings() -> None:
    rng = np.random.default_rng(0)
    n = 300
    group = np.repeat([0, 1, 2], n // 3)
    frame = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "spend": np.where(group == 0, 10.0, np.where(group == 1, 500.0, 5000.0))
            * rng.lognormal(0, 0.2, n),
            "visits": group * 10 + rng.integers(0, 3, n),
            "constant": 1.0,
            "empty": np.nan,
            "town": [f"town{i}" for i in rng.integers(0, 120, n)],
        }
    )
    frame.loc[::17, "spend"] = np.nan
    frame.loc[5, "id"] = "c4"  # a repeated ID
    result = fit_segments(frame, k=3, id_column="id", bootstrap=0)
    joined = " ".join(result.warnings)
    assert "Dropped empty columns from the features: empty" in joined
    assert "Dropped constant columns from the features: constant" in joined
    assert "1 rows repeat a customer ID" in joined
    assert len(result.labels) == n - 1
    town_features = [f for f in result.feature_names if "town" in f]
    assert len(town_features) <= 20  # high-cardinality category capped (top labels + other)
    assert "c4" not in json.dumps(result.to_dict())


def test_small_segments_are_not_described() -> None:
    frame = pd.DataFrame({"x": [0.0] * 40 + [100.0] * 5, "y": [1.0] * 20 + [2.0] * 20 + [50.0] * 5})
    result = fit_segments(frame, k=2, min_segment_size=10, bootstrap=0)
    small = [p for p in result.profiles if p.size < 10]
    assert small and all(p.suppressed and not p.numeric and not p.rules for p in small)
    assert result.scorecard["sizable"].verdict == "fail"


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"algorithm": "dbscan"}, InvalidOptionError, "algorithm 'dbscan'"),
        ({"k": 1}, InvalidOptionError, "k=1"),
        ({"k": "many"}, InvalidOptionError, "k='many'"),
        ({"k_range": (5, 2)}, InvalidOptionError, "k_range"),
        ({"bootstrap": -1}, InvalidOptionError, "bootstrap"),
        ({"min_segment_size": 0}, InvalidOptionError, "min_segment_size"),
        ({"k": 20}, TooFewRowsError, "at least 40"),
    ],
)
def test_invalid_options_raise_named_errors(
    kwargs: dict[str, object], error: type[Exception], fragment: str
) -> None:
    frame = pd.DataFrame({"x": np.arange(30.0), "y": np.arange(30.0) % 4})
    with pytest.raises(error, match=fragment):
        fit_segments(frame, **kwargs)  # type: ignore[arg-type]


def test_too_few_rows_and_no_features() -> None:
    with pytest.raises(TooFewRowsError):
        fit_segments(pd.DataFrame({"x": [1.0]}), k=2)
    with pytest.raises(TooFewRowsError):
        fit_segments(pd.DataFrame({"x": []}, dtype=float))
    only_pii = pd.DataFrame({"email": [f"u{i}@example.com" for i in range(30)], "c": ["k"] * 30})
    with pytest.raises(NoFeaturesError, match="no column"):
        fit_segments(only_pii)


def test_feature_matrix_is_finite_without_constant_columns(
    fitted: SegmentationResult, customers: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, _ = customers
    x = np.asarray(fitted.model[:-1].transform(frame))
    assert np.isfinite(x).all()
    assert (x.std(axis=0) > 0).all()
    assert x.shape[0] >= 2 * fitted.k


def test_result_pickles_and_still_assigns(
    fitted: SegmentationResult, customers: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, _ = customers
    restored = pickle.loads(pickle.dumps(fitted))
    assigned = assign_segments(restored, frame.head(50))
    assert assigned.tolist() == assign_segments(fitted, frame.head(50)).tolist()
    assert not any("Warning:" in w for w in fitted.warnings), fitted.warnings
