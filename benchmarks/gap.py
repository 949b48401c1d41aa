"""The gap statistic: jaxmeans.gap_statistic against a loop of scikit-learn fits.

    python benchmarks/gap.py [--repeats R] [--scale S]

20,000 x 8 (four blobs), ks 1..10, 10 reference sets drawn uniformly over the data's box:
110 k-means problems. jaxmeans runs them in one program (timed warm, its first call
reported apart); scikit-learn fits the same 110 problems (the same reference sets, taken
from jaxmeans) one after another with ``KMeans(k, n_init=1)``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def gap_row(repeats: int = 3, n: int = 20_000, n_refs: int = 10) -> dict:
    import jax
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs

    import jaxmeans
    from jaxmeans._runtime.run import reference_sets

    X = make_blobs(n, 8, centers=4, random_state=0)[0].astype(np.float32)
    ks = range(1, 11)
    key = jax.random.key(0)

    def ours():
        return jax.block_until_ready(jaxmeans.gap_statistic(X, ks, n_refs=n_refs, key=key))

    refs = np.asarray(reference_sets(X, jax.random.fold_in(key, 1), n_refs, "uniform"))

    def theirs():
        logs = np.array(
            [[np.log(KMeans(k, n_init=1, random_state=0).fit(s).inertia_) for k in ks]
             for s in [X, *refs]]
        )  # fmt: skip
        gap = logs[1:].mean(0) - logs[0]
        se = logs[1:].std(0) * np.sqrt(1 + 1 / n_refs)
        passes = gap[:-1] >= gap[1:] - se[1:]
        return list(ks)[int(np.argmax(passes))] if passes.any() else ks[-1]

    start = time.perf_counter()
    result = ours()
    first = time.perf_counter() - start
    times = {"jaxmeans": [], "sklearn": []}
    for _ in range(repeats):
        for name, fn in (("jaxmeans", ours), ("sklearn", theirs)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    return {
        "case": f"gap statistic n={n} d=8 ks=1..10 n_refs={n_refs}",
        "kind": "gap",
        "n": n,
        "problems": (n_refs + 1) * len(ks),
        "jaxmeans_s": round(med["jaxmeans"], 4),
        "jaxmeans_first_s": round(first, 3),
        "sklearn_s": round(med["sklearn"], 4),
        "ratio": round(med["sklearn"] / med["jaxmeans"], 3),
        "k_best": int(result.k_best),
        "sklearn_k_best": int(theirs()),
        "repeats": repeats,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (default: 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply n by this")
    args = parser.parse_args(argv)
    row = gap_row(args.repeats, n=max(int(20_000 * args.scale), 200))
    print(json.dumps(row), flush=True)
    return row


if __name__ == "__main__":
    main()
