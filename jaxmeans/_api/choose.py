"""Choosing k: every criterion on shared fits, the k each picks, their votes and a verdict."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._core.types import ChooseKResult
from .._runtime import evaluate, inputs
from .._runtime import validation as v
from .._runtime.buckets import tiny
from .._runtime.placement import tuning_of
from .functions import elbow
from .gap import gap_statistic

CRITERIA = ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "gap", "stability")
# The name each criterion's pick goes by in the verdict.
_NAMES = {
    "inertia": "the elbow's knee",
    "silhouette": "the silhouette",
    "calinski_harabasz": "Calinski-Harabasz",
    "davies_bouldin": "Davies-Bouldin",
    "gap": "the gap statistic",
    "stability": "stability",
}
_PICKS = {
    "inertia": "k_elbow",
    "silhouette": "k_silhouette",
    "calinski_harabasz": "k_calinski_harabasz",
    "davies_bouldin": "k_davies_bouldin",
    "gap": "k_gap",
    "stability": "k_stability",
}
# Stability (mean adjusted Rand index over resamples) below this at every k >= 2 is "low":
# the clustering is not found again on resamples of the data, whatever k.
LOW_STABILITY = 0.9
# The stability pick: the largest k whose stability is within this of the best one (a
# nested structure, two groups of two blobs, is as stable at k = 2 as at k = 4).
STABILITY_WITHIN = 0.02


def choose_k(
    X,
    ks=range(1, 11),
    *,
    key: jax.Array | int | None = None,
    n_init: int | str = "auto",
    criteria=CRITERIA,
    n_refs: int = 10,
    n_boot: int = 20,
    reference: str = "uniform",
    metric: str = "euclidean",
    max_iter: int = 300,
    tol: float = 1e-4,
) -> ChooseKResult:
    """Every criterion for choosing the number of clusters, the k each picks, and a vote.

    The fits are shared: one :func:`jaxmeans.elbow` call (``key``, ``n_init``) gives the
    inertia and its knee, and the labels on which the silhouette, Calinski-Harabasz and
    Davies-Bouldin scores are computed; one :func:`jaxmeans.gap_statistic` call with the
    same key, restarts and ``reference`` gives the gap. Stability clusters ``n_boot``
    bootstrap resamples of the rows (drawn with replacement, keys split from ``key``) by
    :func:`jaxmeans.elbow` (each resample as its distinct rows weighted by their counts,
    the same fits on about 63% of the rows; their sizes share a program; each resample's
    seedings from a seed drawn with it) and compares
    each with the full data's clustering of the same rows by the adjusted Rand index.
    Each criterion that was asked for votes for the k it picks; :func:`choose_k_verdict`
    says in words what they found.

    Args:
      X: ``[n, d]`` data (sparse data are made dense).
      ks: strictly increasing numbers of clusters, as for :func:`jaxmeans.elbow` (at
        least two when the gap is asked for).
      key: PRNG key or int seed (default 0).
      n_init: k-means++ restarts per fit, or ``"auto"``: the gap statistic's rule (10 on
        small data, 1 above).
      criteria: the criteria to compute, any of ``"inertia"`` (the knee),
        ``"silhouette"``, ``"calinski_harabasz"``, ``"davies_bouldin"``, ``"gap"`` and
        ``"stability"``; the others are NaN and pick 0.
      n_refs: reference sets of the gap statistic.
      n_boot: bootstrap resamples for stability, ``>= 1``.
      reference: the gap's reference distribution, ``"uniform"`` or ``"pca"``.
      metric: ``"euclidean"`` or ``"cosine"`` (the scores then compare unit rows).
      max_iter, tol: as for :func:`jaxmeans.kmeans`.

    Returns:
      :class:`ChooseKResult`.

    Raises:
      ValueError: an unknown criterion, ``n_boot < 1``, and what :func:`jaxmeans.elbow`
        and :func:`jaxmeans.gap_statistic` reject.

    Example:
      >>> import numpy as np
      >>> import jaxmeans
      >>> rng = np.random.default_rng(0)
      >>> centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
      >>> X = np.concatenate([c + rng.normal(size=(60, 2)) for c in centres])
      >>> result = jaxmeans.choose_k(X, range(1, 7), key=0, n_refs=3, n_boot=3)
      >>> int(result.k_best), int(result.k_gap), int(result.k_stability)
      (3, 3, 3)
      >>> print(jaxmeans.choose_k_verdict(result))
      All 6 criteria choose k = 3 (...).
    """
    criteria = _check_criteria(criteria)
    n_boot = v.check_int(n_boot, "n_boot")
    key = v.check_key(key)
    if inputs.is_sparse(X):
        X = inputs.check_sparse(X).toarray()
    X = v.check_data(X)
    ks_t = tuple(int(k) for k in v.check_ks(ks, X.shape[0]))
    if isinstance(n_init, str) and n_init == "auto":
        n_init = tuning_of(X).auto_restarts if tiny(*X.shape) else 1
    how = dict(key=key, n_init=n_init, metric=metric, max_iter=max_iter, tol=tol)
    m = len(ks_t)
    nan = np.full(m, np.nan)
    out = dict(
        inertia=nan, silhouette=nan, calinski_harabasz=nan, davies_bouldin=nan, gap=nan,
        gap_se=nan, stability=nan, stability_sd=nan,
    )  # fmt: skip
    picks = dict.fromkeys(_PICKS.values(), 0)
    if "gap" in criteria:
        gap = gap_statistic(X, ks_t, n_refs=n_refs, reference=reference, **how)
        out["gap"], out["gap_se"] = np.asarray(gap.gap), np.asarray(gap.gap_se)
        picks["k_gap"] = int(gap.k_best)
    if set(criteria) - {"gap"}:
        fit = elbow(X, ks_t, scores="silhouette" in criteria, **how)
        labels = np.asarray(fit.labels)
        if "inertia" in criteria:
            out["inertia"] = np.asarray(fit.inertia)
            picks["k_elbow"] = int(fit.knee)
        if "silhouette" in criteria:
            out["silhouette"] = np.asarray(fit.silhouette)
            picks["k_silhouette"] = _pick(ks_t, out["silhouette"], np.argmax)
        rows = _unit(np.asarray(X, np.float64)) if v.check_metric(metric).unit_rows else X
        for name, best in (("calinski_harabasz", np.argmax), ("davies_bouldin", np.argmin)):
            if name in criteria:
                out[name] = np.array([_score(f"{name}_score", rows, lab) for lab in labels])
                picks[f"k_{name}"] = _pick(ks_t, out[name], best)
        if "stability" in criteria:
            out["stability"], out["stability_sd"] = _stability(X, ks_t, labels, n_boot, how)
            picks["k_stability"] = stability_pick(ks_t, out["stability"])
    votes = np.zeros(m, np.int32)
    for k in picks.values():
        if k:
            votes[ks_t.index(k)] += 1
    k_best = ks_t[int(np.argmax(votes))] if votes.any() else 0  # argmax: the smallest
    dtype = v.float_dtype(X.dtype)
    return ChooseKResult(
        ks=jnp.asarray(ks_t, jnp.int32),
        **{name: jnp.asarray(value, dtype) for name, value in out.items()},
        **{name: jnp.asarray(k, jnp.int32) for name, k in picks.items()},
        votes=jnp.asarray(votes),
        k_best=jnp.asarray(k_best, jnp.int32),
    )


def _check_criteria(criteria) -> tuple[str, ...]:
    if isinstance(criteria, str):
        criteria = (criteria,)
    try:
        criteria = tuple(criteria)
    except TypeError:
        raise TypeError(f"criteria must be a sequence of names, got {criteria!r}") from None
    unknown = [c for c in criteria if c not in CRITERIA]
    if unknown:
        raise ValueError(f"criteria holds unknown names {unknown}; the criteria are {CRITERIA}")
    if not criteria:
        raise ValueError(f"criteria must name at least one of {CRITERIA}, got ()")
    return criteria


def _pick(ks: tuple[int, ...], values: np.ndarray, best) -> int:
    """The k of ``ks`` whose value is ``best`` (argmax, argmin) among the finite ones; 0
    when none is finite. Ties go to the smaller k."""
    finite = np.isfinite(values)
    if not finite.any():
        return 0
    filled = np.where(finite, values, -np.inf if best is np.argmax else np.inf)
    return ks[int(best(filled))]


def _unit(X: np.ndarray) -> np.ndarray:
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _score(name: str, X, labels: np.ndarray) -> float:
    """Score ``name`` of ``labels`` as :mod:`jaxmeans.metrics` computes it, NaN where it is
    undefined (fewer than two or more than ``n - 1`` occupied clusters)."""
    _, renumbered = np.unique(labels, return_inverse=True)
    occupied = int(renumbered.max()) + 1
    if not 2 <= occupied <= len(labels) - 1:
        return np.nan
    return float(evaluate.score(name, X, renumbered.astype(np.int32), occupied, traced=False))


def _stability(X, ks: tuple[int, ...], labels: np.ndarray, n_boot: int, how: dict):
    """``(mean, sd)`` ``[m]`` of the adjusted Rand index between each bootstrap resample's
    clustering and the full data's labels of the same rows; NaN for k = 1.

    A resample drawn with replacement is clustered as its distinct rows weighted by how
    often each was drawn: the same Lloyd iterations, k-means++ draws with the same
    probabilities and the same inertia as the rows repeated, on about 63% of the rows.
    """
    X = np.asarray(X)
    draws, seeds = evaluate.bootstrap(how["key"], X.shape[0], n_boot)
    scores = []
    for rows, seed in zip(draws, seeds, strict=True):
        distinct, where, counts = np.unique(rows, return_inverse=True, return_counts=True)
        weights = counts.astype(v.float_dtype(X.dtype))
        fit = elbow(X[distinct], ks, sample_weight=weights, **{**how, "key": int(seed)})
        theirs = np.asarray(fit.labels)[:, where]  # the labels of the drawn rows
        scores.append(evaluate.adjusted_rand_indices(labels[:, rows], theirs, max(ks)))
    scores = np.array(scores, np.float64)
    mean = scores.mean(axis=0)
    sd = scores.std(axis=0, ddof=1) if n_boot > 1 else np.zeros(len(ks))
    one = np.asarray(ks) == 1
    return np.where(one, np.nan, mean), np.where(one, np.nan, sd)


def stability_pick(ks, stability) -> int:
    """The largest k >= 2 whose stability is within :data:`STABILITY_WITHIN` of the best,
    or 0 when the best is low (below :data:`LOW_STABILITY`) or no k has a stability."""
    ks, stability = np.asarray(ks), np.asarray(stability, np.float64)
    finite = np.isfinite(stability)
    if not finite.any():
        return 0
    top = stability[finite].max()
    if top < LOW_STABILITY:
        return 0
    return int(ks[finite & (stability >= top - STABILITY_WITHIN)].max())


def choose_k_verdict(result: ChooseKResult) -> str:
    """The verdict of :func:`choose_k` in words: the k the criteria agree on, or how they
    disagree, and whether the data may have no cluster structure (the gap statistic picks
    k = 1, or stability is low, below 0.9, at every k >= 2).

    Args:
      result: a :class:`ChooseKResult`.

    Returns:
      A sentence or a few, as a ``str``.

    Example:
      >>> import numpy as np
      >>> import jaxmeans
      >>> X = np.random.default_rng(0).uniform(size=(200, 2))
      >>> result = jaxmeans.choose_k(X, range(1, 6), key=0, criteria=("gap",), n_refs=5)
      >>> print(jaxmeans.choose_k_verdict(result))
      The gap statistic chooses k = 1. The data may have no cluster structure: ...
    """
    fields = result._asdict()
    picks = {c: int(fields[_PICKS[c]]) for c in CRITERIA}
    asked = [c for c in CRITERIA if _asked(c, fields)]
    chosen = {c: picks[c] for c in asked if picks[c]}
    by_k: dict[int, list[str]] = {}
    for c, k in chosen.items():
        by_k.setdefault(k, []).append(_NAMES[c])
    if not chosen:
        text = "No criterion picks a k."
    elif len(by_k) == 1:
        ((k, names),) = by_k.items()
        if len(names) == 1:
            text = f"{names[0][0].upper()}{names[0][1:]} chooses k = {k}."
        else:
            text = f"All {len(names)} criteria choose k = {k} ({', '.join(names)})."
    else:
        order = sorted(by_k.items(), key=lambda item: (-len(item[1]), item[0]))
        parts = "; ".join(f"k = {k} ({', '.join(names)})" for k, names in order)
        top = int(np.max(np.asarray(result.votes)))
        text = (
            f"The criteria disagree: {parts}. Most votes: k = {int(result.k_best)} "
            f"({top} of {len(chosen)})."
        )
    silent = [_NAMES[c] for c in asked if not picks[c]]
    if silent:
        text += f" No pick from {', '.join(silent)}."
    reasons = []
    if "gap" in asked and picks["gap"] == 1:
        reasons.append("the gap statistic picks k = 1")
    stability = np.asarray(result.stability, np.float64)
    if "stability" in asked and np.nanmax(stability, initial=-np.inf) < LOW_STABILITY:
        reasons.append(f"stability is below {LOW_STABILITY} at every k")
    if reasons:
        text += f" The data may have no cluster structure: {' and '.join(reasons)}."
    return text


def _asked(criterion: str, fields: dict) -> bool:
    """Whether ``criterion`` was computed: its values are not all NaN (the silhouette, the
    indices and stability are NaN only at k = 1 or where undefined)."""
    values = np.asarray(fields[criterion], np.float64)
    return bool(np.isfinite(values).any())
