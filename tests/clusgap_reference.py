"""R's ``cluster::clusGap`` on a few small data sets: the k it picks, kept as test data.

    python tests/clusgap_reference.py      # needs Rscript with the cluster package

Writes ``tests/clusgap_reference.json``: for each data set of :func:`datasets`, the
``k_best`` of ``clusGap(X, kmeans, K.max=10, B=100, d.power=2, spaceH0="original",
nstart=10)`` with Tibshirani's rule (``maxSE(..., method="Tibs2001SEmax")``) for R seeds
1 to 4, so that the tests compare jaxmeans with R without needing R. Iris is left out: R's
own answer on it moves with the seed (5, 6 or 8 over seeds 1 to 8).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "clusgap_reference.json")
SEEDS = (1, 2, 3, 4)

_R = r"""
suppressMessages(library(cluster))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1], header = FALSE))
for (s in as.integer(strsplit(args[2], ",")[[1]])) {
  set.seed(s)
  g <- suppressWarnings(clusGap(X, FUNcluster = kmeans, K.max = 10, B = 100, d.power = 2,
                                spaceH0 = "original", nstart = 10, verbose = FALSE))
  cat(maxSE(g$Tab[, "gap"], g$Tab[, "SE.sim"], method = "Tibs2001SEmax"), "\n")
}
"""


def datasets() -> dict[str, np.ndarray]:
    """The data sets, float64, rebuilt the same way by the tests."""
    from sklearn.datasets import load_wine

    from jaxmeans.datasets import make_blobs

    wine = load_wine().data
    blobs = dict(
        blobs_600x2=(600, 3, 2, 1.0, 7),
        blobs_800x3=(800, 4, 3, 2.0, 2),
        blobs_1000x5=(1000, 5, 5, 2.5, 1),
        blobs_500x6=(500, 6, 6, 1.0, 3),
    )  # n, centres, features, spread, seed
    out = {"wine_standardised": (wine - wine.mean(axis=0)) / wine.std(axis=0)}
    for name, (n, c, d, std, seed) in blobs.items():
        out[name] = make_blobs(n, centers=c, n_features=d, cluster_std=std, random_state=seed)[0]
    return out


def main() -> int:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "gap.R")
        with open(script, "w") as fh:
            fh.write(_R)
        for name, X in datasets().items():
            path = os.path.join(tmp, f"{name}.csv")
            np.savetxt(path, X, delimiter=",", fmt="%.17g")
            run = subprocess.run(
                ["Rscript", script, path, ",".join(map(str, SEEDS))],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            out[name] = [int(line) for line in run.stdout.split()]
            print(name, out[name], flush=True)
    with open(OUT, "w") as fh:
        json.dump({"seeds": list(SEEDS), "k_best": out}, fh, indent=1)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
