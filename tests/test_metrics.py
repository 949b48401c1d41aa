import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn import metrics as sk

import jaxmeans
from jaxmeans import metrics
from jaxmeans._core.scores import silhouette_layout

SCORES = [
    (metrics.silhouette_score, sk.silhouette_score),
    (metrics.calinski_harabasz_score, sk.calinski_harabasz_score),
    (metrics.davies_bouldin_score, sk.davies_bouldin_score),
]


@pytest.mark.parametrize("ours,theirs", SCORES)
def test_scores_match_scikit_learn_on_iris(iris, ours, theirs):
    labels = np.asarray(jaxmeans.kmeans(iris, 3, n_init=3).labels)
    assert float(ours(iris, labels)) == pytest.approx(theirs(iris, labels), rel=1e-4)


@pytest.mark.parametrize("ours,theirs", SCORES)
def test_scores_match_with_arbitrary_label_values(blobs, ours, theirs):
    labels = np.random.default_rng(0).choice([-3, 7, 11, 40], size=len(blobs))
    assert float(ours(blobs, labels)) == pytest.approx(theirs(blobs, labels), rel=1e-4)


def test_silhouette_in_several_row_blocks():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 4)).astype(np.float32)
    X[:1500] += 3
    labels = (X[:, 0] > 1.5).astype(int) + 2 * (X[:, 1] > 0)
    n_blocks, rows = silhouette_layout(3000)
    assert n_blocks > 1 and rows * 3000 <= 2**20 + 3000  # memory O(rows x n)
    ours = float(metrics.silhouette_score(X, labels))
    assert ours == pytest.approx(sk.silhouette_score(X, labels), rel=1e-4)


def test_singletons_score_zero_like_scikit_learn():
    X = np.array([[0.0], [1.0], [1.2], [5.0]])
    labels = [0, 1, 1, 2]
    assert float(metrics.silhouette_score(X, labels)) == pytest.approx(
        sk.silhouette_score(X, labels), rel=1e-5
    )


@pytest.mark.parametrize("ours,_", SCORES)
def test_scores_under_jit_and_vmap_need_n_clusters(blobs, ours, _):
    labels = np.asarray(jaxmeans.kmeans(blobs, 4).labels)
    eager = float(ours(blobs, labels))
    jitted = jax.jit(lambda lab: ours(blobs, lab, n_clusters=4))(labels)
    assert float(jitted) == pytest.approx(eager, rel=1e-5)
    both = jax.vmap(lambda lab: ours(blobs, lab, n_clusters=4))(jnp.stack([labels, labels]))
    np.testing.assert_allclose(both, [eager, eager], rtol=1e-5)
    with pytest.raises(TypeError, match="n_clusters is required"):
        jax.jit(lambda lab: ours(blobs, lab))(labels)


@pytest.mark.parametrize("ours,_", SCORES)
def test_undefined_scores_raise_or_give_nan(blobs, ours, _):
    with pytest.raises(ValueError, match=r"2 <= number of clusters"):
        ours(blobs, np.zeros(len(blobs), int))
    traced = jax.jit(lambda lab: ours(blobs, lab, n_clusters=3))(jnp.zeros(len(blobs), jnp.int32))
    assert np.isnan(float(traced))


def test_score_input_errors(blobs):
    with pytest.raises(ValueError, match=r"labels must have shape \(600,\)"):
        metrics.silhouette_score(blobs, np.zeros(5, int))
    with pytest.raises(TypeError, match="labels must be integers"):
        metrics.silhouette_score(blobs, np.zeros(600))


def test_confusion_matrix_matches_scikit_learn():
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 4, 200), rng.integers(1, 6, 200)
    np.testing.assert_array_equal(metrics.confusion_matrix(t, p), sk.confusion_matrix(t, p))


def test_match_labels_finds_the_best_renaming():
    iris = jaxmeans.datasets.load_iris()
    labels = np.asarray(jaxmeans.kmeans(iris.data, 3, n_init=5).labels)
    matched = metrics.match_labels(iris.target, labels)
    # the renaming is a bijection and at least as good as every permutation
    assert len(set(zip(labels.tolist(), matched.tolist(), strict=True))) == 3
    import itertools

    best = max(
        (np.asarray(perm)[labels] == iris.target).sum() for perm in itertools.permutations(range(3))
    )
    assert (matched == iris.target).sum() == best
    assert best >= 130


def test_match_labels_with_more_clusters_than_classes():
    matched = metrics.match_labels([0, 0, 1, 1], [5, 5, 7, 9])
    assert matched.tolist()[:2] == [0, 0]
    assert sorted(matched.tolist()[2:]) in ([1, 2], [2, 1]) and matched[2] != matched[3]
    with pytest.raises(ValueError, match="same length"):
        metrics.match_labels([0, 1], [0])
