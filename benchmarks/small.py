"""Small and many: choosing k on research-sized data, against R and scikit-learn in one run.

    python benchmarks/small.py [--repeats 5] [--n-refs 50] [--sets iris,wine,blobs]
                               [--no-r] [--json PATH]

On iris (150 x 4), standardised wine (178 x 13) and a 5,000 x 8 blob set, warm (each
program compiled before the timing), medians of ``--repeats`` runs interleaved tool by
tool:

- elbow, ks 1..10, ``n_init=10``: ``jaxmeans.elbow`` against R's loop of
  ``kmeans(X, k, nstart=10)`` and scikit-learn's loop of ``KMeans(k, n_init=10)``;
- gap statistic, ks 1..10, ``--n-refs`` uniform reference sets, ``n_init=10``:
  ``jaxmeans.gap_statistic`` against ``cluster::clusGap(X, kmeans, K.max=10, B,
  d.power=2, spaceH0="original", nstart=10)``, and the k each picks by Tibshirani's rule
  (R: ``maxSE(..., method="Tibs2001SEmax")``);
- ``KMeans(3).fit(X)`` with its default restarts against R's ``kmeans(X, 3, nstart=10)``
  and scikit-learn's ``KMeans(3)``;
- the first elbow and gap call on iris in a fresh process (import apart), with an empty
  cache folder and with one an earlier process filled.

R's columns need ``Rscript`` with the cluster package (Debian: ``r-base-core``,
``r-cran-cluster``); without it (or with ``--no-r``) they are left out. R times itself
(``proc.time`` around each call, a quick call repeated to span 0.1 s, the same repeats), so
starting R is not counted. Ratios
are ``peer_s / jaxmeans_s``: above 1 means jaxmeans is faster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

SETS = ("iris", "wine", "blobs")

_R_SCRIPT = r"""
suppressMessages(library(cluster))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1], header = FALSE))
repeats <- as.integer(args[2]); B <- as.integer(args[3])
# proc.time() counts milliseconds: a quick call is repeated (inner) so that one timing
# spans at least 0.1 s, and its time divided by the count; a call over 5 s is timed once.
timed <- function(f) {
  t0 <- proc.time()[["elapsed"]]; f(); first <- proc.time()[["elapsed"]] - t0
  if (first > 5) return(first)  # a long call (clusGap on 5,000 rows): timed once
  inner <- max(1L, as.integer(ceiling(0.1 / max(first, 1e-3))))
  out <- numeric(repeats)
  for (i in seq_len(repeats)) {
    t0 <- proc.time()[["elapsed"]]
    for (j in seq_len(inner)) f()
    out[i] <- (proc.time()[["elapsed"]] - t0) / inner
  }
  median(out)
}
set.seed(0)
elbow <- timed(function() for (k in 1:10) suppressWarnings(kmeans(X, k, nstart = 10)))
fit <- timed(function() suppressWarnings(kmeans(X, 3, nstart = 10)))
g <- NULL
gap <- timed(function() g <<- suppressWarnings(clusGap(X, FUNcluster = kmeans, K.max = 10,
  B = B, d.power = 2, spaceH0 = "original", nstart = 10, verbose = FALSE)))
k_best <- maxSE(g$Tab[, "gap"], g$Tab[, "SE.sim"], method = "Tibs2001SEmax")
cat(sprintf('{"elbow_s": %.6f, "fit_s": %.6f, "gap_s": %.6f, "gap_k_best": %d}\n',
            elbow, fit, gap, k_best))
"""


def have_r() -> bool:
    """Whether ``Rscript`` with the cluster package is on this machine."""
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "suppressMessages(library(cluster))"], capture_output=True, check=False
    )
    return probe.returncode == 0


def load(name: str) -> np.ndarray:
    """One of the benchmark's data sets, float64."""
    if name == "iris":
        from jaxmeans.datasets import load_iris

        return np.asarray(load_iris().data, dtype=np.float64)
    if name == "wine":
        from sklearn.datasets import load_wine

        X = load_wine().data
        return (X - X.mean(axis=0)) / X.std(axis=0)
    if name == "blobs":
        from jaxmeans.datasets import make_blobs

        return make_blobs(5000, centers=4, n_features=8, cluster_std=1.5, random_state=0)[0]
    raise ValueError(f"unknown data set {name!r}; choose from {SETS}")


