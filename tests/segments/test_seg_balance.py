"""Groups of correlated columns weigh as one; dictionary groups and roles; readable labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import segments
from segments.balance import correlated_groups, group_weights
from tests.support.real_data import cdnow_log


def _copies_and_clusters(n: int = 1200, copies: int = 8) -> tuple[pd.DataFrame, np.ndarray]:
    """Four planted clusters in x, y; a two-way split repeated in ``copies`` near-copy columns."""
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, n)
    centres = np.array([[0, 0], [6, 0], [0, 6], [6, 6]], dtype=float)
    points = centres[truth] + rng.normal(0, 1, (n, 2))
    split = rng.integers(0, 2, n) * 3.0 + rng.normal(0, 1, n)
    frame = pd.DataFrame({"x": points[:, 0], "y": points[:, 1]})
    for i in range(copies):
        frame[f"z{i}"] = split + rng.normal(0, 0.05, n)
    return frame, truth


def test_near_copies_form_one_group_weighed_as_one_column() -> None:
    frame, _ = _copies_and_clusters(copies=3)
    groups = correlated_groups(frame)
    assert groups == [["z0", "z1", "z2"]]
    weights = group_weights(frame, groups)
    assert weights["x"] == 1.0 and weights["y"] == 1.0
    # Three near copies: λ₁ ≈ 3, so each weighs 1/√3 and the group as one column.
    assert weights["z0"] == pytest.approx(1 / np.sqrt(3), rel=0.01)


def test_a_repeated_column_no_longer_decides_the_segments() -> None:
    frame, truth = _copies_and_clusters()
    plain = segments.fit_segments(frame, k=4, balance=False, bootstrap=0)
    balanced = segments.fit_segments(frame, k=4, bootstrap=0)
    unbalanced_ari = adjusted_rand_score(truth, plain.labels.to_numpy())
    balanced_ari = adjusted_rand_score(truth, balanced.labels.to_numpy())
    assert balanced_ari > 0.9 > unbalanced_ari + 0.3, (balanced_ari, unbalanced_ari)
    assert any("move together in 1 group(s)" in w for w in balanced.warnings)
    assert not any("move together" in w for w in plain.warnings)
    # The weights live in the saved model, so new customers are placed the same way.
    model = segments.load_model(balanced.model_state())
    again = segments.assign_segments(model, frame)
    assert (again.to_numpy() == balanced.labels.to_numpy()).mean() > 0.97


def test_a_dictionary_declares_groups_and_roles(tmp_path: Path) -> None:
    frame, _ = _copies_and_clusters(copies=2)
    frame["code"] = np.arange(len(frame)) % 5 + 1  # a category code, stored as a number
    frame["email"] = [f"p{i}@example.com" for i in range(len(frame))]
    path = tmp_path / "dictionary.csv"
    path.write_text(
        "column,description,role,group\n"
        "x,first axis,,position\n"
        "y,second axis,,position\n"
        "code,customer type code,categorical,\n"
        "email,contact address,numeric,\n",
        encoding="utf-8",
    )
    words = segments.read_dictionary(path, columns=frame.columns)
    assert words.groups() == {"position": ["x", "y"]}
    assert words.roles() == {"code": "categorical", "email": "numeric"}
    assert segments.DataDictionary.from_dict(words.to_dict()).columns == words.columns
    result = segments.fit_segments(frame, k=3, dictionary=words, bootstrap=0)
    assert result.roles["code"] == "categorical"
    assert result.roles["email"] == "personal"  # a dictionary never makes personal data a feature
    assert any("the dictionary's groups position (2 columns)" in w for w in result.warnings)
    # The caller's roles win over the dictionary's.
    chosen = segments.fit_segments(
        frame, k=3, dictionary=words, roles={"code": "numeric"}, bootstrap=0
    )
    assert chosen.roles["code"] == "numeric"


def test_log_labels_read_as_a_marketer_would_say_them() -> None:
    log = cdnow_log()
    columns = segments.log_columns(log)
    frame = segments.transactions_to_customers(log, **columns.options())
    result = segments.fit_segments(frame, id_column=columns.customer, bootstrap=0)
    labels = " ".join(p.label.lower() for p in result.profiles)
    assert "recency days" not in labels and "interpurchase days" not in labels
    assert "since last order" in labels or "ordered recently" in labels


def test_labels_name_one_of_two_near_copies_and_stay_short() -> None:
    frame, _ = _copies_and_clusters(copies=2)
    long = "a very long description of the measurement (with an aside that explains it)"
    words = segments.DataDictionary(
        {c: segments.dictionary.ColumnInfo(f"{long} {c}") for c in frame.columns}
    )
    result = segments.fit_segments(frame, k=4, dictionary=words, bootstrap=0)
    for profile in result.profiles:
        assert not ("z0" in profile.label and "z1" in profile.label), profile.label
        assert "(with an aside" not in profile.label
        assert profile.label.count(",") <= 2
