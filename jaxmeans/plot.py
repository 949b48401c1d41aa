"""Plots of clusterings, elbow curves and confusion matrices (matplotlib, imported lazily).

Every function draws on ``ax`` (a new figure's axes when None) and returns the Axes, but
:func:`choose_k`, which draws a figure of its own panels and returns the Figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._runtime import validation as v

__all__ = ["choose_k", "clusters", "clusters_3d", "confusion_matrix", "elbow", "gap"]

# The tutorial's three colours first, then matplotlib's tab10.
TUTORIAL_COLOURS = ["crimson", "mediumblue", "darkmagenta"]


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _colours(n: int):
    from matplotlib.colors import ListedColormap

    if n <= len(TUTORIAL_COLOURS):
        return ListedColormap(TUTORIAL_COLOURS[: max(n, 1)])
    return ListedColormap(_pyplot().get_cmap("tab10" if n <= 10 else "tab20").colors[:n])


def _axes(ax, projection=None, figsize=(8, 6)):
    if ax is not None:
        return ax
    # A constrained layout keeps every label inside the figure however it is saved.
    fig = _pyplot().figure(figsize=figsize, layout="constrained")
    return fig.add_subplot(1, 1, 1, projection=projection)


def _points(X, name: str, columns: int) -> np.ndarray:
    """``X`` as a finite ``[n, >= columns]`` NumPy array, or a ValueError/TypeError."""
    X = np.asarray(v.check_data(X, name))
    if X.shape[1] < columns:
        raise ValueError(f"{name} must have at least {columns} columns to plot, got {X.shape[1]}")
    return X


def _labels(labels, n: int, name: str = "labels") -> np.ndarray:
    """``labels`` as ``[n]`` non-negative integers, or a ValueError/TypeError."""
    arr = np.asarray(labels)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match the points, got {arr.shape}")
    if arr.dtype.kind not in "iub":
        raise TypeError(f"{name} must be integers, got dtype {arr.dtype}")
    if n and arr.min() < 0:
        raise ValueError(f"{name} must be >= 0, got {int(arr.min())}")
    return arr.astype(np.int64)


def _names(names, count: int, name: str) -> None:
    if names is not None and len(names) < count:
        raise ValueError(f"{name} needs at least {count} names, got {len(names)}")


def clusters(
    X,
    labels=None,
    centroids=None,
    ax=None,
    *,
    feature_names: Sequence[str] = ("x", "y"),
    title: str | None = None,
):
    """Scatter the first two columns of ``X`` coloured by ``labels``, centroids as squares.

    Args:
      X: ``[n, >=2]`` points.
      labels: ``[n]`` integer labels, or None for one colour.
      centroids: ``[k, >=2]`` centres to mark, coloured like their cluster.
      ax: Axes to draw on.
      feature_names: axis labels.
      title: optional title.

    Returns:
      The Axes.

    Example:
      >>> import jaxmeans
      >>> from jaxmeans import plot
      >>> X = jaxmeans.datasets.load_blobs().data
      >>> fit = jaxmeans.KMeans(3, random_state=0).fit(X)
      >>> ax = plot.clusters(X, fit.labels_, fit.cluster_centers_, title="k = 3")
      >>> ax.get_title(), len(ax.collections)  # points, then centroids
      ('k = 3', 2)
    """
    X = _points(X, "X", 2)
    labels = None if labels is None else _labels(labels, len(X))
    if centroids is not None:
        centroids = _points(centroids, "centroids", 2)
    _names(feature_names, 2, "feature_names")
    ax = _axes(ax)
    k = int(np.max(labels)) + 1 if labels is not None else 1
    if centroids is not None:
        k = max(k, len(centroids))
    cmap = _colours(k)
    style = {"s": 60, "alpha": 0.6, "edgecolors": "none", "label": "points"}
    if labels is None:
        ax.scatter(X[:, 0], X[:, 1], color=TUTORIAL_COLOURS[1], **style)
    else:
        ax.scatter(
            X[:, 0], X[:, 1], c=np.asarray(labels), cmap=cmap, vmin=0, vmax=max(k - 1, 1), **style
        )
    if centroids is not None:
        C = np.asarray(centroids)
        ax.scatter(
            C[:, 0],
            C[:, 1],
            c=np.arange(len(C)),
            cmap=cmap,
            vmin=0,
            vmax=max(k - 1, 1),
            marker="s",
            s=220,
            edgecolors="black",
            linewidths=1.5,
            label="centroids",
        )
    ax.set_xlabel(feature_names[0], fontsize=14)
    ax.set_ylabel(feature_names[1], fontsize=14)
    if title:
        ax.set_title(title, fontsize=14)
    return ax


def elbow(result, ax=None, *, title: str | None = "Elbow curve"):
    """Inertia against k from :func:`jaxmeans.elbow`, the knee marked.

    Args:
      result: an :class:`jaxmeans.ElbowResult`. With ``result.silhouette`` present it is
        drawn on a second y axis (right), under the inertia curve, and named in the legend.
      ax: Axes to draw on (default: a new figure whose layout keeps the labels inside).
      title: optional title.

    Returns:
      The Axes with the inertia curve.

    Example:
      >>> import jaxmeans
      >>> from jaxmeans import plot
      >>> X = jaxmeans.datasets.load_blobs().data
      >>> ax = plot.elbow(jaxmeans.elbow(X, range(1, 11), key=0, scores=True))
      >>> [text.get_text() for text in ax.get_legend().get_texts()]
      ['inertia', 'knee: k = 3', 'silhouette (right axis)']
    """
    ks = np.asarray(getattr(result, "ks", None))
    inertia = np.asarray(getattr(result, "inertia", None))
    if ks.ndim != 1 or inertia.shape != ks.shape or ks.size == 0:
        raise TypeError("result must be a jaxmeans.ElbowResult (ks and inertia of one length)")
    ax = _axes(ax)
    ax.plot(ks, inertia, marker="o", linewidth=3, color="mediumblue", label="inertia")
    knee = int(result.knee)
    if knee:
        y = inertia[list(ks).index(knee)]
        ax.axvline(knee, color="crimson", linestyle="--", linewidth=1.5)
        ax.scatter(
            [knee],
            [y],
            s=250,
            facecolors="none",
            edgecolors="crimson",
            linewidths=2,
            zorder=3,
            label=f"knee: k = {knee}",
        )
    ax.set_xlabel("Number of clusters k", fontsize=14)
    ax.set_ylabel("Total error (inertia)", fontsize=14)
    ax.set_xticks(ks)
    handles, names = ax.get_legend_handles_labels()
    if getattr(result, "silhouette", None) is not None:
        twin = ax.twinx()
        (line,) = twin.plot(
            ks,
            np.asarray(result.silhouette),
            marker="s",
            markersize=5,
            color="darkmagenta",
            linestyle=":",
            linewidth=1.5,
            label="silhouette (right axis)",
        )
        twin.set_ylabel("Silhouette", fontsize=14, color="darkmagenta")
        twin.tick_params(axis="y", colors="darkmagenta")
        # The inertia curve is the subject: draw its axes above the silhouette's.
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
        handles, names = [*handles, line], [*names, line.get_label()]
    ax.legend(handles, names, loc="upper right", framealpha=0.95)
    if title:
        ax.set_title(title, fontsize=14)
    return ax


def gap(result, ax=None, *, title: str | None = "Gap statistic"):
    """The gap statistic against k from :func:`jaxmeans.gap_statistic`, with its error bars
    (``gap_se``) and the chosen k marked.

    Args:
      result: a :class:`jaxmeans.GapResult`.
      ax: Axes to draw on (default: a new figure whose layout keeps the labels inside).
      title: optional title.

    Returns:
      The Axes.

    Example:
      >>> import jaxmeans
      >>> from jaxmeans import plot
      >>> X = jaxmeans.datasets.load_blobs().data
      >>> ax = plot.gap(jaxmeans.gap_statistic(X, range(1, 8), n_refs=5, key=0))
      >>> [text.get_text() for text in ax.get_legend().get_texts()]
      ['gap +- one standard error', 'chosen: k = 3']
    """
    ks = np.asarray(getattr(result, "ks", None))
    values = np.asarray(getattr(result, "gap", None))
    se = np.asarray(getattr(result, "gap_se", None))
    if ks.ndim != 1 or values.shape != ks.shape or se.shape != ks.shape or ks.size == 0:
        raise TypeError("result must be a jaxmeans.GapResult (ks, gap and gap_se of one length)")
    ax = _axes(ax)
    bars = ax.errorbar(
        ks, values, yerr=se, marker="o", linewidth=2, capsize=4, color="mediumblue",
        label="gap +- one standard error",
    )  # fmt: skip
    best = int(result.k_best)
    ax.axvline(best, color="crimson", linestyle="--", linewidth=1.5)
    chosen = ax.scatter(
        [best], [values[list(ks).index(best)]], s=250, facecolors="none", edgecolors="crimson",
        linewidths=2, zorder=3, label=f"chosen: k = {best}",
    )  # fmt: skip
    ax.set_xlabel("Number of clusters k", fontsize=14)
    ax.set_ylabel("Gap (reference minus data, log inertia)", fontsize=12)
    ax.set_xticks(ks)
    ax.legend([bars, chosen], [bars.get_label(), chosen.get_label()], loc="lower right")
    if title:
        ax.set_title(title, fontsize=14)
    return ax


# The panels of choose_k: criterion -> (its pick's field, what the pick is, y label).
_CRITERIA = {
    "inertia": ("k_elbow", "knee", "Inertia"),
    "silhouette": ("k_silhouette", "max", "Silhouette"),
    "calinski_harabasz": ("k_calinski_harabasz", "max", "Calinski-Harabasz"),
    "davies_bouldin": ("k_davies_bouldin", "min", "Davies-Bouldin"),
    "gap": ("k_gap", "one-SE rule", "Gap"),
    "stability": ("k_stability", "most stable", "Stability"),
}


def choose_k(result, *, title: str | None = "Choosing k"):
    """Every criterion of :func:`jaxmeans.choose_k` against k, a panel each with its chosen
    k marked (a dashed line and a circle), and a last panel of the votes (the winner in
    crimson). The stability panel draws the level below which stability counts as low (a
    dotted line). Criteria that were not computed (all NaN) get no panel; the gap and stability
    carry their error bars (``gap_se``, ``stability_sd``).

    Args:
      result: a :class:`jaxmeans.ChooseKResult`.
      title: optional title of the figure.

    Returns:
      The matplotlib Figure.

    Example:
      >>> import jaxmeans
      >>> from jaxmeans import plot
      >>> X = jaxmeans.datasets.load_blobs().data
      >>> result = jaxmeans.choose_k(X, range(1, 7), key=0, criteria=("inertia", "gap"),
      ...                            n_refs=3)
      >>> [ax.get_title() for ax in plot.choose_k(result).axes]
      ['Inertia (knee): k = 3', 'Gap (one-SE rule): k = 3', 'Votes: k = 3']
    """
    ks = np.asarray(getattr(result, "ks", None))
    if ks.ndim != 1 or ks.size == 0 or not hasattr(result, "votes"):
        raise TypeError("result must be a jaxmeans.ChooseKResult")
    shown = [c for c in _CRITERIA if np.isfinite(np.asarray(getattr(result, c), float)).any()]
    panels = len(shown) + 1
    columns = min(panels, 3)
    rows = -(-panels // columns)
    fig, axes = _pyplot().subplots(
        rows, columns, figsize=(5 * columns, 4 * rows), layout="constrained", squeeze=False
    )
    axes = axes.ravel()
    for ax in axes[panels:]:
        fig.delaxes(ax)
    for ax, name in zip(axes, shown, strict=False):
        field, rule, label = _CRITERIA[name]
        values = np.asarray(getattr(result, name), float)
        spread = {"gap": "gap_se", "stability": "stability_sd"}.get(name)
        if spread:
            ax.errorbar(
                ks, values, yerr=np.asarray(getattr(result, spread), float), marker="o",
                linewidth=2, capsize=3, color="mediumblue",
            )  # fmt: skip
        else:
            ax.plot(ks, values, marker="o", linewidth=2, color="mediumblue")
        if name == "stability":  # below it at every k: no cluster structure
            from ._api.choose import LOW_STABILITY

            ax.axhline(LOW_STABILITY, color="grey", linestyle=":", linewidth=1)
        k = int(getattr(result, field))
        _mark(ax, ks, values, k)
        ax.set_title(f"{label} ({rule}): " + (f"k = {k}" if k else "no pick"), fontsize=12)
        ax.set_ylabel("Stability (mean ARI)" if name == "stability" else label)
    votes = np.asarray(result.votes)
    best = int(result.k_best)
    ax = axes[len(shown)]
    ax.bar(ks, votes, color=["crimson" if k == best else "mediumblue" for k in ks])
    ax.set_title("Votes: " + (f"k = {best}" if best else "none"), fontsize=12)
    ax.set_ylabel("Criteria choosing k")
    ax.set_yticks(range(int(votes.max(initial=0)) + 1))
    for ax in axes[:panels]:
        ax.set_xlabel("Number of clusters k")
        ax.set_xticks(ks)
    if title:
        fig.suptitle(title, fontsize=14)
    return fig


def _mark(ax, ks: np.ndarray, values: np.ndarray, k: int) -> None:
    """The chosen ``k`` on ``ax``: a dashed vertical line and a circle on its value."""
    if not k:
        return
    ax.axvline(k, color="crimson", linestyle="--", linewidth=1.5)
    ax.scatter(
        [k], [values[list(ks).index(k)]], s=200, facecolors="none", edgecolors="crimson",
        linewidths=2, zorder=3,
    )  # fmt: skip


def confusion_matrix(
    cm,
    ax=None,
    *,
    labels: Sequence[str] | None = None,
    title: str | None = "Confusion Matrix",
    xlabel: str = "Predictions",
    ylabel: str = "Actuals",
):
    """Draw a confusion matrix with the count in each cell.

    Args:
      cm: ``[c, c]`` counts (rows true, columns predicted), e.g. from
        :func:`jaxmeans.metrics.confusion_matrix`.
      ax: Axes to draw on (default: a new figure whose layout keeps the labels inside).
      labels: class names for the ticks.
      title: optional title.
      xlabel, ylabel: axis labels; say there how clusters became classes (for example
        "cluster, matched to species") when ``cm`` compares clusters with classes.

    Returns:
      The Axes.

    Example:
      >>> import numpy as np
      >>> from jaxmeans import metrics, plot
      >>> truth, clusters = np.array([0, 0, 1, 1, 2]), np.array([2, 2, 0, 0, 1])
      >>> cm = metrics.confusion_matrix(truth, metrics.match_labels(truth, clusters))
      >>> ax = plot.confusion_matrix(cm, xlabel="cluster, matched to a class")
      >>> cm.tolist(), ax.get_xlabel()
      ([[2, 0, 0], [0, 2, 0], [0, 0, 1]], 'cluster, matched to a class')
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.size == 0:
        raise ValueError(f"cm must be a square [c, c] matrix of counts, got shape {cm.shape}")
    if cm.dtype.kind not in "iu" or (cm < 0).any():
        raise ValueError("cm must hold non-negative integer counts")
    _names(labels, cm.shape[0], "labels")
    ax = _axes(ax, figsize=(7.5, 7.5))
    ax.matshow(cm, cmap="Blues", alpha=0.3)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, str(cm[i, j]), va="center", ha="center", size="xx-large")
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels)
        ax.set_yticks(range(len(labels)), labels)
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(xlabel, fontsize=16)
    ax.set_ylabel(ylabel, fontsize=16)
    if title:
        ax.set_title(title, fontsize=18)
    return ax


