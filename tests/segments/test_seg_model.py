"""``SegmentModel`` keeps scikit-learn's estimator contract (clone, pipelines, grid search)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_clusterer
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.metrics import silhouette_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from segments import SegmentModel, SegmentProfile, fit_segments
from segments.errors import ColumnNotFoundError, InvalidOptionError, SegmentationError

COLUMNS = ["age", "orders_12m", "spend_12m", "days_since_last_order", "preferred_channel"]
FAST = {"bootstrap": 0, "random_state": 0}


@pytest.fixture(scope="module")
def table(customers: tuple[pd.DataFrame, pd.Series]) -> pd.DataFrame:
    frame, _ = customers
    return frame.iloc[:600].reset_index(drop=True)


def test_init_stores_arguments_verbatim_and_params_round_trip() -> None:
    roles = {"age": "numeric"}
    model = SegmentModel(k=3, algorithm="gmm", roles=roles, k_range=(2, 5), random_state=7)
    params = model.get_params()
    assert params["roles"] is roles and params["k_range"] == (2, 5)
    assert params == {
        "k": 3, "algorithm": "gmm", "method": "cluster", "id_column": None, "roles": roles,
        "dictionary": None, "min_segment_size": 20, "random_state": 7, "k_range": (2, 5),
        "bootstrap": 20, "balance": True,
    }  # fmt: skip
    assert model.set_params(k=4, bootstrap=0) is model and model.k == 4
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert is_clusterer(model)
    assert "SegmentModel(algorithm='gmm'" in repr(model)


def test_scikit_learn_basic_checks_pass() -> None:
    name, model = "SegmentModel", SegmentModel()
    check_no_attributes_set_in_init(name, model)
    check_parameters_default_constructible(name, model)
    check_get_params_invariance(name, model)
    check_set_params(name, model)


def test_fit_returns_self_with_learned_attributes(table: pd.DataFrame) -> None:
    model = SegmentModel(k=3, id_column="customer_id", **FAST)
    with pytest.raises(NotFittedError):
        model.predict(table)
    assert model.fit(table) is model
    assert model.n_segments_ == 3 and len(model.labels_) == len(table)
    assert all(isinstance(p, SegmentProfile) for p in model.profiles_)
    assert model.n_features_in_ == table.shape[1]
    assert list(model.feature_names_in_) == list(table.columns)
    np.testing.assert_array_equal(model.labels_, model.result_.labels.to_numpy())
    np.testing.assert_array_equal(model.predict(table), model.result_.model.predict(table))
    # Learned state never leaks into the parameters, and a fitted model clones unfitted.
    assert model.get_params() == SegmentModel(k=3, id_column="customer_id", **FAST).get_params()
    with pytest.raises(NotFittedError):
        clone(model).predict(table)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(table), model.predict(table))


def test_fit_predict_and_the_wrapper_agree(table: pd.DataFrame) -> None:
    labels = SegmentModel(k=3, **FAST).fit_predict(table)
    result = fit_segments(table, k=3, **FAST)
    np.testing.assert_array_equal(labels, result.labels.to_numpy())
    assert [p.to_dict() for p in result.profiles] == [
        p.to_dict() for p in SegmentModel(k=3, **FAST).fit(table).profiles_
    ]


def test_works_as_the_last_step_of_a_pipeline(table: pd.DataFrame) -> None:
    select = FunctionTransformer(lambda frame: frame[COLUMNS], validate=False)
    pipe = Pipeline([("select", select), ("segments", SegmentModel(k=3, **FAST))])
    labels = pipe.fit_predict(table)
    assert set(labels) == {0, 1, 2}
    np.testing.assert_array_equal(pipe.predict(table), labels)
    assert pipe.named_steps["segments"].result_.feature_spec.sources != []
    numeric = COLUMNS[:4]
    scaled = Pipeline(
        [
            ("fill", ColumnTransformer([("keep", "passthrough", numeric)])),
            ("scale", StandardScaler()),
            ("segments", SegmentModel(k=3, **FAST)),
        ]
    )
    array_labels = scaled.fit(table.fillna(0)).predict(table.fillna(0))
    assert len(array_labels) == len(table)
    assert scaled.named_steps["segments"].n_features_in_ == 4
    assert not hasattr(scaled.named_steps["segments"], "feature_names_in_")


def _silhouette(model: SegmentModel, x: pd.DataFrame, y: object = None) -> float:
    """A custom scorer: silhouette of the held-out customers in the model's feature space."""
    labels = model.predict(x)
    if len(set(labels)) < 2:
        return -1.0
    return float(silhouette_score(model.result_.model[:-1].transform(x), labels))


def test_grid_search_with_a_custom_scorer_picks_k(table: pd.DataFrame) -> None:
    search = GridSearchCV(
        SegmentModel(**FAST),
        {"k": [2, 3, 4]},
        scoring=_silhouette,
        cv=KFold(2, shuffle=True, random_state=0),
        error_score="raise",
    )
    search.fit(table[COLUMNS])
    assert search.best_params_["k"] in (2, 3, 4)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.n_segments_ == search.best_params_["k"]


def test_bad_input_raises_segmentation_errors(table: pd.DataFrame) -> None:
    with pytest.raises(InvalidOptionError, match="2-D"):
        SegmentModel(k=3).fit(np.arange(10.0))
    with pytest.raises(SegmentationError):
        SegmentModel(k="many").fit(table)
    model = SegmentModel(k=3, **FAST).fit(table[COLUMNS])
    with pytest.raises(ColumnNotFoundError):
        model.predict(table[COLUMNS[:2]])
    array = SegmentModel(k=3, **FAST).fit(table[COLUMNS[:4]].fillna(0).to_numpy())
    with pytest.raises(InvalidOptionError, match="columns"):
        array.predict(np.zeros((3, 2)))
