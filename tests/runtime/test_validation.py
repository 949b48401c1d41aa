"""Bad input fails at the boundary with an error that names the parameter and the value."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxmeans

X = np.arange(20, dtype=np.float32).reshape(10, 2)


def _with(values, row=3, col=1):
    bad = X.copy()
    bad[row, col] = values
    return bad


@pytest.mark.parametrize(
    "kwargs,error,pattern",
    [
        ({"X": _with(np.nan)}, ValueError, r"X contains NaN or infinity \(nan at index \(3, 1\)\)"),
        ({"X": _with(np.inf)}, ValueError, r"X contains NaN or infinity \(inf at index \(3, 1\)\)"),
        ({"X": X[:, 0]}, ValueError, r"X must be 2-D .* got shape \(10,\)\. Reshape your data"),
        ({"X": X[None]}, ValueError, r"X must be 2-D .* got shape \(1, 10, 2\)"),
        (
            {"X": np.zeros((0, 2), np.float32)},
            ValueError,
            r"X must be non-empty: found 0 sample\(s\) \(shape=\(0, 2\)\)",
        ),
        (
            {"X": np.zeros((4, 0), np.float32)},
            ValueError,
            r"X must be non-empty: found 0 feature\(s\) \(shape=\(4, 0\)\)",
        ),
        ({"X": [["a", "b"], ["c", "d"]]}, TypeError, r"X must be a numeric array, got dtype <U1"),
        ({"X": np.array([[1, None]], dtype=object)}, ValueError, r"X contains NaN or infinity"),
        ({"X": np.array([[1, "a"]], dtype=object)}, TypeError, r"non-numeric values"),
        (
            {"X": X.astype(np.complex64)},
            ValueError,
            r"X must be real: Complex data not supported \(dtype complex64\)",
        ),
        ({"k": 0}, ValueError, r"k \(=0\) must be >= 1"),
        ({"k": -2}, ValueError, r"k \(=-2\) must be >= 1"),
        ({"k": 11}, ValueError, r"k \(=11\) must be <= n_samples \(=10\)"),
        ({"k": 2.0}, TypeError, r"k must be an int, got 2.0"),
        ({"k": True}, TypeError, r"k must be an int, got True"),
        (
            {"init": "kmeans++"},
            ValueError,
            r"init must be one of 'k-means\+\+', 'k-means\|\|', 'random' .* got 'kmeans\+\+'",
        ),
        (
            {"init": np.zeros((2, 2))},
            ValueError,
            r"init array must have shape \(3, 2\) .* got \(2, 2\)",
        ),
        (
            {"init": np.zeros((3, 5))},
            ValueError,
            r"init array must have shape \(3, 2\) .* got \(3, 5\)",
        ),
        ({"init": np.full((3, 2), np.nan)}, ValueError, r"init contains NaN or infinity"),
        (
            {"sample_weight": np.ones(9)},
            ValueError,
            r"sample_weight must have shape \(10,\) .* got \(9,\)",
        ),
        (
            {"sample_weight": -np.ones(10)},
            ValueError,
            r"sample_weight must be >= 0, got -1.0 at index 0",
        ),
        ({"sample_weight": np.zeros(10)}, ValueError, r"sample_weight must not be all zero"),
        ({"sample_weight": np.r_[np.ones(9), np.nan]}, ValueError, r"sample_weight contains NaN"),
        (
            {"sample_weight": np.r_[np.ones(2), np.zeros(8)]},
            ValueError,
            r"k \(=3\) must be <= the number of samples with positive sample_weight \(=2\)",
        ),
        ({"n_init": 0}, ValueError, r"n_init \(=0\) must be >= 1"),
        ({"n_init": 1.5}, TypeError, r"n_init must be an int, got 1.5"),
        ({"max_iter": 0}, ValueError, r"max_iter \(=0\) must be >= 1"),
        ({"tol": -1e-3}, ValueError, r"tol \(=-0.001\) must be a finite number >= 0"),
        ({"tol": float("nan")}, ValueError, r"tol \(=nan\) must be a finite number >= 0"),
        ({"tol": "small"}, TypeError, r"tol must be a numeric array"),
        ({"key": "seed"}, TypeError, r"key must be a jax.random.key.* got 'seed'"),
        (
            {"key": jax.random.split(jax.random.key(0), 2)},
            ValueError,
            r"key must be a single PRNG key",
        ),
    ],
)
def test_kmeans_rejects_bad_input(kwargs, error, pattern):
    args = {"X": X, "k": 3, **kwargs}
    with pytest.raises(error, match=pattern):
        jaxmeans.kmeans(args.pop("X"), args.pop("k"), **args)


def test_kmeans_plusplus_validates_too():
    with pytest.raises(ValueError, match=r"k \(=11\) must be <= n_samples \(=10\)"):
        jaxmeans.kmeans_plusplus(None, X, 11)
    with pytest.raises(ValueError, match=r"n_local_trials \(=0\) must be >= 1"):
        jaxmeans.kmeans_plusplus(None, X, 2, n_local_trials=0)
    with pytest.raises(ValueError, match=r"X contains NaN"):
        jaxmeans.kmeans_plusplus(None, _with(np.nan), 2)


def test_assign_and_pairwise_validate_features():
    with pytest.raises(ValueError, match=re.escape("centroids has 3 features but X has 2")):
        jaxmeans.assign(X, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=re.escape("Y has 1 features but X has 2")):
        jaxmeans.pairwise_sq_dists(X, np.zeros((4, 1)))
    with pytest.raises(ValueError, match="centroids contains NaN"):
        jaxmeans.assign(X, np.full((2, 2), np.nan))


def test_inputs_are_never_modified():
    data = np.random.default_rng(0).normal(size=(30, 2)).astype(np.float32) + 50
    init = data[:3].copy()
    w = np.linspace(1, 2, 30)
    copies = data.copy(), init.copy(), w.copy()
    jaxmeans.kmeans(data, 3, init=init, sample_weight=w)
    jaxmeans.kmeans(data, 3, sample_weight=w, n_init=2)
    jaxmeans.kmeans_plusplus(None, data, 3, sample_weight=w)
    jaxmeans.assign(data, init)
    for before, after in zip(copies, (data, init, w), strict=True):
        np.testing.assert_array_equal(before, after)


def test_lists_and_traced_inputs_are_accepted():
    as_list = X.tolist()
    assert jaxmeans.kmeans(as_list, 2).labels.shape == (10,)
    # Under jit the NaN check cannot run, but shape checks still do.
    with pytest.raises(ValueError, match=r"k \(=11\) must be <= n_samples \(=10\)"):
        jax.jit(lambda x: jaxmeans.kmeans(x, 11))(X)
    out = jax.jit(lambda x, w: jaxmeans.kmeans(x, 2, sample_weight=w))(X, jnp.ones(10))
    assert out.centroids.shape == (2, 2)


def test_pandas_missing_values_get_the_nan_message():
    pd = pytest.importorskip("pandas")
    nan = X.copy()
    nan[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(nan at index \(1, 0\)\)"):
        jaxmeans.kmeans(nan, 2)
    frames = {
        (1, 0): pd.DataFrame(
            {"a": pd.array([0.0, None, *X[2:, 0]], dtype="Float64"), "b": X[:, 1]}
        ),
        (2, 1): pd.DataFrame(
            {"a": X[:, 0], "b": pd.array([0, 1, None, *range(3, 10)], dtype="Int64")}
        ),
    }
    for (row, col), frame in frames.items():
        match = rf"X contains NaN or infinity \(<NA> at index \({row}, {col}\)\); remove or impute"
        with pytest.raises(ValueError, match=match):
            jaxmeans.kmeans(frame, 2)
        with pytest.raises(ValueError, match=match):
            jaxmeans.KMeans(2).fit(frame)
    # Nullable columns without missing values fit as float64 does.
    full = pd.DataFrame({"a": pd.array(X[:, 0].astype(float), dtype="Float64")})
    np.testing.assert_allclose(
        jaxmeans.KMeans(2, random_state=0).fit(full).cluster_centers_,
        jaxmeans.KMeans(2, random_state=0).fit(X[:, :1].astype(float)).cluster_centers_,
    )


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: jaxmeans.kmeans(X, 2, tol=None), TypeError, "tol must be a real number, got None"),
        (lambda: jaxmeans.KMeans(2, tol=None).fit(X), TypeError, "tol must be a real number"),
        (lambda: jaxmeans.elbow(X, [1, 2], tol=None), TypeError, "tol must be a real number"),
        (lambda: jaxmeans.kmeans(X, 2, init=None), TypeError, r"init must be one of .*got None"),
        (lambda: jaxmeans.KMeans(2, init=None).fit(X), TypeError, r"init must be .*got None"),
        (lambda: jaxmeans.MiniBatchKMeans(2, init=None).fit(X), TypeError, r"init must .*None"),
        (lambda: jaxmeans.elbow(X, None), TypeError, "ks must be a sequence of ints, got None"),
        (lambda: jaxmeans.gap_statistic(X, None), TypeError, "ks must be a sequence of ints"),
        (lambda: jaxmeans.elbow(X, "123"), TypeError, "ks must be a sequence of ints, got '123'"),
    ],
)
def test_none_names_the_parameter(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_a_generator_of_ks_is_read_once_as_a_list():
    expected = jaxmeans.elbow(X, [1, 2, 3, 4])
    got = jaxmeans.elbow(X, (k for k in range(1, 5)))
    assert got.ks.tolist() == [1, 2, 3, 4]
    np.testing.assert_array_equal(got.inertia, expected.inertia)
    gap = jaxmeans.gap_statistic(X, iter([1, 2, 3]), n_refs=2)
    assert gap.ks.tolist() == [1, 2, 3]


def test_bfloat16_and_float16_input_is_computed_in_float32():
    import ml_dtypes

    expected = jaxmeans.KMeans(2, random_state=0).fit(X.astype(ml_dtypes.bfloat16).astype("f4"))
    for data in (
        X.astype(ml_dtypes.bfloat16),
        jnp.asarray(X, jnp.bfloat16),
        X.astype(np.float16),
    ):
        model = jaxmeans.KMeans(2, random_state=0).fit(data)
        assert model.cluster_centers_.dtype == np.float32
        np.testing.assert_array_equal(model.cluster_centers_, expected.cluster_centers_)
        result = jaxmeans.kmeans(data, 2)
        assert result.centroids.dtype == jnp.float32
