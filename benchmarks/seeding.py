"""Seeding large k: k-means|| against greedy k-means++, the seedings and the fits after them.

    python benchmarks/seeding.py [--n 200000] [--k 4096] [--json PATH]

Data: ``make_blobs(n, 32 features, 50 centres)``, float32. Each seeding runs once to
compile (key 0) and is then timed warm (key 1): greedy k-means++ (``2 + int(ln k)``
candidates a step, k steps) and k-means|| (two rounds of ``2 k`` candidates, then greedy
k-means++ on the weighted candidates), both as the fit runs them, through the seeding
program of the library's runtime; scikit-learn's ``kmeans_plusplus`` (greedy too) is timed
once beside them. Then one fit of each to convergence (``kmeans(X, k,
key=0, init=...)``, ``tol=1e-4``, seeding included), for their inertia and iterations.
``ratio`` is ``kmeans_plusplus_s / kmeans_parallel_s``; ``inertia_rel`` the k-means|| fit's
inertia over the k-means++ fit's, minus one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def data(n: int) -> np.ndarray:
    from sklearn.datasets import make_blobs

    return make_blobs(n, n_features=32, centers=50, random_state=0)[0].astype(np.float32)


def _timed(f):
    start = time.perf_counter()
    out = f()
    return time.perf_counter() - start, out


def seeding_row(n: int = 200_000, k: int = 4096, with_sklearn: bool = True) -> dict:
    import jax

    import jaxmeans
    from jaxmeans._runtime import run
    from jaxmeans._runtime import validation as v

    X = data(n)
    w = np.ones(n, np.float32)
    row = {
        "case": f"seeding k = {k:,} on ({n:,}, 32): k-means|| against greedy k-means++",
        "kind": "seeding",
        "n": n,
        "d": 32,
        "k": k,
    }
    for name, init in (("kmeans_plusplus", "k-means++"), ("kmeans_parallel", "k-means||")):

        def seed(key, init=init):
            return jax.block_until_ready(run.seeds(v.check_key(key), X, w, k, init=init))

        row[f"{name}_first_s"] = round(_timed(lambda: seed(0))[0], 3)
        row[f"{name}_s"] = round(_timed(lambda: seed(1))[0], 3)
        fit_s, fit = _timed(
            lambda init=init: jax.block_until_ready(jaxmeans.kmeans(X, k, key=0, init=init))
        )
        row[f"{name}_fit_s"] = round(fit_s, 2)
        row[f"{name}_inertia"] = float(fit.inertia)
        row[f"{name}_n_iter"] = int(fit.n_iter)
    if with_sklearn:  # scikit-learn's greedy k-means++, the same algorithm, once
        from sklearn.cluster import kmeans_plusplus

        row["sklearn_kmeans_plusplus_s"] = round(
            _timed(lambda: kmeans_plusplus(X, k, random_state=0))[0], 3
        )
        row["ratio_vs_sklearn"] = round(
            row["sklearn_kmeans_plusplus_s"] / row["kmeans_parallel_s"], 2
        )
    row["ratio"] = round(row["kmeans_plusplus_s"] / row["kmeans_parallel_s"], 2)
    row["inertia_rel"] = round(
        row["kmeans_parallel_inertia"] / row["kmeans_plusplus_inertia"] - 1, 5
    )
    return row


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--k", type=int, default=4096)
    parser.add_argument("--no-sklearn", action="store_true", help="leave scikit-learn out")
    parser.add_argument("--json", help="also write the row here")
    args = parser.parse_args(argv)
    row = seeding_row(args.n, args.k, with_sklearn=not args.no_sklearn)
    print(json.dumps(row))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(row, fh, indent=1)
    return row


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
