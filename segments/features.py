"""From a typed customer table to a finite feature matrix, with scikit-learn parts only.

Two steps, both inside one :class:`~sklearn.pipeline.Pipeline` so that new
customers go through exactly the same path:

1. ``prepare`` (:func:`prepare_frame`, a stateless ``FunctionTransformer``): the
   feature columns only, numbers as ``float64``, booleans as 0/1, dates as days
   before the newest date seen when fitting, categories as text;
2. ``encode``: median imputation, a signed log for skewed numbers, standard
   scaling, one-hot categories (rare labels grouped, at most
   :data:`MAX_CATEGORIES` per column), then ``VarianceThreshold`` so no
   zero-variance column reaches the clustering.

The prepared frame is also what profiles and rules describe, so a segment is
described in the units the user knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from segments.errors import NoFeaturesError
from segments.roles import FEATURE_ROLES

__all__ = [
    "MAX_CATEGORIES",
    "MISSING_CATEGORY",
    "OTHER_CATEGORY",
    "FeatureSpec",
    "build_pipeline",
    "category_levels",
    "feature_names",
    "plan_features",
    "prepare_frame",
    "signed_log1p",
]

MAX_CATEGORIES = 20
SKEW_LIMIT = 1.0
MISSING_CATEGORY = "(missing)"
OTHER_CATEGORY = "(other)"
_SKEW_SAMPLE = 200_000
_TRUE = frozenset({"true", "yes", "1", "1.0", "y", "t"})
_FALSE = frozenset({"false", "no", "0", "0.0", "n", "f"})


@dataclass
class FeatureSpec:
    """Which prepared column plays which part; JSON-safe (column names and dates only)."""

    numeric: list[str] = field(default_factory=list)
    skewed: list[str] = field(default_factory=list)
    boolean: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    datetime: dict[str, str] = field(default_factory=dict)
    """Original date column → ISO reference date (the newest date when fitting)."""
    levels: dict[str, list[str]] = field(default_factory=dict)
    """Categorical column → labels kept apart, most frequent first; the rest are
    :data:`OTHER_CATEGORY`, missing values :data:`MISSING_CATEGORY`."""

    @property
    def sources(self) -> list[str]:
        """Columns of the original table the features are computed from."""
        return [*self.numeric, *self.boolean, *self.categorical, *self.datetime]

    @property
    def prepared_numeric(self) -> list[str]:
        """Numeric columns of the prepared frame, dates included."""
        return [*self.numeric, *(date_feature(c) for c in self.datetime)]

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (for ``FunctionTransformer`` kwargs and JSON)."""
        return asdict(self)


def date_feature(column: str) -> str:
    """Name of the prepared column that holds a date column as days before the reference."""
    return f"{column}_days_ago"


def signed_log1p(values: Any) -> Any:
    """``sign(x)·log(1+|x|)``: tames long right (or left) tails, defined everywhere."""
    array = np.asarray(values, dtype="float64")
    return np.sign(array) * np.log1p(np.abs(array))


def _as_float(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype) or isinstance(series.dtype, pd.BooleanDtype):
        return series.astype("Float64").astype("float64")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.astype("float64")
    else:
        values = pd.to_numeric(series.astype("str").str.strip(), errors="coerce").astype("float64")
    return values.mask(~np.isfinite(values.to_numpy(na_value=np.nan)))


def _as_flag(series: pd.Series) -> pd.Series:
    if (
        pd.api.types.is_bool_dtype(series.dtype)
        or isinstance(series.dtype, pd.BooleanDtype)
        or pd.api.types.is_numeric_dtype(series.dtype)
    ):
        values = _as_float(series)
        return values.where(values.isin([0.0, 1.0]))
    lowered = series.astype("str").str.strip().str.lower()
    out = pd.Series(np.nan, index=series.index, dtype="float64")
    out[lowered.isin(_TRUE)] = 1.0
    out[lowered.isin(_FALSE)] = 0.0
    return out


