"""KMeans, the scikit-learn-style estimator."""

import itertools
import pickle

import jax
import numpy as np
import pytest
from helpers import quiet_sklearn_checks
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import shuffle
from sklearn.utils.estimator_checks import check_estimator

import jaxmeans
from jaxmeans import KMeans, MiniBatchKMeans
from jaxmeans.exceptions import NotFittedError

# The numbers printed in the tutorial for KMeans(n_clusters=3, random_state=42) on iris.
TUTORIAL_CENTERS = np.array(
    [
        [5.006, 3.428, 1.462, 0.246],
        [5.9016129, 2.7483871, 4.39354839, 1.43387097],
        [6.85, 3.07368421, 5.74210526, 2.07105263],
    ]
)

# Checks of scikit-learn's suite that KMeans is expected to fail, and why.
_WEIGHTS_VS_REPEATS = (
    "k-means++ draws its seeds from a different random stream for repeated rows than "
    "for weighted ones; scikit-learn's own KMeans fails this check for the same reason"
)
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": _WEIGHTS_VS_REPEATS,
    "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS_VS_REPEATS,
}


@pytest.mark.slow
@quiet_sklearn_checks
def test_scikit_learn_check_estimator():
    results = check_estimator(
        KMeans(n_clusters=3, random_state=0),
        expected_failed_checks=EXPECTED_FAILED_CHECKS,
        on_fail=None,
    )
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    assert failed == set()
    xfailed = {r["check_name"] for r in results if r["status"] == "xfail"}
    assert xfailed == set(EXPECTED_FAILED_CHECKS)
    passed = [r for r in results if r["status"] == "passed"]
    assert len(passed) >= 45


def test_iris_reproduces_the_tutorial_centres():
    # The tutorial's exact call: n_init="auto" runs ten k-means++ restarts on data this
    # small, so the best optimum (78.851) is found; one run lands in the second-best
    # (78.856) for about half the seeds.
    iris = jaxmeans.datasets.load_iris()
    X, _ = shuffle(iris.data, iris.target, random_state=42)
    model = KMeans(n_clusters=3, random_state=42).fit(X)
    centers = model.cluster_centers_[np.argsort(model.cluster_centers_[:, 0])]
    np.testing.assert_allclose(centers, TUTORIAL_CENTERS, atol=1e-5)
    assert model.inertia_ == pytest.approx(78.851, rel=1e-4)
    assert model.labels_.dtype == np.int32 and model.n_iter_ >= 1


@pytest.mark.parametrize(
    "shape, k, restarts",
    [((150, 4), 3, 10), ((500, 8), 5, 10), ((600, 8), 5, 1), ((150, 4), 12, 1)],
)
def test_n_init_auto_runs_restarts_only_where_they_are_cheap(shape, k, restarts):
    X = np.random.default_rng(k).normal(size=shape) * [1.0] + np.arange(shape[0])[:, None] % 4
    auto = KMeans(k, random_state=3).fit(X)
    assert auto._n_init == restarts
    explicit = KMeans(k, n_init=restarts, random_state=3).fit(X)
    np.testing.assert_array_equal(auto.labels_, explicit.labels_)
    assert auto.inertia_ == explicit.inertia_
    one = KMeans(k, n_init=1, random_state=3).fit(X)
    assert one._n_init == 1


def test_n_init_auto_keeps_scikit_learns_rule_for_other_inits():
    X = np.random.default_rng(0).normal(size=(150, 4))
    assert KMeans(3, init="random", random_state=0).fit(X)._n_init == 10
    init = X[:3].copy()
    assert KMeans(3, init=init).fit(X)._n_init == 1
    assert MiniBatchKMeans(3, random_state=0).fit(X)._n_init == 1


