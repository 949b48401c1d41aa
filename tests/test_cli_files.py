"""The jaxmeans command never loses a file: outputs checked before the work and written
together or not at all, the input never overwritten, streams written as streams, Ctrl-C
acting at once, and CSV files that are not plain UTF-8 reported in one line."""

import gzip
import os

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
