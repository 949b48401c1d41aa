"""The tutorial end to end on the bundled data: ``jaxmeans demo [--out-dir DIR]``.

Each step of the tutorial, done with jaxmeans, writes one picture:

1. ``blobs.png``: the tutorial's data set, coloured by its true clusters.
2. ``clusters.png``: k-means with k = 3, centroids as squares.
3. ``elbow.png``: inertia and silhouette for k = 1..10, the knee marked.
4. ``iris_confusion.png``: iris species against KMeans clusters after matching labels.
5. ``iris_3d.png``: the tutorial's 3-D view, clusters beside the true species.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

PICTURES = ("blobs.png", "clusters.png", "elbow.png", "iris_confusion.png", "iris_3d.png")


def run(out_dir: str, log: Callable[[str], None] = print) -> dict:
    """Run the demo, write the pictures into ``out_dir`` and return a summary dict."""
    import jax
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import KMeans, elbow, kmeans, plot
    from ._io.files import save_figure
    from .datasets import load_blobs, load_iris
    from .metrics import confusion_matrix, match_labels

    os.makedirs(out_dir, exist_ok=True)
    path = lambda name: os.path.join(out_dir, name)  # noqa: E731
    summary: dict = {}

    log("1. The tutorial's blobs (kmeans_blobs.csv, bundled)")
    blobs = load_blobs()
    ax = plot.clusters(blobs.data, blobs.target, title="kmeans_blobs.csv: the true clusters")
    save_figure(ax.figure, path("blobs.png"))

    log("2. k-means with k = 3: k-means++ seeding, Lloyd iterations in one jitted loop")
    fit = kmeans(blobs.data, 3, key=jax.random.key(0), n_init=10)
    centroids = np.asarray(fit.centroids)
    log(f"   inertia {float(fit.inertia):.2f} after {int(fit.n_iter)} iterations")
    for row in centroids:
        log(f"   centroid x={row[0]:8.3f}  y={row[1]:8.3f}")
    ax = plot.clusters(
        blobs.data, np.asarray(fit.labels), centroids, title="k-means, k = 3 (centroids as squares)"
    )
    save_figure(ax.figure, path("clusters.png"))
    summary["blobs_inertia"] = float(fit.inertia)

    log("3. The elbow curve, k = 1..10 in one vmapped call")
    curve = elbow(blobs.data, range(1, 11), key=jax.random.key(0), n_init=3, scores=True)
    for k, inertia, score in zip(curve.ks, curve.inertia, curve.silhouette, strict=True):
        shown = "" if np.isnan(float(score)) else f"silhouette {float(score):.3f}"
        log(f"   k={int(k):2d}  inertia {float(inertia):12.2f}  {shown}")
    knee = int(curve.knee) or None
    log(f"   knee of the curve: k = {knee}")
    save_figure(plot.elbow(curve).figure, path("elbow.png"))
    summary["knee"] = knee

    log("4. KMeans on iris, clusters matched to species (Hungarian method)")
    iris = load_iris()
    order = np.random.default_rng(42).permutation(len(iris.target))
    X, y = iris.data[order], iris.target[order]
    model = KMeans(n_clusters=3, random_state=42).fit(X)
    matched = match_labels(y, model.labels_)
    cm = confusion_matrix(y, matched)
    accuracy = float(np.trace(cm) / cm.sum())
    log(f"   {np.trace(cm)} of {cm.sum()} flowers in the cluster of their species ({accuracy:.1%})")
    log("   cluster centres:")
    for row in model.cluster_centers_[np.argsort(model.cluster_centers_[:, 0])]:
        log("   " + "  ".join(f"{v:.4f}" for v in row))
    ax = plot.confusion_matrix(
        cm,
        labels=iris.target_names,
        xlabel="cluster, matched to a species (Hungarian method)",
        ylabel="true species",
    )
    save_figure(ax.figure, path("iris_confusion.png"))
    summary["iris_accuracy"] = accuracy

    log("5. 3-D view: clusters beside the true species")
    fig = plt.figure(figsize=(14, 6), layout="constrained")
    fig.get_layout_engine().set(w_pad=0, h_pad=0, wspace=0)
    left = fig.add_subplot(1, 2, 1, projection="3d")
    right = fig.add_subplot(1, 2, 2, projection="3d")
    plot.clusters_3d(
        X,
        matched,
        ax=left,
        feature_names=iris.feature_names,
        class_names=iris.target_names,
        title="K-Means clusters, named by their matched species",
    )
    plot.clusters_3d(
        X,
        y,
        ax=right,
        feature_names=iris.feature_names,
        class_names=iris.target_names,
        title="Actual species",
    )
    save_figure(fig, path("iris_3d.png"))

    log(f"wrote {', '.join(PICTURES)} to {out_dir}")
    summary["pictures"] = [path(name) for name in PICTURES]
    return summary