def test_predict_transform_score_agree(blobs):
    model = KMeans(n_clusters=4, random_state=0).fit(blobs)
    np.testing.assert_array_equal(model.predict(blobs), model.labels_)
    D = model.transform(blobs)
    brute = np.sqrt(((blobs[:, None] - model.cluster_centers_[None]) ** 2).sum(-1))
    np.testing.assert_allclose(D, brute, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(D.argmin(1), model.labels_)
    assert model.score(blobs) == pytest.approx(-model.inertia_, rel=1e-4)
    np.testing.assert_array_equal(KMeans(4, random_state=0).fit_predict(blobs), model.labels_)
    np.testing.assert_allclose(KMeans(4, random_state=0).fit_transform(blobs), D, rtol=1e-5)


def test_same_as_the_functional_api(blobs):
    model = KMeans(n_clusters=5, random_state=7, n_init=3).fit(blobs)
    result = jaxmeans.kmeans(blobs, 5, key=jax.random.key(7), n_init=3)
    np.testing.assert_array_equal(model.cluster_centers_, np.asarray(result.centroids))
    assert model.inertia_ == pytest.approx(float(result.inertia))


def test_random_state_reproducible_and_none_varies(blobs):
    a = KMeans(6, init="random", n_init=1, random_state=3).fit(blobs).cluster_centers_
    b = KMeans(6, init="random", n_init=1, random_state=3).fit(blobs).cluster_centers_
    np.testing.assert_array_equal(a, b)
    fits = {
        KMeans(6, init="random", n_init=1).fit(blobs).cluster_centers_.tobytes() for _ in range(4)
    }
    assert len(fits) > 1
    # None means NumPy's global RandomState, as in scikit-learn.
    np.random.seed(0)  # noqa: NPY002
    c = KMeans(6, init="random", n_init=1).fit(blobs).cluster_centers_
    np.random.seed(0)  # noqa: NPY002
    d = KMeans(6, init="random", n_init=1).fit(blobs).cluster_centers_
    np.testing.assert_array_equal(c, d)


def test_n_init_auto_follows_scikit_learn(blobs):
    def centres(**params):
        return KMeans(6, random_state=3, **params).fit(blobs).cluster_centers_

    # "auto": ten restarts for random starts (scikit-learn's rule).
    np.testing.assert_array_equal(centres(init="random"), centres(init="random", n_init=10))
    assert not np.array_equal(centres(init="random"), centres(init="random", n_init=1))
    with pytest.raises(ValueError, match="n_init must be 'auto' or an int"):
        KMeans(n_init="many").fit(blobs)


def test_clone_pipeline_and_grid_search(blobs):
    model = KMeans(n_clusters=3, random_state=1, tol=1e-3)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and copy is not model
    pipe = make_pipeline(StandardScaler(), KMeans(n_clusters=4, random_state=0)).fit(blobs)
    assert pipe.predict(blobs).shape == (len(blobs),)
    assert pipe.transform(blobs).shape == (len(blobs), 4)
    search = GridSearchCV(KMeans(random_state=0), {"n_clusters": [2, 4, 6]}, cv=3).fit(blobs)
    assert search.best_params_["n_clusters"] == 6  # score = -inertia favours more clusters
    assert repr(KMeans(n_clusters=3, tol=0.01)) == "KMeans(n_clusters=3, tol=0.01)"


def test_set_params_rejects_unknown_names():
    model = KMeans().set_params(n_clusters=5)
    assert model.n_clusters == 5
    with pytest.raises(ValueError, match="Invalid parameter 'k' for estimator KMeans"):
        model.set_params(k=3)


def test_verbose_prints_each_iteration(blobs, capfd):
    model = KMeans(n_clusters=3, n_init=1, random_state=0, verbose=1).fit(blobs)
    jax.effects_barrier()
    out = capfd.readouterr().out
    assert "Initialization complete" in out
    lines = [line for line in out.splitlines() if line.startswith("Iteration ")]
    assert len(lines) == model.n_iter_
    inertias = [float(line.split("inertia ")[1].rstrip(".")) for line in lines]
    assert all(b <= a * (1 + 1e-6) for a, b in itertools.pairwise(inertias))
    assert out.count("Converged at iteration") == 1


def test_verbose_restarts_side_by_side_print_whole_lines_until_each_stops(blobs, capfd):
    # Ten restarts step together until the last one stops; a restart that stopped prints
    # nothing more, and lines printed from several threads never run into each other.
    model = KMeans(n_clusters=3, n_init=10, random_state=0, verbose=1).fit(blobs)
    jax.effects_barrier()
    lines = capfd.readouterr().out.splitlines()
    assert sum(line.startswith("Converged at iteration") for line in lines) == 10
    assert all(
        line == "Initialization complete"
        or (line.startswith(("Iteration ", "Converged at iteration ")) and line.endswith("."))
        for line in lines
    ), lines
    iterations = [line for line in lines if line.startswith("Iteration ")]
    assert model.n_iter_ <= len(iterations) < 10 * 300


def test_dataframe_feature_names(iris):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(iris, columns=["a", "b", "c", "d"])
    model = KMeans(3, random_state=0).fit(frame)
    assert model.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    assert model.n_features_in_ == 4
    model.fit(iris)
    assert not hasattr(model, "feature_names_in_")


def test_unfitted_and_wrong_width_errors(blobs):
    from sklearn.exceptions import NotFittedError as SkNotFitted

    with pytest.raises(NotFittedError, match="not fitted yet"):
        KMeans().predict(blobs)
    with pytest.raises(SkNotFitted):
        KMeans().transform(blobs)
    model = KMeans(3, random_state=0).fit(blobs)
    with pytest.raises(ValueError, match="X has 2 features, but KMeans is expecting 3"):
        model.predict(blobs[:, :2])
    with pytest.raises(ValueError, match=r"n_clusters \(=700\) must be <= n_samples \(=600\)"):
        KMeans(700).fit(blobs)
    with pytest.raises(ValueError, match="random_state must be None, an int"):
        KMeans(3, random_state="x").fit(blobs)


def test_pickle_roundtrip(blobs):
    model = KMeans(3, random_state=0).fit(blobs)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(blobs), model.predict(blobs))
    np.testing.assert_array_equal(again.cluster_centers_, model.cluster_centers_)


