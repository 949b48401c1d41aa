"""Plots, checked through the artists they create (Agg backend, set in conftest)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

import jaxmeans
from jaxmeans import plot


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_clusters_draws_points_and_coloured_squares():
    blobs = jaxmeans.datasets.load_blobs()
    fit = jaxmeans.kmeans(blobs.data, 3)
    ax = plot.clusters(blobs.data, fit.labels, fit.centroids, title="k = 3")
    ax.figure.canvas.draw()  # colours are mapped at draw time
    points, squares = ax.collections
    np.testing.assert_allclose(points.get_offsets(), blobs.data)
    np.testing.assert_allclose(squares.get_offsets(), np.asarray(fit.centroids), rtol=1e-6)
    assert len(set(map(tuple, points.get_facecolors()[:, :3].round(3)))) == 3
    # each centroid has the colour of its cluster's points
    label0 = int(fit.labels[0])
    np.testing.assert_allclose(
        squares.get_facecolors()[label0][:3], points.get_facecolors()[0][:3], atol=0.01
    )
    np.testing.assert_allclose(
        points.get_facecolors()[0][:3], to_rgba(plot.TUTORIAL_COLOURS[label0])[:3], atol=0.01
    )
    assert ax.get_xlabel() == "x" and ax.get_title() == "k = 3"


def test_clusters_without_labels_and_on_given_axes():
    _, ax = plt.subplots()
    out = plot.clusters(np.zeros((5, 2)), ax=ax)
    assert out is ax and len(ax.collections) == 1


def test_elbow_marks_the_knee():
    blobs = jaxmeans.datasets.load_blobs()
    curve = jaxmeans.elbow(blobs.data, range(1, 7), scores=True)
    ax = plot.elbow(curve)
    line = ax.lines[0]
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 7))
    np.testing.assert_allclose(line.get_ydata(), np.asarray(curve.inertia))
    knee_line = ax.lines[1]
    assert list(knee_line.get_xdata()) == [curve.knee, curve.knee]
    marker = ax.collections[0]
    assert marker.get_offsets()[0][0] == curve.knee
    assert any(f"k = {curve.knee}" in t.get_text() for t in ax.get_legend().get_texts())
    assert len(ax.figure.axes) == 2  # the silhouette's twin axis


def test_elbow_without_knee_draws_no_marker():
    curve = jaxmeans.elbow(np.arange(8.0)[:, None], [1, 2])
    ax = plot.elbow(curve)
    assert int(curve.knee) == 0 and len(ax.lines) == 1 and not ax.collections


def test_confusion_matrix_writes_every_count():
    cm = np.array([[50, 0, 0], [0, 48, 2], [0, 14, 36]])
    ax = plot.confusion_matrix(cm, labels=["a", "b", "c"])
    texts = sorted((t.get_position(), t.get_text()) for t in ax.texts)
    assert [t for _, t in texts] == [str(v) for v in cm.T.ravel()]
    assert ax.get_xlabel() == "Predictions" and ax.get_ylabel() == "Actuals"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    np.testing.assert_array_equal(ax.images[0].get_array(), cm)


def test_clusters_3d_uses_the_chosen_columns():
    iris = jaxmeans.datasets.load_iris()
    ax = plot.clusters_3d(
        iris.data, iris.target, feature_names=iris.feature_names, class_names=iris.target_names
    )
    assert ax.name == "3d"
    xs, ys, zs = ax.collections[0]._offsets3d
    np.testing.assert_allclose(xs, iris.data[:, 3])
    np.testing.assert_allclose(ys, iris.data[:, 0])
    np.testing.assert_allclose(zs, iris.data[:, 2])
    assert ax.get_xlabel() == "petal width (cm)"
    assert sorted(t.get_text() for t in ax.texts) == ["setosa", "versicolor", "virginica"]
