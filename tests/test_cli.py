"""The jaxmeans command, run as a user would: in a subprocess."""

import csv
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from jaxmeans.datasets import _bundled

BLOBS = str(_bundled("kmeans_blobs.csv"))


def jaxmeans_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "jaxmeans", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_fit_writes_labels_centroids_and_plot(tmp_path):
    out, cent, png = tmp_path / "labels.csv", tmp_path / "c.csv", tmp_path / "p.png"
    run = jaxmeans_cli(
        "fit",
        BLOBS,
        "-k",
        3,
        "--columns",
        "x,y",
        "--out",
        out,
        "--centroids",
        cent,
        "--plot",
        png,
        "--seed",
        1,
    )
    assert run.returncode == 0, run.stderr
    assert "k=3" in run.stdout and "inertia=" in run.stdout
    rows = list(csv.reader(open(out)))
    # The file's ID column, not row numbers: the labels join back on it.
    assert rows[0] == ["ID", "label"] and len(rows) == 301
    given = list(csv.reader(open(BLOBS)))[1:]
    assert [r[0] for r in rows[1:]] == [r[0] for r in given]
    labels = np.array([int(r[1]) for r in rows[1:]])
    truth = np.array([int(r[3]) for r in given])
    assert len(set(zip(labels.tolist(), truth.tolist(), strict=True))) == 3  # the true blobs
    centres = list(csv.reader(open(cent)))
    assert centres[0] == ["x", "y"] and len(centres) == 4
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert oct(os.stat(out).st_mode & 0o777) != oct(0o600)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".jaxmeans-")]


def test_help_and_import_leave_jax_unloaded():
    # `jaxmeans --help` and `import jaxmeans` do not start JAX (a second or more): the
    # public names are imported on first use.
    code = (
        "import sys, jaxmeans, jaxmeans.cli as cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'jax' not in sys.modules, 'jax imported'\n"
        "assert jaxmeans.KMeans.__name__ == 'KMeans' and 'jax' in sys.modules\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "usage: jaxmeans" in run.stdout


def test_a_reader_that_closes_the_pipe_early_is_not_an_error(tmp_path):
    # `jaxmeans elbow ... | head -1`: unbuffered, every later line meets a closed pipe.
    # The command still writes its files and exits 0, nothing on stderr.
    js = tmp_path / "e.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jaxmeans", "elbow", BLOBS, "--columns", "x,y", "--k-max", "5",
         "--json", str(js)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=600) == 0, err
    assert first.split() == [b"k", b"inertia", b"silhouette"] and err == b""
    assert json.loads(js.read_text())["knee"] == 3


def test_fit_verbose_prints_iterations():
    run = jaxmeans_cli("fit", BLOBS, "-k", 3, "--columns", "x,y", "--n-init", 1, "--verbose")
    assert run.returncode == 0, run.stderr
    assert "Iteration 0, inertia" in run.stdout


