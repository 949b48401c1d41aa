"""MiniBatchKMeans on a .npy file larger than the memory it may use.

    python benchmarks/out_of_core.py [--path FILE] [--rows N] [--json OUT]

Writes (once, in a separate process) a float32 .npy of ``--rows`` x 64 blob data (the
default 8,388,608 rows is 2.0 GiB), then, in a fresh process, memory-maps it and runs
``MiniBatchKMeans(64, batch_size=4096).fit``, reporting the time and the process's peak
resident memory (``ru_maxrss``). For quality, a full ``jaxmeans.kmeans`` fit on a random
200,000-row subsample is compared with the mini-batch centres' inertia on the same rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

D, K, CENTRES = 64, 64, 64


def write(path: str, rows: int, chunk: int = 1 << 20) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3.0, size=(CENTRES, D)).astype(np.float32)
    out = np.lib.format.open_memmap(path + ".part", mode="w+", dtype=np.float32, shape=(rows, D))
    for start in range(0, rows, chunk):
        m = min(chunk, rows - start)
        out[start : start + m] = centres[rng.integers(0, CENTRES, m)] + rng.normal(
            size=(m, D)
        ).astype(np.float32)
    out.flush()
    del out
    os.replace(path + ".part", path)


def measure(path: str) -> dict:
    import numpy as np

    import jaxmeans

    X = np.load(path, mmap_mode="r")
    start = time.perf_counter()
    model = jaxmeans.MiniBatchKMeans(K, batch_size=4096, random_state=0).fit(X)
    fit_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows = np.sort(np.random.default_rng(1).choice(len(X), 200_000, replace=False))
    sample = np.asarray(X[rows])
    full = jaxmeans.kmeans(sample, K, key=0)
    minibatch_inertia = -model.score(sample)
    return {
        "file_gb": round(os.path.getsize(path) / 1e9, 3),
        "rows": int(X.shape[0]),
        "d": D,
        "k": K,
        "fit_s": round(fit_s, 2),
        "n_steps": int(model.n_steps_),
        "peak_rss_mb_during_fit": round(peak_mb, 1),
        "subsample_rows": len(rows),
        "full_fit_inertia_on_subsample": float(full.inertia),
        "minibatch_inertia_on_subsample": float(minibatch_inertia),
        "inertia_ratio": round(float(minibatch_inertia) / float(full.inertia), 4),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/tmp/jaxmeans-out-of-core.npy")
    parser.add_argument("--rows", type=int, default=8_388_608)
    parser.add_argument("--json", help="write the result here")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.path)))
        return {}
    if not os.path.exists(args.path):
        code = f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
        code += f"import out_of_core; out_of_core.write({args.path!r}, {args.rows})"
        subprocess.run([sys.executable, "-c", code], check=True)
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", "--path", args.path],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return result


if __name__ == "__main__":
    main()
