"""k-means over several processes (hosts), each holding only its own rows.

The recipe for a cluster: start one copy of this script per host (your scheduler's rank
gives ``--process-id``), all pointing at the same coordinator:

    python examples/multihost.py data.npy -k 100 \\
        --coordinator host0:12345 --num-processes 4 --process-id $RANK

JAX's runtime (``jax.distributed.initialize``) connects the processes; the mesh spans every
process's devices; each process memory-maps ``data.npy`` and reads only its own contiguous
block of rows into a global array (``jax.make_array_from_process_local_data``). From there
``jaxmeans.kmeans`` runs data-parallel: each iteration exchanges only the per-cluster sums
(``[k, d] + [k]`` values and one flag) between devices, over NCCL on GPUs. Every process
gets the same centroids; each keeps the labels of its own rows.

Try it on one machine, two CPU processes talking over loopback (gloo collectives):

    python examples/multihost.py --local-demo

The number of rows must be a multiple of the total number of devices.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile


def fit(args) -> dict:
    import jax

    if args.cpu:
        jax.config.update("jax_platforms", "cpu")
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=args.coordinator,
        num_processes=args.num_processes,
        process_id=args.process_id,
    )
    import numpy as np
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    import jaxmeans

    data = np.load(args.data, mmap_mode="r")
    n, d = data.shape
    mesh = jax.make_mesh((jax.device_count(),), ("data",))
    if n % jax.device_count():
        raise SystemExit(f"rows ({n}) must be a multiple of the devices ({jax.device_count()})")
    per_process = n // jax.process_count()
    start = jax.process_index() * per_process
    local = np.asarray(data[start : start + per_process], dtype=np.float32)
    X = jax.make_array_from_process_local_data(NamedSharding(mesh, P("data", None)), local, (n, d))

    init = np.asarray(data[: args.k], dtype=np.float32) if args.first_rows_init else "k-means++"
    result = jaxmeans.kmeans(X, args.k, key=args.seed, init=init)
    own_labels = np.concatenate([np.asarray(s.data) for s in result.labels.addressable_shards])
    # The scikit-learn-style estimator works the same way; its labels_ hold every row.
    model = jaxmeans.KMeans(args.k, init=init, random_state=args.seed).fit(X)
    return {
        "estimator_inertia": model.inertia_,
        "estimator_labels": int(model.labels_.shape[0]),
        "process": jax.process_index(),
        "rows": [start, start + per_process],
        "centroids": np.asarray(result.centroids).tolist(),
        "inertia": float(result.inertia),
        "n_iter": int(result.n_iter),
        "labels": own_labels.tolist(),
    }


def local_demo() -> None:
    """Two processes on this machine, CPU only, over loopback; prints what each computed."""
    import numpy as np

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=5.0, size=(4, 3))
    X = (centres[rng.integers(0, 4, 2000)] + rng.normal(size=(2000, 3))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npy")
        np.save(path, X)
        outs = run_local(path, k=4, num_processes=2, tmp=tmp)
    for out in outs:
        first, stop = out["rows"]  # half-open: rows first .. stop - 1
        print(
            f"process {out['process']}: rows {first} to {stop - 1}, "
            f"inertia {out['inertia']:.3f}, {out['n_iter']} iterations, "
            f"first centroid {np.round(out['centroids'][0], 3)}"
        )


def run_local(path, k, num_processes, tmp, port=None, extra=(), timeout=300) -> list[dict]:
    """Start ``num_processes`` CPU processes of this script on loopback; their results."""
    import socket

    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": ""}
    procs, outs, logs = [], [], []
    for pid in range(num_processes):
        out = os.path.join(tmp, f"process{pid}.json")
        outs.append(out)
        # Each process logs to its own file, so that their lines never interleave; a
        # failed process's log is shown whole.
        logs.append(open(os.path.join(tmp, f"process{pid}.log"), "w+"))
        cmd = [
            sys.executable, __file__, path, "-k", str(k), "--cpu", "--out", out,
            "--coordinator", f"127.0.0.1:{port}", "--num-processes", str(num_processes),
            "--process-id", str(pid), *extra,
        ]  # fmt: skip
        procs.append(subprocess.Popen(cmd, env=env, stdout=logs[-1], stderr=subprocess.STDOUT))
    try:
        for pid, p in enumerate(procs):
            if p.wait(timeout=timeout) != 0:
                logs[pid].seek(0)
                sys.stderr.write(f"--- process {pid} log ---\n{logs[pid].read()}")
                raise SystemExit(f"process {pid} exited with {p.returncode}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        for log in logs:
            log.close()
    results = []
    for out in outs:
        with open(out) as fh:
            results.append(json.load(fh))
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", help="a .npy file of [n, d] rows")
    parser.add_argument("-k", type=int, default=8)
    parser.add_argument("--coordinator", default="127.0.0.1:12345", help="host:port")
    parser.add_argument("--num-processes", type=int, default=1)
    parser.add_argument("--process-id", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cpu", action="store_true", help="CPU devices, gloo collectives")
    parser.add_argument("--first-rows-init", action="store_true", help="start from rows 0..k-1")
    parser.add_argument("--out", help="write this process's result as JSON here")
    parser.add_argument("--local-demo", action="store_true", help="2 CPU processes, loopback")
    args = parser.parse_args(argv)
    if args.local_demo:
        local_demo()
        return
    if args.data is None:
        parser.error("give a .npy file, or --local-demo")
    result = fit(args)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh)
    else:
        print(json.dumps({key: v for key, v in result.items() if key != "labels"}))


if __name__ == "__main__":
    main()
