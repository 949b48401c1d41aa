"""Choosing k: ``jaxmeans.choose_k`` against the same work done with scikit-learn, and its
gap part against R's ``cluster::clusGap``, in one run.

    python benchmarks/choose.py [--n 10000] [--repeats 3] [--no-r] [--json PATH]

Data: ``make_blobs(n, 8 features, 4 centres)``; ks 1..10, ``n_init=3``, 20 reference sets,
20 bootstrap resamples, every criterion. jaxmeans runs warm (the programs compiled by a
first call, timed apart as ``first_s``), a median of ``--repeats``. scikit-learn does the
same work as a loop, once (it takes a while): ``KMeans(k, n_init=3)`` for every k on the
data, on each of the 20 uniform reference sets (the box of the data) and on each of the 20
resamples; ``sklearn.metrics``' silhouette, Calinski-Harabasz and Davies-Bouldin scores on
the data's labels, the adjusted Rand index of each resample's labels against the data's.
R: ``clusGap(X, kmeans, K.max=10, B=20, d.power=2, spaceH0="original", nstart=3)``,
timed once, against ``jaxmeans.gap_statistic`` with the same sizes; without ``Rscript``
and the cluster package (or with ``--no-r``) R's columns are left out. Ratios are
``peer_s / jaxmeans_s``: above 1, jaxmeans is faster.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

KS = range(1, 11)
N_INIT, N_REFS, N_BOOT = 3, 20, 20

_R_SCRIPT = r"""
suppressMessages(library(cluster))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1], header = FALSE))
set.seed(0)
t0 <- proc.time()[["elapsed"]]
g <- suppressWarnings(clusGap(X, FUNcluster = kmeans, K.max = 10, B = as.integer(args[2]),
  d.power = 2, spaceH0 = "original", nstart = as.integer(args[3]), verbose = FALSE))
s <- proc.time()[["elapsed"]] - t0
k <- maxSE(g$Tab[, "gap"], g$Tab[, "SE.sim"], method = "Tibs2001SEmax")
cat(sprintf('{"r_gap_s": %.4f, "r_gap_k_best": %d}\n', s, k))
"""


def data(n: int) -> np.ndarray:
    from sklearn.datasets import make_blobs

    return make_blobs(n, n_features=8, centers=4, random_state=0)[0].astype(np.float32)


def sklearn_choose(X: np.ndarray, seed: int) -> dict:
    """The work of ``choose_k`` as a scikit-learn loop; the k each criterion picks."""
    from sklearn import metrics
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    ks = list(KS)

    def fit(data, k):
        return KMeans(k, n_init=N_INIT, random_state=int(rng.integers(2**31))).fit(data)

    fits = [fit(X, k) for k in ks]
    labels = [f.labels_ for f in fits]
    scores = {
        name: [score(X, lab) if k > 1 else np.nan for k, lab in zip(ks, labels, strict=True)]
        for name, score in (
            ("silhouette", metrics.silhouette_score),
            ("calinski_harabasz", metrics.calinski_harabasz_score),
            ("davies_bouldin", metrics.davies_bouldin_score),
        )
    }
    low, high = X.min(axis=0), X.max(axis=0)
    log_w = np.log([f.inertia_ for f in fits])
    refs = np.array([
        [np.log(fit(rng.uniform(low, high, X.shape).astype(X.dtype), k).inertia_) for k in ks]
        for _ in range(N_REFS)
    ])  # fmt: skip
    gap = refs.mean(axis=0) - log_w
    gap_se = refs.std(axis=0) * np.sqrt(1 + 1 / N_REFS)
    stability = []
    for _ in range(N_BOOT):
        rows = rng.integers(0, len(X), len(X))
        stability.append([
            metrics.adjusted_rand_score(lab[rows], fit(X[rows], k).labels_)
            for k, lab in zip(ks, labels, strict=True)
        ])  # fmt: skip
    passes = gap[:-1] >= gap[1:] - gap_se[1:]
    return {
        "sklearn_k_gap": ks[int(np.argmax(passes))] if passes.any() else ks[-1],
        "sklearn_k_silhouette": ks[int(np.nanargmax(scores["silhouette"]))],
        "sklearn_stability_k2": float(np.mean(stability, axis=0)[1]),
    }


def r_gap(X: np.ndarray) -> dict:
    from small import rscript

    return rscript(_R_SCRIPT, X, N_REFS, N_INIT)


def _seconds(f) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def choose_row(n: int = 10_000, repeats: int = 3, with_r: bool = True) -> dict:
    """One row: ``choose_k`` warm against the scikit-learn loop, and the gap against R."""
    import jax

    import jaxmeans

    X = data(n)
    how = dict(n_init=N_INIT, n_refs=N_REFS)

    def ours(seed):
        result = jaxmeans.choose_k(X, KS, key=seed, n_boot=N_BOOT, **how)
        jax.block_until_ready(result)
        return result

    def gap(seed):
        jax.block_until_ready(jaxmeans.gap_statistic(X, KS, key=seed, **how))

    first = _seconds(lambda: ours(0))
    warm = statistics.median(_seconds(lambda s=s: ours(s)) for s in range(1, repeats + 1))
    result = ours(1)
    gap(0)
    gap_s = statistics.median(_seconds(lambda s=s: gap(s)) for s in range(1, repeats + 1))
    sk = {}
    sklearn_s = _seconds(lambda: sk.update(sklearn_choose(X, 0)))
    row = {
        "case": f"choose_k {n:,} x 8, ks 1..10, n_init 3, 20 refs, 20 resamples",
        "kind": "choose",
        "n": n,
        "jaxmeans_s": round(warm, 4),
        "jaxmeans_first_s": round(first, 3),
        "sklearn_s": round(sklearn_s, 3),
        "ratio": round(sklearn_s / warm, 2),
        "k_best": int(result.k_best),
        "k_gap": int(result.k_gap),
        "k_stability": int(result.k_stability),
        "gap_s": round(gap_s, 4),
        **sk,
    }
    if with_r:
        row.update(r_gap(X))
        row["ratio_gap_vs_r"] = round(row["r_gap_s"] / gap_s, 2)
    return row


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-r", action="store_true", help="leave R's columns out")
    parser.add_argument("--json", help="also write the row here")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from small import have_r

    with_r = not args.no_r and have_r()
    if not args.no_r and not with_r:
        print("Rscript with the cluster package not found: R's columns left out")
    row = choose_row(args.n, args.repeats, with_r)
    print(json.dumps(row))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(row, fh, indent=1)
    return row


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
