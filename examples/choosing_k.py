"""How many clusters? The tutorial's blobs and iris through every criterion at once.

    python examples/choosing_k.py [OUT_DIR]

Runs ``jaxmeans.choose_k`` for k = 1..10 on the tutorial's three blobs and on the iris
measurements, prints each criterion's values, the k each picks and the verdict, and saves
one figure per data set (default folder ``choosing-k-output``): ``choose_k_blobs.png`` and
``choose_k_iris.png``, the pictures of the docs page "Choosing k".
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import numpy as np

import jaxmeans
from jaxmeans import plot
from jaxmeans.datasets import load_blobs, load_iris

COLUMNS = {
    "inertia": "inertia",
    "silhouette": "silhouette",
    "calinski_harabasz": "Calinski-H.",
    "davies_bouldin": "Davies-B.",
    "gap": "gap",
    "stability": "stability",
}


def report(name: str, X: np.ndarray, out_dir: str) -> jaxmeans.ChooseKResult:
    result = jaxmeans.choose_k(X, range(1, 11), key=0)
    print(f"{name}: {X.shape[0]} rows, {X.shape[1]} columns")
    print(" k " + "".join(f"{heading:>13}" for heading in COLUMNS.values()))
    for i, k in enumerate(np.asarray(result.ks)):
        values = [float(getattr(result, field)[i]) for field in COLUMNS]
        print(f"{k:2d} " + "".join(f"{value:13.3f}" for value in values))
    print(jaxmeans.choose_k_verdict(result))
    figure = plot.choose_k(result, title=f"Choosing k: {name}")
    path = os.path.join(out_dir, f"choose_k_{name}.png")
    figure.savefig(path, dpi=80, bbox_inches="tight")
    print(f"saved {path}\n")
    return result


def main(out_dir: str = "choosing-k-output") -> None:
    os.makedirs(out_dir, exist_ok=True)
    report("blobs", load_blobs().data, out_dir)
    report("iris", load_iris().data, out_dir)


if __name__ == "__main__":
    main(*sys.argv[1:2])
