"""RFM score segments: quintile scores with shared ties, and the stated order of the named rules."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from segments.errors import ColumnNotFoundError
from segments.logs import recognise_log
from segments.rfm import (
    RFM_OTHERS,
    RFM_RULES,
    quintile_scores,
    rfm_scores,
    transactions_to_customers,
)
from tests.support.real_data import cdnow_log


def _grid() -> pd.DataFrame:
    cells = list(itertools.product(range(1, 6), repeat=3))
    return pd.DataFrame(cells, columns=["r", "f", "m"])


def _segment_of(r: int, f: int, m: int) -> str:
    cell = pd.Series([r]), pd.Series([f]), pd.Series([m])
    return next((rule.name for rule in RFM_RULES if bool(rule.matches(*cell).iloc[0])), RFM_OTHERS)


def test_every_named_rule_is_reachable_and_the_first_match_wins() -> None:
    grid = _grid()
    names = {_segment_of(*row) for row in grid.itertuples(index=False)}
    assert names == {rule.name for rule in RFM_RULES} | {RFM_OTHERS}
    assert len(RFM_RULES) == 11
    # 5/5/5 matches Champions and Loyal Customers: Champions comes first.
    assert _segment_of(5, 5, 5) == "Champions"
    assert _segment_of(1, 5, 5) == "Can't Lose Them"  # also At Risk, which comes later
    assert _segment_of(5, 1, 1) == "New Customers"  # also Potential Loyalist
    assert _segment_of(3, 5, 1) == RFM_OTHERS


def test_quintile_scores_share_ties_and_reward_recency() -> None:
    frequency = pd.Series([1] * 6 + [2, 3, 5, 9])
    scores = quintile_scores(frequency)
    assert set(scores[:6]) == {1}
    assert list(scores[6:]) == [4, 4, 5, 5]
    recency = pd.Series([1, 50, 100, 200, 400])
    assert list(quintile_scores(recency, higher_is_better=False)) == [5, 4, 3, 2, 1]


def test_rfm_segments_of_the_real_cdnow_log() -> None:
    log = cdnow_log()
    customers = transactions_to_customers(log, **recognise_log(log).options())
    scored = rfm_scores(customers)
    assert scored[["r_score", "f_score", "m_score"]].isin(range(1, 6)).all().all()
    counts = scored["rfm_segment"].value_counts()
    assert counts.sum() == 2357
    # CDNOW: most of the cohort bought once long ago, and a core bought often and lately.
    assert counts.idxmax() == "Champions" or counts["Lost"] + counts["Hibernating"] > 500
    champions = scored[scored["rfm_segment"] == "Champions"]
    assert (champions[["r_score", "f_score", "m_score"]] >= 4).all().all()
    once = customers["frequency"] == 1
    assert set(scored.loc[once, "f_score"]) == {1}


def test_rfm_scores_need_rfm_columns() -> None:
    with pytest.raises(ColumnNotFoundError, match="recency_days"):
        rfm_scores(pd.DataFrame({"frequency": [1], "monetary": [2.0]}))
