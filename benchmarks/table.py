"""Render ``benchmarks/run.py --json`` rows as the README's Markdown performance table.

    python benchmarks/table.py RESULTS.json                 # print the table
    python benchmarks/table.py RESULTS.json --readme README.md

With ``--readme`` the text between the ``<!-- cpu-table:start -->`` and
``<!-- cpu-table:end -->`` markers is replaced, so the README quotes the JSON and nothing else.
"""

from __future__ import annotations

import argparse
import json
import re

START, END = "<!-- cpu-table:start -->", "<!-- cpu-table:end -->"
TARGETS = {"fit": 1.0, "sparse": 1.0, "cosine": 1.0, "sweep": 2.0, "gap": 5.0, "choose": 10.0}


def _s(seconds: float) -> str:
    if seconds < 0.01:  # small data: a millisecond or two, to a hundredth
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _case(row: dict) -> str:
    if row["kind"] == "fit":
        return f"fit ({row['n']:,}, {row['d']}, {row['k']}), {row['iterations']} iterations"
    if row["kind"] == "sparse":
        return (
            f"sparse fit, TF-IDF-like CSR ({row['n']:,}, {row['d']:,}, {row['k']}), "
            f"{row['nnz'] / (row['n'] * row['d']):.1%} stored, {row['iterations']} iterations"
        )
    if row["kind"] == "cosine":
        return (
            f"cosine fit, embeddings ({row['n']:,}, {row['d']}, {row['k']}), "
            f"{row['iterations']} iterations (scikit-learn: on normalised rows)"
        )
    if row["kind"] == "gap":
        return (
            f"gap statistic ({row['n']:,}, 8), ks 1..10, {row['problems'] // 10 - 1} "
            f"reference sets: {row['problems']} fits, warm"
        )
    return row["case"].replace("sweep", "elbow sweep", 1)


def _ratio_line(row: dict) -> str:
    target = TARGETS[row["kind"]]
    met = "met" if row["ratio"] >= target else "not met"
    elkan = _s(row["sklearn_elkan_s"]) if "sklearn_elkan_s" in row else ""
    faiss = _s(row["faiss_s"]) if "faiss_s" in row else ""
    return (
        f"| {_case(row)} | {_s(row['jaxmeans_s'])} | {_s(row['sklearn_s'])} "
        f"| **{row['ratio']:.2f}x** | >= {target:g}x ({met}) | {elkan} | {faiss} |"
    )


def render(rows: list[dict]) -> str:
    """The Markdown table (and its caption) for a list of rows."""
    by_kind = {r["kind"]: r for r in rows}
    lines = [
        "| case | jaxmeans | scikit-learn (lloyd) | ratio | target | scikit-learn (elkan) "
        "| faiss-cpu |",
        "|---|---|---|---|---|---|---|",
    ]
    # After the sweep's cold line.
    later = [r for r in rows if r["kind"] in ("gap", "choose")]
    for row in [r for r in rows if r["kind"] not in ("gap", "choose")]:
        if row["kind"] not in TARGETS:
            continue
        lines.append(_ratio_line(row))
        if row["kind"] == "sweep" and "jaxmeans_cold_s" in row:
            lines.append(
                f"| same sweep, cold (compilation included) | {_s(row['jaxmeans_cold_s'])} "
                f"| {_s(row['sklearn_s'])} | {row['ratio_cold']:.2f}x | | | |"
            )
    lines += [_ratio_line(row) for row in later]
    for row in [r for r in rows if r["kind"] == "seeding"]:
        met = "met" if row["ratio"] >= 5 and abs(row["inertia_rel"]) <= 0.01 else "not met"
        sklearn = row.get("sklearn_kmeans_plusplus_s")
        lines.append(
            f'| seeding k = {row["k"]:,} on ({row["n"]:,}, {row["d"]}): `init="k-means\\|\\|"` '
            f"against greedy k-means++ (jaxmeans' own in the scikit-learn column"
            + (f"; scikit-learn's {_s(sklearn)}" if sklearn else "")
            + f"); the fits after them {row['inertia_rel']:+.2%} in inertia, "
            f"{row['kmeans_parallel_n_iter']} and {row['kmeans_plusplus_n_iter']} iterations "
            f"| {_s(row['kmeans_parallel_s'])} | {_s(row['kmeans_plusplus_s'])} "
            f"| **{row['ratio']:.1f}x** | >= 5x, within 1% ({met}) | | |"
        )
    for row in [r for r in rows if r["kind"] == "choose" and "r_gap_s" in r]:
        met = "met" if row["ratio_gap_vs_r"] >= 5 else "not met"
        lines.append(
            f"| the same choose_k's gap part against R `clusGap` (in the scikit-learn column; "
            f"both pick k = {row['k_gap']} / {row['r_gap_k_best']}) | {_s(row['gap_s'])} "
            f"| {_s(row['r_gap_s'])} | **{row['ratio_gap_vs_r']:.0f}x** | >= 5x ({met}) | | |"
        )
    if "cold" in by_kind:
        cold = by_kind["cold"]
        met = "met" if cold["jaxmeans_s"] < 2.0 else "not met"
        lines.append(
            f"| cold start: new process, `import jaxmeans`, `KMeans(3).fit(iris)`, empty cache "
            f"| {_s(cold['jaxmeans_s'])} | | | < 2 s ({met}) | | |"
        )
        if "jaxmeans_cached_s" in cold:
            lines.append(
                f"| the same, cache filled by an earlier process "
                f"| {_s(cold['jaxmeans_cached_s'])} | | | | | |"
            )
    ttr = [r for r in rows if r["kind"] == "ttr"]
    if ttr:
        lines += ["", *_ttr_table(ttr)]
    small = [r for r in rows if r["kind"] == "small"]
    if small:
        lines += ["", *_small_table(small)]
    machine = rows[0].get("machine", "unknown machine")
    caption = f"Machine: {machine}."
    if "gemm" in by_kind:
        caption += f" NumPy float32 GEMM in the same run: {by_kind['gemm']['gflops']:.0f} GFLOP/s."
    return "\n".join([caption, "", *lines])


