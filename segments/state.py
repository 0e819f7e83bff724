"""The assignment model as data: save it as JSON, rebuild it under any library version.

A fitted segmentation assigns new customers through ``prepare → encode →
drop-constant → classifier`` (:func:`segments.features.build_pipeline` plus
:func:`segments.assign.make_classifier`). Pickling that pipeline would tie a
saved workspace to one scikit-learn version, so :func:`model_state` keeps only
what the steps learned — imputation values, scaler statistics, one-hot levels,
the kept columns, the segment centres (or, for k-NN, the reference points) —
as a JSON-safe dict with the versions that wrote it, and :func:`load_model`
rebuilds an :class:`AssignmentModel` from it that predicts the same segments.

A state that cannot be used (another format, a newer schema, missing or
malformed parts) raises :class:`~segments.errors.ModelStateError`, whose
message says to segment the table again.
"""

from __future__ import annotations

import base64
import binascii
import importlib.metadata
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.metrics import pairwise_distances_argmin
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid
from sklearn.pipeline import Pipeline

from segments.errors import ModelStateError
from segments.features import FeatureSpec, prepare_frame, signed_log1p

__all__ = [
    "STATE_FORMAT",
    "STATE_VERSION",
    "AssignmentModel",
    "load_model",
    "model_state",
]

STATE_FORMAT = "segments.assignment-model"
STATE_VERSION = 1

# The numeric blocks of build_pipeline's ColumnTransformer, in its column order.
_SCALED_BLOCKS = ("log", "num")


def _versions() -> dict[str, str]:
    try:
        studio = importlib.metadata.version("persona-studio")
    except importlib.metadata.PackageNotFoundError:
        studio = "unknown"
    return {
        "persona-studio": studio,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }


def _pack(array: np.ndarray) -> dict[str, Any]:
    """An array as JSON: dtype, shape and little-endian bytes in base64 (exact, compact)."""
    data = np.ascontiguousarray(array, dtype=np.dtype(array.dtype).newbyteorder("<"))
    return {
        "dtype": data.dtype.str,
        "shape": list(data.shape),
        "base64": base64.b64encode(data.tobytes()).decode("ascii"),
    }


def _unpack(value: Any, what: str) -> np.ndarray:
    try:
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in "fiub":
            raise ValueError(f"dtype {dtype}")
        raw = base64.b64decode(value["base64"], validate=True)
        return np.frombuffer(raw, dtype=dtype).reshape(value["shape"]).copy()
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise ModelStateError(f"its {what} are malformed ({error}).") from error


@dataclass(frozen=True)
class _Block:
    """One column group of the encoder: which columns, and what it learned."""

    kind: str
    """``log`` / ``num`` (impute, [signed log], scale), ``flag`` (impute) or ``cat`` (one-hot)."""
    columns: tuple[str, ...]
    fill: np.ndarray | None = None
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    categories: tuple[tuple[str, ...], ...] = ()

    def transform(self, prepared: pd.DataFrame) -> np.ndarray:
        if self.kind == "cat":
            parts = [
                (prepared[column].to_numpy(dtype=object)[:, None] == np.array(levels, dtype=object))
                for column, levels in zip(self.columns, self.categories, strict=True)
            ]
            return np.hstack(parts).astype("float64") if parts else np.empty((len(prepared), 0))
        assert self.fill is not None
        values = prepared[list(self.columns)].to_numpy(dtype="float64", copy=True)
        missing = np.isnan(values)
        values[missing] = np.take(self.fill, np.nonzero(missing)[1])
        # SimpleImputer drops a column it learned no value for (all missing when fitted).
        values = values[:, ~np.isnan(self.fill)]
        if self.kind == "log":
            values = signed_log1p(values)
        if self.mean is not None and self.scale is not None:
            values = (values - self.mean) / self.scale
        return np.asarray(values, dtype="float64")

    def to_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"kind": self.kind, "columns": list(self.columns)}
        for name in ("fill", "mean", "scale"):
            array = getattr(self, name)
            if array is not None:
                state[name] = _pack(array)
        if self.categories:
            state["categories"] = [list(levels) for levels in self.categories]
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> _Block:
        kind = state["kind"]
        if kind not in ("log", "num", "flag", "cat"):
            raise ModelStateError(f"it has an unknown encoder block {kind!r}.")
        columns = tuple(str(c) for c in state["columns"])
        arrays = {
            name: _unpack(state[name], f"{kind} {name} values") if name in state else None
            for name in ("fill", "mean", "scale")
        }
        categories = tuple(tuple(str(v) for v in levels) for levels in state.get("categories", []))
        block = cls(kind=kind, columns=columns, categories=categories, **arrays)
        block._check()
        return block

    def _check(self) -> None:
        if self.kind == "cat":
            if len(self.categories) != len(self.columns):
                raise ModelStateError("its category levels do not match its columns.")
            return
        if self.fill is None or self.fill.shape != (len(self.columns),):
            raise ModelStateError(f"its {self.kind} imputation values do not match its columns.")
        width = int((~np.isnan(self.fill)).sum())
        if self.kind in _SCALED_BLOCKS and (
            self.mean is None
            or self.scale is None
            or self.mean.shape != (width,)
            or self.scale.shape != (width,)
        ):
            raise ModelStateError(f"its {self.kind} scaler statistics do not match its columns.")


