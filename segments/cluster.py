"""Clustering a feature matrix: four algorithms, automatic k, stability.

Large tables stay practical by doing the expensive parts on samples:

* k is chosen on a sample of at most :data:`SEARCH_SAMPLE` rows by the mean rank of
  silhouette (on :data:`SILHOUETTE_SAMPLE` of them), Davies–Bouldin and
  Calinski–Harabasz among the *stable* candidates large enough to act on (see
  :func:`choose_k`). Silhouette alone picked 2 segments on real tables. For
  Gaussian mixtures BIC is computed and reported too, but does not decide: on the
  Northwind sample (data seeds 0–2) it kept improving up to k=10 (full and diagonal
  covariances), splitting discrete values rather than segments;
* k-means fits every row (past :data:`FULL_KMEANS_LIMIT` rows, one Lloyd run
  started from the centres found on a sample); a Gaussian mixture fits a sample and
  predicts the rest; agglomerative (Ward) and HDBSCAN fit a sample and the rest
  is assigned by the segment classifier (:mod:`segments.assign`).

Segment numbers are ordered by size (0 is the largest), so the same data and
``random_state`` always give the same numbering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from segments.assign import make_classifier
from segments.errors import InvalidOptionError, NoStructureError, TooFewRowsError

__all__ = [
    "ALGORITHMS",
    "ClusterFit",
    "bootstrap_stability",
    "choose_k",
    "fit_clusters",
    "sample_rows",
]

ALGORITHMS = ("kmeans", "gmm", "agglomerative", "hdbscan")
SEARCH_SAMPLE = 6_000
SEARCH_INITS = 6
"""k-means restarts per k while searching: about one k-means++ start in five lands in a
poor local optimum on realistic mixed data, and a poor optimum misjudges k."""
SILHOUETTE_SAMPLE = 3_000
FULL_KMEANS_LIMIT = 100_000
GMM_SAMPLE = 50_000
AGGLOMERATIVE_SAMPLE = 5_000
HDBSCAN_SAMPLE = 5_000
HDBSCAN_COMPONENTS = 5
STABILITY_SAMPLE = 3_000
STABLE_ARI = 0.8
MIN_AUTO_SHARE = 0.02
"""Automatic k avoids solutions whose smallest segment is below this share."""
_QUICK_RESAMPLES = 4
_QUICK_SAMPLE = 1_500

Progress = Callable[[str, float], None]


def one_thread() -> Any:
    """Context manager: OpenMP and BLAS on one thread, for the many small fits on samples.

    Each k-means iteration ends at a thread barrier; on a busy 2-core machine a
    barrier can wait a whole scheduler slice, and sample-sized fits are all
    barriers. Measured with other jobs running: 9 k × 6 restarts on 6,000 rows
    took 22 s wall (9 CPU-s) with two threads and 3.8 s (1.8 CPU-s) with one.
    """
    return threadpool_limits(limits=1)


def sample_rows(n: int, size: int, random_state: int, salt: int = 0) -> np.ndarray:
    """Sorted indices of a reproducible random sample (all rows when ``n <= size``)."""
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng([random_state, salt])
    return np.sort(rng.choice(n, size=size, replace=False))


def _gmm(x: np.ndarray, k: int, random_state: int, n_init: int) -> GaussianMixture:
    """A fitted mixture, started from the best of ``n_init`` k-means solutions.

    scikit-learn's own k-means start uses a single k-means++ seeding per EM run;
    about one seeding in five lands in a poor optimum here, so the restarts are
    spent on the cheap k-means and EM runs once.
    """
    start = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(x)
    model = GaussianMixture(
        n_components=k,
        covariance_type="full" if x.shape[1] <= 30 else "diag",
        # Customer columns are counts, ratings and 0/1 flags: with a tiny ridge a component
        # collapses onto one repeated value and its likelihood explodes. With 0.05 (in
        # standard units) k=5 recovered the Northwind segments at ARI 1.0 on data seeds
        # 0–2; with 1e-4, at 0.42–1.0.
        reg_covar=0.05,
        means_init=start.cluster_centers_,
        random_state=random_state,
    )
    return model.fit(x)


def _cut_tree(children: np.ndarray, n_samples: int, k: int) -> np.ndarray:
    """Labels of the k-cluster level of a merge tree (Ward merges in distance order)."""
    parent = np.arange(2 * n_samples - 1)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for step in range(n_samples - k):
        node = n_samples + step
        a, b = children[step]
        parent[find(int(a))] = node
        parent[find(int(b))] = node
    roots = np.array([find(i) for i in range(n_samples)])
    _, labels = np.unique(roots, return_inverse=True)
    return labels.astype("int64")


def _ward_tree(x: np.ndarray) -> np.ndarray:
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=0.0, linkage="ward", compute_full_tree=True
    )
    model.fit(x)
    return np.asarray(model.children_)


def _labels_on(algorithm: str, x: np.ndarray, k: int, random_state: int, **options: Any) -> Any:
    """Fit ``algorithm`` with ``k`` on ``x``; returns (labels, model predicting new rows)."""
    if algorithm == "kmeans":
        model = KMeans(n_clusters=k, n_init=options.get("n_init", 4), random_state=random_state)
        labels = model.fit_predict(x)
        return labels, model
    if algorithm == "gmm":
        model = _gmm(x, k, random_state, options.get("n_init", 4))
        labels = model.predict(x)
        return labels, model
    if algorithm == "agglomerative":
        labels = _cut_tree(_ward_tree(x), len(x), k)
        return labels, None
    # Density estimates degrade quickly with dimension (one-hot columns make dozens);
    # HDBSCAN runs on the leading principal components. On the Northwind sample, 5
    # components gave ARI 1.0 on the clustered points, all 47 columns gave 0.28.
    components = min(HDBSCAN_COMPONENTS, x.shape[1], len(x))
    reduced = PCA(n_components=components, random_state=random_state).fit_transform(x)
    min_size = options.get("min_cluster_size", 10)
    model = HDBSCAN(min_cluster_size=max(2, int(min_size)), copy=True)
    labels = model.fit_predict(reduced)
    return labels, None


@dataclass
class KChoice:
    """How k was chosen: the chosen k, every signal per k tried, and why it won.

    ``scores`` is the silhouette (higher is better), ``calinski_harabasz`` the
    between/within variance ratio (higher is better), ``davies_bouldin`` the mean
    similarity of each segment to its closest one (lower is better), ``stability``
    the mean bootstrap ARI, ``smallest_share`` the share of the smallest segment.
    """

    k: int
    criterion: str
    scores: dict[int, float] = field(default_factory=dict)
    calinski_harabasz: dict[int, float] = field(default_factory=dict)
    davies_bouldin: dict[int, float] = field(default_factory=dict)
    bic: dict[int, float] = field(default_factory=dict)
    smallest_share: dict[int, float] = field(default_factory=dict)
    stability: dict[int, float] = field(default_factory=dict)
    mean_rank: dict[int, float] = field(default_factory=dict)
    runner_up: int | None = None
    reason: str = ""
    note: str = ""


def _quick_stability(
    algorithm: str, x: np.ndarray, k: int, random_state: int, resamples: int
) -> float:
    rows = sample_rows(len(x), _QUICK_SAMPLE, random_state, salt=7)
    reference, _ = _labels_on(algorithm, x[rows], k, random_state, n_init=SEARCH_INITS)
    aris, _ = _resample_labels(algorithm, x[rows], reference, k, random_state, resamples)
    return float(np.mean(aris))


def _ranks(values: dict[int, float], *, higher_is_better: bool) -> dict[int, float]:
    """Rank 1 for the best value; ties share the mean of their ranks."""
    ordered = pd.Series(values, dtype="float64")
    return ordered.rank(ascending=not higher_is_better, method="average").to_dict()


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _explain(choice: KChoice, candidates: list[int], floor: float, stable_only: bool) -> str:
    k = choice.k
    sil = _ranks({c: choice.scores[c] for c in candidates}, higher_is_better=True)
    ch = _ranks({c: choice.calinski_harabasz[c] for c in candidates}, higher_is_better=True)
    db = _ranks({c: choice.davies_bouldin[c] for c in candidates}, higher_is_better=False)
    among = f"the k whose smallest segment holds at least {floor:.0%}"
    if stable_only:
        among += f" and whose segments come back under resampling (ARI ≥ {STABLE_ARI})"
    reason = (
        f"{k} segments: the best mean rank among {among} ({', '.join(map(str, candidates))}) "
        f"on silhouette {choice.scores[k]:.3f} ({_ordinal(round(sil[k]))}), "
        f"Davies–Bouldin {choice.davies_bouldin[k]:.2f} ({_ordinal(round(db[k]))}) and "
        f"Calinski–Harabasz {choice.calinski_harabasz[k]:,.0f} ({_ordinal(round(ch[k]))}); "
        f"stability {choice.stability[k]:.2f}"
    )
    if choice.runner_up is not None:
        r = choice.runner_up
        reason += (
            f". Runner-up: {r} segments (mean rank {choice.mean_rank[r]:.1f} against "
            f"{choice.mean_rank[k]:.1f}, silhouette {choice.scores[r]:.3f}, "
            f"stability {choice.stability[r]:.2f})"
        )
    return reason + "."


def choose_k(
    x: np.ndarray,
    *,
    algorithm: str,
    k_range: tuple[int, int],
    n_total: int,
    min_segment_size: int,
    random_state: int,
    progress: Progress | None = None,
) -> KChoice:
    """Pick k in ``k_range`` (inclusive) on a sample of ``x``, on several signals.

    Silhouette alone prefers 2 on skewed, overlapping real data, so every k is
    measured by silhouette, Davies–Bouldin and Calinski–Harabasz, its smallest
    segment and a quick bootstrap ARI. Candidates are the k whose smallest segment
    would hold at least ``max(min_segment_size / n_total, MIN_AUTO_SHARE)``, and
    of those the ones whose ARI reaches :data:`STABLE_ARI` (all of them when none
    does); the candidate with the best mean rank over the three indices wins (ties:
    the more stable, then the smaller k). ``reason`` says it in words, with the
    runner-up. Mixtures also record their BIC per k.
    """
    size = AGGLOMERATIVE_SAMPLE if algorithm == "agglomerative" else SEARCH_SAMPLE
    rows = sample_rows(len(x), size, random_state, salt=1)
    sample = x[rows]
    low, high = k_range
    high = min(high, len(sample) - 1)
    sil_rows = sample_rows(len(sample), SILHOUETTE_SAMPLE, random_state, salt=2)
    tree = _ward_tree(sample) if algorithm == "agglomerative" else None
    choice = KChoice(k=low, criterion="mean rank of silhouette, Davies–Bouldin, Calinski–Harabasz")
    floor = max(min_segment_size / max(1, n_total), MIN_AUTO_SHARE)
    ks = list(range(low, high + 1))
    for i, k in enumerate(ks):
        if progress:
            progress(f"Trying {k} segments", i / max(1, len(ks)))
        if tree is not None:
            labels = _cut_tree(tree, len(sample), k)
            model = None
        else:
            labels, model = _labels_on(algorithm, sample, k, random_state, n_init=SEARCH_INITS)
        counts = np.bincount(labels, minlength=k)
        choice.smallest_share[k] = float(counts.min() / len(labels))
        if algorithm == "gmm" and model is not None:
            choice.bic[k] = float(model.bic(sample))
        if len(np.unique(labels)) < 2 or len(np.unique(labels[sil_rows])) < 2:
            choice.scores[k], choice.calinski_harabasz[k], choice.davies_bouldin[k] = -1.0, 0.0, 1e9
            continue
        choice.scores[k] = float(
            silhouette_score(sample[sil_rows], labels[sil_rows], random_state=random_state)
        )
        choice.calinski_harabasz[k] = float(calinski_harabasz_score(sample, labels))
        choice.davies_bouldin[k] = float(davies_bouldin_score(sample, labels))
    notes = []
    eligible = [k for k in ks if choice.smallest_share[k] >= floor]
    if not eligible:
        eligible = ks
        notes.append("every k tried gives a segment smaller than the size floor")
    for k in eligible:
        choice.stability[k] = _quick_stability(algorithm, sample, k, random_state, _QUICK_RESAMPLES)
    stable = [k for k in eligible if choice.stability[k] >= STABLE_ARI]
    candidates = stable or eligible
    if not stable:
        notes.append(
            f"no k reached a bootstrap ARI of {STABLE_ARI}: the data has weak segment "
            "structure, so treat the segments as a convenient partition"
        )
    ranks = [
        _ranks({k: choice.scores[k] for k in candidates}, higher_is_better=True),
        _ranks({k: choice.davies_bouldin[k] for k in candidates}, higher_is_better=False),
        _ranks({k: choice.calinski_harabasz[k] for k in candidates}, higher_is_better=True),
    ]
    choice.mean_rank = {k: float(np.mean([r[k] for r in ranks])) for k in candidates}
    ordered = sorted(candidates, key=lambda k: (choice.mean_rank[k], -choice.stability[k], k))
    choice.k = ordered[0]
    choice.runner_up = ordered[1] if len(ordered) > 1 else None
    choice.reason = _explain(choice, candidates, floor, bool(stable))
    choice.note = "; ".join(notes)
    if progress:
        progress(f"Chose {choice.k} segments", 1.0)
    return choice


@dataclass
class ClusterFit:
    """Segment labels for every row and what produced them."""

    labels: np.ndarray
    k: int
    fitted_on: int
    """How many rows the algorithm itself saw (the rest were assigned)."""
    notes: list[str] = field(default_factory=list)


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber labels so that 0 is the largest segment (ties: the lower old number)."""
    values, counts = np.unique(labels, return_counts=True)
    order = sorted(zip(values, counts, strict=True), key=lambda vc: (-vc[1], vc[0]))
    mapping = {int(old): new for new, (old, _) in enumerate(order)}
    return np.array([mapping[int(v)] for v in values])[np.searchsorted(values, labels)]


