"""Time to result: research-code workloads, each in a fresh process, jaxmeans against
scikit-learn in the same run.

    python benchmarks/time_to_result.py [--repeats 3] [--json PATH]

Workloads (data made before the clock starts; imports timed apart):
- ``gridsearch``: ``GridSearchCV(KMeans(random_state=0, n_init=3), {"n_clusters": [2..6]},
  cv=5).fit(X)`` on 10,003 x 8 blobs (25 fits, 25 scores, one refit);
- ``datasets``: ``KMeans(5, random_state=0).fit`` on 20 data sets of 8 features, n drawn from
  500..5000;
- ``elbow``: the elbow curve of 100,000 x 8, ks 1..10, 3 restarts each
  (``jaxmeans.elbow``; scikit-learn: a loop of ``KMeans(k, n_init=3)``).

jaxmeans runs ``cold`` (an empty cache folder: every program compiles) and ``second`` (a
second process on the folder the cold one filled). Rows carry each tool's median workload
seconds (``*_s``), import seconds and whole-process seconds, and ``ratio_* =
sklearn_s / jaxmeans_*_s`` (> 1: jaxmeans is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

WORKLOADS = ("gridsearch", "datasets", "elbow")
CASES = {
    "gridsearch": "GridSearchCV(KMeans(random_state=0, n_init=3), n_clusters 2..6, cv=5), "
    "10,003 x 8",
    "datasets": "KMeans(5, random_state=0).fit on 20 data sets, n in 500..5000, d=8",
    "elbow": "elbow 100,000 x 8, ks 1..10, n_init=3",
}


def _data(workload: str, scale: float):
    import numpy as np
    from sklearn.datasets import make_blobs

    if workload == "gridsearch":
        return make_blobs(max(int(10_003 * scale), 60), n_features=8, centers=5, random_state=0)[0]
    if workload == "datasets":
        rng = np.random.default_rng(0)
        sizes = rng.integers(max(int(500 * scale), 20), max(int(5000 * scale), 40), 20)
        return [make_blobs(int(n), 8, centers=5, random_state=i)[0] for i, n in enumerate(sizes)]
    X = make_blobs(max(int(100_000 * scale), 100), 8, centers=6, cluster_std=2.0, random_state=0)
    return X[0].astype(np.float32)


def _work(workload: str, tool: str, data) -> None:
    if tool == "jaxmeans":
        import jaxmeans

        KMeans = jaxmeans.KMeans
    else:
        from sklearn.cluster import KMeans
    if workload == "gridsearch":
        from sklearn.model_selection import GridSearchCV

        grid = {"n_clusters": [2, 3, 4, 5, 6]}
        GridSearchCV(KMeans(random_state=0, n_init=3), grid, cv=5).fit(data)
    elif workload == "datasets":
        for X in data:
            KMeans(5, random_state=0).fit(X)
    elif tool == "jaxmeans":
        import jax

        jax.block_until_ready(jaxmeans.elbow(data, range(1, 11), key=0, n_init=3).inertia)
    else:
        for k in range(1, 11):
            KMeans(k, n_init=3, random_state=0).fit(data)


def child(workload: str, tool: str, scale: float) -> dict:
    """Run one workload in this (fresh) process; seconds for the imports and the work."""
    data = _data(workload, scale)  # imports NumPy and scikit-learn's make_blobs
    start = time.perf_counter()
    if tool == "jaxmeans":
        # As a user writes it; naming the functions starts JAX (``import jaxmeans`` alone
        # imports them on first use), so the import column holds JAX's start-up.
        from jaxmeans import KMeans, elbow  # noqa: F401
    else:
        import sklearn.cluster
    if workload == "gridsearch":
        import sklearn.model_selection  # noqa: F401
    imported = time.perf_counter()
    _work(workload, tool, data)
    done = time.perf_counter()
    return {"import_s": imported - start, "work_s": done - imported}


def _fresh(workload: str, tool: str, scale: float, cache: str | None) -> dict:
    env = dict(os.environ)
    if cache is not None:
        env["JAXMEANS_CACHE_DIR"] = cache
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", workload, tool, str(scale)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    times = json.loads(out.stdout.strip().splitlines()[-1])
    times["process_s"] = time.perf_counter() - start
    return times


def row(workload: str, repeats: int, scale: float = 1.0) -> dict:
    """One workload: jaxmeans cold and second process, scikit-learn, ``repeats`` each."""
    runs: dict[str, list[dict]] = {"cold": [], "second": [], "sklearn": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="jaxmeans-ttr-") as cache:
            runs["cold"].append(_fresh(workload, "jaxmeans", scale, cache))
            runs["second"].append(_fresh(workload, "jaxmeans", scale, cache))
        runs["sklearn"].append(_fresh(workload, "sklearn", scale, None))
    med = {
        (name, part): statistics.median(r[part] for r in rs)
        for name, rs in runs.items()
        for part in ("import_s", "work_s", "process_s")
    }
    sk = med["sklearn", "work_s"]
    out = {"case": CASES[workload], "kind": "ttr", "workload": workload, "repeats": repeats}
    for name, prefix in (
        ("cold", "jaxmeans_cold"),
        ("second", "jaxmeans_second"),
        ("sklearn", "sklearn"),
    ):
        out[f"{prefix}_s"] = round(med[name, "work_s"], 4)
        out[f"{prefix}_import_s"] = round(med[name, "import_s"], 3)
        out[f"{prefix}_process_s"] = round(med[name, "process_s"], 3)
    out["ratio_cold"] = round(sk / med["cold", "work_s"], 3)
    out["ratio_second"] = round(sk / med["second", "work_s"], 3)
    return out


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every n (tests)")
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        workload, tool, scale = args.child
        print(json.dumps(child(workload, tool, float(scale))))
        return []
    rows = []
    for workload in args.workloads.split(","):
        rows.append(row(workload, args.repeats, args.scale))
        print(json.dumps(rows[-1]), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()
