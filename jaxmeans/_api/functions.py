"""The public functions: each checks its input once (:mod:`jaxmeans._runtime.spec`) and
calls its program once (:mod:`jaxmeans._runtime.run`, :mod:`jaxmeans._runtime.evaluate`)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import Mesh
from jax.typing import ArrayLike

from .._core.seeding import default_n_local_trials
from .._core.sweep import knee_index
from .._core.types import ElbowResult, KMeansResult
from .._runtime import evaluate, inputs, run
from .._runtime import validation as v
from .._runtime.framing import unit_rows
from .._runtime.spec import specify
from .._runtime.validation import check_metric


def kmeans(
    X: ArrayLike,
    k: int,
    *,
    key: jax.Array | int | None = None,
    init: str | ArrayLike = "k-means++",
    n_init: int = 1,
    max_iter: int = 300,
    tol: float | ArrayLike = 1e-4,
    sample_weight: ArrayLike | None = None,
    mesh: Mesh | None = None,
    metric: str = "euclidean",
    precision: str = "highest",
) -> KMeansResult:
    """Cluster ``X`` into ``k`` groups with Lloyd's algorithm (scikit-learn's semantics).

    The whole fit is one jitted program: initialisation, a ``lax.while_loop`` of
    assignment and update steps with the convergence test inside, and a final assignment
    so that the returned labels belong to the returned centroids. ``n_init`` restarts run in
    parallel with ``vmap`` and the one with the lowest inertia is returned. Works under
    ``jax.jit`` and ``jax.vmap``; value checks (NaN, negative weights) run only when ``X``
    is concrete.

    Args:
      X: ``[n, d]`` data. Integers are cast to the default float type; float64 is kept
        only when ``jax_enable_x64`` is on.
      k: number of clusters, ``1 <= k <= n`` (static).
      key: PRNG key for initialisation. ``None`` means ``jax.random.key(0)``; an int is a
        seed. The same key and input always give a bit-identical result.
      init: ``"k-means++"`` (greedy, ``2 + int(ln k)`` candidates per step),
        ``"k-means||"`` (scalable k-means++, Bahmani et al. 2012: two rounds of ``2 k``
        candidates drawn by squared distance, then greedy k-means++ on them weighted by
        the rows nearest to each; two passes over the data where k-means++ makes ``k``, so
        the seeding of large k: 5.4x faster at k = 4,096 on 200,000 x 32, with fits as
        good), ``"random"`` (``k`` distinct rows drawn with probability proportional to
        weight), or a ``[k, d]`` array of starting centroids (then one run is made
        whatever ``n_init``).
      n_init: number of restarts (static). With ``n_init > 1``, restart ``i`` is the run
        ``kmeans(X, k, key=jax.random.split(key, n_init)[i], n_init=1)``.
      max_iter: maximum number of Lloyd iterations (static).
      tol: relative tolerance. Iteration stops when the labels do not change or when the sum
        of squared centroid shifts is ``<= tol * mean(var(X, axis=0))``.
      sample_weight: ``[n]`` non-negative weights (default all ones), used by the
        initialisation, the centroid update and the inertia. Integer weights give the
        same result as repeating rows.
      mesh: a ``jax.sharding.Mesh`` to fit data-parallel over its first axis: ``X`` is
        padded with zero-weight rows to a multiple of that axis' size and split by rows.
        Not needed when ``X`` is already a ``jax.Array`` split by rows over a mesh
        (``NamedSharding(mesh, P("data", None))``): such a fit is data-parallel by itself,
        and its labels stay split like ``X``. Each iteration exchanges only the per-cluster
        sums and weights (``[k, d] + [k]``) and one flag between devices. With an
        ``init`` array the result equals the single-device fit; k-means++ and ``"random"``
        draw from the same distribution, but not the same rows, as on one device.
      metric: ``"euclidean"``, or ``"cosine"`` for spherical k-means (Dhillon & Modha):
        rows are scaled to unit length (a row of zeros is a ValueError naming it), each
        point goes to the centroid of largest cosine, each centroid is the normalised
        weighted mean of its points, k-means++ seeds on the cosine distance, and
        ``inertia`` is ``sum w * (1 - cos(x, c))``. Scaling rows by positive numbers
        changes nothing. ``init`` arrays are normalised too.
      precision: of the assignment's distance products: ``"highest"`` (true float32),
        ``"high"`` (three-pass bf16/TF32 class on GPUs and TPUs) or ``"default"`` (one
        pass, fastest). On CPUs every mode computes in float32 and gives the same result.

    Returns:
      :class:`KMeansResult` with ``centroids [k, d]`` (unit rows for ``"cosine"``),
      ``labels [n] int32``, ``inertia []``, ``n_iter [] int32`` and ``converged [] bool``.

    Raises:
      TypeError: non-numeric ``X``, ``init`` or ``sample_weight``; non-int ``k``,
        ``n_init`` or ``max_iter``; a ``key`` that is not a PRNG key; ``tol`` or ``init``
        None.
      ValueError: ``X`` not 2-D, empty or not finite; ``k`` out of range; a bad ``init``
        name or shape; ``n_init < 1``; ``max_iter < 1``; ``tol < 0``; ``sample_weight`` of
        the wrong length, negative or all zero.

    Example:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> import jaxmeans
      >>> X = jnp.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
      >>> result = jaxmeans.kmeans(X, 2, key=jax.random.key(0))
      >>> sorted(result.centroids[:, 1].tolist())
      [0.5, 10.5]
      >>> float(result.inertia)
      1.0
    """
    how = dict(key=key, init=init, n_init=n_init, max_iter=max_iter, tol=tol, metric=metric)
    spec = specify(X, k=k, sample_weight=sample_weight, mesh=mesh, precision=precision, **how)
    return run.fit(spec)


def kmeans_plusplus(
    key: jax.Array | int | None,
    X: ArrayLike,
    k: int,
    *,
    sample_weight: ArrayLike | None = None,
    n_local_trials: int | None = None,
) -> tuple[jax.Array, jax.Array]:
    """Greedy k-means++ seeding, as in scikit-learn's ``kmeans_plusplus``.

    The first centre is a row drawn with probability proportional to its weight; each next
    one is the best, by the weighted potential it leaves, of ``n_local_trials`` rows drawn
    with probability proportional to ``weight * (squared distance to the nearest centre)``.
    For a given key and ``n_local_trials``, the first ``j`` centres do not depend on ``k``.

    Args:
      key: PRNG key (``None`` means ``jax.random.key(0)``; an int is a seed).
      X: ``[n, d]`` data.
      k: number of centres (static), ``1 <= k <= n``.
      sample_weight: ``[n]`` non-negative weights, default ones.
      n_local_trials: candidates per step (static); default ``2 + int(ln k)``.

    Returns:
      ``(centroids [k, d], indices [k] int32)``: the chosen rows of ``X`` and their indices.

    Example:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> import jaxmeans
      >>> X = jnp.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
      >>> centroids, indices = jaxmeans.kmeans_plusplus(jax.random.key(0), X, 2)
      >>> bool(jnp.all(centroids == X[indices]))
      True
      >>> sorted(int(i) // 2 for i in indices)  # one seed in each pair
      [0, 1]
    """
    key = v.check_key(key)
    X = inputs.check_rows(X)
    n = X.shape[0]
    k = v.check_k(k, n)
    w = v.check_sample_weight(sample_weight, n, X.dtype)
    v.check_positive_mass(k, w)
    trials = default_n_local_trials(k) if n_local_trials is None else n_local_trials
    trials = v.check_int(trials, "n_local_trials")
    return run.seeds(key, X, w, k, trials)


def elbow(
    X: ArrayLike,
    ks=range(1, 11),
    *,
    key: jax.Array | int | None = None,
    n_init: int = 1,
    init: str | ArrayLike = "k-means++",
    max_iter: int = 300,
    tol: float | ArrayLike = 1e-4,
    sample_weight: ArrayLike | None = None,
    scores: bool = False,
    progress: bool = False,
    metric: str = "euclidean",
    precision: str = "highest",
) -> ElbowResult:
    """k-means for every k of ``ks`` in one jitted program, and the knee of the curve.

    All ks run in parallel (``vmap`` over k, ``n_init`` restarts vmapped inside) on
    centroids padded to ``k_max = max(ks)``, so one compilation serves any ``ks`` of the
    same length and maximum. Entry ``i`` is what ``kmeans(X, ks[i], key=key, ...)`` returns
    (the same key for every k), up to floating-point rounding, except where that fit's
    inertia is above the previous k's (a k-means++ start can land in a worse local minimum
    than a smaller k found): that k is fitted again from the previous k's centroids plus
    the rows farthest from them, which starts below the previous inertia, so the reported
    inertia never rises with k. That repair runs on the host, one extra fit per rise; inside
    ``jit``/``vmap`` and for rows split over several devices it is not made, and the
    curve may rise there.

    Args:
      X: ``[n, d]`` data.
      ks: strictly increasing numbers of clusters in ``[1, n]`` (duplicates are rejected):
        a sequence, a range, a NumPy array, or an iterator or generator (read once).
      key, n_init, max_iter, tol, sample_weight: as for :func:`kmeans`.
      init: ``"k-means++"``, ``"random"`` or a ``[max(ks), d]`` array whose first ``k`` rows
        start the fit for each k.
      scores: also compute the mean silhouette for each k
        (:func:`jaxmeans.metrics.silhouette_score`; O(n^2 d) work per k).
      precision: as for :func:`kmeans`.
      metric: ``"euclidean"`` or ``"cosine"`` (see :func:`kmeans`); with ``"cosine"`` the
        inertia is the cosine objective and the silhouette uses Euclidean distances
        between the unit rows.
      progress: show the fits as they stop, on stderr: one line rewritten in place on a
        terminal ("elbow: 12/30 fits done (k=5 restart 2: converged after 7 iterations)"),
        a line per fit elsewhere. Results do not change.

    Returns:
      :class:`ElbowResult`; ``knee`` is :func:`find_knee` of ``(ks, inertia)`` as a
      ``[] int32`` array, 0 where the curve has no knee.

    Raises:
      TypeError, ValueError: as for :func:`kmeans`, and for ``ks`` that is empty, not
        integer, ``< 1``, ``> n`` or not strictly increasing.

    Example:
      >>> import numpy as np
      >>> import jaxmeans
      >>> rng = np.random.default_rng(0)
      >>> centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
      >>> X = np.concatenate([c + rng.normal(size=(50, 2)) for c in centres])
      >>> result = jaxmeans.elbow(X, range(1, 7))
      >>> int(result.knee)
      3
      >>> bool(np.all(np.diff(result.inertia) <= 0))
      True
    """
    how = dict(key=key, init=init, n_init=n_init, max_iter=max_iter, tol=tol, metric=metric)
    if ks is None:
        raise TypeError("ks must be a sequence of ints, got None")
    spec = specify(
        X, ks=ks, sample_weight=sample_weight, caller="elbow", precision=precision, **how
    )
    result = run.sweep(spec, progress=progress)
    if spec.kind not in ("traced", "split"):
        result = _without_rises(
            X, result, sample_weight=sample_weight, max_iter=max_iter, tol=tol, metric=metric,
            precision=precision,
        )  # fmt: skip
    if not scores:
        return result
    # The silhouette compares every pair of rows: sparse rows are made dense for it (its
    # work, O(n^2 d), is what bounds the data's size there).
    X = spec.problem.X.toarray() if spec.kind == "sparse" else spec.problem.X
    k_max = result.centroids.shape[1]
    silhouette = evaluate.silhouette_per_k(X, result.labels, k_max, traced=spec.traced)
    return result._replace(silhouette=silhouette)


def _without_rises(X, result: ElbowResult, **how) -> ElbowResult:
    """``result`` with every k whose inertia is above the previous k's re-fitted from the
    previous k's centroids plus the rows farthest from them (weight times distance), one
    for each added cluster: a start below the previous inertia, which Lloyd's steps only
    lower. The knee is found again on the new curve. One fit per rise, none without."""
    inertia = np.array(result.inertia)
    if not (inertia[1:] > inertia[:-1]).any():  # (not np.diff: inf - inf warns)
        return result
    ks = np.asarray(result.ks)
    centroids, labels = np.array(result.centroids), np.array(result.labels)
    n_iter, converged = np.array(result.n_iter), np.array(result.converged)
    weight = how["sample_weight"]
    w = np.ones(labels.shape[1]) if weight is None else np.asarray(weight, np.float64)
    for i in range(1, len(ks)):
        if not inertia[i] > inertia[i - 1]:
            continue
        previous = centroids[i - 1, : ks[i - 1]]
        _, dist = assign(X, previous, metric=how["metric"])
        far = np.argsort(-w * np.asarray(dist, np.float64), kind="stable")[: ks[i] - ks[i - 1]]
        rows = _rows(X, far)
        init = np.concatenate([previous, rows.astype(previous.dtype)])
        fit = kmeans(X, int(ks[i]), init=init, **how)
        if float(fit.inertia) < inertia[i]:
            inertia[i] = fit.inertia
            centroids[i, : ks[i]] = np.asarray(fit.centroids)
            labels[i], n_iter[i], converged[i] = fit.labels, fit.n_iter, fit.converged
    knee = knee_index(ks, inertia.astype(np.float64), run.KNEE_MIN_DISTANCE, np)
    device = next(iter(result.inertia.devices()))
    return jax.device_put(
        ElbowResult(result.ks, inertia, centroids, labels, n_iter, converged, np.int32(knee)),
        device,
    )


def _rows(X, index: np.ndarray) -> np.ndarray:
    """Rows ``index`` of ``X`` (dense, sparse, a JAX array or anything array-like) as a
    dense NumPy array."""
    if inputs.is_sparse(X):
        return X.tocsr()[index].toarray()
    if isinstance(X, jax.Array):
        return np.asarray(X[index])
    return np.asarray(X)[index]


def find_knee(ks: ArrayLike, inertia: ArrayLike, *, min_distance: float = 0.05):
    """The knee of a decreasing, convex curve by the Kneedle rule.

    Both axes are scaled to [0, 1], so the curve runs from (0, 1) to (1, 0) and its chord is
    the line ``y = 1 - x``. The knee is the point farthest below that chord (largest
    ``1 - x - y``), provided that distance exceeds ``min_distance``: a flat curve, a straight
    one, or fewer than three points have no knee. Nor has a curve that does not fall overall
    (its last value not below its first, e.g. an increasing one): the rule assumes a
    falling curve, and on a rising one it would name an end point. The knee is never an end
    point.

    Args:
      ks: ``[m]`` increasing x values (numbers of clusters).
      inertia: ``[m]`` y values, decreasing.
      min_distance: smallest normalised distance below the chord that counts as a knee.

    Returns:
      The k at the knee as a Python int, or None where there is no knee; under ``jit`` or
      ``vmap``, an ``int32`` array holding the k, or 0 where there is no knee.

    Example:
      >>> import jaxmeans
      >>> jaxmeans.find_knee([1, 2, 3, 4, 5, 6], [100.0, 60.0, 10.0, 8.0, 7.0, 6.5])
      3
      >>> jaxmeans.find_knee([1, 2, 3, 4], [4.0, 3.0, 2.0, 1.0]) is None
      True
      >>> jaxmeans.find_knee([1, 2, 3, 4, 5, 6], [1.0, 2.0, 3.0, 10.0, 50.0, 100.0]) is None
      True
    """
    ks_arr = v.as_array(ks, "ks")
    y = v.as_array(inertia, "inertia")
    if ks_arr.ndim != 1 or y.shape != ks_arr.shape:
        raise ValueError(
            f"ks and inertia must be 1-D of the same length, got shapes "
            f"{tuple(ks_arr.shape)} and {tuple(y.shape)}"
        )
    if ks_arr.shape[0] == 0:
        raise ValueError("ks and inertia must not be empty")
    v.check_finite(ks_arr, "ks")
    v.check_finite(y, "inertia")
    if v.is_concrete(ks_arr) and (np.diff(np.asarray(ks_arr)) <= 0).any():
        raise ValueError(f"ks must be strictly increasing, got {np.asarray(ks_arr).tolist()}")
    if v.any_traced(ks_arr, y):
        return knee_index(jnp.asarray(ks_arr), jnp.asarray(y), min_distance)
    knee = knee_index(np.asarray(ks_arr), np.asarray(y, np.float64), min_distance, np)
    return int(knee) or None


def assign(
    X: ArrayLike, centroids: ArrayLike, *, metric: str = "euclidean"
) -> tuple[jax.Array, jax.Array]:
    """Index of, and squared distance to, the nearest centroid for every row of ``X``.

    Works in row blocks, so memory is O(block x k) rather than O(n x k). Ties go to the
    lowest centroid index, as with ``argmin``.

    Args:
      X: ``[n, d]`` points.
      centroids: ``[k, d]`` centres.
      metric: ``"euclidean"``, or ``"cosine"``: the centroid of largest cosine, and the
        cosine distance ``1 - cos`` instead of the squared distance (rows of zeros in
        ``X`` or ``centroids`` are a ValueError).

    Returns:
      ``(labels [n] int32, sq_dists [n])``, squared distances clamped at 0 (cosine
      distances with ``metric="cosine"``). The distances are differentiable in ``X`` and
      ``centroids`` (``jax.grad``, ``jax.jvp``; dense input): their derivative is that of
      ``||x - c_label||^2`` with the labels held fixed, as they are integers.

    Example:
      >>> import jax.numpy as jnp
      >>> import jaxmeans
      >>> labels, sq = jaxmeans.assign(jnp.array([[0.0], [4.0], [9.0]]),
      ...                              jnp.array([[1.0], [8.0]]))
      >>> labels.tolist(), sq.tolist()
      ([0, 0, 1], [1.0, 9.0, 1.0])
    """
    X = inputs.check_rows(X)
    centroids = v.check_data(centroids, "centroids")
    _check_same_features(X, centroids, "centroids")
    dtype = v.float_dtype(np.result_type(X.dtype, centroids.dtype))
    X, centroids = _cast(X, dtype), _cast(centroids, dtype)
    metric = check_metric(metric)
    if metric.unit_rows:
        X, centroids = unit_rows(X), unit_rows(centroids, "centroids")
    if inputs.is_sparse(X) or not v.any_traced(X, centroids):
        labels, sq = evaluate.assign(X, centroids, traced=v.any_traced(X, centroids))
        return labels, metric.objective(sq)
    # Traced (jit, vmap, grad): the search runs on values without tangents, and the
    # distances take their derivative from the labels it found.
    X_, c_ = lax.stop_gradient(X), lax.stop_gradient(centroids)
    labels, sq = evaluate.assign(X_, c_, traced=True)
    return labels, metric.objective(_sq_to_assigned(X, centroids, labels, sq))


@jax.custom_jvp
def _sq_to_assigned(X, centroids, labels, sq):
    """``sq`` (the squared distances from the rows of ``X`` to their ``labels``'
    centroids), differentiable in ``X`` and ``centroids``: ``d sq_i = 2 (x_i - c_l).(dx_i -
    dc_l)``. The labels, a discrete choice, have no derivative."""
    return sq


@_sq_to_assigned.defjvp
def _sq_to_assigned_jvp(primals, tangents):
    X, centroids, labels, sq = primals
    dX, dc = tangents[:2]
    diff = X - centroids[labels]
    return sq, 2 * jnp.sum(diff * (dX - dc[labels]), axis=1).astype(sq.dtype)


def pairwise_sq_dists(X: ArrayLike, Y: ArrayLike) -> jax.Array:
    """Squared Euclidean distances between every row of ``X`` and every row of ``Y``.

    Computed as ``||x||^2 + ||y||^2 - 2 x.y`` (one GEMM at HIGHEST precision) after shifting
    both sets to ``Y``'s mean, clamped at 0.

    Args:
      X: ``[n, d]``.
      Y: ``[m, d]``.

    Returns:
      ``[n, m]`` squared distances.

    Example:
      >>> import jax.numpy as jnp
      >>> import jaxmeans
      >>> jaxmeans.pairwise_sq_dists(jnp.array([[0.0, 0.0]]), jnp.array([[3.0, 4.0], [0.0, 1.0]]))
      Array([[25.,  1.]], dtype=float32)
    """
    X = inputs.check_rows(X)
    Y = v.check_data(Y, "Y")
    _check_same_features(X, Y, "Y")
    dtype = v.float_dtype(np.result_type(X.dtype, Y.dtype))
    X, Y = _cast(X, dtype), _cast(Y, dtype)
    return evaluate.sq_dists(X, Y, traced=v.any_traced(X, Y))


def _cast(a, dtype):
    """``a`` in the computation's dtype where it is a ``jax.Array`` (on its device); host
    arrays keep their precision until the framing moves them (float64 centred before it
    is rounded to float32), and sparse matrices their own dtype."""
    if isinstance(a, jax.Array) and a.dtype != dtype:
        return a.astype(dtype)
    return a


def _check_same_features(X: jax.Array, other: jax.Array, name: str) -> None:
    if other.shape[1] != X.shape[1]:
        raise ValueError(
            f"{name} has {other.shape[1]} features but X has {X.shape[1]}; they must match"
        )