def _as_days_ago(series: pd.Series, reference: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = pd.Series(series)
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    else:
        stamps = pd.to_datetime(
            series.astype("str"), format="ISO8601", errors="coerce", utc=True
        ).dt.tz_localize(None)
    return (pd.Timestamp(reference) - stamps).dt.total_seconds() / 86400.0


def prepare_frame(frame: pd.DataFrame, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Select and convert the feature columns named in ``spec`` (a :class:`FeatureSpec` dict).

    Stateless: the same ``spec`` gives the same conversion for the fitting table
    and for new customers. Missing values stay NaN (imputed later).
    """
    out: dict[str, pd.Series] = {}
    for column in spec["numeric"]:
        out[column] = _as_float(frame[column])
    for column in spec["boolean"]:
        out[column] = _as_flag(frame[column])
    for column, reference in spec["datetime"].items():
        out[date_feature(column)] = _as_days_ago(frame[column], reference)
    for column in spec["categorical"]:
        out[column] = _as_category(frame[column], spec["levels"][column])
    return pd.DataFrame(out, index=frame.index)


def _category_text(series: pd.Series) -> pd.Series:
    text = series.astype("str").str.strip()
    return text.where(text.notna() & (text != ""), MISSING_CATEGORY)


def _as_category(series: pd.Series, levels: list[str]) -> pd.Series:
    # Factorise first: a category column has few distinct labels, so the string work
    # is done once per label, not once per row.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    labels = _category_text(pd.Series(uniques, dtype="object"))
    kept = set(levels)
    labels = labels.where(labels.isin(kept) | (labels == MISSING_CATEGORY), OTHER_CATEGORY)
    table = np.append(labels.to_numpy(dtype=object), MISSING_CATEGORY)
    return pd.Series(table[codes], index=series.index, dtype=object)


def _levels(series: pd.Series, min_count: int) -> list[str]:
    counts = _category_text(series).value_counts(sort=False)
    counts = counts.drop(MISSING_CATEGORY, errors="ignore")
    ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
    return [str(label) for label, count in ordered if count >= min_count][: MAX_CATEGORIES - 1]


def plan_features(
    frame: pd.DataFrame, roles: Mapping[str, str], *, min_category_count: int = 1
) -> tuple[FeatureSpec, list[str]]:
    """Decide the feature columns from the roles; returns the spec and warnings.

    Category labels seen fewer than ``min_category_count`` times, and all but the
    :data:`MAX_CATEGORIES` − 1 most frequent, are pooled as :data:`OTHER_CATEGORY`,
    so no feature points at a handful of customers.

    Raises:
        NoFeaturesError: no column has a feature role with information in it.
    """
    warnings: list[str] = []
    spec = FeatureSpec()
    empty: list[str] = []
    constant: list[str] = []
    for column, role in roles.items():
        if role not in FEATURE_ROLES and role != "ignore":
            continue
        series = frame[column]
        present = series.dropna()
        if present.empty:
            empty.append(column)
            continue
        if present.nunique() < 2:
            constant.append(column)
            continue
        if role == "numeric":
            spec.numeric.append(column)
        elif role == "boolean":
            spec.boolean.append(column)
        elif role == "categorical":
            spec.categorical.append(column)
            spec.levels[column] = _levels(series, max(1, int(min_category_count)))
        elif role == "ignore":
            continue
        else:
            stamps = pd.to_datetime(
                series
                if pd.api.types.is_datetime64_any_dtype(series.dtype)
                else series.astype("str"),
                format=None if pd.api.types.is_datetime64_any_dtype(series.dtype) else "ISO8601",
                errors="coerce",
                utc=True,
            )
            newest = stamps.max()
            if pd.isna(newest):
                empty.append(column)
                continue
            spec.datetime[column] = newest.tz_localize(None).isoformat()
    if empty:
        warnings.append(f"Dropped empty columns from the features: {', '.join(empty)}.")
    if constant:
        warnings.append(f"Dropped constant columns from the features: {', '.join(constant)}.")
    if not spec.sources:
        raise NoFeaturesError(
            "no column can be used as a segmentation feature.",
            hint="Add numeric, categorical, yes/no or date columns, or set roles explicitly "
            "(identifier and personal-data columns are never used).",
        )
    prepared = prepare_frame(frame.iloc[:_SKEW_SAMPLE], spec.to_dict())
    for column in spec.numeric:
        values = prepared[column].dropna()
        if len(values) > 2 and values.std() > 0 and abs(float(values.skew())) > SKEW_LIMIT:
            spec.skewed.append(column)
    return spec, warnings


def build_pipeline(spec: FeatureSpec) -> Pipeline:
    """The unfitted prepare → encode → drop-constant pipeline for ``spec``."""
    plain = [c for c in spec.prepared_numeric if c not in spec.skewed]
    transformers: list[tuple[str, Any, list[str]]] = []
    if spec.skewed:
        transformers.append(
            (
                "log",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median")),
                        ("log", FunctionTransformer(signed_log1p, feature_names_out="one-to-one")),
                        ("scale", StandardScaler()),
                    ]
                ),
                list(spec.skewed),
            )
        )
    if plain:
        transformers.append(
            (
                "num",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                plain,
            )
        )
    if spec.boolean:
        # 0/1 unscaled, like a one-hot column: scaling a rare flag would blow it up.
        transformers.append(("flag", SimpleImputer(strategy="most_frequent"), list(spec.boolean)))
    if spec.categorical:
        transformers.append(
            (
                "cat",
                OneHotEncoder(
                    categories=[
                        [*spec.levels[c], OTHER_CATEGORY, MISSING_CATEGORY]
                        for c in spec.categorical
                    ],
                    handle_unknown="ignore",
                    sparse_output=False,
                ),
                list(spec.categorical),
            )
        )
    return Pipeline(
        [
            (
                "prepare",
                FunctionTransformer(
                    prepare_frame, kw_args={"spec": spec.to_dict()}, validate=False
                ),
            ),
            ("encode", ColumnTransformer(transformers, remainder="drop")),
            ("drop_constant", VarianceThreshold(0.0)),
        ]
    )


def feature_names(pipeline: Pipeline) -> list[str]:
    """Names of the fitted pipeline's output columns (``num__age``, ``cat__channel_app`` …)."""
    names = pipeline.named_steps["encode"].get_feature_names_out()
    support = pipeline.named_steps["drop_constant"].get_support()
    return [str(n) for n in np.asarray(names)[support]]


def category_levels(spec: FeatureSpec) -> dict[str, list[str]]:
    """Per categorical column, the labels a profile shows: kept ones, "(other)", "(missing)"."""
    return {c: [*spec.levels[c], OTHER_CATEGORY, MISSING_CATEGORY] for c in spec.categorical}
