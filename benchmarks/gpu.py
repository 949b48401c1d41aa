"""jaxmeans on a GPU, with scikit-learn on the same machine's CPUs as the reference.

Run by ``benchmarks/gpu.sh OUTDIR`` on a machine with JAX for CUDA and no network; the
checkout is used from PYTHONPATH, nothing is installed. Also runs on CPU (for testing the
script: ``JAX_PLATFORMS=cpu python benchmarks/gpu.py --quick --json out.json``).

Rows (JSON list):
- ``ceiling``: a float32 8192^3 ``jnp.dot`` at ``precision=HIGHEST`` (no TF32), the chip's
  measured FP32 matrix rate, and the datasheet FP32 peak where the chip is known;
- ``fit``: the fit grid plus (1,000,000, 128, 1024), same starting centroids and iteration
  count (tol=0) for jaxmeans (GPU, warm, compile apart) and scikit-learn (CPU);
- ``sweep``: ``jaxmeans.elbow`` (ks=1..10, n_init=3) against scikit-learn's loop;
- ``same_labels``: a fixed-seed fit on the GPU and on the CPU backend, compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import make_data

FIT_CASES = [
    (1_000_000, 2, 10),
    (100_000, 16, 32),
    (200_000, 64, 256),
    (50_000, 128, 1024),
    (1_000_000, 128, 1024),
]
# Datasheet dense FP32 (non-tensor) peaks, FLOP/s.
FP32_PEAK = {"H100": 66.9e12, "H200": 66.9e12, "A100": 19.5e12}


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ceiling_row(quick: bool) -> dict:
    import jax
    import jax.numpy as jnp

    n = 2048 if quick else 8192
    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.key(1), (n, n), jnp.float32)
    dot = jax.jit(lambda a, b: jnp.dot(a, b, precision=jax.lax.Precision.HIGHEST))
    jax.block_until_ready(dot(a, b))
    seconds = _median_time(lambda: jax.block_until_ready(dot(a, b)), 5)
    kind = jax.devices()[0].device_kind
    peak = next((v for name, v in FP32_PEAK.items() if name in kind), None)
    return {
        "case": f"float32 {n}^3 matmul, precision=HIGHEST",
        "kind": "ceiling",
        "device": kind,
        "measured_tflops": round(2 * n**3 / seconds / 1e12, 2),
        "datasheet_fp32_tflops": None if peak is None else peak / 1e12,
    }


def fit_row(n, d, k, iters, repeats, ceiling_tflops, peak, with_sklearn, tuning=None) -> dict:
    """One fit's timing; ``tuning``: changes to the backend's tuning (the ablation's
    variants), passed through the library's checked fit specification."""
    import dataclasses

    import jax
    import numpy as np

    from jaxmeans._runtime import run as _run
    from jaxmeans._runtime import spec as _spec

    X, init = make_data(n, d, k)
    Xj = jax.device_put(X)
    spec = _spec.specify(Xj, k=k, key=0, init=init, n_init=1, max_iter=iters, tol=0.0)
    spec = spec._replace(tuning=dataclasses.replace(spec.tuning, **(tuning or {})))

    def ours():
        r = _run.fit(spec)
        jax.block_until_ready(r)
        return r

    start = time.perf_counter()
    result = ours()
    first = time.perf_counter() - start
    seconds = _median_time(ours, repeats)
    flops = 2.0 * n * k * d * int(result.n_iter)
    row = {
        "case": f"fit n={n} d={d} k={k}",
        "kind": "fit",
        "iterations": int(result.n_iter),
        "jaxmeans_s": round(seconds, 5),
        "jaxmeans_compile_s": round(first - seconds, 3),
        "jaxmeans_tflops": round(flops / seconds / 1e12, 3),
        "fraction_of_measured_fp32": round(flops / seconds / 1e12 / ceiling_tflops, 3),
    }
    if peak:
        row["fraction_of_datasheet_fp32"] = round(flops / seconds / peak, 3)
    if with_sklearn:
        from sklearn.cluster import KMeans

        sk_repeats = 1 if n * k * d > 1e10 else max(1, repeats // 2)
        sk = KMeans(k, init=init, n_init=1, max_iter=iters, tol=0.0)
        sk_seconds = _median_time(lambda: sk.fit(X), sk_repeats)
        row.update(
            sklearn_cpu_s=round(sk_seconds, 4),
            ratio=round(sk_seconds / seconds, 2),
            sklearn_iterations=int(sk.n_iter_),
            inertia_rel_diff=float(abs(float(result.inertia) - sk.inertia_) / sk.inertia_),
            labels_equal_fraction=float(np.mean(np.asarray(result.labels) == sk.labels_)),
        )
    return row


def sweep_row(repeats, with_sklearn) -> dict:
    import jax
    import numpy as np

    import jaxmeans

    X, _ = make_data(100_000, 8, 6, seed=1)
    ks = range(1, 11)
    run = lambda seed: jax.block_until_ready(  # noqa: E731
        jaxmeans.elbow(X, ks, key=seed, n_init=3).inertia
    )
    start = time.perf_counter()
    run(0)
    cold = time.perf_counter() - start
    times = []
    for seed in range(1, repeats + 1):
        start = time.perf_counter()
        run(seed)
        times.append(time.perf_counter() - start)
    warm = statistics.median(times)
    row = {
        "case": "sweep n=100000 d=8 ks=1..10 n_init=3",
        "kind": "sweep",
        "jaxmeans_s": round(warm, 4),
        "jaxmeans_cold_s": round(cold, 3),
    }
    if with_sklearn:
        from sklearn.cluster import KMeans

        sk = _median_time(lambda: [KMeans(k, n_init=3).fit(np.asarray(X)) for k in ks], 1)
        row.update(sklearn_cpu_s=round(sk, 3), ratio=round(sk / warm, 2))
    return row


def same_labels_row() -> dict:
    import jax
    import numpy as np

    import jaxmeans

    X, init = make_data(50_000, 16, 32, seed=3)
    here = jaxmeans.kmeans(X, 32, init=init, max_iter=50)
    cpu = jax.devices("cpu")[0]
    with jax.default_device(cpu):
        ref = jaxmeans.kmeans(jax.device_put(X, cpu), 32, init=init, max_iter=50)
    return {
        "case": "fixed-seed fit n=50000 d=16 k=32: accelerator vs CPU backend",
        "kind": "same_labels",
        "device": jax.devices()[0].device_kind,
        "labels_equal": bool(np.array_equal(np.asarray(here.labels), np.asarray(ref.labels))),
        "labels_equal_fraction": float(np.mean(np.asarray(here.labels) == np.asarray(ref.labels))),
        "n_iter": [int(here.n_iter), int(ref.n_iter)],
        "inertia_rel_diff": float(
            abs(float(here.inertia) - float(ref.inertia)) / float(ref.inertia)
        ),
    }


def ablation_rows(n, d, k, iters, repeats, ceiling_tflops) -> list[dict]:
    """The big fit under each choice the core makes per backend, to show what each gains."""
    variants = {
        "one-hot update, one (value, index) reduction, 2^26-entry blocks (default)": {},
        "one-hot update, two reductions": {"variadic_max_k": 20},
        "scatter update, two reductions (the CPU rules)": {
            "variadic_max_k": 20,
            "one_hot_max_k": 0,
        },
        "one-hot update, one reduction, 2^28-entry blocks": {"block_entries": 2**28},
    }
    rows = []
    for name, changes in variants.items():
        row = fit_row(n, d, k, iters, repeats, ceiling_tflops, None, False, tuning=changes)
        row.update(kind="ablation", variant=name)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to test the script")
    parser.add_argument("--json", required=True)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="only time the largest fit under each per-backend choice",
    )
    args = parser.parse_args(argv)

    import jax

    try:
        import sklearn  # noqa: F401

        with_sklearn = not args.no_sklearn
    except ImportError:
        with_sklearn = False
    rows = [
        {
            "kind": "machine",
            "jax": jax.__version__,
            "backend": jax.default_backend(),
            "device": jax.devices()[0].device_kind,
            "sklearn_reference": with_sklearn,
            "cpus": os.cpu_count(),
        }
    ]

    def emit(row):
        rows.append(row)
        print(json.dumps(row), flush=True)
        with open(args.json, "w") as fh:  # after every row: a timeout keeps what was done
            json.dump(rows, fh, indent=2)

    emit(rows.pop())
    ceiling = ceiling_row(args.quick)
    emit(ceiling)
    if args.ablation:
        n, d, k = (20_000, 128, 64) if args.quick else FIT_CASES[-1]
        for row in ablation_rows(
            n, d, k, args.iters, 2 if args.quick else 3, ceiling["measured_tflops"]
        ):
            emit(row)
        return rows
    peak = (
        None
        if ceiling["datasheet_fp32_tflops"] is None
        else ceiling["datasheet_fp32_tflops"] * 1e12
    )
    cases = [(n // 50, d, min(k, 64)) for n, d, k in FIT_CASES] if args.quick else FIT_CASES
    repeats = 2 if args.quick else 5
    for n, d, k in cases:
        emit(fit_row(n, d, k, args.iters, repeats, ceiling["measured_tflops"], peak, with_sklearn))
    emit(same_labels_row())
    emit(sweep_row(repeats, with_sklearn))
    return rows


if __name__ == "__main__":
    main()