def rscript(script: str, X: np.ndarray, *args) -> dict:
    """The JSON line R's ``script`` prints for ``X`` (written as CSV) and ``args``."""
    with tempfile.TemporaryDirectory() as tmp:
        data, path = os.path.join(tmp, "x.csv"), os.path.join(tmp, "script.R")
        np.savetxt(data, X, delimiter=",", fmt="%.17g")
        with open(path, "w") as fh:
            fh.write(script)
        out = subprocess.run(
            ["Rscript", path, data, *map(str, args)], capture_output=True, text=True, check=True
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def r_row(X: np.ndarray, repeats: int, n_refs: int) -> dict:
    """R's timings (and clusGap's k) on ``X``."""
    return rscript(_R_SCRIPT, X, repeats, n_refs)


def _child(what: str) -> None:
    """In a fresh process: the first ``what`` call on iris, timed apart from the import."""
    import jax

    import jaxmeans

    X = load("iris")
    ks = range(1, 11)
    start = time.perf_counter()
    if what == "elbow":
        jax.block_until_ready(jaxmeans.elbow(X, ks, key=0, n_init=10).inertia)
    else:
        jaxmeans.gap_statistic(X, ks, n_refs=50, key=0, n_init=10)
    print(json.dumps({"s": time.perf_counter() - start}))


def first_calls(repeats: int = 3) -> dict:
    """The first elbow and gap call on iris in a fresh process (import apart): with an
    empty cache folder (the program compiled) and with the folder an earlier process
    filled; medians of ``repeats`` processes each."""
    out = {}
    for what in ("elbow", "gap"):
        empty, filled = [], []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory(prefix="jaxmeans-small-") as cache:
                env = dict(os.environ, JAXMEANS_CACHE_DIR=cache)
                for times in (empty, filled):
                    run = subprocess.run(
                        [sys.executable, os.path.abspath(__file__), "--child", what],
                        env=env, capture_output=True, text=True, check=True,
                    )  # fmt: skip
                    times.append(json.loads(run.stdout.strip().splitlines()[-1])["s"])
        out[f"{what}_first_empty_s"] = float(np.median(empty))
        out[f"{what}_first_filled_s"] = float(np.median(filled))
    return out


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def row(name: str, repeats: int, n_refs: int, with_r: bool) -> dict:
    """Every timing on one data set, warm, and the ratios."""
    import jax
    from sklearn.cluster import KMeans as SkKMeans

    import jaxmeans

    X = load(name)
    ks = range(1, 11)
    key = jax.random.key(0)

    def elbow():
        jax.block_until_ready(jaxmeans.elbow(X, ks, key=key, n_init=10).inertia)

    def gap():
        return jaxmeans.gap_statistic(X, ks, n_refs=n_refs, key=key, n_init=10)

    def fit():
        jaxmeans.KMeans(3, random_state=0).fit(X)

    def sk_elbow():
        for k in ks:
            SkKMeans(k, n_init=10, random_state=0).fit(X)

    def sk_fit():
        SkKMeans(3, random_state=0).fit(X)

    for fn in (elbow, gap, fit):  # compile (or load) first: warm timings
        fn()
    out = {"set": name, "n": X.shape[0], "d": X.shape[1]}
    out["elbow_s"] = _median_time(elbow, repeats)
    out["sklearn_elbow_s"] = _median_time(sk_elbow, max(1, repeats // 2))
    out["gap_s"] = _median_time(gap, repeats)
    out["gap_k_best"] = int(gap().k_best)
    out["fit_s"] = _median_time(fit, repeats)
    out["sklearn_fit_s"] = _median_time(sk_fit, repeats)
    out["elbow_vs_sklearn"] = out["sklearn_elbow_s"] / out["elbow_s"]
    out["fit_vs_sklearn"] = out["sklearn_fit_s"] / out["fit_s"]
    if with_r:
        r = r_row(X, repeats, n_refs)
        out.update({f"r_{key}": value for key, value in r.items()})
        out["elbow_vs_r"] = r["elbow_s"] / out["elbow_s"]
        out["gap_vs_r"] = r["gap_s"] / out["gap_s"]
        out["fit_vs_r"] = r["fit_s"] / out["fit_s"]
    return out


def _print(rows: list[dict]) -> None:
    for r in rows:
        print(f"{r['set']} ({r['n']} x {r['d']}):")
        line = f"  elbow  jaxmeans {r['elbow_s'] * 1e3:8.2f} ms"
        line += (
            f"  scikit-learn {r['sklearn_elbow_s'] * 1e3:8.1f} ms ({r['elbow_vs_sklearn']:.1f}x)"
        )
        if "r_elbow_s" in r:
            line += f"  R {r['r_elbow_s'] * 1e3:8.1f} ms ({r['elbow_vs_r']:.2f}x)"
        print(line)
        line = f"  gap    jaxmeans {r['gap_s'] * 1e3:8.1f} ms  k={r['gap_k_best']}"
        if "r_gap_s" in r:
            line += f"  R clusGap {r['r_gap_s'] * 1e3:8.1f} ms k={r['r_gap_k_best']}"
            line += f" ({r['gap_vs_r']:.2f}x)"
        print(line)
        line = f"  fit    jaxmeans {r['fit_s'] * 1e3:8.2f} ms"
        line += f"  scikit-learn {r['sklearn_fit_s'] * 1e3:8.2f} ms ({r['fit_vs_sklearn']:.2f}x)"
        if "r_fit_s" in r:
            line += f"  R {r['r_fit_s'] * 1e3:8.2f} ms ({r['fit_vs_r']:.2f}x)"
        print(line)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-refs", type=int, default=50, help="reference sets of the gap")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--no-r", action="store_true", help="leave R's columns out")
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return [{}]
    with_r = not args.no_r and have_r()
    if not args.no_r and not with_r:
        print("Rscript with the cluster package not found: R's columns left out")
    rows = [row(name, args.repeats, args.n_refs, with_r) for name in args.sets.split(",")]
    _print(rows)
    first = first_calls()
    print("first call on iris, fresh process:", {k: round(v, 3) for k, v in first.items()})
    rows[0].update(first)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": platform.processor() or platform.machine(), "rows": rows},
                      fh, indent=1)  # fmt: skip
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