def test_elbow_piped_prints_only_its_table_and_knee(tmp_path):
    js, png = tmp_path / "e.json", tmp_path / "e.png"
    run = jaxmeans_cli(
        "elbow", BLOBS, "--columns", "x,y", "--k-max", 6, "--json", js, "--plot", png
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["k", "inertia", "silhouette"]
    assert [int(line.split()[0]) for line in lines[1:7]] == [1, 2, 3, 4, 5, 6]
    assert lines[7:] == ["knee: 3", f"wrote {js}", f"wrote plot to {png}"]
    assert run.stderr == ""  # stderr is not a terminal: no progress
    # One format for the whole inertia column: the same decimals, no exponent beside them.
    decimals = {len(line.split()[1].partition(".")[2]) for line in lines[1:7]}
    assert len(decimals) == 1 and not any("e" in line.split()[1] for line in lines[1:7])
    payload = json.loads(js.read_text())
    assert payload["knee"] == 3 and [r["k"] for r in payload["curve"]] == [1, 2, 3, 4, 5, 6]
    assert payload["curve"][0]["silhouette"] is None
    assert png.stat().st_size > 1000


@pytest.mark.slow
def test_elbow_progress_and_quiet():
    run = jaxmeans_cli("elbow", BLOBS, "--columns", "x,y", "--k-max", 4, "--progress")
    assert run.returncode == 0, run.stderr
    shown = run.stderr.splitlines()
    assert shown[0] == "fitting k = 1..4, 3 restart(s) each"
    assert len(shown) == 1 + 4 * 3  # not a terminal: a line per fit, in the order they stop
    assert shown[-1].startswith("elbow: 12/12 fits done (k=")
    assert "fits done" not in run.stdout and "knee: 3" in run.stdout
    quiet = jaxmeans_cli("elbow", BLOBS, "--columns", "x,y", "--k-max", 4, "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == run.stdout
    both = jaxmeans_cli("elbow", BLOBS, "--progress", "--quiet")
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_progress_line_is_rewritten_in_place_on_a_terminal():
    import io

    from jaxmeans._runtime.progress import ProgressLine

    out = io.StringIO()
    line = ProgressLine(3, stream=out, in_place=True)
    line.fit_stopped(2, 0, 7, True)
    line.fit_stopped(10, 1, 300, False)
    line.close()
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "elbow: 2/3 fits done (k=10 restart 1: stopped at max_iter after 300" in text


def test_every_option_has_help_with_its_default():
    from jaxmeans.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, command in commands.items():
        for action in command._actions:
            if action.dest in ("help", "file"):
                continue
            assert action.help, (name, action.dest)
            assert "(default: " in action.help or "(required)" in action.help, (
                name,
                action.dest,
                action.help,
            )


@pytest.mark.slow
def test_fit_plots_principal_components_or_named_columns(tmp_path):
    from jaxmeans.datasets import _bundled

    iris = str(_bundled("iris.csv"))
    cols = "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)"
    png = tmp_path / "pca.png"
    run = jaxmeans_cli("fit", iris, "-k", 3, "--columns", cols, "--plot", png)
    assert run.returncode == 0, run.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The default n_init is the library's: the same clustering as KMeans(3, random_state=0).
    assert "inertia=78.8514" in run.stdout
    named = jaxmeans_cli(
        "fit", iris, "-k", 3, "--columns", cols, "--plot", png,
        "--plot-columns", "petal length (cm),petal width (cm)",
    )  # fmt: skip
    assert named.returncode == 0, named.stderr
    bad = jaxmeans_cli(
        "fit", iris, "-k", 3, "--columns", cols, "--plot", png, "--plot-columns", "species,x"
    )
    assert bad.returncode == 2 and "--plot-columns" in bad.stderr


def test_pca_plane_names_its_axes():
    from jaxmeans.plot import _plane

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)) * [5.0, 1.0, 0.1, 0.1]
    C = X[:3]
    points, centres, names, how = _plane(X, C, ["a", "b", "c", "d"], None)
    assert points.shape == (200, 2) and centres.shape == (3, 2)
    assert names[0].startswith("principal component 1 (") and "of variance" in names[0]
    assert "principal components" in how
    # The first component carries the largest spread, and the projection keeps distances
    # along it (an orthonormal basis).
    assert np.std(points[:, 0]) > np.std(points[:, 1]) > 0.5
    assert _plane(X, C, ["a", "b", "c", "d"], [2, 0])[2] == ["c", "a"]


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "make_args,message",
    [
        (lambda d: ["fit", d / "missing.csv", "-k", 2], "no such file"),
        (lambda d: ["fit", _write(d / "e.csv", ""), "-k", 2], "is empty"),
        (lambda d: ["fit", _write(d / "n.csv", "a,b\n1,x\n2,3\n"), "-k", 1], "'x' is not a number"),
        (lambda d: ["fit", BLOBS, "-k", 2, "--columns", "x,z"], "unknown column 'z'"),
        (lambda d: ["fit", BLOBS, "-k", 301, "--columns", "x,y"], "must be <= the number of rows"),
        (lambda d: ["fit", BLOBS, "-k", 0], r"-k \(=0\) must be >= 1"),
        (lambda d: ["fit", BLOBS], "required: -k"),
        (
            lambda d: ["elbow", BLOBS, "--k-max", 400, "--columns", "x", "--json", d / "out"],
            "--k-max",
        ),
        (lambda d: ["fit", BLOBS, "-k", "two"], "invalid int value"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_output(tmp_path, make_args, message):
    out = tmp_path / "out"
    args = make_args(tmp_path)
    run = jaxmeans_cli(*args, *([] if "--json" in args else ["--out", out]))
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jaxmeans: error:"), run.stderr
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in run.stderr
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".jaxmeans-")]


