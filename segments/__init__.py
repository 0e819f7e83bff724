"""Numeric customer segmentation: load a table, find segments, describe and score them.

Usable on its own (numpy, pandas, scikit-learn; no LLM)::

    import segments

    table = segments.read_table("customers.csv")
    result = segments.fit_segments(table.frame, k="auto")
    for profile in result.profiles:
        print(profile.label, profile.facts()["share_pct"])

or as a scikit-learn estimator (``clone``, ``Pipeline``, ``GridSearchCV``)::

    model = segments.SegmentModel(k=4, random_state=0).fit(table.frame)
    model.labels_, model.profiles_, model.predict(new_customers)

A fitted model is kept as data: ``result.model_state()`` is JSON-safe and
:func:`load_model` rebuilds it under later library versions.

Errors fall under :class:`SegmentsError` in three kinds: :class:`InputError`
(the file or table), :class:`SegmentationError` (the options or the data),
:class:`ModelStateError` (a saved model that cannot be used); every specific
class is in :mod:`segments.errors`.

Personal-data and identifier columns never become features and never appear in
profiles or :meth:`SegmentationResult.to_dict`; the only per-customer output is
the labels export (customer ID → segment).
"""

from segments.assign import assign_segments
from segments.cluster import ALGORITHMS
from segments.dictionary import DataDictionary, read_dictionary
from segments.errors import (
    IngestError,
    InputError,
    ModelStateError,
    SegmentationError,
    SegmentsError,
)
from segments.export import (
    export_labels_csv,
    export_profiles_json,
    profile_figure,
    segment_map_figure,
    value_share_figure,
    write_labels_csv,
)
from segments.facts import Fact, fact_name
from segments.fit import DEFAULT_K_RANGE, METHODS, parse_k
from segments.load import LoadedTable, read_table
from segments.logs import LogColumns, log_columns, recognise_log
from segments.model import SegmentModel, fit_segments
from segments.predictions import (
    CustomerPredictions,
    attach_predictions,
    churn_outcome,
    churn_predictions,
    log_predictions,
)
from segments.profile import SegmentProfile
from segments.result import SegmentationResult
from segments.rfm import RFM_RULES, rfm_scores, transactions_to_customers
from segments.roles import ROLES, infer_roles
from segments.scorecard import CRITERIA, Scorecard
from segments.state import AssignmentModel, load_model
from segments.value_segments import SegmentPrediction

__all__ = [
    "ALGORITHMS",
    "CRITERIA",
    "DEFAULT_K_RANGE",
    "METHODS",
    "RFM_RULES",
    "ROLES",
    "AssignmentModel",
    "CustomerPredictions",
    "DataDictionary",
    "Fact",
    "IngestError",
    "InputError",
    "LoadedTable",
    "LogColumns",
    "ModelStateError",
    "Scorecard",
    "SegmentModel",
    "SegmentPrediction",
    "SegmentProfile",
    "SegmentationError",
    "SegmentationResult",
    "SegmentsError",
    "assign_segments",
    "attach_predictions",
    "churn_outcome",
    "churn_predictions",
    "export_labels_csv",
    "export_profiles_json",
    "fact_name",
    "fit_segments",
    "infer_roles",
    "load_model",
    "log_columns",
    "log_predictions",
    "parse_k",
    "profile_figure",
    "read_dictionary",
    "read_table",
    "recognise_log",
    "rfm_scores",
    "segment_map_figure",
    "transactions_to_customers",
    "value_share_figure",
    "write_labels_csv",
]
