"""``MiniBatchKMeans``: scikit-learn's mini-batch k-means over data that need not fit in
memory.

``fit`` reads only the rows of each batch from ``X`` (a NumPy memmap, an HDF5 dataset, any
array-like with ``shape`` and row indexing), and the final labels in chunks; ``partial_fit``
takes one batch at a time. A step is one program (:func:`jaxmeans._runtime.run.minibatch_step`,
kept by the disk cache like every program), on rows moved into a frame decided once from the
first rows read (:meth:`MiniBatchKMeans._set_frame`).
"""

from __future__ import annotations

import warnings

import numpy as np

from .._io.rows import checked_rows as _checked_rows
from .._io.rows import read_rows, release
from .._io.rows import unit_rows_at as _unit
from .._runtime import inputs, run
from .._runtime import validation as v
from .._runtime.framing import Frame, framed, power_of_two_scale, unframed, unit_rows
from .._runtime.placement import on_one_device
from .._runtime.spec import check_settings
from .base import KMeansBase, feature_names, kept_on_failure, numpy_random_state, precision_of

# Rows per chunk when labelling a whole (possibly memory-mapped) dataset after fit.
_LABEL_CHUNK = 65536


class MiniBatchKMeans(KMeansBase):
    """Mini-batch k-means with scikit-learn's semantics and interface.

    Each step draws ``batch_size`` rows (with replacement), assigns them to the nearest
    centres and moves every centre to the running weighted mean of all points it has been
    given (a per-centre learning rate). Centres whose total weight falls below
    ``reassignment_ratio`` times the largest are moved onto random batch rows, at most
    every ``10 * n_clusters`` samples seen. ``fit`` stops after ``max_iter`` passes' worth
    of batches, when the centres move less than ``tol`` (scaled by the data's variance,
    measured on the initialisation sample), or when the smoothed batch inertia has not
    improved for ``max_no_improvement`` steps.

    Args:
      n_clusters: number of clusters.
      batch_size: rows per step.
      init: ``"k-means++"``, ``"k-means||"``, ``"random"`` or an
        ``[n_clusters, n_features]`` array; the
        seeding runs on ``init_size`` random rows (default ``3 * batch_size``).
      max_iter: passes over the data (in batches) before stopping.
      tol: relative tolerance on the centre moves; 0 disables it.
      max_no_improvement: steps without a better smoothed inertia before stopping; None
        disables it.
      init_size: rows used for seeding; also the validation rows that pick the best of
        ``n_init`` seedings.
      n_init: seedings tried, or ``"auto"`` (1, or 3 for ``"random"``).
      reassignment_ratio: see above; 0 disables reassignment.
      random_state: None, an int, a NumPy generator; it draws the batches and seeds.
      verbose: 1 prints each step's mean batch inertia and why the fit stopped.
      compute_labels: after ``fit``, label every row of ``X`` and compute ``inertia_``
        (one more pass over ``X``, a chunk at a time).
      metric: ``"euclidean"`` or ``"cosine"`` (spherical: rows scaled to unit length,
        centres normalised after every step; see :func:`jaxmeans.kmeans`).
      precision: of the distance products, as for :func:`jaxmeans.kmeans`.

    Attributes:
      cluster_centers_: ``[n_clusters, n_features]`` centres (NumPy).
      labels_: ``[n_samples] int32`` labels of the rows given to ``fit`` (with
        ``compute_labels``), or of the last batch given to ``partial_fit``.
      inertia_: weighted sum of squared distances of those rows to their centre.
      n_iter_: passes over the data made by ``fit``: steps times ``batch_size`` over
        ``n_samples``, rounded up.
      n_steps_: mini-batch steps run.
      n_features_in_: number of features seen in ``fit`` or the first ``partial_fit``.

    Example:
      >>> import numpy as np
      >>> from jaxmeans import MiniBatchKMeans
      >>> rng = np.random.default_rng(0)
      >>> X = np.concatenate([rng.normal(0, 0.1, (500, 2)), rng.normal(5, 0.1, (500, 2))])
      >>> model = MiniBatchKMeans(2, batch_size=100, random_state=0).fit(X)
      >>> sorted(int(c) for c in np.round(model.cluster_centers_[:, 0]))
      [0, 5]
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        max_iter=100,
        batch_size=1024,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
        random_state=None,
        verbose=0,
        compute_labels=True,
        metric="euclidean",
        precision="highest",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.random_state = random_state
        self.verbose = verbose
        self.tol = tol
        self.compute_labels = compute_labels
        self.metric = metric
        self.precision = precision

    _auto_n_init_random = 3

    # -- reading rows ------------------------------------------------------------------------

    def _source(self, X):
        """``(X, n, d)``: ``X`` as something to read rows from, checked on its first row.

        Arrays with ``shape`` and row indexing (NumPy arrays and memmaps, HDF5 datasets)
        are read as they are; anything else (lists, DataFrames) is converted first. The
        first row goes through the same checks as :class:`KMeans` input (dimensions,
        dtype, sparse, complex), so bad input fails before any seeding.
        """
        if inputs.is_sparse(X):  # rows are read, and made dense, a batch at a time
            X = inputs.check_sparse(X)
            self._dtype = np.dtype(X.dtype)
            return X, int(X.shape[0]), int(X.shape[1])
        if not hasattr(X, "shape") or hasattr(X, "iloc"):
            X = np.asarray(v.check_data(X))
        X = on_one_device(X)  # rows split over a mesh are read from one device
        v.check_shape(X.shape)
        first = v.check_data(X[:1], "X")  # dtype (complex, non-numeric), the first row
        self._dtype = np.dtype(first.dtype)  # float32 stays float32, the rest float64
        return X, int(X.shape[0]), int(X.shape[1])

    def _rows(self, X, index) -> np.ndarray:
        """Rows ``X[index]`` in the fit's precision, read in sorted order (kind to files),
        every value checked: a NaN or infinity is reported at its index in ``X``."""
        order = np.argsort(index, kind="stable")
        rows = np.empty((len(index), X.shape[1]), dtype=np.float64)
        rows[order] = read_rows(X, index[order])
        rows = _checked_rows(rows, index, self._dtype)
        return _unit(rows, index) if self._metric().unit_rows else rows

    def _set_frame(self, sample: np.ndarray) -> None:
        """The frame every row is moved into before a step, from ``sample``, the first rows
        read: a power-of-two scale that keeps their squares away from overflow and
        underflow (1 for data within 2**-40..2**40), and, where the rows lie far from the
        origin for their spread (the mean over 1,024 times the largest standard
        deviation; a step does not centre its batch, and squared distances would cancel),
        their float64 mean as the shift. Unit rows (cosine) are never shifted."""
        sample = np.asarray(sample, np.float64)
        shift = np.zeros(sample.shape[1])
        if not self._metric().unit_rows:
            mean, spread = sample.mean(axis=0), sample.std(axis=0)
            if np.abs(mean).max() > 1024 * spread.max():
                shift = mean
        self._frame = Frame(shift, power_of_two_scale(float(np.abs(sample - shift).max())))

    def _in_frame(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` moved into the fit's frame, in the fit's dtype."""
        frame = self._frame
        if frame.scale == 1.0 and not frame.shift.any():
            return rows
        return framed(rows, len(rows), self._dtype, shift=frame.shift, scale=frame.scale)[0]

    def _params(self, n: int, d: int):
        """``(settings, batch, init_size)`` checked for ``n`` rows of ``d`` features."""
        settings = check_settings(
            n,
            d,
            v.float_dtype(np.float64),
            k=self.n_clusters,
            init=self.init,
            n_init=self._resolved_n_init(),
            max_iter=self.max_iter,
            tol=self.tol,
            key=None,  # batches and seeds come from random_state's NumPy generator
            k_name="n_clusters",
            caller=type(self).__name__,
            allow_callable=True,
            metric=self.metric,
            precision=self.precision,
        )
        batch = v.check_int(self.batch_size, "batch_size")
        ratio = float(self.reassignment_ratio)
        if not ratio >= 0:
            raise ValueError(f"reassignment_ratio (={self.reassignment_ratio}) must be >= 0")
        if self.max_no_improvement is not None:
            v.check_int(self.max_no_improvement, "max_no_improvement", minimum=0)
        k = settings.k
        if self.init_size is None:  # scikit-learn's rule
            init_size = 3 * batch if 3 * batch >= k else 3 * k
        else:
            init_size = v.check_int(self.init_size, "init_size")
            if init_size < k:
                warnings.warn(
                    f"init_size={init_size} should be larger than n_clusters={k}. Setting it "
                    "to min(3*n_clusters, n_samples)",
                    RuntimeWarning,
                    stacklevel=4,
                )
                init_size = 3 * k
        return settings, min(batch, n), min(init_size, n)

    def _rng(self) -> np.random.RandomState:
        """The NumPy ``RandomState`` that draws batches and seeds, as scikit-learn's
        ``check_random_state`` makes it (None: NumPy's global one), so a given int seed
        draws the same batches as scikit-learn's MiniBatchKMeans."""
        if isinstance(self.random_state, int | np.integer) and self.random_state < 0:
            raise ValueError(f"random_state (={self.random_state}) must be >= 0")
        return numpy_random_state(self.random_state)

    # -- seeding -----------------------------------------------------------------------------

    def _seed(self, rows: np.ndarray, w: np.ndarray, settings, rng) -> np.ndarray:
        k, mode = settings.k, settings.init_mode
        if mode == "array":
            return np.asarray(settings.init)  # (normalised by check_settings for cosine)
        if mode == "callable":
            centres = self.init(rows, k, random_state=rng)
            _, centres = v.check_init(centres, k, rows.shape[1], rows.dtype)
            centres = np.asarray(centres, rows.dtype)
            return unit_rows(centres, "init") if self._metric().unit_rows else centres
        if mode == "random":
            return rows[rng.choice(len(rows), k, replace=False, p=w / w.sum())]
        seed = int(rng.randint(0, 2**31 - 1))
        centres, _ = run.seeds(v.check_key(seed), rows, w, k, init=mode)
        return np.asarray(centres)

    def _best_seed(self, X, n, settings, init_size, rng, weights) -> np.ndarray:
        """The best of ``n_init`` seedings, each on ``init_size`` random rows, by inertia on
        another ``init_size`` random rows (scikit-learn's rule)."""
        k = settings.k
        valid = rng.randint(0, n, init_size)
        X_valid, w_valid = self._rows(X, valid), weights(valid)
        self._set_frame(X_valid)
        X_valid = self._in_frame(X_valid)
        self._valid_rows = X_valid
        best, best_inertia = None, np.inf
        for _ in range(settings.n_init):
            # scikit-learn's draws: a sample of init_size rows only when that is fewer.
            idx = rng.randint(0, n, init_size) if init_size < n else np.arange(n)
            rows, w = self._rows(X, idx), weights(idx)
            if np.count_nonzero(w) < k:
                raise ValueError(
                    f"n_clusters (={k}) must be <= the rows with positive weight in the "
                    f"seeding sample (={np.count_nonzero(w)})"
                )
            centres = self._in_frame(self._seed(rows, w, settings, rng))
            zero = np.zeros(k, rows.dtype)
            step = run.minibatch_step(
                centres, zero, X_valid, w_valid, metric=self._metric(), precision=self.precision
            )
            inertia = float(step[3])
            if inertia < best_inertia:
                best, best_inertia = centres, inertia
        return best

    # -- the steps ---------------------------------------------------------------------------

    def _step(self, rows, w, rng, reassign: bool) -> float:
        """One step on ``rows`` (in the fit's frame); the batch's objective in the data's
        units."""
        centres, sums, _, inertia = run.minibatch_step(
            self._centres_np, self._counts, rows, w, metric=self._metric(),
            precision=self.precision,
        )  # fmt: skip
        centres, sums = np.array(centres), np.array(sums)
        if reassign and self.reassignment_ratio > 0:
            small = sums < self.reassignment_ratio * sums.max()
            if small.sum() > 0.5 * len(rows):  # at most half a batch of new centres
                small[np.argsort(sums)[int(0.5 * len(rows)) :]] = False
            if small.any():
                picks = rng.choice(len(rows), int(small.sum()), replace=False, p=w / w.sum())
                centres[small] = rows[picks]
                sums[small] = np.min(sums[~small]) if (~small).any() else 0.0
        self._centres_np, self._counts = centres, sums
        return float(inertia) / self._frame.scale**2

    def _due_for_reassignment(self, batch: int) -> bool:
        self._n_since_last_reassign += batch
        if (self._counts == 0).any() or self._n_since_last_reassign >= 10 * self.n_clusters:
            self._n_since_last_reassign = 0
            return True
        return False

    def _publish(self) -> None:
        centres = self._centres_np
        self.cluster_centers_ = np.asarray(unframed(centres, self._frame, centres.dtype))

    def _label_all(self, X, n: int, weights) -> None:
        """Labels and inertia of every row of ``X``, a chunk at a time; every row is
        checked here, so a NaN the batches never drew still fails the fit."""
        labels = np.empty(n, np.int32)
        inertia = 0.0
        chunk = max(1, min(_LABEL_CHUNK, 2**22 // X.shape[1]))  # dense rows of sparse X too
        for start in range(0, n, chunk):
            index = np.arange(start, min(start + chunk, n))
            rows = _checked_rows(read_rows(X, index), index, self._dtype)
            lab, sq = self._assign(rows)
            labels[start : index[-1] + 1] = np.asarray(lab)
            inertia += float(np.sum(weights(index) * np.asarray(sq, dtype=np.float64)))
        self.labels_, self.inertia_ = labels, inertia

    # -- public --------------------------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None) -> MiniBatchKMeans:
        """Fit on ``X`` ``[n_samples, n_features]``, reading it a batch at a time.

        ``X`` may be a NumPy memmap or any array-like with ``shape`` and row indexing;
        only the rows of each batch (and, at the end, one chunk at a time for ``labels_``)
        are read.
        """
        feature_names(X)  # mixed str and non-str column names: TypeError, as in scikit-learn
        with kept_on_failure(self):
            X, n, d = self._source(X)
            with precision_of(self._dtype):
                return self._fit(X, n, d, sample_weight)

    def _fit(self, X, n: int, d: int, sample_weight) -> MiniBatchKMeans:
        settings, batch, init_size = self._params(n, d)
        dtype = self._dtype
        w_all = None if sample_weight is None else np.asarray(
            v.check_sample_weight(sample_weight, n, dtype), dtype
        )  # fmt: skip
        weights = (lambda i: np.ones(len(i), dtype)) if w_all is None else (lambda i: w_all[i])
        rng = self._rng()
        self._centres_np = self._best_seed(X, n, settings, init_size, rng, weights)
        self._generator, self.n_features_in_ = rng, d
        self._counts = np.zeros(settings.k, self._centres_np.dtype)
        self._n_since_last_reassign = 0
        tol = float(settings.tol)
        if tol > 0:  # scaled by the variance of the validation sample already read
            tol *= float(np.mean(np.var(self._valid_rows, axis=0)))
        del self._valid_rows
        # scikit-learn's sampling: rows drawn in proportion to their weights, each step then
        # counting them with unit weight.
        p = np.ones(n) if w_all is None else np.asarray(w_all, np.float64)
        p = p / p.sum()
        unit = np.ones(batch, dtype)
        ewa, ewa_min, no_improvement = None, None, 0
        n_steps = max(1, (settings.max_iter * n) // batch)
        for step in range(n_steps):
            idx = rng.choice(n, batch, p=p, replace=True)
            rows, w = self._in_frame(self._rows(X, idx)), unit
            before = self._centres_np
            inertia = self._step(rows, w, rng, self._due_for_reassignment(batch)) / batch
            if step == 0:
                continue
            alpha = min(1.0, batch * 2.0 / (n + 1))
            ewa = inertia if ewa is None else ewa * (1 - alpha) + inertia * alpha
            if self.verbose:
                print(f"Minibatch step {step + 1}/{n_steps}: mean batch inertia: {inertia}")
            if tol > 0 and np.sum((self._centres_np - before) ** 2) <= tol:
                if self.verbose:
                    print(f"Converged (small centers change) at step {step + 1}/{n_steps}")
                break
            if ewa_min is None or ewa < ewa_min:
                ewa_min, no_improvement = ewa, 0
            else:
                no_improvement += 1
            if self.max_no_improvement is not None and no_improvement >= self.max_no_improvement:
                if self.verbose:
                    print(
                        f"Converged (lack of improvement in inertia) at step {step + 1}/{n_steps}"
                    )
                break
        self.n_steps_ = step + 1
        self.n_iter_ = int(np.ceil(self.n_steps_ * batch / n))
        self._init_size, self._n_init = init_size, settings.n_init
        self._publish()
        if self.compute_labels:
            self._label_all(X, n, weights)
        return self

    def partial_fit(self, X, y=None, sample_weight=None) -> MiniBatchKMeans:
        """One step on the batch ``X``; the first call also seeds the centres from it (one
        seeding on ``init_size`` of its rows, whatever ``n_init`` says, as scikit-learn does).

        A batch with a different number of features, a NaN, or (on the first call) fewer
        rows than clusters raises ``ValueError`` and leaves the fitted state as it was.
        """
        feature_names(X)
        with kept_on_failure(self):
            rows = inputs.check_sparse(X).toarray() if inputs.is_sparse(X) else v.check_data(X)
            release(X)
            if hasattr(self, "cluster_centers_"):
                rows = rows.astype(self.cluster_centers_.dtype)
            with precision_of(rows.dtype):
                return self._partial_fit(np.asarray(rows), sample_weight)

    def _partial_fit(self, rows: np.ndarray, sample_weight) -> MiniBatchKMeans:
        first = not hasattr(self, "cluster_centers_")
        self._dtype = rows.dtype
        n, d = rows.shape
        if not first:
            self._check_features(d)
        w = np.asarray(v.check_sample_weight(sample_weight, n, rows.dtype), rows.dtype)
        if self._metric().unit_rows:
            rows = _unit(rows, np.arange(n))
        if first:  # one seeding, on init_size rows of the batch, as scikit-learn does
            settings, _, init_size = self._params(n, d)
            rng = self._rng()
            pick = rng.randint(0, n, init_size) if init_size < n else np.arange(n)
            self._set_frame(rows[pick])
            centres = self._in_frame(self._seed(rows[pick], w[pick], settings, rng))
            self._generator, self._centres_np = rng, centres
            self._init_size, self._n_init = init_size, 1
            self._counts = np.zeros(settings.k, centres.dtype)
            self._n_since_last_reassign = 0
            self.n_features_in_, self.n_steps_ = d, 0
        rows = rows.astype(self._centres_np.dtype)
        self._step(self._in_frame(rows), w, self._generator, self._due_for_reassignment(n))
        self.n_steps_ += 1
        self._publish()
        lab, sq = self._assign(v.as_array(rows, "X"))
        self.labels_ = np.asarray(lab)
        self.inertia_ = float(np.sum(w * np.asarray(sq)))
        return self
