"""The benchmark scripts run, write the documented JSON, and render the README table."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import table  # noqa: E402


def _run(args, tmp_path, env=None):
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


@pytest.fixture(scope="module")
def run_rows(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "cpu.json"
    args = ["--quick", "--scale", "0.002", "--ttr-repeats", "1", "--json", str(out)]
    _run(["benchmarks/run.py", *args], out.parent)
    return json.loads(out.read_text())


@pytest.mark.slow
def test_run_writes_every_documented_row(run_rows):
    kinds = [row["kind"] for row in run_rows]
    assert kinds == [
        "gemm", "fit", "fit", "fit", "fit", "sparse", "cosine", "sweep", "gap", "choose",
        "seeding", "cold", "ttr", "ttr", "ttr", "small",
    ]  # fmt: skip
    for row in run_rows:
        assert row["machine"]
        if row["kind"] in ("fit", "sparse", "cosine", "sweep", "gap", "choose"):
            assert row["case"] and row["jaxmeans_s"] > 0 and row["sklearn_s"] > 0
            assert row["ratio"] == pytest.approx(row["sklearn_s"] / row["jaxmeans_s"], rel=0.01)
        if row["kind"] in ("fit", "sparse"):
            # Same start, same iteration count: the same clustering as scikit-learn.
            assert row["iterations"] == row["sklearn_iterations"]
            assert row["inertia_rel_diff"] < 1e-4
            assert row["labels_equal_fraction"] > 0.99
        if row["kind"] == "fit":
            assert row["sklearn_elkan_s"] > 0
        if row["kind"] == "cosine":
            assert row["objective_rel_diff"] < 1e-4 and 1 <= row["iterations"] <= 10
        if row["kind"] == "gap":
            assert row["problems"] == 110 and row["jaxmeans_first_s"] > 0
        if row["kind"] == "choose":
            # Four separated blobs: both tools' gap finds them, and so does the vote; R's
            # columns only where Rscript is (not on CI).
            assert row["n"] == 500 and row["jaxmeans_first_s"] > 0
            assert row["k_gap"] == row["sklearn_k_gap"] == row["k_best"] == 4
            if "r_gap_s" in row:
                assert row["r_gap_k_best"] == 4
                assert row["ratio_gap_vs_r"] == pytest.approx(
                    row["r_gap_s"] / row["gap_s"], rel=0.01
                )
        if row["kind"] == "seeding":
            # Both seedings timed and fitted from (k = 8 on 400 rows of 50 blobs: local
            # optima apart by a few percent; the README's row holds them to 1%).
            assert row["k"] == 8 and row["kmeans_parallel_s"] > 0 and row["kmeans_plusplus_s"] > 0
            assert row["ratio"] == pytest.approx(
                row["kmeans_plusplus_s"] / row["kmeans_parallel_s"], rel=0.02
            )
            assert abs(row["inertia_rel"]) < 0.1 and "sklearn_kmeans_plusplus_s" not in row
        if row["kind"] == "sparse":
            assert 0.004 < row["nnz"] / (row["n"] * row["d"]) < 0.006
        if row["kind"] == "ttr":
            # Each tool in fresh processes; the cache-filled process compiled nothing.
            assert row["sklearn_s"] > 0 and row["jaxmeans_cold_s"] > row["jaxmeans_second_s"]
            assert row["ratio_second"] == pytest.approx(
                row["sklearn_s"] / row["jaxmeans_second_s"], rel=0.01
            )
        if row["kind"] == "small":
            # Iris: jaxmeans and scikit-learn side by side (R where Rscript is here), and the
            # first calls in fresh processes, the cache-filled one quicker.
            assert row["set"] == "iris" and row["elbow_s"] > 0 and row["gap_s"] > 0
            assert row["elbow_vs_sklearn"] == pytest.approx(
                row["sklearn_elbow_s"] / row["elbow_s"], rel=0.01
            )
            assert 1 <= row["gap_k_best"] <= 10
            for what in ("elbow", "gap"):
                assert 0 < row[f"{what}_first_filled_s"] < row[f"{what}_first_empty_s"]
    cold = next(row for row in run_rows if row["kind"] == "cold")
    assert 0 < cold["jaxmeans_cached_s"] < cold["jaxmeans_s"] < 60


@pytest.mark.slow
def test_table_quotes_the_json_in_the_readme(run_rows, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{table.START}\nold table\n{table.END}\noutro\n")
    results = tmp_path / "cpu.json"
    results.write_text(json.dumps(run_rows))
    table.main([str(results), "--readme", str(readme)])
    text = readme.read_text()
    assert "old table" not in text and text.startswith("intro\n") and text.endswith("outro\n")
    fit = run_rows[1]
    assert f"**{fit['ratio']:.2f}x**" in text
    assert f"({fit['n']:,}, {fit['d']}, {fit['k']})" in text
    assert run_rows[0]["machine"] in text
    assert (
        text.count("| fit (") == 4
        and "| sparse fit, TF-IDF-like CSR (" in text
        and "elbow sweep" in text
        and "cold start" in text
        and "| choose_k 500 x 8, ks 1..10" in text
        and "| seeding k = 8 on (400, 32)" in text
    )
    assert "GridSearchCV" in text and "20 data sets" in text and "cache filled" in text
    assert "iris (150 x 4): elbow, ks 1..10" in text and "first gap call on iris" in text


def test_table_refuses_a_readme_without_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers here\n")
    with pytest.raises(SystemExit, match="markers"):
        table.update_readme(str(readme), "table")
    assert readme.read_text() == "no markers here\n"


def test_table_marks_targets_met_and_not_met():
    rows = [
        {"kind": "fit", "n": 10, "d": 2, "k": 3, "iterations": 5, "case": "fit",
         "jaxmeans_s": 1.0, "sklearn_s": 2.0, "ratio": 2.0, "machine": "m"},
        {"kind": "fit", "n": 20, "d": 2, "k": 3, "iterations": 5, "case": "fit",
         "jaxmeans_s": 2.0, "sklearn_s": 1.0, "ratio": 0.5},
        {"kind": "cold", "case": "cold", "jaxmeans_s": 2.5},
    ]  # fmt: skip
    text = table.render(rows)
    assert "| **2.00x** | >= 1x (met) |" in text
    assert "| **0.50x** | >= 1x (not met) |" in text
    assert "< 2 s (not met)" in text


def test_choose_row_shows_its_target_and_r_only_when_measured():
    row = {"kind": "choose", "case": "choose_k 10,000 x 8", "jaxmeans_s": 2.5,
           "sklearn_s": 18.0, "ratio": 7.2, "k_gap": 4, "gap_s": 1.2}  # fmt: skip
    text = table.render([row])
    assert "| choose_k 10,000 x 8 | 2.50 s | 18.00 s | **7.20x** | >= 10x (not met) |" in text
    assert "clusGap" not in text
    text = table.render([dict(row, r_gap_s=90.0, r_gap_k_best=4, ratio_gap_vs_r=75.0)])
    assert "| 1.20 s | 90.00 s | **75x** | >= 5x (met) |" in text and "k = 4 / 4" in text


def test_seeding_row_needs_both_the_speed_and_the_fit():
    row = {"kind": "seeding", "n": 200_000, "d": 32, "k": 4096, "kmeans_parallel_s": 4.0,
           "kmeans_plusplus_s": 22.0, "ratio": 5.5, "inertia_rel": -0.0002,
           "kmeans_parallel_n_iter": 38, "kmeans_plusplus_n_iter": 53}  # fmt: skip
    text = table.render([row])
    assert "| 4.00 s | 22.00 s | **5.5x** | >= 5x, within 1% (met) |" in text
    assert "-0.02% in inertia, 38 and 53 iterations" in text
    assert "within 1% (not met)" in table.render([dict(row, inertia_rel=0.02)])
    assert "within 1% (not met)" in table.render([dict(row, ratio=4.0)])


def test_small_table_marks_targets_and_leaves_r_out_when_absent():
    row = {"kind": "small", "set": "iris", "n": 150, "d": 4, "elbow_s": 0.004,
           "sklearn_elbow_s": 0.2, "elbow_vs_sklearn": 50.0, "gap_s": 0.1, "gap_k_best": 6,
           "fit_s": 0.002, "sklearn_fit_s": 0.003, "fit_vs_sklearn": 1.5,
           "elbow_first_empty_s": 2.0, "elbow_first_filled_s": 0.1,
           "gap_first_empty_s": 1.0, "gap_first_filled_s": 0.2}  # fmt: skip
    text = "\n".join(table._small_table([row]))
    assert "| 4.00 ms | not run |" in text and "**50.00x** (met) (>= 10x)" in text
    assert "2.00 s / 100 ms | | < 1.5 s / < 0.3 s (not met)" in text
    assert "1.00 s / 200 ms | | < 1.5 s / < 0.3 s (met)" in text
    with_r = dict(row, r_elbow_s=0.011, elbow_vs_r=2.75, r_gap_s=0.9, r_gap_k_best=6,
                  gap_vs_r=9.0, r_fit_s=0.001, fit_vs_r=0.5)  # fmt: skip
    text = "\n".join(table._small_table([with_r]))
    assert "**2.75x** (not met) (>= 3x)" in text and "**9.00x** (met) (>= 5x)" in text
    assert "100 ms, k = 6 | 900 ms, k = 6" in text and "**0.50x** (not met) (>= 1x)" in text


@pytest.mark.slow
def test_gpu_script_runs_on_cpu(tmp_path):
    out = tmp_path / "gpu.json"
    _run(["benchmarks/gpu.py", "--quick", "--json", str(out)], tmp_path, {"JAX_PLATFORMS": "cpu"})
    rows = json.loads(out.read_text())
    kinds = {row["kind"] for row in rows}
    assert {"ceiling", "fit", "sweep", "same_labels"} <= kinds
    same = next(row for row in rows if row["kind"] == "same_labels")
    assert same["labels_equal"] is True
