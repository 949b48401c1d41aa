"""The tutorial's scikit-learn part, with jaxmeans: KMeans on iris.

    python examples/iris.py [OUT_DIR]

Fits ``KMeans(n_clusters=3)`` on the shuffled iris data, matches cluster numbers to
species with the Hungarian method (instead of the tutorial's hand-made ``np.choose``),
prints the confusion matrix and the centres, and saves the confusion matrix and the 3-D
views (default folder ``iris-output``).
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from jaxmeans import KMeans, plot
from jaxmeans.datasets import load_iris
from jaxmeans.metrics import confusion_matrix, match_labels


def main(out_dir: str = "iris-output") -> None:
    os.makedirs(out_dir, exist_ok=True)
    iris = load_iris()
    order = np.random.default_rng(42).permutation(len(iris.target))
    X, y = iris.data[order], iris.target[order]

    # n_init=10 was scikit-learn's default when the tutorial was written.
    model = KMeans(n_clusters=3, n_init=10, random_state=42).fit(X)
    print("labels:", model.labels_[:20], "...")

    matched = match_labels(y, model.labels_)
    cm = confusion_matrix(y, matched)
    print("confusion matrix (rows: species, columns: clusters):")
    print(cm)
    print(f"{np.trace(cm)} of {len(y)} flowers are in their species' cluster")
    print("cluster centres:")
    print(model.cluster_centers_)

    ax = plot.confusion_matrix(cm, labels=iris.target_names)
    ax.figure.savefig(os.path.join(out_dir, "confusion.png"), bbox_inches="tight")
    fig = plt.figure(figsize=(16, 7))
    plot.clusters_3d(
        X,
        matched,
        ax=fig.add_subplot(1, 2, 1, projection="3d"),
        feature_names=iris.feature_names,
        title="K-Means Clusters for the Iris Dataset",
    )
    plot.clusters_3d(
        X,
        y,
        ax=fig.add_subplot(1, 2, 2, projection="3d"),
        feature_names=iris.feature_names,
        class_names=iris.target_names,
        title="Actual Labels for the Iris Dataset",
    )
    fig.savefig(os.path.join(out_dir, "iris_3d.png"), bbox_inches="tight")
    print(f"saved {out_dir}/confusion.png and {out_dir}/iris_3d.png")


if __name__ == "__main__":
    main(*sys.argv[1:])
