"""Encoding each customer once (the refresh's fast path) changes no result.

:func:`segments.assign.assign_prepared` against :func:`segments.assign_segments` and
``AssignmentModel.confidence``; the factorised one-hot against comparing every row
with every level, on the sample with an unseen and a missing label planted.
"""

from __future__ import annotations

import numpy as np

import segments
from segments.assign import assign_prepared
from segments.features import prepare_frame
from segments.sample import make_customers, make_snapshot


def test_encoding_once_gives_the_same_labels_confidence_and_one_hot() -> None:
    first, _ = make_customers(1500, 2)
    result = segments.fit_segments(first, k=4, id_column="customer_id", bootstrap=0)
    model = segments.load_model(result.model_state())
    later, _ = make_snapshot(1500, 2, change=True)
    later.loc[later.index[:40], "city"] = "Atlantis"  # unseen label
    later.loc[later.index[40:80], "preferred_channel"] = None  # missing
    prepared = prepare_frame(later, model.feature_spec.to_dict())
    labels, confidence = assign_prepared(model, later, prepared)
    assert labels.equals(segments.assign_segments(model, later))
    np.testing.assert_allclose(confidence, model.confidence(later))
    # The factorised one-hot equals comparing every row with every level.
    for block in model.blocks:
        if block.kind != "cat":
            continue
        naive = np.hstack([
            prepared[c].to_numpy(dtype=object)[:, None] == np.array(levels, dtype=object)
            for c, levels in zip(block.columns, block.categories, strict=True)
        ]).astype("float64")  # fmt: skip
        np.testing.assert_array_equal(block.transform(prepared), naive)
    # Known labels are kept; only the confidence is computed.
    kept, again = assign_prepared(model, later, prepared, labels)
    assert kept is labels and np.array_equal(again, confidence)
