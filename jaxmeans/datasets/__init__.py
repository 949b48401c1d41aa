"""Bundled data sets and a CSV reader: the tutorial's blobs, iris, and synthetic blobs.

Everything here returns NumPy arrays; no network access is ever needed.
"""

from __future__ import annotations

import codecs
import csv
import math
import os
import sys
from collections.abc import Callable
from importlib import resources
from typing import NamedTuple

import numpy as np

__all__ = ["Dataset", "Table", "load_blobs", "load_csv", "load_iris", "make_blobs"]


class Dataset(NamedTuple):
    """A labelled data set.

    Attributes:
      data: ``[n, d] float64`` features.
      target: ``[n] int64`` true group of each row.
      feature_names: ``d`` column names.
      target_names: name of each group, indexed by ``target``.
    """

    data: np.ndarray
    target: np.ndarray
    feature_names: list[str]
    target_names: list[str]


class Table(NamedTuple):
    """Numeric columns read from a CSV file.

    Attributes:
      data: ``[n, c] float64`` values.
      columns: the ``c`` column names, in order.
    """

    data: np.ndarray
    columns: list[str]


def _bundled(name: str):
    return resources.files(__package__).joinpath("data", name)


def load_csv(
    path: str | os.PathLike, columns: list[str] | str | None = None, *, encoding: str = "utf-8"
) -> Table:
    """Read numeric columns of a CSV file with a header row.

    A byte-order mark is ignored; columns with an empty name (the index column that
    pandas' ``to_csv`` writes) are not taken unless named in ``columns``. Fields may be of
    any length (a long text column is read, not refused).

    Args:
      path: the file.
      columns: names of the columns to keep (a list, or one comma-separated string);
        default all columns.
      encoding: the file's text encoding (default UTF-8, with or without a byte-order mark);
        ``"latin-1"`` reads any bytes.

    Returns:
      :class:`Table` with ``data [n, c] float64`` and the column names.

    Raises:
      FileNotFoundError: no such file.
      ValueError: an unknown encoding; a file that is not text in ``encoding`` (the message
        says what it looks like: gzip-compressed, UTF-16, the first byte that does not
        decode and its line); an empty file, a header with no rows, a column name used
        twice, an unknown column, a ragged row or a cell that is not a finite number (the
        message names the file's line, counting blank lines, and the column).

    Example:
      >>> import os
      >>> import tempfile
      >>> from jaxmeans.datasets import load_csv
      >>> folder = tempfile.TemporaryDirectory()
      >>> path = os.path.join(folder.name, "points.csv")
      >>> with open(path, "w") as fh:
      ...     _ = fh.write("ID,x,y\\n1,0.5,2.0\\n2,1.5,3.0\\n")
      >>> table = load_csv(path, columns="x,y")
      >>> table.columns, table.data.tolist()
      (['x', 'y'], [[0.5, 2.0], [1.5, 3.0]])
      >>> folder.cleanup()
    """
    path = os.fspath(path)
    rows = _read_rows(path, encoding)
    if not rows:
        raise ValueError(f"{path} is empty: expected a header row and data rows")
    header = [name.strip() for name in rows[0][1]]
    header[0] = header[0].lstrip("\ufeff").strip()  # a BOM is not part of a name
    if len(rows) == 1:
        raise ValueError(f"{path} has a header but no data rows")
    seen = set()
    for name in header:
        if name and name in seen:
            raise ValueError(f"{path}: column name {name!r} appears twice in the header")
        seen.add(name)
    if isinstance(columns, str):
        columns = [name.strip() for name in columns.split(",") if name.strip()]
    # Unnamed columns (a pandas index written with to_csv) are never taken by default.
    wanted = [name for name in header if name] if columns is None else list(columns)
    unknown = [name for name in wanted if name not in header]
    if unknown:
        raise ValueError(
            f"unknown column {unknown[0]!r} in {path}; the columns are {', '.join(header)}"
        )
    if not wanted:
        raise ValueError("columns must name at least one column")
    index = [header.index(name) for name in wanted]
    data = np.empty((len(rows) - 1, len(index)), dtype=np.float64)
    for r, (line, row) in enumerate(rows[1:]):
        if len(row) != len(header):
            raise ValueError(
                f"{path} line {line} has {len(row)} cells but the header has {len(header)}"
            )
        for c, i in enumerate(index):
            cell = row[i].strip()
            try:
                value = float(cell)
            except ValueError:
                raise ValueError(
                    f"{path} line {line}, column {header[i]!r}: {_shown(cell)} is not a number"
                ) from None
            if not math.isfinite(value):
                raise ValueError(
                    f"{path} line {line}, column {header[i]!r}: {_shown(cell)} is not a "
                    "finite number"
                )
            data[r, c] = value
    return Table(data, wanted)


