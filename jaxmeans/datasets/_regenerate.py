"""Regenerate the bundled CSV files: ``python -m jaxmeans.datasets._regenerate``.

``kmeans_blobs.csv`` comes from :func:`jaxmeans.datasets.make_blobs` with a fixed seed, so
the file is reproducible. ``iris.csv`` is exported from scikit-learn's copy of the iris
data (needs scikit-learn, a test dependency); the values are Fisher's 1936 measurements.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from . import IRIS_FEATURES, IRIS_SPECIES, make_blobs

DATA = Path(__file__).with_name("data")
BLOB_CENTRES = np.array([[-12.0, 8.0], [6.0, 18.0], [4.0, -10.0]])


def write_blobs(path: Path) -> None:
    X, y = make_blobs(300, centers=BLOB_CENTRES, cluster_std=3.5, random_state=2021)
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["ID", "x", "y", "Cluster"])
        for i, (row, label) in enumerate(zip(X, y, strict=True)):
            out.writerow([i, f"{row[0]:.4f}", f"{row[1]:.4f}", int(label)])


def write_iris(path: Path) -> None:
    from sklearn.datasets import load_iris

    iris = load_iris()
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([*IRIS_FEATURES, "species"])
        for row, label in zip(iris.data, iris.target, strict=True):
            out.writerow([*(f"{v:g}" for v in row), IRIS_SPECIES[label]])


if __name__ == "__main__":
    DATA.mkdir(exist_ok=True)
    write_blobs(DATA / "kmeans_blobs.csv")
    write_iris(DATA / "iris.csv")
    print(f"wrote {DATA / 'kmeans_blobs.csv'} and {DATA / 'iris.csv'}")
