"""What the core's programs take and give: the static :class:`Plan`, the arrays of a
:class:`Problem`, and the results (:class:`KMeansResult`, :class:`ElbowResult`,
:class:`GapResult`, :class:`ChooseKResult`).

Pure JAX. Shapes never depend on data: a problem's arrays may be padded past the real rows
(``Problem.n``) and centroids (``Problem.k``), so one compiled program serves every size up
to its shapes (the boundary picks those shapes, :mod:`jaxmeans._runtime.buckets`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax

from .geometry import EUCLIDEAN, Metric


class KMeansResult(NamedTuple):
    """Result of :func:`jaxmeans.kmeans`; a pytree, so it passes through ``jit`` and ``vmap``.

    Attributes:
      centroids: ``[k, d]`` float, cluster centres in the input's coordinates.
      labels: ``[n] int32``, index of the nearest of ``centroids`` for every point.
      inertia: ``[]`` float, weighted sum of squared distances of points to their centre.
      n_iter: ``[] int32``, Lloyd iterations run (update steps, as in scikit-learn).
      converged: ``[] bool``, True when the labels stopped changing or the centres moved less
        than the tolerance before ``max_iter`` ran out.
    """

    centroids: jax.Array
    labels: jax.Array
    inertia: jax.Array
    n_iter: jax.Array
    converged: jax.Array


class Plan(NamedTuple):
    """What a fit does and how, as the core's programs take it: one hashable, static
    argument, decided once at the boundary (:mod:`jaxmeans._runtime.spec`).

    Attributes:
      k: centroid rows of the program: the fit's own number of clusters is
        ``Problem.k <= k`` (rows past it are padding), for a sweep ``max(ks) <= k``.
      n_init: restarts (1 with an init array: every restart would be the same run, as in
        scikit-learn).
      init_mode: ``"k-means++"``, ``"k-means||"``, ``"random"`` or ``"array"``.
      metric: the :class:`~jaxmeans._core.geometry.base.Metric` (Euclidean, cosine).
      precision: of the assignment's distance products: ``"highest"``, ``"high"`` or
        ``"default"`` (:data:`jaxmeans._core.tuning.PRECISIONS`).
      bounded: single fits run Hamerly's loop (:mod:`jaxmeans._core.hamerly`).
      sequential: restarts run one after another rather than side by side.
      carry_sums: a single fit carries its per-cluster sums between iterations
        (:class:`jaxmeans._core.sums.Carried`).
    """

    k: int
    n_init: int
    init_mode: str
    metric: Metric = EUCLIDEAN
    precision: str = "highest"
    bounded: bool = False
    sequential: bool = False
    carry_sums: bool = False


class Problem(NamedTuple):
    """The arrays of a fit, as the core's programs take them (a pytree).

    Attributes:
      X: the rows: ``[n_rows, d]`` float points, or
        :class:`~jaxmeans._core.sparse.SparseRows`; rows past ``n`` are zeros (padding).
      w: ``[n_rows]`` non-negative weights, zero past ``n``, not all zero.
      init: ``[plan.k, d]`` starting centroids when ``plan.init_mode`` is ``"array"`` (rows
        past ``k`` ignored), else None.
      key: PRNG key.
      tol: ``[]`` relative tolerance, scaled by the mean per-feature variance of the rows.
      max_iter: ``[] int32`` iteration limit.
      n: ``[] int32`` real rows.
      k: ``[] int32`` clusters (ignored by a sweep, whose ks say it).
    """

    X: jax.Array
    w: jax.Array
    init: jax.Array | None
    key: jax.Array
    tol: jax.Array
    max_iter: jax.Array
    n: jax.Array
    k: jax.Array


class ElbowResult(NamedTuple):
    """Result of :func:`jaxmeans.elbow`, one entry per k (a pytree).

    Attributes:
      ks: ``[m] int32``, the numbers of clusters, increasing.
      inertia: ``[m]`` float, best inertia for each k.
      centroids: ``[m, k_max, d]`` float; for entry ``i`` only rows ``< ks[i]`` are
        centroids, the rest are padding (unspecified values) and must be ignored.
      labels: ``[m, n] int32``, labels in ``[0, ks[i])`` for entry ``i``.
      n_iter: ``[m] int32``, Lloyd iterations of the chosen restart.
      converged: ``[m] bool``.
      knee: ``[] int32``, the k at the knee of the curve (:func:`jaxmeans.find_knee`), or 0
        when the curve has no knee (every k is >= 1). Always an array, eager or under
        ``jit``/``vmap``, so the result's pytree structure never depends on the data;
        ``int(result.knee) or None`` gives a Python int or None.
      silhouette: ``[m]`` float mean silhouette per k when ``scores=True`` (NaN for k=1,
        where it is undefined), else None.
    """

    ks: jax.Array
    inertia: jax.Array
    centroids: jax.Array
    labels: jax.Array
    n_iter: jax.Array
    converged: jax.Array
    knee: jax.Array
    silhouette: jax.Array | None = None


class SweepOutput(NamedTuple):
    """What a sweep program gives, before the boundary makes an :class:`ElbowResult`."""

    ks: jax.Array  # [m] int32
    inertia: jax.Array  # [m]
    centroids: jax.Array  # [m, k_max, d]
    labels: jax.Array  # [m, n] int32
    n_iter: jax.Array  # [m] int32
    converged: jax.Array  # [m] bool


class GapResult(NamedTuple):
    """Result of :func:`gap_statistic`, one entry per k (a pytree).

    Attributes:
      ks: ``[m] int32``, the numbers of clusters, increasing.
      gap: ``[m]`` ``mean_b log W*_kb - log W_k``; NaN for a k above the number of
        distinct rows of the data (there ``W_k`` is 0: no gap to measure).
      gap_se: ``[m]`` ``sd_k * sqrt(1 + 1/B)``, ``sd_k`` the standard deviation (over the
        ``B`` reference sets, divided by ``B``) of the references' ``log W*_kb``; NaN where
        ``gap`` is.
      log_w: ``[m]`` log inertia of the data for each k.
      ref_log_w: ``[B, m]`` log inertia of each reference set for each k.
      k_best: ``[] int32``: the k the statistic's ``rule`` picks (:func:`gap_k_best`); by
        default Tibshirani's, the smallest k with ``gap(k) >= gap(k') - gap_se(k')``, k'
        the next k of ``ks``, and the last k when no k passes (the rule cannot be checked
        there: more clusters may be wanted). Only the ks whose gap is not NaN take part.
    """

    ks: jax.Array
    gap: jax.Array
    gap_se: jax.Array
    log_w: jax.Array
    ref_log_w: jax.Array
    k_best: jax.Array


class ChooseKResult(NamedTuple):
    """Result of :func:`jaxmeans.choose_k`: every criterion for choosing k, one entry per
    k, and the k each picks (a pytree of arrays; the verdict's text is
    :func:`jaxmeans.choose_k_verdict`).

    A criterion that was not asked for is NaN at every k, and its pick is 0.

    Attributes:
      ks: ``[m] int32``, the numbers of clusters, increasing.
      inertia: ``[m]`` float, :func:`jaxmeans.elbow`'s inertia for each k.
      silhouette: ``[m]`` float mean silhouette of elbow's labels (NaN for k = 1).
      calinski_harabasz: ``[m]`` float Calinski-Harabasz index of elbow's labels (NaN
        where it is undefined: k = 1, or fewer than two occupied clusters).
      davies_bouldin: ``[m]`` float Davies-Bouldin index of elbow's labels (NaN where it
        is undefined).
      gap: ``[m]`` float, :func:`jaxmeans.gap_statistic`'s gap.
      gap_se: ``[m]`` float, its standard error.
      stability: ``[m]`` float, mean adjusted Rand index, over ``n_boot`` bootstrap
        resamples, between the resample's own clustering and the full data's clustering
        of the same rows; in ``[-1, 1]``, 1 for a clustering every resample finds again.
        NaN for k = 1 (one cluster always agrees with itself).
      stability_sd: ``[m]`` float, the standard deviation of those indices over the
        resamples (ddof 1; 0 with one resample); NaN for k = 1.
      k_elbow: ``[] int32``, the knee of the inertia curve (:func:`jaxmeans.find_knee`).
      k_silhouette: ``[] int32``, the k >= 2 of largest silhouette.
      k_calinski_harabasz: ``[] int32``, the k of largest Calinski-Harabasz index.
      k_davies_bouldin: ``[] int32``, the k of smallest Davies-Bouldin index.
      k_gap: ``[] int32``, the gap statistic's ``k_best``.
      k_stability: ``[] int32``, the largest k >= 2 whose stability is within 0.02 of
        the largest stability, provided that stability is not low (below 0.9); else 0.
      votes: ``[m] int32``, how many criteria picked each k.
      k_best: ``[] int32``, the k with the most votes; among equal votes the smallest
        such k; 0 when no criterion picked any k.
    """

    ks: jax.Array
    inertia: jax.Array
    silhouette: jax.Array
    calinski_harabasz: jax.Array
    davies_bouldin: jax.Array
    gap: jax.Array
    gap_se: jax.Array
    stability: jax.Array
    stability_sd: jax.Array
    k_elbow: jax.Array
    k_silhouette: jax.Array
    k_calinski_harabasz: jax.Array
    k_davies_bouldin: jax.Array
    k_gap: jax.Array
    k_stability: jax.Array
    votes: jax.Array
    k_best: jax.Array
