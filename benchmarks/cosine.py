"""Cosine (spherical) k-means: jaxmeans against the best CPU alternatives, side by side.

    python benchmarks/cosine.py [--repeats R] [--scale S]

An embedding-like set: 1,000,000 x 384 float32 rows drawn around 100 random directions
(with noise and random lengths), k=100, 10 Lloyd iterations from the same starting rows
(tol=0). jaxmeans runs ``kmeans(metric="cosine")`` (warm; its first call reported apart);
scikit-learn runs ``KMeans`` on the rows normalised first (its centroids are not
normalised, so it is the usual stand-in rather than spherical k-means); faiss-cpu runs
``Kmeans(spherical=True)``. Times are medians of interleaved repeats.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def embeddings(n: int, d: int = 384, directions: int = 100, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(directions, d)).astype(np.float32)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    X = np.empty((n, d), np.float32)
    for start in range(0, n, 65536):  # a chunk at a time: the whole set is 1.5 GB
        m = min(65536, n - start)
        noise = rng.normal(scale=0.6 / np.sqrt(d), size=(m, d)).astype(np.float32)
        X[start : start + m] = dirs[rng.integers(0, directions, m)] + noise
        X[start : start + m] *= rng.uniform(0.5, 2.0, size=(m, 1)).astype(np.float32)
    return X


def cosine_row(repeats: int = 3, n: int = 1_000_000, k: int = 100, iters: int = 10) -> dict:
    import jax
    import numpy as np
    from sklearn.cluster import KMeans

    import jaxmeans

    X = embeddings(n)
    init = X[np.random.default_rng(1).choice(n, k, replace=False)]
    U = X / np.linalg.norm(X, axis=1, keepdims=True)  # what the alternatives are given
    init_u = init / np.linalg.norm(init, axis=1, keepdims=True)

    def ours():
        r = jaxmeans.kmeans(X, k, init=init, metric="cosine", max_iter=iters, tol=0.0)
        return jax.block_until_ready(r)

    def sklearn_fit():
        Un = X / np.linalg.norm(X, axis=1, keepdims=True)  # the normalisation is its work too
        return KMeans(k, init=init_u, n_init=1, max_iter=iters, tol=0.0).fit(Un)

    tools = {"jaxmeans": ours, "sklearn": sklearn_fit}
    try:
        import faiss

        def faiss_fit():
            Un = X / np.linalg.norm(X, axis=1, keepdims=True)
            km = faiss.Kmeans(X.shape[1], k, niter=iters, spherical=True, seed=0,
                              max_points_per_centroid=n)  # fmt: skip
            km.train(Un, init_centroids=init_u)
            return km

        tools["faiss"] = faiss_fit
    except ImportError:
        pass
    start = time.perf_counter()
    result = ours()
    first = time.perf_counter() - start
    times = {name: [] for name in tools}
    for _ in range(repeats):
        for name, fn in tools.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    C = np.asarray(result.centroids, np.float64)
    objective = float(np.sum(1.0 - np.max(U @ C.T, axis=1)))
    row = {
        "case": f"cosine fit n={n} d=384 k={k}",
        "kind": "cosine",
        "n": n,
        "d": 384,
        "k": k,
        "iterations": int(result.n_iter),
        "jaxmeans_s": round(med["jaxmeans"], 4),
        "jaxmeans_first_s": round(first, 3),
        "sklearn_s": round(med["sklearn"], 4),
        "ratio": round(med["sklearn"] / med["jaxmeans"], 3),
        "objective_rel_diff": abs(objective - float(result.inertia)) / objective,
        "repeats": repeats,
    }
    if "faiss" in med:
        row["faiss_s"] = round(med["faiss"], 4)
        row["ratio_vs_faiss"] = round(med["faiss"] / med["jaxmeans"], 3)
    return row


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (default: 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply n by this")
    args = parser.parse_args(argv)
    row = cosine_row(args.repeats, n=max(int(1_000_000 * args.scale), 1000))
    print(json.dumps(row), flush=True)
    return row


if __name__ == "__main__":
    main()
