"""Sparse input: jaxmeans and scikit-learn on a TF-IDF-like CSR matrix, side by side.

    python benchmarks/sparse_text.py [--quick] [--scale S]

The matrix imitates a bag of words: ``n`` documents over a ``vocabulary`` of columns with
about ``density * vocabulary`` distinct words each (word frequencies follow Zipf's law, so
a few columns are dense and most are rare), TF-IDF weighted and L2-normalised per row, as
scikit-learn's ``TfidfVectorizer`` leaves them. Both tools start from the same ``k`` rows
and run the same number of Lloyd iterations (tol=0); jaxmeans is timed warm, its
compilation reported apart; times are medians of interleaved repeats.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def tfidf_like(n: int, vocabulary: int, density: float, seed: int = 0):
    """A CSR float32 matrix shaped like TF-IDF features (see the module docstring)."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    per_row = max(1, round(density * vocabulary))
    lengths = np.clip(rng.poisson(per_row, n), 1, vocabulary)
    ranks = np.arange(1, vocabulary + 1, dtype=np.float64)
    word_p = 1.0 / ranks**1.07
    word_p /= word_p.sum()
    # Draw more words than needed and keep each row's first distinct ones.
    cols = rng.choice(vocabulary, size=int(lengths.sum() * 2.0) + n, p=word_p)
    indptr = np.zeros(n + 1, np.int64)
    chosen, start = [], 0
    for i, length in enumerate(lengths):
        words = np.unique(cols[start : start + int(length * 2.0) + 1])[:length]
        start += int(length * 2.0) + 1
        chosen.append(words)
        indptr[i + 1] = indptr[i] + len(words)
    indices = np.concatenate(chosen).astype(np.int32)
    counts = rng.geometric(0.6, indices.size).astype(np.float64)
    df = np.bincount(indices, minlength=vocabulary)
    idf = np.log((1 + n) / (1 + df)) + 1.0
    X = sp.csr_matrix((counts * idf[indices], indices, indptr), shape=(n, vocabulary))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.diags(1.0 / norms) @ X
    return X.astype(np.float32).tocsr()


def sparse_row(
    repeats: int, n: int = 100_000, vocabulary: int = 20_000, density: float = 0.005,
    k: int = 20, iters: int = 10,
) -> dict:  # fmt: skip
    import numpy as np
    from sklearn.cluster import KMeans

    import jaxmeans

    X = tfidf_like(n, vocabulary, density)
    init = X[np.random.default_rng(1).choice(n, k, replace=False)].toarray()

    def ours():
        return jaxmeans.kmeans(X, k, init=init, max_iter=iters, tol=0.0)

    def theirs():
        return KMeans(k, init=init, n_init=1, max_iter=iters, tol=0.0).fit(X)

    start = time.perf_counter()
    ours_r = ours()
    compile_s = time.perf_counter() - start
    times = {"jaxmeans": [], "sklearn": []}
    theirs()  # warm-up
    for _ in range(repeats):
        for name, fn in (("jaxmeans", ours), ("sklearn", theirs)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    ours_r, sk = ours(), theirs()
    med = {name: statistics.median(ts) for name, ts in times.items()}
    return {
        "case": f"sparse fit n={n} d={vocabulary} nnz={X.nnz / (n * vocabulary):.2%} k={k}",
        "kind": "sparse",
        "n": n,
        "d": vocabulary,
        "k": k,
        "nnz": int(X.nnz),
        "iterations": int(ours_r.n_iter),
        "sklearn_iterations": int(sk.n_iter_),
        "jaxmeans_s": round(med["jaxmeans"], 4),
        "jaxmeans_compile_s": round(compile_s - med["jaxmeans"], 3),
        "sklearn_s": round(med["sklearn"], 4),
        "ratio": round(med["sklearn"] / med["jaxmeans"], 3),
        "repeats": repeats,
        "inertia_rel_diff": float(abs(float(ours_r.inertia) - sk.inertia_) / sk.inertia_),
        "labels_equal_fraction": float(np.mean(np.asarray(ours_r.labels) == sk.labels_)),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 5")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply n by this")
    args = parser.parse_args(argv)
    row = sparse_row(3 if args.quick else 5, n=max(int(100_000 * args.scale), 1000))
    print(json.dumps(row), flush=True)
    return row


if __name__ == "__main__":
    main()
