"""The tutorial's k-means from scratch, step by step, with jaxmeans.

    python examples/tutorial.py [OUT_DIR]

Each step prints what the tutorial printed and saves the tutorial's picture (default folder
``tutorial-output``). Where the tutorial looped over points and centroids in Python, each
step here is one jitted array operation.
"""

import os
import sys

import jax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import jaxmeans
from jaxmeans import plot
from jaxmeans.datasets import load_blobs


def save(ax, out_dir, name):
    path = os.path.join(out_dir, name)
    ax.figure.savefig(path, bbox_inches="tight")
    plt.close(ax.figure)
    print(f"   saved {path}")


def main(out_dir: str = "tutorial-output") -> None:
    os.makedirs(out_dir, exist_ok=True)
    key = jax.random.key(42)

    print("The data: kmeans_blobs.csv (bundled), columns ID, x, y, Cluster")
    blobs = load_blobs()
    X = blobs.data
    save(plot.clusters(X, title="The blobs"), out_dir, "0_blobs.png")

    print("Steps 1 and 2: k = 3, initial centroids picked among the points")
    k = 3
    centroids, rows = jaxmeans.kmeans_plusplus(key, X, k)
    print(f"   rows {np.asarray(rows).tolist()} become the centroids (k-means++ seeding)")

    print("Step 3: distances from a point to every centroid")
    point = int(rows[2])  # a point that is also a centroid: its error there is zero
    errors = jaxmeans.pairwise_sq_dists(X[point : point + 1], centroids)[0]
    for i, err in enumerate(np.asarray(errors)):
        print(f"   Error for centroid {i}: {err:.2f}")

    print("Step 4: assign every point to its nearest centroid")
    labels, sq_errors = jaxmeans.assign(X, centroids)
    print(f"   The total error is {float(sq_errors.sum()):.2f}")
    save(
        plot.clusters(X, labels, centroids, title="After the first assignment"),
        out_dir,
        "1_assigned.png",
    )

    print("Step 5: move each centroid to the mean of its points (one Lloyd iteration)")
    step = jaxmeans.kmeans(X, k, init=centroids, max_iter=1)
    save(
        plot.clusters(X, step.labels, step.centroids, title="After one update"),
        out_dir,
        "2_updated.png",
    )

    print("Step 6: repeat steps 3-5 until nothing moves")
    result = jaxmeans.kmeans(X, k, init=centroids)
    print(
        f"   converged={bool(result.converged)} after {int(result.n_iter)} iterations, "
        f"total error {float(result.inertia):.2f}"
    )
    for row in np.asarray(result.centroids):
        print(f"   centroid x={row[0]:8.3f}  y={row[1]:8.3f}")
    save(
        plot.clusters(X, result.labels, result.centroids, title="Converged, k = 3"),
        out_dir,
        "3_converged.png",
    )

    print("The elbow: total error for k = 1..10, all in one call")
    curve = jaxmeans.elbow(X, range(1, 11), key=key, n_init=3)
    for kk, inertia in zip(curve.ks, curve.inertia, strict=True):
        print(f"   k={int(kk):2d}  total error {float(inertia):12.2f}")
    print(f"   the knee is at k = {int(curve.knee) or None}")
    save(plot.elbow(curve), out_dir, "4_elbow.png")


if __name__ == "__main__":
    main(*sys.argv[1:])