def test_unwritable_output_leaves_nothing(tmp_path):
    run = jaxmeans_cli(
        "fit", BLOBS, "-k", 2, "--columns", "x,y", "--out", tmp_path / "no" / "dir" / "l.csv"
    )
    assert run.returncode == 2 and "does not exist" in run.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_demo_writes_every_picture(tmp_path):
    run = jaxmeans_cli("demo", "--out-dir", tmp_path / "demo")
    assert run.returncode == 0, run.stderr
    names = sorted(os.listdir(tmp_path / "demo"))
    assert names == sorted(
        ["blobs.png", "clusters.png", "elbow.png", "iris_confusion.png", "iris_3d.png"]
    )
    for name in names:
        assert (tmp_path / "demo" / name).read_bytes()[:4] == b"\x89PNG"
    assert "knee of the curve: k = 3" in run.stdout
    assert "5.0060  3.4280  1.4620  0.2460" in run.stdout  # the tutorial's iris centres


def test_console_script_entry_point_is_declared():
    import tomllib

    with open(os.path.join(os.path.dirname(__file__), "..", "pyproject.toml"), "rb") as fh:
        scripts = tomllib.load(fh)["project"]["scripts"]
    assert scripts["jaxmeans"] == "jaxmeans.cli:main"


@pytest.mark.slow
@pytest.mark.parametrize(
    "script,files",
    [
        (
            "tutorial.py",
            ["0_blobs.png", "1_assigned.png", "2_updated.png", "3_converged.png", "4_elbow.png"],
        ),
        ("iris.py", ["confusion.png", "iris_3d.png"]),
        ("quickstart.py", []),
        ("choosing_k.py", ["choose_k_blobs.png", "choose_k_iris.png"]),
    ],
)
def test_examples_run(tmp_path, script, files):
    path = os.path.join(os.path.dirname(__file__), "..", "examples", script)
    run = subprocess.run(
        [sys.executable, path, str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    for name in files:
        assert (tmp_path / "out" / name).stat().st_size > 1000
    if script == "iris.py":
        assert "134 of 150 flowers" in run.stdout
    if script == "choosing_k.py":
        assert "All 6 criteria choose k = 3" in run.stdout  # the blobs
        assert "The criteria disagree" in run.stdout  # iris


def test_a_bad_argument_writes_nothing_and_keeps_existing_files(tmp_path):
    out, cent = tmp_path / "labels.csv", tmp_path / "c.csv"
    out.write_text("keep me\n")
    cent.write_text("keep me too\n")
    run = jaxmeans_cli(
        "fit", BLOBS, "-k", 3, "--out", out, "--centroids", cent, "--plot", tmp_path / "p.xyz"
    )
    assert run.returncode == 2 and "cannot write .xyz pictures" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert out.read_text() == "keep me\n" and cent.read_text() == "keep me too\n"
    same = jaxmeans_cli("fit", BLOBS, "-k", 3, "--out", out, "--centroids", out)
    assert same.returncode == 2 and "name the same file" in same.stderr


@pytest.mark.slow
def test_read_only_files_and_symlinks_are_respected(tmp_path):
    locked = tmp_path / "locked.csv"
    locked.write_text("old\n")
    locked.chmod(0o444)
    run = jaxmeans_cli("fit", BLOBS, "-k", 3, "--out", locked)
    assert run.returncode == 2 and "read-only" in run.stderr
    assert locked.read_text() == "old\n"
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert jaxmeans_cli("fit", BLOBS, "-k", 3, "--out", link).returncode == 0
    assert link.is_symlink() and target.read_text().startswith("ID,label")


@pytest.mark.parametrize(
    "text,args,expect",
    [
        ("\ufeffx,y\n1,2\n3,4\n5,6\n", ["-k", 2, "--centroids", "{c}"], "x,y"),  # BOM
        (",x,y\n0,1,2\n1,3,4\n2,5,6\n", ["-k", 2, "--centroids", "{c}"], "x,y"),  # pandas index
        ("x,x\n1,2\n3,4\n", ["-k", 1], "appears twice"),
        ("x\n1\n2\n3\n", ["-k", 2, "--plot", "{p}"], "--plot needs at least two columns"),
        ("x,y\n1,2\n1e999,3\n", ["-k", 1], "is not a finite number"),
    ],
)
def test_csv_files_as_people_make_them(tmp_path, text, args, expect):
    data = tmp_path / "data.csv"
    data.write_text(text, encoding="utf-8")
    args = [str(a).format(c=tmp_path / "c.csv", p=tmp_path / "p.png") for a in args]
    run = jaxmeans_cli("fit", data, *args)
    if run.returncode == 0:
        written = (tmp_path / "c.csv").read_text() if (tmp_path / "c.csv").exists() else ""
        assert expect in run.stdout + written
        assert not (tmp_path / "c.csv").exists() or written.splitlines()[0] == "x,y"
    else:
        assert run.returncode == 2 and expect in run.stderr, run.stderr
        assert not (tmp_path / "p.png").exists()


def test_huge_seed_is_a_clear_error():
    run = jaxmeans_cli("elbow", BLOBS, "--k-max", 3, "--seed", 2**70)
    assert run.returncode == 2 and "key (=1180591620717411303424)" in run.stderr


@pytest.mark.slow
def test_ctrl_c_exits_130_with_one_line_and_no_output(tmp_path):
    import signal
    import time

    big = tmp_path / "big.csv"
    rng = np.random.default_rng(0)
    np.savetxt(
        big, rng.normal(size=(200_000, 8)), delimiter=",", header="a,b,c,d,e,f,g,h", comments=""
    )
    out = tmp_path / "labels.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jaxmeans", "fit", str(big), "-k", "50", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3.0)  # reading the file, compiling or fitting: any of them
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip() == "jaxmeans: interrupted"
    assert not out.exists() and not [
        p for p in tmp_path.iterdir() if p.name.startswith(".jaxmeans-")
    ]


@pytest.mark.slow
def test_elbow_gap_prints_and_writes_the_gap_statistic(tmp_path):
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [12.0, 0.0], [0.0, 12.0]])
    X = np.concatenate([c + rng.normal(size=(80, 2)) for c in centres])
    data = tmp_path / "three.csv"
    data.write_text("x,y\n" + "\n".join(f"{a},{b}" for a, b in X) + "\n")
    js, png = tmp_path / "g.json", tmp_path / "g.png"
    run = jaxmeans_cli(
        "elbow", data, "--k-max", 6, "--gap", "--n-refs", 8, "--json", js, "--plot", png
    )
    assert run.returncode == 0, run.stderr
    assert "gap statistic: k = 3" in run.stdout
    payload = json.loads(js.read_text())
    assert payload["gap_k_best"] == 3
    assert all({"gap", "gap_se"} <= set(row) for row in payload["curve"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fit_with_cosine_metric_writes_unit_centroids(tmp_path):
    rng = np.random.default_rng(1)
    directions = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    X = directions[rng.integers(0, 3, 90)] + 0.05 * rng.normal(size=(90, 3))
    X *= rng.uniform(0.5, 20.0, size=(90, 1))  # lengths must not matter
    data = tmp_path / "dirs.csv"
    data.write_text("a,b,c\n" + "\n".join(",".join(map(str, r)) for r in X) + "\n")
    cent = tmp_path / "c.csv"
    run = jaxmeans_cli("fit", data, "-k", 3, "--metric", "cosine", "--centroids", cent)
    assert run.returncode == 0, run.stderr
    C = np.loadtxt(cent, delimiter=",", skiprows=1)
    np.testing.assert_allclose(np.linalg.norm(C, axis=1), 1.0, atol=1e-6)
    assert sorted(np.abs(C).argmax(1).tolist()) == [0, 1, 2]


def _three_blobs_csv(tmp_path):
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [12.0, 0.0], [0.0, 12.0]])
    X = np.concatenate([c + rng.normal(size=(60, 2)) for c in centres])
    data = tmp_path / "three.csv"
    data.write_text("x,y\n" + "\n".join(f"{a},{b}" for a, b in X) + "\n")
    return data


