"""Shared fixtures for the segmentation tests: the sample base and one fitted result."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import segments
from segments.sample import make_customers
from tests.support.real_data import cdnow_log


@pytest.fixture(scope="session")
def customers() -> tuple[pd.DataFrame, pd.Series]:
    """The 2,000-customer Northwind sample and its planted segments."""
    return make_customers(2000, random_state=0)


@pytest.fixture(scope="session")
def fitted(customers: tuple[pd.DataFrame, pd.Series]) -> segments.SegmentationResult:
    """fit_segments(k="auto") on the sample, with the default 20 bootstrap resamples."""
    frame, _ = customers
    return segments.fit_segments(frame, k="auto", id_column="customer_id", random_state=0)


@pytest.fixture
def cdnow_csv(tmp_path: Path) -> Path:
    """The real CDNOW transaction log written as a CSV file."""
    path = tmp_path / "cdnow.csv"
    cdnow_log().to_csv(path, index=False)
    return path