class _NotText(ValueError):
    """A file that is not text in the encoding asked for; :meth:`message` words the fix
    for the caller (``encoding=`` in Python, ``--encoding`` on the command line)."""

    def __init__(self, path: str, encoding: str, looks: str, fix: str, suggest: str = ""):
        self.path, self.encoding, self.looks, self.fix, self.suggest = (
            path, encoding, looks, fix, suggest,
        )  # fmt: skip
        super().__init__(self.message(lambda name: f"encoding={name!r}"))

    def message(self, option: Callable[[str], str]) -> str:
        """One line; ``option(name)`` spells "use the encoding ``name``"."""
        shown = "UTF-8" if codecs.lookup(self.encoding).name == "utf-8" else self.encoding
        fix = self.fix.format(option(self.suggest)) if self.suggest else self.fix
        return f"{self.path}: not {shown} text ({self.looks}); {fix}"


def _shown(cell: str) -> str:
    """``cell`` for a message: its repr, cut after 40 characters."""
    if len(cell) <= 40:
        return repr(cell)
    return f"{cell[:40]!r}... ({len(cell)} characters)"


def _read_rows(path: str, encoding: str) -> list[tuple[int, list[str]]]:
    """The rows of ``path`` that hold anything, each with the file's line it starts on."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"encoding {encoding!r} is unknown (try utf-8 or latin-1)") from None
    with open(path, "rb") as fh:
        _check_head(path, encoding, codec, fh.read(4096))
    rows = []
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # the default refuses 128 KiB fields
    try:
        # utf-8-sig: a UTF-8 byte-order mark is dropped, not read into the first name.
        with open(path, newline="", encoding="utf-8-sig" if codec == "utf-8" else encoding) as fh:
            reader = csv.reader(fh)
            line = 1
            for row in reader:
                if any(cell.strip() for cell in row):
                    if any("\x00" in cell for cell in row):
                        raise _NotText(path, encoding, "it holds NUL bytes", "give a CSV text file")
                    rows.append((line, row))
                line = reader.line_num + 1
    except UnicodeDecodeError:
        raise _undecodable(path, encoding) from None
    except csv.Error as err:
        raise ValueError(f"{path} line {reader.line_num}: {err}") from None
    finally:
        csv.field_size_limit(limit)
    return rows


def _check_head(path: str, encoding: str, codec: str, head: bytes) -> None:
    """_NotText for a file whose first bytes say it is compressed, or UTF-16 read as
    another encoding."""
    if head.startswith(b"\x1f\x8b"):
        raise _NotText(path, encoding, "looks gzip-compressed", "decompress it first (gunzip)")
    if head.startswith(b"PK\x03\x04"):
        raise _NotText(
            path, encoding, "looks like a zip archive, an Excel workbook perhaps",
            "save it as CSV text",
        )  # fmt: skip
    if codec.startswith(("utf-16", "utf-32")):
        return
    fix = "use {}"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _NotText(path, encoding, "looks UTF-16: it starts with a UTF-16 mark", fix, "utf-16")
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > 4 * even:
            raise _NotText(path, encoding, "looks UTF-16, little-endian", fix, "utf-16-le")
        if even > 4 * odd:
            raise _NotText(path, encoding, "looks UTF-16, big-endian", fix, "utf-16-be")
        raise _NotText(path, encoding, "it holds NUL bytes", "give a CSV text file")


def _undecodable(path: str, encoding: str) -> _NotText:
    """_NotText naming the first byte of ``path`` that does not decode, and its line."""
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        looks = f"byte 0x{raw[err.start]:02x} on line {line}"
    else:  # pragma: no cover - the reader's decoder failed, so does this
        looks = "a byte that does not decode"
    return _NotText(
        path, encoding, looks, "name its encoding, e.g. {} (Windows: cp1252)", "latin-1"
    )


def load_blobs() -> Dataset:
    """The tutorial's data: 300 points in three 2-D blobs (``kmeans_blobs.csv``).

    The file has the tutorial's columns ``ID, x, y, Cluster``; it is generated by
    ``python -m jaxmeans.datasets._regenerate``.

    Returns:
      :class:`Dataset` with ``data [300, 2]`` (x, y) and ``target`` (Cluster).

    Example:
      >>> from jaxmeans.datasets import load_blobs
      >>> blobs = load_blobs()
      >>> blobs.data.shape, blobs.feature_names, sorted(set(blobs.target.tolist()))
      ((300, 2), ['x', 'y'], [0, 1, 2])
    """
    table = load_csv(_bundled("kmeans_blobs.csv"), columns=["x", "y", "Cluster"])
    target = table.data[:, 2].astype(np.int64)
    return Dataset(table.data[:, :2].copy(), target, ["x", "y"], ["0", "1", "2"])


IRIS_FEATURES = [
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
]
IRIS_SPECIES = ["setosa", "versicolor", "virginica"]


def load_iris() -> Dataset:
    """Fisher's iris data: 150 flowers, 4 measurements, 3 species (bundled ``iris.csv``).

    The same values and order as scikit-learn's ``load_iris``.

    Example:
      >>> from jaxmeans.datasets import load_iris
      >>> iris = load_iris()
      >>> iris.data.shape, iris.target_names
      ((150, 4), ['setosa', 'versicolor', 'virginica'])
    """
    path = _bundled("iris.csv")
    table = load_csv(path, columns=IRIS_FEATURES)
    with open(path, newline="") as fh:
        species = [row["species"] for row in csv.DictReader(fh)]
    target = np.array([IRIS_SPECIES.index(name) for name in species], dtype=np.int64)
    return Dataset(table.data, target, list(IRIS_FEATURES), list(IRIS_SPECIES))


def make_blobs(
    n_samples: int = 300,
    centers: int | np.ndarray = 3,
    n_features: int = 2,
    *,
    cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    random_state: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs, for trying clustering.

    Args:
      n_samples: total number of points, split as evenly as possible among the blobs.
      centers: number of blobs (centres drawn uniformly in ``center_box``) or a
        ``[c, n_features]`` array of centres.
      n_features: dimension, when ``centers`` is a number.
      cluster_std: standard deviation of every blob.
      center_box: range of the random centres.
      random_state: seed for NumPy's generator (None: fresh entropy).

    Returns:
      ``(X [n_samples, n_features] float64, y [n_samples] int64)``, rows in blob order.

    Example:
      >>> from jaxmeans.datasets import make_blobs
      >>> X, y = make_blobs(10, centers=2, random_state=0)
      >>> X.shape, y.tolist()
      ((10, 2), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    """
    from .._runtime import validation as v

    n_samples = v.check_int(n_samples, "n_samples")
    n_features = v.check_int(n_features, "n_features")
    if isinstance(cluster_std, bool) or not isinstance(cluster_std, (int, float, np.number)):
        raise TypeError(f"cluster_std must be a number, got {cluster_std!r}")
    if not np.isfinite(cluster_std) or cluster_std < 0:
        raise ValueError(f"cluster_std (={cluster_std}) must be a finite number >= 0")
    box = np.asarray(center_box, dtype=np.float64)
    if box.shape != (2,) or not np.isfinite(box).all() or box[0] > box[1]:
        raise ValueError(f"center_box must be (low, high) with low <= high, got {center_box!r}")
    if random_state is not None:
        random_state = v.check_int(random_state, "random_state", minimum=0, maximum=2**64 - 1)
    rng = np.random.default_rng(random_state)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        centers = v.check_int(centers, "centers")
        centres = rng.uniform(box[0], box[1], size=(centers, n_features))
    else:
        centres = np.asarray(v.check_data(centers, "centers"), dtype=np.float64)
    c, d = centres.shape
    sizes = np.full(c, n_samples // c)
    sizes[: n_samples % c] += 1
    y = np.repeat(np.arange(c), sizes)
    X = centres[y] + rng.normal(scale=cluster_std, size=(n_samples, d))
    return X, y.astype(np.int64)