@pytest.mark.slow
def test_choose_k_prints_the_table_and_verdict_and_writes_json_and_plot(tmp_path):
    data = _three_blobs_csv(tmp_path)
    js, png = tmp_path / "c.json", tmp_path / "c.png"
    run = jaxmeans_cli(
        "choose-k", data, "--k-max", 6, "--n-init", 3, "--n-refs", 3, "--n-boot", 3,
        "--key", 1, "--json", js, "--plot", png,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == [
        "k", "inertia", "silhouette", "calinski_h", "davies_b", "gap", "gap_se", "stability",
        "stab_sd", "votes",
    ]  # fmt: skip
    table = [line.split() for line in lines[1:7]]
    assert [row[0] for row in table] == ["1", "2", "3", "4", "5", "6"]
    assert table[0][2] == "-" and table[0][-1] == "0" and int(table[2][-1]) >= 5
    assert "picks: elbow 3, silhouette 3, calinski_harabasz 3, davies_bouldin 3, gap 3, " in (
        run.stdout
    )
    assert "k_best: 3" in run.stdout
    verdict = lines[-3]
    assert verdict.startswith("verdict: ") and "k = 3" in verdict, run.stdout
    payload = json.loads(js.read_text())
    assert payload["k_best"] == 3 and payload["ks"] == [1, 2, 3, 4, 5, 6]
    assert sum(payload["votes"]) == 6 and payload["votes"][2] >= 5
    assert list(payload["picks"])[:5] == [
        "elbow", "silhouette", "calinski_harabasz", "davies_bouldin", "gap",
    ]  # fmt: skip
    assert payload["verdict"] == verdict.removeprefix("verdict: ")
    assert payload["curve"][0]["stability"] is None
    assert set(payload["curve"][2]) == {
        "k", "inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "gap", "gap_se",
        "stability", "stability_sd", "votes",
    }  # fmt: skip
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "options, message",
    [
        (["--n-boot", 0], r"argument --n-boot: must be an int >= 1, got .0."),
        (["--n-refs", 0], r"argument --n-refs: must be an int >= 1, got .0."),
        (["--k-min", 3, "--k-max", 3], r"--k-max \(=3\) must be > --k-min \(=3\)"),
        (["--k-max", 1000], r"--k-max \(=1000\) must be <= the number of rows \(=180\)"),
        (["--n-init", "many"], "--n-init"),
    ],
)
def test_choose_k_bad_option_exits_2_naming_it_and_writes_nothing(tmp_path, options, message):
    data = _three_blobs_csv(tmp_path)
    js = tmp_path / "c.json"
    run = jaxmeans_cli("choose-k", data, *options, "--json", js)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jaxmeans: error:"), run.stderr
    assert re.search(message, lines[0]), lines[0]
    assert not js.exists()