@dataclass(frozen=True)
class AssignmentModel:
    """The assignment model rebuilt from a saved state; ``predict`` takes a customer table.

    Equivalent to the fitted pipeline it was saved from: the same feature
    preparation, the same learned encoding, and the nearest segment centre
    (k-means, Ward) or a vote of the nearest reference customers (GMM, HDBSCAN).
    """

    feature_spec: FeatureSpec
    id_column: str | None
    blocks: tuple[_Block, ...]
    keep: np.ndarray
    """Encoded columns kept by the drop-constant step (boolean mask)."""
    classes: np.ndarray
    centres: np.ndarray | None = None
    points: np.ndarray | None = None
    point_labels: np.ndarray | None = None
    n_neighbors: int = 15
    versions: Mapping[str, str] | None = None

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The encoded feature matrix of ``frame`` (what the classifier sees)."""
        prepared = prepare_frame(frame, self.feature_spec.to_dict())
        encoded = np.hstack([block.transform(prepared) for block in self.blocks])
        return encoded[:, self.keep]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Segment numbers for the rows of ``frame``."""
        x = self.transform(frame)
        if self.centres is not None:
            return self.classes[pairwise_distances_argmin(x, self.centres, metric="euclidean")]
        return np.asarray(self._neighbours().predict(x))

    def confidence(self, frame: pd.DataFrame) -> np.ndarray:
        """How clearly each row of ``frame`` belongs to its segment, 0 to 1.

        Nearest centre: ``1 − d₁/d₂``, the relative margin between the nearest and the
        second-nearest centre (0 on a boundary, 1 at a centre). Neighbours: the share of
        the nearest reference customers that vote for the winning segment.
        """
        x = self.transform(frame)
        if self.centres is None:
            return np.asarray(self._neighbours().predict_proba(x).max(axis=1), dtype="float64")
        if len(self.centres) < 2:
            return np.ones(len(x))
        squared = (
            (x * x).sum(axis=1)[:, None]
            - 2.0 * x @ self.centres.T
            + (self.centres * self.centres).sum(axis=1)[None, :]
        )
        nearest = np.sqrt(np.maximum(np.partition(squared, 1, axis=1)[:, :2], 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            margin = 1.0 - nearest[:, 0] / nearest[:, 1]
        return np.nan_to_num(margin, nan=0.0, posinf=0.0, neginf=0.0).clip(0.0, 1.0)

    def _neighbours(self) -> KNeighborsClassifier:
        # k-NN learns nothing but its reference points: fitting on them rebuilds it exactly.
        cached: KNeighborsClassifier | None = self.__dict__.get("_knn")
        if cached is None:
            cached = KNeighborsClassifier(n_neighbors=self.n_neighbors)
            cached.fit(self.points, self.point_labels)
            object.__setattr__(self, "_knn", cached)
        return cached

    def to_state(self) -> dict[str, Any]:
        """The JSON-safe state :func:`load_model` rebuilds this model from."""
        classifier: dict[str, Any]
        if self.centres is not None:
            classifier = {"kind": "nearest_centroid", "centres": _pack(self.centres)}
        else:
            assert self.points is not None and self.point_labels is not None
            classifier = {
                "kind": "knn",
                "n_neighbors": self.n_neighbors,
                "points": _pack(self.points),
                "labels": _pack(self.point_labels),
            }
        classifier["classes"] = _pack(self.classes)
        return {
            "format": STATE_FORMAT,
            "schema_version": STATE_VERSION,
            "versions": dict(self.versions or _versions()),
            "feature_spec": self.feature_spec.to_dict(),
            "id_column": self.id_column,
            "encoder": [block.to_state() for block in self.blocks],
            "keep": _pack(self.keep),
            "classifier": classifier,
        }


def model_state(
    pipeline: Pipeline, feature_spec: FeatureSpec, id_column: str | None
) -> dict[str, Any]:
    """The JSON-safe state of a fitted ``prepare → encode → drop_constant → assign`` pipeline.

    Raises:
        ModelStateError: the pipeline is not the shape :mod:`segments.fit` builds.
    """
    return _from_pipeline(pipeline, feature_spec, id_column).to_state()


def _from_pipeline(
    pipeline: Pipeline, feature_spec: FeatureSpec, id_column: str | None
) -> AssignmentModel:
    try:
        encode = pipeline.named_steps["encode"]
        keep = np.asarray(pipeline.named_steps["drop_constant"].get_support(), dtype=bool)
        classifier = pipeline.named_steps["assign"]
        blocks = []
        for name, transformer, columns in encode.transformers_:
            if name == "remainder":
                continue
            blocks.append(_block_of(name, transformer, columns))
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ModelStateError(f"it is not a fitted segmentation pipeline ({error}).") from error
    common: dict[str, Any] = {
        "feature_spec": feature_spec,
        "id_column": id_column,
        "blocks": tuple(blocks),
        "keep": keep,
        "classes": np.asarray(classifier.classes_),
        "versions": _versions(),
    }
    if isinstance(classifier, NearestCentroid):
        return AssignmentModel(centres=np.asarray(classifier.centroids_, dtype="float64"), **common)
    if isinstance(classifier, KNeighborsClassifier):
        return AssignmentModel(
            points=np.asarray(classifier._fit_X, dtype="float64"),
            point_labels=np.asarray(classifier.classes_)[classifier._y],
            n_neighbors=int(classifier.n_neighbors),
            **common,
        )
    raise ModelStateError(f"its classifier {type(classifier).__name__} cannot be saved as data.")


def _block_of(name: str, transformer: Any, columns: list[str]) -> _Block:
    if name == "cat":
        return _Block(
            kind="cat",
            columns=tuple(columns),
            categories=tuple(tuple(str(v) for v in levels) for levels in transformer.categories_),
        )
    if name == "flag":
        return _Block(
            kind="flag",
            columns=tuple(columns),
            fill=np.asarray(transformer.statistics_, dtype="float64"),
        )
    if name not in _SCALED_BLOCKS:
        raise ValueError(f"unknown encoder block {name!r}")
    scaler = transformer.named_steps["scale"]
    return _Block(
        kind=name,
        columns=tuple(columns),
        fill=np.asarray(transformer.named_steps["impute"].statistics_, dtype="float64"),
        mean=np.asarray(scaler.mean_, dtype="float64"),
        scale=np.asarray(scaler.scale_, dtype="float64"),
    )


def load_model(state: Mapping[str, Any]) -> AssignmentModel:
    """Rebuild the assignment model saved by :func:`model_state`.

    Raises:
        ModelStateError: the state is of another format or a newer schema, or malformed.
    """
    if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
        raise ModelStateError("it is not a saved segmentation model.")
    version = state.get("schema_version")
    if version != STATE_VERSION:
        raise ModelStateError(
            f"it has schema version {version!r}; this version of segments reads "
            f"version {STATE_VERSION}."
        )
    try:
        spec = FeatureSpec(**state["feature_spec"])
        blocks = tuple(_Block.from_state(block) for block in state["encoder"])
        keep = _unpack(state["keep"], "kept columns").astype(bool)
        classifier = state["classifier"]
        classes = _unpack(classifier["classes"], "segment numbers")
        kind = classifier["kind"]
        versions = {str(k): str(v) for k, v in dict(state.get("versions", {})).items()}
        common: dict[str, Any] = {
            "feature_spec": spec,
            "id_column": state.get("id_column"),
            "blocks": blocks,
            "keep": keep,
            "classes": classes,
            "versions": versions,
        }
        if kind == "nearest_centroid":
            model = AssignmentModel(centres=_unpack(classifier["centres"], "centres"), **common)
        elif kind == "knn":
            model = AssignmentModel(
                points=_unpack(classifier["points"], "reference points"),
                point_labels=_unpack(classifier["labels"], "reference labels"),
                n_neighbors=int(classifier["n_neighbors"]),
                **common,
            )
        else:
            raise ModelStateError(f"its classifier kind {kind!r} is unknown.")
    except (KeyError, TypeError, ValueError) as error:
        raise ModelStateError(f"it is incomplete ({type(error).__name__}: {error}).") from error
    _check_shapes(model)
    return model


def _check_shapes(model: AssignmentModel) -> None:
    width = 0
    for block in model.blocks:
        if block.kind == "cat":
            width += sum(len(levels) for levels in block.categories)
        else:
            assert block.fill is not None
            width += int((~np.isnan(block.fill)).sum())
    if model.keep.shape != (width,):
        raise ModelStateError("its kept-column mask does not match its encoder.")
    features = int(model.keep.sum())
    reference = model.centres if model.centres is not None else model.points
    if reference is None or reference.ndim != 2 or reference.shape[1] != features:
        raise ModelStateError("its centres or reference points do not match its features.")
    if model.centres is not None and len(model.classes) != len(model.centres):
        raise ModelStateError("its segment numbers do not match its centres.")
    if model.points is not None and (
        model.point_labels is None or len(model.point_labels) != len(model.points)
    ):
        raise ModelStateError("its reference labels do not match its reference points.")
