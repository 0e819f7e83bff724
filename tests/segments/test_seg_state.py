"""The assignment model saved as data: same predictions as the fitted pipeline, clear errors."""

from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pandas as pd
import pytest

import segments
from segments import ModelStateError, assign_segments, fit_segments, load_model
from segments.state import STATE_VERSION


def _roundtrip(result: segments.SegmentationResult) -> segments.AssignmentModel:
    """Through JSON text, as the workspace stores it."""
    return load_model(json.loads(json.dumps(result.model_state(), allow_nan=False)))


def _new_customers(frame: pd.DataFrame) -> pd.DataFrame:
    """Other rows with missing values, an unseen category and a bad number mixed in."""
    new = frame.sample(300, random_state=7).reset_index(drop=True)
    new.loc[:20, "age"] = np.nan
    new.loc[21:40, "preferred_channel"] = "carrier pigeon"
    new.loc[41:50, "region"] = None
    new["spend_12m"] = new["spend_12m"].astype(object)
    new.loc[51:60, "spend_12m"] = "n/a"
    new.loc[61:70, "member_since"] = pd.NaT
    return new


def test_saved_state_predicts_like_the_fitted_and_the_unpickled_pipeline(
    fitted: segments.SegmentationResult, customers: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, _ = customers
    model = _roundtrip(fitted)
    unpickled = pickle.loads(pickle.dumps(fitted))
    for table in (frame, _new_customers(frame)):
        expected = unpickled.model.predict(table)
        np.testing.assert_array_equal(model.predict(table), expected)
        np.testing.assert_array_equal(model.transform(table), fitted.model[:-1].transform(table))
    pd.testing.assert_series_equal(assign_segments(model, frame), assign_segments(fitted, frame))


@pytest.mark.parametrize("algorithm", ["gmm", "agglomerative", "hdbscan"])
def test_every_algorithm_survives_the_round_trip(
    algorithm: str, customers: tuple[pd.DataFrame, pd.Series]
) -> None:
    frame, _ = customers
    result = fit_segments(
        frame.iloc[:800], k="auto" if algorithm == "hdbscan" else 4, algorithm=algorithm,
        bootstrap=0, id_column="customer_id",
    )  # fmt: skip
    model = _roundtrip(result)
    table = _new_customers(frame)
    np.testing.assert_array_equal(model.predict(table), result.model.predict(table))
    kind = model.to_state()["classifier"]["kind"]
    assert kind == ("nearest_centroid" if algorithm == "agglomerative" else "knn")


def test_state_records_versions_and_is_plain_json(fitted: segments.SegmentationResult) -> None:
    state = fitted.model_state()
    assert state["format"] == "segments.assignment-model"
    assert state["schema_version"] == STATE_VERSION
    assert {"scikit-learn", "numpy", "pandas", "persona-studio"} <= set(state["versions"])
    text = json.dumps(state, allow_nan=False)
    assert "sklearn" not in text.replace("scikit-learn", "")
    assert state["feature_spec"] == fitted.feature_spec.to_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(schema_version=STATE_VERSION + 1), "schema version"),
        (lambda s: s.update(format="pickle"), "not a saved segmentation model"),
        (lambda s: s.pop("encoder"), "incomplete"),
        (lambda s: s["keep"].update(base64="%%%"), "malformed"),
        (lambda s: s["classifier"].update(kind="svm"), "unknown"),
        (lambda s: s["keep"].update(shape=[1]), "malformed"),
        (lambda s: s["encoder"].pop(), "does not match its encoder"),
        (lambda s: s["classifier"]["classes"].update(shape=[0]), "malformed"),
    ],
)
def test_an_unusable_state_raises_a_clear_typed_error(
    fitted: segments.SegmentationResult, change: object, message: str
) -> None:
    state = copy.deepcopy(fitted.model_state())
    change(state)  # type: ignore[operator]
    with pytest.raises(ModelStateError, match=message) as caught:
        load_model(state)
    assert "Segment the customer table again" in str(caught.value)
    assert isinstance(caught.value, segments.SegmentsError)


def test_a_non_dict_state_is_refused() -> None:
    with pytest.raises(ModelStateError, match="not a saved segmentation model"):
        load_model(["not", "a", "state"])  # type: ignore[arg-type]