@pytest.mark.slow
def test_choose_k_ctrl_c_exits_130_with_one_line_and_no_output(tmp_path):
    import signal
    import time

    data = tmp_path / "data.csv"
    X = np.random.default_rng(0).normal(size=(3000, 4))
    np.savetxt(data, X, delimiter=",", header="a,b,c,d", comments="")
    js = tmp_path / "c.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jaxmeans", "choose-k", str(data), "--n-boot", "500", "--json", js],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4.0)  # reading, compiling, the fits or the resamples: any of them
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip() == "jaxmeans: interrupted"
    assert not js.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".jaxmeans-")]


def test_out_keeps_the_files_identifiers_and_leaves_them_unclustered(tmp_path):
    # An "id" column (any case) or pandas' unnamed index column identifies the rows: it is
    # written to --out and not clustered; --id-column names another; a note says so.
    data = tmp_path / "d.csv"
    data.write_text("sample,a,b,label\n" + "".join(
        f"s{i},{i % 2 * 10 + i * 0.01},{i * 0.02},{i % 2}\n" for i in range(40)
    ))  # fmt: skip
    out = tmp_path / "o.csv"
    run = jaxmeans_cli("fit", data, "-k", 2, "--id-column", "sample", "--out", out)
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(open(out)))
    assert rows[0] == ["sample", "label"] and [r[0] for r in rows[1:]] == [
        f"s{i}" for i in range(40)
    ]
    assert "not clustering column 'sample'" in run.stderr
    assert "clustering column 'label', which looks like a label" in run.stderr
    assert run.stdout.splitlines()[1].split()[2:] == ["a", "b", "label"]  # the clustered
    unnamed = tmp_path / "u.csv"
    unnamed.write_text(",x,y\n" + "".join(f"{i},{i % 3},{i}\n" for i in range(30)))
    run = jaxmeans_cli("fit", unnamed, "-k", 3, "--out", out)
    assert run.returncode == 0, run.stderr
    assert next(csv.reader(open(out))) == ["", "label"]
    chosen = jaxmeans_cli("fit", data, "-k", 2, "--columns", "a,b", "--id-column", "sample")
    assert chosen.returncode == 0 and chosen.stderr == ""  # chosen columns: no notes