# Time-to-result targets: cold (import + work, empty cache) at most this many seconds,
# and the cache-filled process's ratio to scikit-learn at least this.
TTR_TARGETS = {"gridsearch": (5.0, 0.5), "datasets": (3.0, 0.5), "elbow": (None, 1.0)}


def _ttr_table(rows: list[dict]) -> list[str]:
    """Fresh-process workloads: jaxmeans with an empty cache and with the cache filled."""
    lines = [
        "| fresh process (import apart) | jaxmeans, empty cache (+ import) "
        "| jaxmeans, cache filled | scikit-learn | ratio, cache filled | target |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        cold_max, ratio_min = TTR_TARGETS[row["workload"]]
        cold = row["jaxmeans_cold_s"] + row["jaxmeans_cold_import_s"]
        parts = []
        if cold_max is not None:
            parts.append(f"cold <= {cold_max:g} s ({'met' if cold <= cold_max else 'not met'})")
        met = "met" if row["ratio_second"] >= ratio_min else "not met"
        parts.append(f"ratio >= {ratio_min:g}x ({met})")
        lines.append(
            f"| {row['case']} | {_s(row['jaxmeans_cold_s'])} "
            f"(+{_s(row['jaxmeans_cold_import_s'])}) | {_s(row['jaxmeans_second_s'])} "
            f"| {_s(row['sklearn_s'])} | **{row['ratio_second']:.2f}x** | {'; '.join(parts)} |"
        )
    return lines


# Small data (benchmarks/small.py): the least ratio each row must reach, and the first-call
# limits in seconds (empty cache, cache filled).
SMALL_TARGETS = {"elbow_vs_r": 3.0, "elbow_vs_sklearn": 10.0, "gap_vs_r": 5.0, "fit_vs_r": 1.0}
FIRST_CALL = (1.5, 0.3)


def _x(row: dict, name: str) -> str:
    if name not in row:
        return ""
    met = "met" if row[name] >= SMALL_TARGETS[name] else "not met"
    return f"**{row[name]:.2f}x** ({met})"


def _small_table(rows: list[dict]) -> list[str]:
    """Research-sized data, warm: jaxmeans against R (when it was there) and scikit-learn."""
    lines = [
        "| small data, warm (ratio: peer's time / jaxmeans') | jaxmeans | R | ratio to R "
        "(target) | scikit-learn | ratio to scikit-learn (target) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        data = f"{r['set']} ({r['n']:,} x {r['d']})"
        r_elbow = _s(r["r_elbow_s"]) if "r_elbow_s" in r else "not run"
        lines.append(
            f"| {data}: elbow, ks 1..10, `n_init=10` | {_s(r['elbow_s'])} | {r_elbow} "
            f"| {_x(r, 'elbow_vs_r')} (>= 3x) | {_s(r['sklearn_elbow_s'])} "
            f"| {_x(r, 'elbow_vs_sklearn')} (>= 10x) |"
        )
        ours = f"{_s(r['gap_s'])}, k = {r['gap_k_best']}"
        theirs = f"{_s(r['r_gap_s'])}, k = {r['r_gap_k_best']}" if "r_gap_s" in r else "not run"
        lines.append(
            f"| {data}: gap, ks 1..10, 50 reference sets, `n_init=10` (R: `clusGap`) "
            f"| {ours} | {theirs} | {_x(r, 'gap_vs_r')} (>= 5x) | | |"
        )
        r_fit = _s(r["r_fit_s"]) if "r_fit_s" in r else "not run"
        lines.append(
            f"| {data}: `KMeans(3).fit` (R: `kmeans(X, 3, nstart=10)`) | {_s(r['fit_s'])} "
            f"| {r_fit} | {_x(r, 'fit_vs_r')} (>= 1x) | {_s(r['sklearn_fit_s'])} "
            f"| **{r['fit_vs_sklearn']:.2f}x** |"
        )
    first = next((r for r in rows if "elbow_first_empty_s" in r), None)
    if first is not None:
        empty_max, filled_max = FIRST_CALL
        for what in ("elbow", "gap"):
            empty, filled = first[f"{what}_first_empty_s"], first[f"{what}_first_filled_s"]
            ok = "met" if empty < empty_max and filled < filled_max else "not met"
            lines.append(
                f"| first {what} call on iris, fresh process (import apart): empty cache / "
                f"cache filled | {_s(empty)} / {_s(filled)} | | < {empty_max:g} s / "
                f"< {filled_max:g} s ({ok}) | | |"
            )
    return lines


def update_readme(path: str, table: str) -> None:
    """Replace the marked region of ``path`` with ``table``."""
    with open(path) as fh:
        text = fh.read()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path}: no {START} ... {END} markers")
    text = pattern.sub(lambda _: f"{START}\n{table}\n{END}", text)
    with open(path, "w") as fh:
        fh.write(text)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="JSON written by benchmarks/run.py --json")
    parser.add_argument("--readme", help="rewrite the marked table in this file")
    args = parser.parse_args(argv)
    with open(args.results) as fh:
        table = render(json.load(fh))
    if args.readme:
        update_readme(args.readme, table)
    else:
        print(table)
    return table


if __name__ == "__main__":
    main()
