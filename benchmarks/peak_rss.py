"""Peak resident memory of one large fit: shows assignment runs in row blocks.

The full float32 distance matrix at the default size (n=2,000,000, k=1024) would take
8 GB; a blocked fit needs little more than a few copies of the data (128 MB each).

    python benchmarks/peak_rss.py [--n 2000000] [--d 16] [--k 1024] [--max-iter 5]

Prints one JSON line: the peak RSS before and after the fit, the size of X and of the
distance matrix the fit avoided, and the fit's time, iterations and inertia.
"""

from __future__ import annotations

import argparse
import json
import resource
import time


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=1024)
    parser.add_argument("--max-iter", type=int, default=5)
    parser.add_argument("--init", default="k-means++")
    args = parser.parse_args()

    import jax
    import numpy as np

    import jaxmeans

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=10.0, size=(args.k, args.d)).astype(np.float32)
    X = centres[rng.integers(0, args.k, args.n)] + rng.normal(size=(args.n, args.d)).astype(
        np.float32
    )
    before = peak_rss_mb()
    start = time.perf_counter()
    result = jaxmeans.kmeans(
        X, args.k, key=jax.random.key(0), init=args.init, max_iter=args.max_iter
    )
    jax.block_until_ready(result)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "n": args.n,
                "d": args.d,
                "k": args.k,
                "init": args.init,
                "X_mb": X.nbytes / 2**20,
                "full_distance_matrix_mb": args.n * args.k * 4 / 2**20,
                "peak_rss_before_fit_mb": round(before, 1),
                "peak_rss_after_fit_mb": round(peak_rss_mb(), 1),
                "fit_seconds_with_compile": round(seconds, 2),
                "n_iter": int(result.n_iter),
                "inertia": float(result.inertia),
            }
        )
    )


if __name__ == "__main__":
    main()
