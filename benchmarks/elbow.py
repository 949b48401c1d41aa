"""The elbow sweep against scikit-learn's loop, side by side in one run.

    python benchmarks/elbow.py [--n 100000] [--d 8] [--k-max 10] [--n-init 3] [--repeats 5]
                               [--json PATH]

Times ``jaxmeans.elbow(X, range(1, k_max + 1), n_init=N)`` cold (first call, compilation
included) and warm against ``[KMeans(k, n_init=N).fit(X) for k in 1..k_max]``, the two
interleaved repeat by repeat, and reports medians and
``ratio = sklearn_s / jaxmeans_s`` (> 1 means jaxmeans is faster). Then checks quality on
600 points of three well-separated 2-D blobs: the knee, and the geometric mean over k of
jaxmeans' inertia over scikit-learn's best-of-n_init.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time


def _seconds(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=8)
    parser.add_argument("--k-max", type=int, default=10)
    parser.add_argument("--n-init", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    import jax
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs

    import jaxmeans

    X, _ = make_blobs(args.n, n_features=args.d, centers=6, cluster_std=2.0, random_state=0)
    X = X.astype(np.float32)
    ks = range(1, args.k_max + 1)

    def ours(seed):
        result = jaxmeans.elbow(X, ks, key=jax.random.key(seed), n_init=args.n_init)
        jax.block_until_ready(result.inertia)
        return result

    def theirs(seed):
        return [KMeans(k, n_init=args.n_init, random_state=seed).fit(X) for k in ks]

    start = time.perf_counter()
    ours(0)
    cold = time.perf_counter() - start
    # Interleave the two so that the machine's slow spells hit both alike.
    ours_s, theirs_s = [], []
    for seed in range(1, args.repeats + 1):
        ours_s.append(_seconds(ours, seed))
        theirs_s.append(_seconds(theirs, seed))
    warm = statistics.median(ours_s)
    sk_seconds = statistics.median(theirs_s)
    speed = {
        "case": f"elbow n={args.n} d={args.d} ks=1..{args.k_max} n_init={args.n_init}",
        "kind": "sweep",
        "jaxmeans_warm_s": round(warm, 4),
        "jaxmeans_cold_s": round(cold, 4),
        "sklearn_s": round(sk_seconds, 4),
        "ratio_warm": round(sk_seconds / warm, 3),
        "ratio_cold": round(sk_seconds / cold, 3),
    }

    centres = np.array([[0.0, 0.0], [12.0, 0.0], [6.0, 12.0]])
    rng = np.random.default_rng(0)
    small = np.concatenate([c + rng.normal(size=(200, 2)) for c in centres]).astype(np.float32)
    curve = jaxmeans.elbow(small, ks, key=jax.random.key(0), n_init=args.n_init)
    sk_inertia = np.array(
        [KMeans(k, n_init=args.n_init, random_state=0).fit(small).inertia_ for k in ks]
    )
    ratios = np.asarray(curve.inertia, np.float64) / sk_inertia
    quality = {
        "case": "3 blobs, n=600, d=2",
        "knee": curve.knee,
        "inertia_over_sklearn_geomean": round(float(np.exp(np.mean(np.log(ratios)))), 5),
        "inertia_over_sklearn_max": round(float(ratios.max()), 5),
        "inertia_non_increasing": bool(np.all(np.diff(np.asarray(curve.inertia)) <= 0)),
    }
    report = {
        "machine": f"{platform.machine()}, {jax.devices()[0].device_kind}, "
        f"{__import__('os').cpu_count()} cpus",
        "speed": speed,
        "quality": quality,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
