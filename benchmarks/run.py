"""jaxmeans against scikit-learn (and FAISS when installed), side by side in one run.

    python benchmarks/run.py [--quick] [--json PATH] [--cases fit,sweep,gemm,cold]

Rows:
- fit (n, d, k): every tool starts from the same centroids and runs the same number of
  Lloyd iterations (tol=0); jaxmeans is timed warm, its compilation reported apart;
- sparse: a TF-IDF-like CSR matrix (100k x 20k, 0.5% stored, k=20), from the same
  centroids for the same iterations (``benchmarks/sparse_text.py``);
- cosine: spherical k-means on 1M x 384 embedding-like rows, k=100, against scikit-learn on
  normalised rows and faiss-cpu's spherical k-means (``benchmarks/cosine.py``);
- gap: jaxmeans.gap_statistic (20,000 x 8, ks 1..10, 10 reference sets: 110 problems in
  one program) against scikit-learn fitting the same 110 problems in a loop
  (``benchmarks/gap.py``);
- sweep: jaxmeans.elbow(ks=1..10, n_init=3) against scikit-learn's loop over k;
- gemm: NumPy float32 GEMM GFLOP/s, this machine's ceiling for the distance step;
- cold: a fresh process doing ``import jaxmeans`` and ``KMeans(3).fit(iris)``, whole, with
  an empty cache folder and again with the folder the first process filled;
- ttr: time to result of research workloads in fresh processes against scikit-learn
  (``benchmarks/time_to_result.py``: grid search over k, 20 data sets, the elbow), cold and
  with the cache filled;
- small: choosing k on research-sized data (``benchmarks/small.py``: iris, standardised
  wine, 5,000 x 8 blobs) against R's ``kmeans`` loop and ``clusGap`` (when ``Rscript``
  with the cluster package is here) and scikit-learn, and the first elbow and gap call.

jaxmeans keeps its compiled programs in an empty cache folder of the run's own, so the
first-call figures are compilations. Each row has seconds per tool,
``ratio = sklearn_s / jaxmeans_s`` (> 1: jaxmeans is faster; scikit-learn's default
``algorithm="lloyd"``), ``ratio_vs_elkan`` against scikit-learn's bounded
``algorithm="elkan"``, and GFLOP/s counted as Lloyd's 2 n k d per iteration over the time
taken, with that figure's fraction of the GEMM ceiling. On CPUs
jaxmeans skips distance rows that Hamerly's bounds settle (same iterations, same labels), so
its figure is an effective rate and can exceed the ceiling. Times are medians of repeats
(more repeats for fast cases, so that each tool runs at least ~2 s in all); the tools are
interleaved repeat by repeat so that a slow spell of this shared machine hits them alike.
``--json`` writes the rows; ``benchmarks/table.py`` turns them into the README's table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

FIT_CASES = [(1_000_000, 2, 10), (100_000, 16, 32), (200_000, 64, 256), (50_000, 128, 1024)]
QUICK_ITERS, FULL_ITERS = 10, 20
MIN_TOOL_SECONDS = 2.0


def _seconds(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def machine() -> str:
    import jax

    kind = jax.devices()[0].device_kind
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cpus, jax {jax.__version__} on {kind}"


def gemm_ceiling(repeats: int) -> float:
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((4096, 256), dtype=np.float32)
    b = rng.standard_normal((256, 2048), dtype=np.float32)
    a @ b
    t = statistics.median(_seconds(np.matmul, a, b) for _ in range(repeats))
    return 2 * 4096 * 256 * 2048 / t / 1e9


def make_data(n: int, d: int, k: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, d)).astype(np.float32)
    X = centres[rng.integers(0, k, n)] + rng.normal(size=(n, d)).astype(np.float32)
    init = X[rng.choice(n, k, replace=False)]
    return X, init


def fit_row(n, d, k, iters, repeats, ceiling):
    import jax
    import numpy as np
    from sklearn.cluster import KMeans

    import jaxmeans

    X, init = make_data(n, d, k)
    Xj = jax.device_put(X)

    def ours():
        r = jaxmeans.kmeans(Xj, k, init=init, max_iter=iters, tol=0.0)
        jax.block_until_ready(r)
        return r

    def theirs(algorithm="lloyd"):
        return KMeans(k, init=init, n_init=1, max_iter=iters, tol=0.0, algorithm=algorithm).fit(X)

    compile_s = _seconds(ours)
    tools = {"jaxmeans": ours, "sklearn": theirs, "sklearn_elkan": lambda: theirs("elkan")}
    faiss_fit = _faiss(X, init, iters)
    if faiss_fit is not None:
        tools["faiss"] = faiss_fit
    slowest = max(_seconds(fn) for fn in tools.values())  # also each tool's warm-up
    times = {name: [] for name in tools}
    for _ in range(max(repeats, min(4 * repeats, int(MIN_TOOL_SECONDS / slowest)))):
        for name, fn in tools.items():
            times[name].append(_seconds(fn))
    ours_r, sk = ours(), theirs()
    med = {name: statistics.median(ts) for name, ts in times.items()}
    flops = 2.0 * n * k * d * int(ours_r.n_iter)
    row = {
        "case": f"fit n={n} d={d} k={k}",
        "kind": "fit",
        "n": n,
        "d": d,
        "k": k,
        "iterations": int(ours_r.n_iter),
        "sklearn_iterations": int(sk.n_iter_),
        "jaxmeans_s": round(med["jaxmeans"], 6),
        "jaxmeans_compile_s": round(compile_s - med["jaxmeans"], 3),
        "sklearn_s": round(med["sklearn"], 6),
        "ratio": round(med["sklearn"] / med["jaxmeans"], 3),
        "sklearn_elkan_s": round(med["sklearn_elkan"], 6),
        "ratio_vs_elkan": round(med["sklearn_elkan"] / med["jaxmeans"], 3),
        "repeats": len(times["jaxmeans"]),
        "jaxmeans_gflops": round(flops / med["jaxmeans"] / 1e9, 1),
        "sklearn_gflops": round(2.0 * n * k * d * sk.n_iter_ / med["sklearn"] / 1e9, 1),
        "inertia_rel_diff": float(abs(float(ours_r.inertia) - sk.inertia_) / sk.inertia_),
        "labels_equal_fraction": float(np.mean(np.asarray(ours_r.labels) == sk.labels_)),
    }
    row["jaxmeans_ceiling_fraction"] = round(row["jaxmeans_gflops"] / ceiling, 3)
    if "faiss" in med:
        row["faiss_s"] = round(med["faiss"], 4)
        row["ratio_vs_faiss"] = round(med["faiss"] / med["jaxmeans"], 3)
    return row


def _faiss(X, init, iters):
    try:
        import faiss
    except ImportError:
        return None
    n, d = X.shape
    k = init.shape[0]

    def fit():
        km = faiss.Kmeans(d, k, niter=iters, max_points_per_centroid=n, seed=0)
        km.train(X, init_centroids=init)
        return km

    return fit


def sweep_row(repeats, n=100_000, d=8, k_max=10, n_init=3):
    """``jaxmeans.elbow`` over ks = 1..k_max against scikit-learn's loop, interleaved."""
    import jax
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs

    import jaxmeans

    X, _ = make_blobs(n, n_features=d, centers=6, cluster_std=2.0, random_state=0)
    X = X.astype(np.float32)
    ks = range(1, k_max + 1)

    def ours(seed):
        jax.block_until_ready(jaxmeans.elbow(X, ks, key=seed, n_init=n_init).inertia)

    def theirs(seed):
        for k in ks:
            KMeans(k, n_init=n_init, random_state=seed).fit(X)

    cold = _seconds(ours, 0)
    o, t = [], []
    for seed in range(1, repeats + 1):
        o.append(_seconds(ours, seed))
        t.append(_seconds(theirs, seed))
    warm, sk = statistics.median(o), statistics.median(t)
    return {
        "case": f"sweep n={n} d={d} ks=1..{k_max} n_init={n_init}",
        "kind": "sweep",
        "jaxmeans_s": round(warm, 6),
        "jaxmeans_cold_s": round(cold, 3),
        "sklearn_s": round(sk, 6),
        "ratio": round(sk / warm, 3),
        "ratio_cold": round(sk / cold, 3),
    }


