import gzip

import numpy as np
import pytest
from sklearn.datasets import load_iris as sk_load_iris

from jaxmeans import datasets
from jaxmeans.datasets import _regenerate


def test_iris_equals_scikit_learns_copy():
    ours, theirs = datasets.load_iris(), sk_load_iris()
    np.testing.assert_array_equal(ours.data, theirs.data)
    np.testing.assert_array_equal(ours.target, theirs.target)
    assert ours.feature_names == list(theirs.feature_names)
    assert ours.target_names == list(theirs.target_names)


def test_blobs_have_the_tutorials_layout():
    blobs = datasets.load_blobs()
    assert blobs.data.shape == (300, 2) and blobs.feature_names == ["x", "y"]
    assert np.bincount(blobs.target).tolist() == [100, 100, 100]
    header = datasets._bundled("kmeans_blobs.csv").read_text().splitlines()[0]
    assert header == "ID,x,y,Cluster"


def test_bundled_files_regenerate_identically(tmp_path):
    _regenerate.write_blobs(tmp_path / "blobs.csv")
    _regenerate.write_iris(tmp_path / "iris.csv")
    for ours, bundled in [("blobs.csv", "kmeans_blobs.csv"), ("iris.csv", "iris.csv")]:
        assert (tmp_path / ours).read_bytes() == datasets._bundled(bundled).read_bytes()


def test_make_blobs():
    X, y = datasets.make_blobs(101, centers=3, n_features=4, random_state=0)
    assert X.shape == (101, 4) and np.bincount(y).tolist() == [34, 34, 33]
    X2, _ = datasets.make_blobs(101, centers=3, n_features=4, random_state=0)
    np.testing.assert_array_equal(X, X2)
    centres = np.array([[0.0, 0.0], [100.0, 100.0]])
    X3, y3 = datasets.make_blobs(50, centers=centres, cluster_std=0.5, random_state=1)
    np.testing.assert_allclose(X3[y3 == 1].mean(0), [100, 100], atol=0.5)
    with pytest.raises(ValueError, match=r"n_samples \(=0\) must be >= 1"):
        datasets.make_blobs(0)


def test_load_csv_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n\n")
    table = datasets.load_csv(path, columns="c,a")
    assert table.columns == ["c", "a"]
    np.testing.assert_array_equal(table.data, [[3, 1], [6, 4]])
    assert datasets.load_csv(path).data.shape == (2, 3)


@pytest.mark.parametrize(
    "text,columns,pattern",
    [
        ("", None, "is empty"),
        ("a,b\n", None, "has a header but no data rows"),
        ("a,b\n1,2\n", ["z"], "unknown column 'z'.*the columns are a, b"),
        ("a,b\n1,x\n", None, r"line 2, column 'b': 'x' is not a number"),
        ("a,b\n1,2\n3\n", None, "line 3 has 1 cells but the header has 2"),
    ],
)
def test_load_csv_errors(tmp_path, text, columns, pattern):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=pattern):
        datasets.load_csv(path, columns=columns)


def test_load_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        datasets.load_csv(tmp_path / "nope.csv")


def test_load_csv_reads_long_fields_and_names_real_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\na,note\n\n1," + "z" * 200_000 + "\n\n2,\n")
    assert datasets.load_csv(path, columns="a").data.tolist() == [[1.0], [2.0]]
    path.write_text("\na,note\n\n1," + "z" * 200_000 + "\n\n2,\n3x,\n")
    with pytest.raises(ValueError, match=r"t.csv line 7, column 'a': '3x' is not a number"):
        datasets.load_csv(path, columns="a")


@pytest.mark.parametrize(
    "raw,pattern",
    [
        (gzip.compress(b"a\n1\n"), r"not UTF-8 text \(looks gzip-compressed\); decompress"),
        ("a\n1\n".encode("utf-16"), r"not UTF-8 text \(looks UTF-16.*\); use encoding='utf-16'"),
        ("\u00e9\n1\n".encode("latin-1"), r"not UTF-8 text \(byte 0xe9 on line 1\); .*='latin-1'"),
    ],
)
def test_load_csv_says_what_a_file_that_is_not_text_looks_like(tmp_path, raw, pattern):
    path = tmp_path / "t.csv"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=f"^{tmp_path / 't.csv'}: " + pattern):
        datasets.load_csv(path)


def test_load_csv_encoding(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffcaf\u00e9,b\n1,2\n".encode("utf-16"))
    assert datasets.load_csv(path, encoding="utf-16").columns == ["caf\u00e9", "b"]
    path.write_bytes("caf\u00e9,b\n1,2\n".encode("latin-1"))
    assert datasets.load_csv(path, encoding="latin-1").columns == ["caf\u00e9", "b"]
    with pytest.raises(ValueError, match="encoding 'nope' is unknown"):
        datasets.load_csv(path, encoding="nope")