def clusters_3d(
    X,
    labels,
    dims: Sequence[int] = (3, 0, 2),
    ax=None,
    *,
    feature_names: Sequence[str] | None = None,
    title: str | None = None,
    class_names: Sequence[str] | None = None,
):
    """3-D scatter of three columns of ``X`` coloured by ``labels``.

    Args:
      X: ``[n, >=3]`` points.
      labels: ``[n]`` integer labels (clusters or classes).
      dims: the three columns to draw. The default (3, 0, 2) is the tutorial's iris view:
        petal width, sepal length, petal length.
      ax: a 3-D Axes to draw on (default: a new figure).
      feature_names: names of all the columns of ``X``, for the axis labels.
      title: optional title.
      class_names: a name per label, written at the mean of its points (for clusters,
        the names of the classes they were matched to).

    Returns:
      The 3-D Axes.

    Example:
      >>> from jaxmeans import plot
      >>> from jaxmeans.datasets import load_iris
      >>> iris = load_iris()
      >>> ax = plot.clusters_3d(iris.data, iris.target, feature_names=iris.feature_names,
      ...                       class_names=iris.target_names)
      >>> sorted(text.get_text() for text in ax.texts)
      ['setosa', 'versicolor', 'virginica']
    """
    X = _points(X, "X", 3)
    labels = _labels(labels, len(X))
    dims = tuple(dims)
    if len(dims) != 3 or len(set(dims)) != 3 or not all(0 <= i < X.shape[1] for i in dims):
        raise ValueError(f"dims must be 3 distinct column indices of X, got {dims}")
    if feature_names is not None:
        _names(feature_names, X.shape[1], "feature_names")
    ax = _axes(ax, projection="3d", figsize=(10, 8))
    a, b, c = dims
    k = int(labels.max()) + 1
    ax.scatter(
        X[:, a],
        X[:, b],
        X[:, c],
        c=labels,
        cmap=_colours(k),
        vmin=0,
        vmax=max(k - 1, 1),
        edgecolor="k",
        s=80,
    )
    if class_names is not None:
        for j, name in enumerate(class_names):
            members = labels == j
            if members.any():
                ax.text(
                    X[members, a].mean(),
                    X[members, b].mean(),
                    X[members, c].mean() + 2,
                    name,
                    horizontalalignment="center",
                    bbox={"alpha": 0.2, "edgecolor": "w", "facecolor": "w"},
                )
    ax.view_init(20, -50)
    ax.set_box_aspect(None, zoom=1.1)  # the 3-D box fills its panel
    if feature_names is not None:
        ax.set_xlabel(feature_names[a], fontsize=12)
        ax.set_ylabel(feature_names[b], fontsize=12)
        ax.set_zlabel(feature_names[c], fontsize=12)
    if title:
        ax.set_title(title, fontsize=12, y=0.96)
    return ax


def _plane(X, C, columns, shown):
    """The two coordinates to draw: the named columns, the only two, or the first two
    principal components (of the data, centres projected alike)."""
    if shown is not None:
        return X[:, shown], C[:, shown], [columns[i] for i in shown], ""
    if X.shape[1] == 2:
        return X, C, columns, ""
    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    share = s**2 / max(float(np.sum(s**2)), np.finfo(np.float64).tiny)
    names = [f"principal component {i + 1} ({share[i]:.0%} of variance)" for i in range(2)]
    how = f" ({X.shape[1]} columns, first two principal components)"
    return (X - mean) @ vt[:2].T, (C - mean) @ vt[:2].T, names, how
