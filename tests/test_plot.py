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
    twin = next(a for a in ax.figure.axes if a is not ax)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["inertia", f"knee: k = {curve.knee}", "silhouette (right axis)"]
    # The inertia curve is drawn above the silhouette's, not under it.
    assert ax.get_zorder() > twin.get_zorder() and not ax.patch.get_visible()


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
    named = plot.confusion_matrix(cm, xlabel="cluster, matched to a class", ylabel="class")
    assert named.get_xlabel() == "cluster, matched to a class"


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot.confusion_matrix(np.array([[50, 0], [3, 47]]), labels=["long name", "b"]),
        lambda: plot.elbow(jaxmeans.elbow(jaxmeans.datasets.load_blobs().data, [1, 2, 3, 4])),
        lambda: plot.clusters(jaxmeans.datasets.load_blobs().data, feature_names=["x", "y"]),
    ],
)
def test_labels_stay_inside_the_figure_saved_without_tight_bbox(draw, tmp_path):
    ax = draw()
    fig = ax.figure
    fig.savefig(tmp_path / "plain.png")  # no bbox_inches="tight"
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    for text in [ax.xaxis.label, ax.yaxis.label, ax.title]:
        if text.get_text():
            box = text.get_window_extent(renderer)
            assert box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1, text.get_text()
            assert box.y0 >= page.y0 - 1 and box.y1 <= page.y1 + 1, text.get_text()


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


@pytest.mark.slow
def test_demo_names_the_species_on_both_3d_panels_and_says_clusters_were_matched(tmp_path):
    import matplotlib.image

    from jaxmeans import demo

    figures = []
    from jaxmeans._io import files  # run() imports save_figure from it when called

    original = files.save_figure

    def keep(fig, path, option="output"):
        figures.append(
            (
                path,
                [
                    (a.get_title(), a.get_xlabel(), [t.get_text() for t in a.texts])
                    for a in fig.axes
                ],
            )
        )
        original(fig, path, option)

    files.save_figure = keep
    try:
        demo.run(str(tmp_path), log=lambda *_: None)
    finally:
        files.save_figure = original
    by_name = {path.rsplit("/", 1)[-1]: axes for path, axes in figures}
    panels = by_name["iris_3d.png"]
    assert len(panels) == 2
    for _, _, texts in panels:
        assert sorted(texts) == ["setosa", "versicolor", "virginica"]
    ((_, xlabel, _),) = by_name["iris_confusion.png"]
    assert "matched" in xlabel
    assert matplotlib.image.imread(tmp_path / "iris_3d.png").shape[2] in (3, 4)


def test_choose_k_draws_a_panel_per_criterion_with_its_k_marked_and_the_votes():
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(200, centers=3, cluster_std=0.6, center_box=(-15, 15), random_state=0)
    result = jaxmeans.choose_k(X, range(1, 6), key=0, n_init=2, n_refs=2, n_boot=2)
    fig = plot.choose_k(result)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "Inertia (knee): k = 3",
        "Silhouette (max): k = 3",
        "Calinski-Harabasz (max): k = 3",
        "Davies-Bouldin (min): k = 3",
        "Gap (one-SE rule): k = 3",
        "Stability (most stable): k = 3",
        "Votes: k = 3",
    ]
    for ax in fig.axes[:-1]:
        marked = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert [list(line.get_xdata()) for line in marked] == [[3, 3]], ax.get_title()
        (circle,) = ax.collections[-1:]
        assert circle.get_offsets()[0][0] == 3
    bars = fig.axes[-1].patches
    assert [bar.get_height() for bar in bars] == [0, 0, 6, 0, 0]
    assert [bar.get_facecolor() for bar in bars].count(to_rgba("crimson")) == 1
    assert fig.get_suptitle() == "Choosing k"
    plt.close(fig)


def test_choose_k_draws_only_the_criteria_computed():
    X = np.random.default_rng(0).normal(size=(100, 2))
    result = jaxmeans.choose_k(X, range(1, 5), key=0, criteria=("silhouette",))
    fig = plot.choose_k(result, title=None)
    assert len(fig.axes) == 2 and fig.axes[0].get_title().startswith("Silhouette (max): k = ")
    plt.close(fig)
    with pytest.raises(TypeError, match="ChooseKResult"):
        plot.choose_k(jaxmeans.elbow(X, range(1, 4)))