COLD_SCRIPT = (
    "import time; t = time.perf_counter(); import jaxmeans; "
    "from jaxmeans.datasets import load_iris; "
    "jaxmeans.KMeans(3, random_state=0).fit(load_iris().data); "
    "print(time.perf_counter() - t)"
)


def cold_row(repeats):
    """The whole process, with an empty cache folder and with the folder filled."""
    times = {"cold": [], "cached": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="jaxmeans-cold-") as cache:
            env = {**os.environ, "JAXMEANS_CACHE_DIR": cache}
            for name in ("cold", "cached"):
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-c", COLD_SCRIPT], check=True, capture_output=True, env=env
                )
                times[name].append(time.perf_counter() - start)
    return {
        "case": "cold start: python -c 'import jaxmeans; KMeans(3).fit(iris)'",
        "kind": "cold",
        "jaxmeans_s": round(statistics.median(times["cold"]), 3),
        "jaxmeans_cached_s": round(statistics.median(times["cached"]), 3),
    }


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and iterations")
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument(
        "--cases", default="gemm,fit,sparse,cosine,sweep,gap,choose,seeding,cold,ttr,small"
    )
    parser.add_argument("--ttr-repeats", type=int, default=3, help="fresh processes per tool")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every n by this (to test the script)"
    )
    args = parser.parse_args(argv)
    # An empty cache folder of its own, so that first calls ("compile", "cold") compile.
    cache = tempfile.TemporaryDirectory(prefix="jaxmeans-bench-")
    os.environ["JAXMEANS_CACHE_DIR"] = cache.name
    cases = set(args.cases.split(","))
    repeats = 5 if args.quick else 9
    iters = QUICK_ITERS if args.quick else FULL_ITERS
    rows = []
    ceiling = gemm_ceiling(repeats)
    if "gemm" in cases:
        rows.append({"case": "numpy float32 GEMM", "kind": "gemm", "gflops": round(ceiling, 1)})
        print(json.dumps(rows[-1]), flush=True)
    if "fit" in cases:
        for n, d, k in FIT_CASES:
            rows.append(fit_row(max(int(n * args.scale), 4 * k), d, k, iters, repeats, ceiling))
            print(json.dumps(rows[-1]), flush=True)
    if "sparse" in cases:
        import sparse_text

        n_sparse = max(int(100_000 * args.scale), 1000)
        rows.append(sparse_text.sparse_row(repeats, n=n_sparse, iters=iters))
        print(json.dumps(rows[-1]), flush=True)
    if "cosine" in cases:
        import cosine

        rows.append(cosine.cosine_row(3, n=max(int(1_000_000 * args.scale), 1000), iters=iters))
        print(json.dumps(rows[-1]), flush=True)
    if "sweep" in cases:
        rows.append(sweep_row(2 * repeats + 1, n=max(int(100_000 * args.scale), 100)))
        print(json.dumps(rows[-1]), flush=True)
    if "gap" in cases:
        import gap

        rows.append(gap.gap_row(3, n=max(int(20_000 * args.scale), 200)))
        print(json.dumps(rows[-1]), flush=True)
    if "choose" in cases:
        import choose
        from small import have_r

        n_choose = max(int(10_000 * args.scale), 500)
        rows.append(choose.choose_row(n_choose, 3, with_r=have_r()))
        print(json.dumps(rows[-1]), flush=True)
    if "seeding" in cases:
        import seeding

        n_seed, k_seed = max(int(200_000 * args.scale), 400), max(int(4096 * args.scale), 8)
        # scikit-learn's greedy k-means++ took 116 s there: timed by seeding.py alone.
        rows.append(seeding.seeding_row(n_seed, k_seed, with_sklearn=False))
        print(json.dumps(rows[-1]), flush=True)
    if "cold" in cases:
        rows.append(cold_row(repeats))
        print(json.dumps(rows[-1]), flush=True)
    if "ttr" in cases:
        import time_to_result

        for workload in time_to_result.WORKLOADS:
            rows.append(time_to_result.row(workload, args.ttr_repeats, scale=args.scale))
            print(json.dumps(rows[-1]), flush=True)
    if "small" in cases:
        import small

        with_r = small.have_r()
        # Scaled down (the script's own test): iris alone, two reference sets.
        names = small.SETS if args.scale >= 1 else ("iris",)
        n_refs = 50 if args.scale >= 1 else 2
        for i, name in enumerate(names):
            row = small.row(name, repeats, n_refs, with_r)
            if i == 0:
                row.update(small.first_calls(1 if args.scale < 1 else 3))
            rows.append({"kind": "small", **row})
            print(json.dumps(rows[-1]), flush=True)
    for row in rows:
        row["machine"] = machine()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()
