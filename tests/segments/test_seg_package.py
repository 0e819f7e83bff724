"""The package boundary: public names, allowed imports, silence, committed sample files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

import segments
from segments import errors, read_table
from segments.sample import make_customers, make_transactions

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "persona" / "sample_data"


def test_public_names_are_exported() -> None:
    assert sorted(segments.__all__) == sorted(set(segments.__all__))
    for name in segments.__all__:
        assert hasattr(segments, name), name
    for name in ("read_table", "infer_roles", "transactions_to_customers", "fit_segments",
                 "assign_segments", "export_labels_csv", "segment_map_figure", "profile_figure",
                 "SegmentationResult", "SegmentProfile", "LoadedTable", "SegmentModel",
                 "load_model", "AssignmentModel", "SegmentsError", "InputError",
                 "SegmentationError", "ModelStateError"):  # fmt: skip
        assert name in segments.__all__


# Every exception class segments has raised since before #18, by its old name.
ERRORS = (
    "ColumnNotFoundError", "EmptyTableError", "EncodingError", "FileMissingError",
    "FileTooLargeError", "IngestError", "InvalidOptionError", "MalformedTableError",
    "NoFeaturesError", "NoStructureError", "RaggedRowsError", "SegmentationError",
    "SegmentsError", "SheetNotFoundError", "TooFewRowsError", "TooManyColumnsError",
    "TooManyRowsError", "UnsafeFileError", "UnsupportedColumnError", "UnsupportedFormatError",
)  # fmt: skip


def test_exceptions_fall_under_a_few_public_bases() -> None:
    bases = (segments.InputError, segments.SegmentationError, segments.ModelStateError)
    exported = [n for n in segments.__all__ if n.endswith("Error")]
    assert sorted(exported) == sorted(
        ["IngestError", "InputError", "ModelStateError", "SegmentationError", "SegmentsError"]
    )
    assert segments.IngestError is segments.InputError
    for name in ERRORS:
        error = getattr(errors, name)
        assert name in errors.__all__
        assert issubclass(error, segments.SegmentsError)
        if error is not segments.SegmentsError:
            assert issubclass(error, bases), name
            assert issubclass(error, ValueError), name
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), segments.SegmentsError), name


def test_import_is_light_and_silent() -> None:
    code = (
        "import sys, segments, segments.sample\n"
        "banned = [m for m in sys.modules if m.split('.')[0] in "
        "('persona', 'chromadb', 'langchain_core', 'openai', 'plotly', 'torch', 'gradio')]\n"
        "assert not banned, banned\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_fit_prints_nothing(capfd: object, customers: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, _ = customers
    segments.fit_segments(frame.iloc[:300], k=3, bootstrap=1)
    out, err = capfd.readouterr()  # type: ignore[attr-defined]
    assert out == "" and err == ""


def test_committed_sample_files_match_the_generator() -> None:
    customers, truth = make_customers(2000, random_state=0)
    loaded = read_table(SAMPLE / "customers.csv")
    assert loaded.warnings == []
    pd.testing.assert_frame_equal(loaded.frame, customers)
    transactions = read_table(SAMPLE / "transactions.csv")
    pd.testing.assert_frame_equal(transactions.frame, make_transactions(customers, 0))
    stored_truth = pd.read_csv(SAMPLE / "segments_truth.csv", dtype=str)
    assert stored_truth["true_segment"].tolist() == truth.tolist()
    assert (SAMPLE / "README.md").read_text(encoding="utf-8").count("|") > 50


def test_generator_is_reproducible_and_plants_five_segments() -> None:
    first, truth = make_customers(500, random_state=3)
    second, truth2 = make_customers(500, random_state=3)
    pd.testing.assert_frame_equal(first, second)
    assert truth.equals(truth2)
    assert truth.nunique() == 5
    other, _ = make_customers(500, random_state=4)
    assert not other.equals(first)
    assert first["customer_id"].is_unique
    lapsed = first[truth == "Lapsed bargain hunters"]
    assert (lapsed["days_since_last_order"] >= 200).all()
    assert ((first["orders_12m"] == 0) == first["avg_basket"].isna()).all()
