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
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import sweep_row


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

    import jaxmeans

    speed = sweep_row(args.repeats, n=args.n, d=args.d, k_max=args.k_max, n_init=args.n_init)
    ks = range(1, args.k_max + 1)

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
        "knee": int(curve.knee) or None,
        "inertia_over_sklearn_geomean": round(float(np.exp(np.mean(np.log(ratios)))), 5),
        "inertia_over_sklearn_max": round(float(ratios.max()), 5),
        "inertia_non_increasing": bool(np.all(np.diff(np.asarray(curve.inertia)) <= 0)),
    }
    report = {
        "machine": f"{platform.machine()}, {jax.devices()[0].device_kind}, {os.cpu_count()} cpus",
        "speed": speed,
        "quality": quality,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
