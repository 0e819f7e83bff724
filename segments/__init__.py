"""Numeric customer segmentation: load a table, find segments, describe and score them.

Usable on its own (numpy, pandas, scikit-learn; no LLM)::

    import segments

    table = segments.read_table("customers.csv")
    result = segments.fit_segments(table.frame, k="auto")
    for profile in result.profiles:
        print(profile.label, profile.facts()["share_pct"])

Personal-data and identifier columns never become features and never appear in
profiles or :meth:`SegmentationResult.to_dict`; the only per-customer output is
the labels export (customer ID → segment).
"""

from segments.assign import assign_segments
from segments.cluster import ALGORITHMS
from segments.errors import (
    ColumnNotFoundError,
    EmptyTableError,
    EncodingError,
    FileMissingError,
    FileTooLargeError,
    IngestError,
    InputError,
    InvalidOptionError,
    MalformedTableError,
    ModelStateError,
    NoFeaturesError,
    NoStructureError,
    RaggedRowsError,
    SegmentationError,
    SegmentsError,
    SheetNotFoundError,
    TooFewRowsError,
    TooManyColumnsError,
    TooManyRowsError,
    UnsafeFileError,
    UnsupportedColumnError,
    UnsupportedFormatError,
)
from segments.export import (
    export_labels_csv,
    export_profiles_json,
    profile_figure,
    safe_cell,
    segment_map_figure,
    write_labels_csv,
)
from segments.fit import fit_segments
from segments.load import LoadedTable, read_table
from segments.profile import CategoryStat, NumericStat, SegmentProfile
from segments.result import SegmentationResult
from segments.rfm import transactions_to_customers
from segments.roles import ROLES, infer_roles
from segments.rules import Rule
from segments.scorecard import CRITERIA, Criterion, Scorecard
from segments.state import AssignmentModel, load_model

__all__ = [
    "ALGORITHMS",
    "AssignmentModel",
    "InputError",
    "ModelStateError",
    "load_model",
    "write_labels_csv",
    "CRITERIA",
    "ROLES",
    "CategoryStat",
    "ColumnNotFoundError",
    "Criterion",
    "EmptyTableError",
    "EncodingError",
    "FileMissingError",
    "FileTooLargeError",
    "IngestError",
    "InvalidOptionError",
    "LoadedTable",
    "MalformedTableError",
    "NoFeaturesError",
    "NoStructureError",
    "NumericStat",
    "RaggedRowsError",
    "Rule",
    "Scorecard",
    "SegmentProfile",
    "SegmentationError",
    "SegmentationResult",
    "SegmentsError",
    "SheetNotFoundError",
    "TooFewRowsError",
    "TooManyColumnsError",
    "TooManyRowsError",
    "UnsafeFileError",
    "UnsupportedColumnError",
    "UnsupportedFormatError",
    "assign_segments",
    "export_labels_csv",
    "export_profiles_json",
    "fit_segments",
    "infer_roles",
    "profile_figure",
    "read_table",
    "safe_cell",
    "segment_map_figure",
    "transactions_to_customers",
]
