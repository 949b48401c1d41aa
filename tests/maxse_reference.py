"""R's ``cluster::maxSE`` on a set of gap curves: the k each rule picks, kept as test data.

    python tests/maxse_reference.py      # needs Rscript with the cluster package

Writes ``tests/maxse_reference.json``: for each curve of :func:`cases` (``f``, the gaps, and
``SE.f``, their standard errors, with no NaN), ``maxSE(f, SE.f, method, SE.factor)`` for
each of R's five methods and ``SE.factor`` 1 and 2, so that the tests compare
:func:`jaxmeans.gap_k_best` with R without needing R. Every value is a multiple of 1/64,
so ``f - SE.factor * SE.f`` is exact in float32 as in R's doubles: a tie is a tie in both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "maxse_reference.json")
METHODS = ("firstSEmax", "Tibs2001SEmax", "globalSEmax", "firstmax", "globalmax")
SE_FACTORS = (1, 2)
SEED = 20011

_R = r"""
suppressMessages(library(cluster))
args <- commandArgs(trailingOnly = TRUE)
methods <- strsplit(args[2], ",")[[1]]
factors <- as.numeric(strsplit(args[3], ",")[[1]])
cat("#", R.version.string, "cluster", format(packageVersion("cluster")), "\n")
for (line in readLines(args[1])) {
  parts <- strsplit(line, "|", fixed = TRUE)[[1]]
  f <- as.numeric(strsplit(parts[1], " ")[[1]])
  se <- as.numeric(strsplit(parts[2], " ")[[1]])
  for (m in methods) for (s in factors) cat(maxSE(f, se, method = m, SE.factor = s), "")
  cat("\n")
}
"""


def _grid(x) -> list[float]:
    """``x`` rounded to multiples of 1/64 (exact in float32 and float64)."""
    return [float(v) for v in np.round(np.asarray(x, np.float64) * 64) / 64]


def cases() -> dict[str, tuple[list[float], list[float]]]:
    """The curves by name: ``(f, SE.f)``, crafted edge cases, then random ones."""
    out = {
        "one_k": ([0.5], [0.125]),
        "two_ks_falling": ([0.5, 0.25], [0.125, 0.125]),
        "two_ks_rising": ([0.25, 0.5], [0.125, 0.125]),
        "flat_ties": ([0.5] * 6, [0.125] * 6),
        "tied_maxima": ([0.125, 0.5, 0.5, 0.25, 0.5, 0.375], [0.0625] * 6),
        "tie_on_the_se_boundary": ([0.25, 0.5, 0.625, 0.5], [0.125, 0.25, 0.125, 0.125]),
        "increasing": ([0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875], [0.0625] * 7),
        "increasing_within_se": ([0.5, 0.5625, 0.625, 0.6875, 0.75], [0.125] * 5),
        "decreasing": ([1.0, 0.875, 0.75, 0.5, 0.25], [0.0625] * 5),
        "single_peak": ([0.125, 0.375, 0.75, 1.0, 0.8125, 0.5], [0.0625] * 6),
        "single_peak_wide_se": ([0.125, 0.375, 0.75, 1.0, 0.8125, 0.5], [0.375] * 6),
        "two_peaks": ([0.25, 0.625, 0.5, 0.875, 1.25, 1.0, 0.75], [0.09375] * 7),
        "zero_se": ([0.25, 0.5, 0.5, 0.75, 0.625], [0.0] * 5),
        "se_of_next_decides": ([0.125, 0.3125, 0.1875, 0.625, 0.5], [0, 0.15625, 0, 0, 0]),
        "negative_gaps": ([-0.5, -0.25, -0.375, 0.125, -0.125], [0.0625, 0.125, 0.0625, 0.25, 0]),
    }  # fmt: skip
    rng = np.random.default_rng(SEED)
    for i in range(40):
        k = int(rng.integers(2, 13))
        f = np.cumsum(rng.normal(0.1, 0.25, size=k))  # a walk: rises, falls, plateaus
        se = rng.uniform(0.0, 0.25, size=k)
        out[f"random_{i:02d}"] = (_grid(f), _grid(se))
    return out


def main() -> int:
    curves = cases()
    with tempfile.TemporaryDirectory() as tmp:
        script, data = os.path.join(tmp, "maxse.R"), os.path.join(tmp, "curves.txt")
        with open(script, "w") as fh:
            fh.write(_R)
        with open(data, "w") as fh:
            for f, se in curves.values():
                fh.write(" ".join(map(repr, f)) + "|" + " ".join(map(repr, se)) + "\n")
        run = subprocess.run(
            ["Rscript", script, data, ",".join(METHODS), ",".join(map(str, SE_FACTORS))],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    header, *lines = run.stdout.splitlines()
    assert len(lines) == len(curves), run.stdout
    out = []
    for (name, (f, se)), line in zip(curves.items(), lines, strict=True):
        answers = iter(int(word) for word in line.split())
        k = {m: {str(s): next(answers) for s in SE_FACTORS} for m in METHODS}
        out.append({"name": name, "f": f, "se_f": se, "k": k})
    with open(OUT, "w") as fh:
        cases_text = ",\n  ".join(json.dumps(case) for case in out)  # one curve a line
        fh.write(f'{{\n "r": {json.dumps(header.lstrip("# ").strip())},\n')
        fh.write(f' "cases": [\n  {cases_text}\n ]\n}}\n')
    print(header, f"{len(out)} curves", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
