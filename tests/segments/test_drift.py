"""PSI, migration matrix, alerts and segment matching on hand-made data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segments.alerts import Thresholds, snapshot_alerts
from segments.drift import (
    BucketCounts,
    FeatureBins,
    count_buckets,
    drift_table,
    psi,
    psi_band,
    reference_bins,
)
from segments.features import FeatureSpec
from segments.matching import match_segments
from segments.migration import GONE, NEW, migration_matrix


def test_psi_matches_the_formula_and_floors_empty_buckets() -> None:
    e, a = [0.5, 0.3, 0.2], [0.4, 0.4, 0.2]
    expected = (0.4 - 0.5) * np.log(0.4 / 0.5) + (0.4 - 0.3) * np.log(0.4 / 0.3)
    assert psi(e, a) == pytest.approx(expected)
    assert psi([10, 0], [5, 5]) == pytest.approx(
        (0.5 - 1.0) * np.log(0.5 / 1.0) + (0.5 - 1e-4) * np.log(0.5 / 1e-4)
    )
    assert psi([3, 3], [3, 3]) == 0.0
    assert [psi_band(v) for v in (0.05, 0.1, 0.19, 0.2, 0.31)] == [
        "stable", "moderate", "moderate", "significant", "significant",
    ]  # fmt: skip


def test_reference_deciles_and_buckets_round_trip() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"spend": rng.normal(100, 10, 5000), "channel": rng.choice(["a", "b"], 5000)}
    )
    spec = FeatureSpec(numeric=["spend"], categorical=["channel"], levels={"channel": ["a", "b"]})
    bins = reference_bins(frame, spec)
    assert bins[0].n_buckets == 11  # 9 cut points, 10 deciles, 1 missing bucket
    assert [FeatureBins.from_dict(b.to_dict()) for b in bins] == bins
    labels = rng.integers(0, 2, 5000)
    counts = count_buckets(frame, labels, bins)
    assert sum(counts.overall["spend"]) == 5000
    assert max(counts.overall["spend"][:10]) - min(counts.overall["spend"][:10]) <= 1
    assert BucketCounts.from_dict(counts.to_dict()) == counts
    # The same distribution drawn again is stable; a shifted mean is significant.
    same = frame.assign(spend=rng.normal(100, 10, 5000))
    moved = frame.assign(spend=rng.normal(106, 10, 5000))
    stable = drift_table(counts, count_buckets(same, labels, bins))
    shifted = drift_table(counts, count_buckets(moved, labels, bins))
    overall = {d.feature: d for d in stable if d.segment is None}
    assert overall["spend"].band == "stable" and overall["spend"].p_value > 0.01
    spend = next(d for d in shifted if d.feature == "spend" and d.segment is None)
    assert spend.band == "significant" and spend.p_value < 1e-6
    # Unseen categories and missing values land in the last bucket, not an error.
    odd = frame.assign(channel=["z"] * 4999 + [None], spend=[np.nan] * 5000)
    counted = count_buckets(odd, labels, bins)
    assert counted.overall["channel"][-1] == 5000 and counted.overall["spend"][-1] == 5000


def test_migration_matrix_sums_rows_new_and_gone() -> None:
    old = pd.Series([0, 0, 1, 2], index=["a", "b", "c", "d"])
    new = pd.Series([0, 1, 1, 1], index=["a", "b", "c", "e"])
    value = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=list("abcde"))
    m = migration_matrix(old, new, value, segments=[0, 1, 2])
    assert list(m.counts.index) == [0, 1, 2, NEW] and list(m.counts.columns) == [0, 1, 2, GONE]
    assert (m.in_both, m.only_old, m.only_new) == (3, 1, 1)
    assert m.moved(0, 1) == 1 and m.moved(2, GONE) == 1 and m.moved(NEW, 1) == 1
    assert m.value is not None and m.value.loc[0, 1] == 2.0 and m.value.loc[NEW, 1] == 5.0
    assert m.to_dict()["shares"]["0"] == {"0": 0.5, "1": 0.5, "2": 0.0, "gone": 0.0}
    # Ids compare as text: 1 and "1" are one customer.
    assert migration_matrix(pd.Series([0], index=[1]), pd.Series([0], index=["1"])).in_both == 1
    with pytest.raises(ValueError, match="repeats customer ids"):
        migration_matrix(pd.Series([0, 1], index=["a", "a"]), new)


def test_alerts_rank_the_largest_change_first_and_name_the_source() -> None:
    old = pd.Series([0] * 60 + [1] * 40, index=[f"c{i}" for i in range(100)])
    new = old.copy()
    new.iloc[:20] = 1  # 20 customers move from segment 0 to 1
    m = migration_matrix(old, new)
    alerts = snapshot_alerts(
        labels={0: "Loyal Customers", 1: "At Risk"},
        shares_before={0: 0.6, 1: 0.4},
        shares_after={0: 0.4, 1: 0.6},
        migration=m,
        drift=[],
        confidence_before=0.6,
        confidence_after=0.58,
        thresholds=Thresholds(),
    )
    assert [a.text for a in alerts] == [
        "At Risk grew from 40 % to 60 % (+20 customers, most from Loyal Customers)",
        "Loyal Customers shrank from 60 % to 40 % (-20 customers, most to At Risk)",
    ]
    quiet = snapshot_alerts(
        labels={0: "a", 1: "b"}, shares_before={0: 0.6, 1: 0.4}, shares_after={0: 0.59, 1: 0.41},
        migration=migration_matrix(old, old), drift=[], confidence_before=0.6,
        confidence_after=0.6, thresholds=Thresholds(),
    )  # fmt: skip
    assert quiet == []


def test_matching_reads_kept_split_merged_new_and_vanished() -> None:
    ids = [f"c{i}" for i in range(400)]
    old = pd.Series([0] * 100 + [1] * 100 + [2] * 100 + [3] * 50 + [4] * 50, index=ids)
    # 0 kept as 10 (a splinter of 5 becomes 14); 1 split into 11 and 12; 2 and 3 merged
    # into 13; 4 scattered over the others.
    new = pd.Series(
        [10] * 95 + [14] * 5 + [11] * 50 + [12] * 50 + [13] * 150 + [10, 11, 12, 13, 10] * 10,
        index=ids,
    )
    kinds = {(m.transition, m.old, m.new) for m in match_segments(old, new)}
    assert ("kept", (0,), (10,)) in kinds
    assert ("split", (1,), (11, 12)) in kinds
    assert ("merged", (2, 3), (13,)) in kinds
    assert ("vanished", (4,), ()) in kinds
    assert ("new", (), (14,)) in kinds