def test_a_failed_refit_leaves_the_model_as_it_was(blobs):
    model = KMeans(3, random_state=0).fit(blobs)
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(model).items()}
    bad = blobs[:, :1].copy()
    bad[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(bad)
    with pytest.raises(ValueError, match="n_clusters"):
        model.set_params(n_clusters=10**6).fit(blobs[:, :1])
    model.set_params(n_clusters=3)
    assert model.n_features_in_ == blobs.shape[1]
    for name, value in before.items():
        np.testing.assert_array_equal(np.asarray(getattr(model, name)), np.asarray(value))
    with pytest.raises(ValueError, match="X has 1 features, but KMeans is expecting 3"):
        model.predict(blobs[:, :1])


def test_predict_checks_dataframe_columns_as_scikit_learn_does(iris):
    import pandas as pd

    names = ["a", "b", "c", "d"]
    frame = pd.DataFrame(iris, columns=names)
    model = KMeans(3, random_state=0).fit(frame)
    np.testing.assert_array_equal(model.predict(frame), model.labels_)
    with pytest.raises(ValueError, match="must be in the same order as they were in fit"):
        model.predict(frame[["b", "a", "c", "d"]])
    with pytest.raises(ValueError, match=r"(?s)unseen at fit time:\n- z.*now missing:\n- a"):
        model.predict(frame.rename(columns={"a": "z"}))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        model.predict(iris)
    plain = KMeans(3, random_state=0).fit(iris)
    with pytest.warns(UserWarning, match="X has feature names, but KMeans was fitted without"):
        plain.predict(frame)


def test_global_transform_output_config_as_scikit_learn(iris):
    import pandas as pd
    import sklearn
    from sklearn.cluster import KMeans as SKKMeans

    ours, theirs = KMeans(3, random_state=0), SKKMeans(3, n_init=1, random_state=0)
    frame = pd.DataFrame(iris, columns=["a", "b", "c", "d"], index=np.arange(150) + 1000)
    for X in (iris, frame):
        with sklearn.config_context(transform_output="pandas"):
            got, want = ours.fit_transform(X), theirs.fit_transform(X)
            assert isinstance(got, pd.DataFrame) and isinstance(want, pd.DataFrame)
            assert list(got.columns) == list(want.columns) == ["kmeans0", "kmeans1", "kmeans2"]
            assert got.index.equals(want.index)
            assert isinstance(ours.transform(X), pd.DataFrame)
        assert isinstance(ours.transform(X), np.ndarray)  # back to the default
    sklearn.set_config(transform_output="pandas")
    try:
        assert isinstance(ours.transform(frame), pd.DataFrame)
        assert isinstance(theirs.transform(frame), pd.DataFrame)
        # The estimator's own set_output wins over the global setting, as in scikit-learn.
        assert isinstance(ours.set_output(transform="default").transform(frame), np.ndarray)
        assert isinstance(theirs.set_output(transform="default").transform(frame), np.ndarray)
    finally:
        sklearn.set_config(transform_output="default")


@pytest.mark.parametrize("estimator", [KMeans, MiniBatchKMeans])
def test_mixed_str_and_int_column_names_are_a_type_error_as_in_scikit_learn(iris, estimator):
    import pandas as pd
    from sklearn.cluster import KMeans as SKKMeans

    frame = pd.DataFrame(iris, columns=["a", 1, "c", "d"])
    match = "Feature names are only supported if all input features have string names"
    with pytest.raises(TypeError, match=match):
        SKKMeans(3, n_init=1).fit(frame)
    with pytest.raises(TypeError, match=match) as ours:
        estimator(3, random_state=0).fit(frame)
    assert "['int', 'str']" in str(ours.value)
    # Names of one type that is not str: no names, as in scikit-learn.
    numbered = pd.DataFrame(iris)
    assert not hasattr(estimator(3, random_state=0).fit(numbered), "feature_names_in_")
    assert not hasattr(SKKMeans(3, n_init=1).fit(numbered), "feature_names_in_")
