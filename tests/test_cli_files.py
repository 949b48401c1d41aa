"""The jaxmeans command never loses a file: outputs checked before the work and written
together or not at all, the input never overwritten, streams written as streams, Ctrl-C
acting at once, and CSV files that are not plain UTF-8 reported in one line."""

import gzip
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

from jaxmeans.cli import main
from jaxmeans.datasets import _bundled

BLOBS = str(_bundled("kmeans_blobs.csv"))


def run_main(capsys, *args):
    """``jaxmeans *args`` in this process: (exit status, stdout, stderr lines)."""
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err.splitlines()


def assert_one_line_error(status, err, *names):
    assert status == 2, err
    assert len(err) == 1 and err[0].startswith("jaxmeans: error: "), err
    for name in names:
        assert name in err[0], err[0]


def no_temporary_files(*folders):
    return not [p for f in folders for p in os.listdir(f) if p.startswith(".jaxmeans-")]


def keep(path, text):
    path.write_bytes(text)
    return path


# -- 1. every output checked first, all written or none ------------------------------------


def as_a_user(*args):
    """The command in a subprocess, as a user without root's right to write anywhere
    (where this runs as root: through setpriv, without CAP_DAC_OVERRIDE)."""
    command = [sys.executable, "-m", "jaxmeans", *map(str, args)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("root may write to any folder, and setpriv is missing")
        caps = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_read_only_output_folder_is_refused_before_the_work(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    keep(tmp_path / "c.csv", b"old centroids")
    ro.chmod(0o555)
    try:
        run = as_a_user(
            "fit", BLOBS, "-k", 3, "--centroids", tmp_path / "c.csv", "--out", ro / "out.csv"
        )
    finally:
        ro.chmod(0o755)
    err = run.stderr.splitlines()
    assert_one_line_error(run.returncode, err, "--out", "not writable")
    assert run.stdout == ""  # refused before the fit: no table
    assert list(ro.iterdir()) == [] and (tmp_path / "c.csv").read_bytes() == b"old centroids"


@pytest.mark.parametrize(
    "make,option,message",
    [
        (lambda d: d / "missing" / "l.csv", "--out", "does not exist"),
        (lambda d: keep(d / "plain", b"x") / "l.csv", "--centroids", "is not a folder"),
        (lambda d: d, "--out", "is a folder"),
    ],
)
def test_every_output_folder_is_checked_before_the_work(tmp_path, capsys, make, option, message):
    labels = keep(tmp_path / "labels.csv", b"old labels\n")
    args = ["fit", BLOBS, "-k", 3, "--columns", "x,y", "--plot", tmp_path / "p.png"]
    if option != "--out":
        args += ["--out", labels]
    status, out, err = run_main(capsys, *args, option, make(tmp_path))
    assert_one_line_error(status, err, option, message)
    assert out == "" and labels.read_bytes() == b"old labels\n"
    assert not (tmp_path / "p.png").exists() and no_temporary_files(tmp_path)


def test_a_failing_output_leaves_every_existing_file_as_it_was(tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    out = keep(tmp_path / "labels.csv", b"old labels\r\n\x00")
    cent = keep(tmp_path / "c.csv", b"old centroids\n")
    png = keep(tmp_path / "p.png", b"old picture")
    status, _, err = run_main(
        capsys, "fit", BLOBS, "-k", 3, "--columns", "x,y",
        "--out", out, "--centroids", cent, "--plot", png,
    )  # fmt: skip
    assert_one_line_error(status, err, "--plot", "No space left on device")
    assert out.read_bytes() == b"old labels\r\n\x00"
    assert cent.read_bytes() == b"old centroids\n" and png.read_bytes() == b"old picture"
    assert no_temporary_files(tmp_path)


def test_elbow_json_is_not_replaced_when_its_plot_fails(tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    def fails(self, *args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Figure, "savefig", fails)
    js = keep(tmp_path / "e.json", b'{"old": true}')
    status, _, err = run_main(
        capsys, "elbow", BLOBS, "--columns", "x,y", "--k-max", 3, "--no-silhouette",
        "--json", js, "--plot", tmp_path / "e.png",
    )  # fmt: skip
    assert_one_line_error(status, err, "--plot")
    assert js.read_bytes() == b'{"old": true}' and not (tmp_path / "e.png").exists()
    assert no_temporary_files(tmp_path)


# -- 2. never the input --------------------------------------------------------------------


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink", "dotted"])
@pytest.mark.parametrize("option", ["--out", "--centroids", "--json"])
def test_an_output_naming_the_input_is_refused(tmp_path, capsys, how, option):
    data = tmp_path / "data.csv"
    original = open(BLOBS, "rb").read()
    data.write_bytes(original)
    named = {
        "same": data,
        "symlink": tmp_path / "link.csv",
        "hardlink": tmp_path / "hard.csv",
        "dotted": tmp_path / "." / "data.csv",
    }[how]
    if how == "symlink":
        named.symlink_to(data)
    elif how == "hardlink":
        os.link(data, named)
    command = ["elbow", data, "--k-max", 3] if option == "--json" else ["fit", data, "-k", 3]
    status, out, err = run_main(capsys, *command, "--columns", "x,y", option, named)
    assert_one_line_error(status, err, option, "input")
    assert out == "" and data.read_bytes() == original
    assert no_temporary_files(tmp_path)


# -- 3. streams ----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_output_is_written_as_a_stream_and_stays_a_fifo(tmp_path, capsys):
    fifo = tmp_path / "labels.fifo"
    os.mkfifo(fifo)
    received = tmp_path / "received.csv"
    with open(received, "wb") as sink:
        reader = subprocess.Popen(["cat", str(fifo)], stdout=sink)
    try:
        status, out, err = run_main(
            capsys, "fit", BLOBS, "-k", 3, "--columns", "x,y", "--out", fifo
        )
        assert status == 0, err
        assert reader.wait(timeout=30) == 0
    finally:
        if reader.poll() is None:
            reader.kill()
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    rows = received.read_text().splitlines()
    assert rows[0] == "ID,label" and len(rows) == 301
    assert f"wrote labels to {fifo}" in out and no_temporary_files(tmp_path)


def test_dev_stdout_into_a_pipe_receives_the_labels():
    run = subprocess.run(
        [sys.executable, "-m", "jaxmeans", "fit", BLOBS, "-k", "3", "--columns", "x,y",
         "--out", "/dev/stdout", "--centroids", "/dev/stderr"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "ID,label" in lines and lines.index("ID,label") + 301 <= len(lines)
    assert run.stderr.splitlines()[0] == "x,y" and len(run.stderr.splitlines()) == 4
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# -- 4. Ctrl-C -----------------------------------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_during_the_elbow_silhouette_acts_within_seconds(tmp_path):
    big = tmp_path / "big.csv"
    # 100,000 rows, ks 1..10: the silhouettes' pass (all ks share its distances) takes
    # 15-25 s on 2 cores; 30,000 rows and six ks had been 20 s before they shared them.
    np.savetxt(big, np.random.default_rng(0).normal(size=(100_000, 2)), delimiter=",",
               header="a,b", comments="")  # fmt: skip
    js = keep(tmp_path / "e.json", b"old")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jaxmeans", "elbow", str(big), "--k-max", "10", "--n-init", "1",
         "--progress", "--json", str(js)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for line in proc.stderr:  # the fits first, then the silhouette (O(n^2) per k)
            if line.startswith("elbow: 10/10 fits done"):
                break
        time.sleep(2.0)  # into the silhouettes' program
        assert proc.poll() is None, "the silhouette pass already ended"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        took = time.monotonic() - sent
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.strip() == "jaxmeans: interrupted"
    assert took < 3.0, took
    assert js.read_bytes() == b"old" and no_temporary_files(tmp_path)


# -- 5. CSV files --------------------------------------------------------------------------


def test_a_very_long_field_in_another_column_is_read(tmp_path, capsys):
    data = tmp_path / "notes.csv"
    data.write_text("x,y,note\n1,2,short\n3,4," + "z" * 200_000 + "\n5,6,\n")
    status, out, err = run_main(capsys, "fit", data, "-k", 1, "--columns", "x,y")
    assert status == 0, err
    assert "k=1" in out


def test_a_very_long_number_is_one_short_line(tmp_path, capsys):
    data = tmp_path / "long.csv"
    data.write_text("x,y\n1,2\n3," + "9" * 200_000 + "x\n")
    out = keep(tmp_path / "labels.csv", b"old")
    status, _, err = run_main(capsys, "fit", data, "-k", 1, "--out", out)
    assert_one_line_error(status, err, str(data), "line 3", "'y'")
    assert len(err[0]) < 400 and out.read_bytes() == b"old"


def test_errors_name_the_files_real_line_after_blank_lines(tmp_path, capsys):
    data = tmp_path / "gaps.csv"
    data.write_text("\nx,y\n\n1,2\n\n\n3,oops\n4,5\n")
    status, _, err = run_main(capsys, "fit", data, "-k", 1)
    assert_one_line_error(status, err, f"{data} line 7", "'oops'")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("x,y\n\n1,2\n\n3\n")
    status, _, err = run_main(capsys, "fit", ragged, "-k", 1)
    assert_one_line_error(status, err, f"{ragged} line 5", "1 cells")


@pytest.mark.parametrize(
    "encode,what",
    [
        (lambda text: gzip.compress(text.encode()), "gzip"),
        (lambda text: text.encode("utf-16"), "UTF-16"),
        (lambda text: text.encode("utf-16-le"), "UTF-16"),
        (lambda text: text.replace("x", "caf\u00e9").encode("latin-1"), "--encoding"),
    ],
)
def test_a_file_that_is_not_utf8_is_named_in_one_line(tmp_path, capsys, encode, what):
    data = tmp_path / "data.csv"
    data.write_bytes(encode("x,y\n1,2\n3,4\n5,6\n"))
    out = keep(tmp_path / "labels.csv", b"old")
    status, _, err = run_main(capsys, "fit", data, "-k", 2, "--out", out)
    assert_one_line_error(status, err, str(data), "not UTF-8 text", what)
    assert out.read_bytes() == b"old"


def test_encoding_option_reads_latin1(tmp_path, capsys):
    data = tmp_path / "latin.csv"
    data.write_bytes("temp\u00e9rature,y\n1,2\n3,4\n5,6\n".encode("latin-1"))
    cent = tmp_path / "c.csv"
    status, _, err = run_main(
        capsys, "fit", data, "-k", 2, "--encoding", "latin-1", "--centroids", cent
    )
    assert status == 0, err
    assert cent.read_text(encoding="utf-8").splitlines()[0] == "temp\u00e9rature,y"
    status, _, err = run_main(capsys, "fit", data, "-k", 2, "--encoding", "klingon")
    assert_one_line_error(status, err, "--encoding", "klingon")