def fit_clusters(
    x: np.ndarray,
    *,
    algorithm: str,
    k: int | None,
    min_segment_size: int,
    random_state: int,
) -> ClusterFit:
    """Label every row of ``x`` with ``k`` segments (``k`` is ignored by HDBSCAN).

    Raises:
        TooFewRowsError: fewer rows than segments.
        NoStructureError: HDBSCAN found fewer than two dense segments.
    """
    n = len(x)
    notes: list[str] = []
    if algorithm == "kmeans":
        assert k is not None
        if n <= FULL_KMEANS_LIMIT:
            labels = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit_predict(x)
            return ClusterFit(_by_size(labels), k, n, notes)
        # Restarts on a sample, then full-batch Lloyd from the best sample centres: on
        # 1M × 47 this converged in 2 iterations and took 2.7 CPU-s against 4.4 for
        # MiniBatchKMeans from the same centres, with the same labels (ARI 0.9994 both).
        rows = sample_rows(n, SEARCH_SAMPLE * 2, random_state, salt=3)
        with one_thread():
            start = KMeans(n_clusters=k, n_init=SEARCH_INITS, random_state=random_state)
            start.fit(x[rows])
        model = KMeans(
            n_clusters=k, init=start.cluster_centers_, n_init=1, random_state=random_state
        ).fit(x)
        notes.append(
            f"k-means on {n:,} rows started from the centres of a {len(rows):,}-row sample"
        )
        return ClusterFit(_by_size(model.labels_), k, n, notes)
    if algorithm == "gmm":
        assert k is not None
        rows = sample_rows(n, GMM_SAMPLE, random_state, salt=3)
        with one_thread():
            model = _gmm(x[rows], k, random_state, SEARCH_INITS)
        labels = model.predict(x)
        if len(np.unique(labels)) < k:
            notes.append(f"the mixture left {k - len(np.unique(labels))} components empty")
        return ClusterFit(_by_size(labels), len(np.unique(labels)), len(rows), notes)
    if algorithm == "agglomerative":
        assert k is not None
        rows = sample_rows(n, AGGLOMERATIVE_SAMPLE, random_state, salt=3)
        sample_labels = _cut_tree(_ward_tree(x[rows]), len(rows), k)
        labels = _extend(x, rows, sample_labels, algorithm)
        if len(rows) < n:
            notes.append(f"Ward clustering on a sample of {len(rows):,} rows")
        return ClusterFit(_by_size(labels), k, len(rows), notes)
    rows = sample_rows(n, HDBSCAN_SAMPLE, random_state, salt=3)
    min_size = max(5, int(np.ceil(min_segment_size * len(rows) / n)), len(rows) // 40)
    sample_labels, _ = _labels_on(algorithm, x[rows], 0, random_state, min_cluster_size=min_size)
    found = int(sample_labels.max()) + 1 if len(sample_labels) else 0
    if found < 2:
        raise NoStructureError(
            f"HDBSCAN found {found} dense segment(s) in the data.",
            hint="Use algorithm='kmeans' or 'gmm', which always return k segments.",
        )
    noise = float(np.mean(sample_labels < 0))
    if noise > 0:
        notes.append(
            f"HDBSCAN left {noise:.0%} of its sample outside any dense segment; "
            "they were assigned to the nearest segment"
        )
    labels = _extend(x, rows, sample_labels, algorithm)
    return ClusterFit(_by_size(labels), found, len(rows), notes)


def _extend(x: np.ndarray, rows: np.ndarray, sample_labels: np.ndarray, algorithm: str) -> Any:
    """Labels for all rows: the sample's own where clustered, the classifier's elsewhere."""
    known = sample_labels >= 0
    classifier = make_classifier(algorithm).fit(x[rows][known], sample_labels[known])
    labels = np.empty(len(x), dtype="int64")
    labels[:] = -1
    labels[rows[known]] = sample_labels[known]
    todo = np.flatnonzero(labels < 0)
    for start in range(0, len(todo), 50_000):
        chunk = todo[start : start + 50_000]
        labels[chunk] = classifier.predict(x[chunk])
    return labels


def _resample_labels(
    algorithm: str,
    x: np.ndarray,
    reference: np.ndarray,
    k: int,
    random_state: int,
    resamples: int,
) -> tuple[list[float], list[np.ndarray]]:
    """Refit on bootstrap resamples of ``x``; ARI of each against ``reference`` on ``x``."""
    rng = np.random.default_rng([random_state, 11])
    aris: list[float] = []
    relabelled: list[np.ndarray] = []
    n = len(x)
    for b in range(resamples):
        boot = rng.integers(0, n, size=n)
        seed = random_state + b + 1
        if algorithm in ("kmeans", "gmm"):
            _, model = _labels_on(algorithm, x[boot], k, seed, n_init=3)
            predicted = model.predict(x)
        else:
            unique_rows = np.unique(boot)
            options = {"min_cluster_size": max(5, len(unique_rows) // 40)}
            boot_labels, _ = _labels_on(algorithm, x[unique_rows], k, seed, **options)
            if (boot_labels >= 0).sum() < 2 or len(np.unique(boot_labels[boot_labels >= 0])) < 2:
                predicted = np.zeros(n, dtype="int64")
            else:
                predicted = _extend(x, unique_rows, boot_labels, algorithm)
        aris.append(float(adjusted_rand_score(reference, predicted)))
        relabelled.append(predicted)
    return aris, relabelled


@dataclass
class Stability:
    """Bootstrap stability: overall ARI and per-segment Jaccard (Hennig's method)."""

    resamples: int
    ari: float
    ari_values: list[float]
    jaccard: dict[int, float]


def bootstrap_stability(
    x: np.ndarray,
    labels: np.ndarray,
    *,
    algorithm: str,
    k: int,
    resamples: int,
    random_state: int,
    progress: Progress | None = None,
) -> Stability:
    """Refit on ``resamples`` bootstrap samples of a subsample; compare with ``labels``.

    The adjusted Rand index measures agreement of whole partitions; for each
    segment the Jaccard similarity with its best-matching bootstrap segment,
    averaged, says whether that segment keeps coming back.
    """
    rows = sample_rows(len(x), STABILITY_SAMPLE, random_state, salt=5)
    sample = x[rows]
    reference = labels[rows]
    aris: list[float] = []
    jaccards: dict[int, list[float]] = {int(s): [] for s in np.unique(labels)}
    rng_state = random_state
    for b in range(resamples):
        if progress:
            progress(f"Stability resample {b + 1} of {resamples}", b / max(1, resamples))
        ari, predicted = _resample_labels(algorithm, sample, reference, k, rng_state + 97 * b, 1)
        aris.extend(ari)
        for segment in jaccards:
            members = reference == segment
            if not members.any():
                jaccards[segment].append(0.0)
                continue
            best = 0.0
            for other in np.unique(predicted[0]):
                found = predicted[0] == other
                union = np.logical_or(members, found).sum()
                best = max(best, float(np.logical_and(members, found).sum() / union))
            jaccards[segment].append(best)
    return Stability(
        resamples=resamples,
        ari=float(np.mean(aris)) if aris else float("nan"),
        ari_values=aris,
        jaccard={s: float(np.mean(v)) if v else float("nan") for s, v in jaccards.items()},
    )


def check_options(algorithm: str, k: object, k_range: object, n_rows: int) -> None:
    """Validate the clustering options against the table size.

    Raises:
        InvalidOptionError: unknown algorithm or malformed k / k_range.
        TooFewRowsError: fewer rows than twice the (smallest) k.
    """
    if algorithm not in ALGORITHMS:
        raise InvalidOptionError(
            f"algorithm {algorithm!r} is not known.", hint=f"Use one of: {', '.join(ALGORITHMS)}."
        )
    if isinstance(k, str):
        if k != "auto":
            raise InvalidOptionError(
                f"k={k!r} is not valid.", hint="Use 'auto' or a whole number ≥ 2."
            )
        bounds = tuple(k_range) if isinstance(k_range, tuple | list) else ()
        low, high = bounds if len(bounds) == 2 else (None, None)
        if not (isinstance(low, int) and isinstance(high, int)) or low < 2 or high < low:
            raise InvalidOptionError(
                f"k_range={k_range!r} is not valid.", hint="Use two whole numbers 2 ≤ low ≤ high."
            )
        needed = 2 * low
    else:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
            raise InvalidOptionError(
                f"k={k!r} is not valid.", hint="Use 'auto' or a whole number ≥ 2."
            )
        needed = 2 * int(k)
    if n_rows < needed:
        raise TooFewRowsError(
            f"{n_rows} {'customer is' if n_rows == 1 else 'customers are'} too few for this "
            f"segmentation (at least {needed} needed).",
            hint="Load more customers or ask for fewer segments.",
        )