def test_standard_input_is_read_with_a_dash(tmp_path):
    out = tmp_path / "o.csv"
    run = subprocess.run(
        [sys.executable, "-m", "jaxmeans", "fit", "-", "-k", "3", "--columns", "x,y", "--out",
         str(out)],
        input=open(BLOBS).read(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "inertia=7285.78" in run.stdout and len(list(csv.reader(open(out)))) == 301


@pytest.mark.parametrize(
    "args, message",
    [
        (["fit", BLOBS, "-k", 3, "--columns", "x,x"], "--columns names 'x' twice"),
        (["fit", BLOBS, "-k", 3, "--id-column", "nope"], "--id-column 'nope' is not a column"),
        (["fit", BLOBS, "-k", 3, "--n-init", 0], "argument --n-init: must be 'auto' or an int"),
        (["elbow", BLOBS, "--n-init", 0], "argument --n-init: must be an int >= 1"),
        (["elbow", BLOBS, "--gap", "--n-refs", 0], "argument --n-refs: must be an int >= 1"),
        (["elbow", BLOBS, "--gap", "--reference", "box"], "argument --reference: invalid"),
    ],
)
def test_options_are_checked_before_any_work_naming_the_flag(args, message):
    run = jaxmeans_cli(*args)
    assert run.returncode == 2 and message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and run.stdout == ""


def test_elbow_gap_takes_the_pca_reference():
    run = jaxmeans_cli(
        "elbow", BLOBS, "--columns", "x,y", "--k-max", 5, "--gap", "--n-refs", 3,
        "--reference", "pca", "--no-silhouette",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "gap" in run.stdout
