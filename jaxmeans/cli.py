"""The ``jaxmeans`` command: fit a CSV file, sweep k for the elbow, choose k by every
criterion, or run the tutorial demo.

Bad input exits with status 2 and one line on stderr, before any file is written. Every
output is checked before the work (its folder exists and is writable, it is not a folder,
not a read-only file, not the input); all are written to temporary files beside their
targets and renamed only once every one is written, so a failure leaves every existing
file as it was (a symlink stays a symlink). A FIFO or a device (``/dev/stdout``) is written
as a stream, never replaced. Ctrl-C acts at once, at any stage, and exits with status 130.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ._io.files import Outputs, figure_format, write_figure


class UsageError(Exception):
    """A problem with the command line or its input: reported in one line, exit status 2."""


class _QuietOnClosedPipe:
    """Standard output that a reader may close early (``jaxmeans elbow ... | head -1``):
    once a write finds the pipe closed, the rest of the output is dropped and the command
    goes on (its files are still written) and exits as usual, with nothing on stderr, as
    Unix tools do. The stream's descriptor then points at ``/dev/null``, so that the
    interpreter's last flush finds nothing to complain about."""

    def __init__(self, stream):
        self.stream, self.closed = stream, False

    def _close(self) -> None:
        self.closed = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # no descriptor (a test's captured stream)
            pass

    def write(self, text: str) -> int:
        if not self.closed:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._close()
        return len(text)

    def flush(self) -> None:
        if not self.closed:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._close()

    def __getattr__(self, name):
        return getattr(self.stream, name)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(message)


def _outputs(args, **options) -> Outputs:
    """Check every output before anything is read, computed or written: not the input,
    folders that exist and are writable, no path given twice, picture formats known.
    ``options``: option name -> attribute of ``args``."""
    outputs = Outputs(inputs=() if args.file == "-" else (args.file,))
    for flag, attr in options.items():
        path = getattr(args, attr)
        if path:
            outputs.add(path, flag)
            if flag == "--plot":
                figure_format(path, flag)
    return outputs


def _write_plot(outputs: Outputs, figure, path: str) -> str:
    """Write ``figure`` as ``--plot`` (in the format its name says); the line to print."""
    with outputs.open("--plot", binary=True) as fh:
        write_figure(figure, fh, figure_format(path))
    return f"wrote plot to {path}"


def _write_csv(outputs: Outputs, option: str, header: list[str], rows) -> None:
    import csv

    with outputs.open(option) as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)


# Column names that usually hold identifiers or labels, not measurements (lower case);
# names ending in "_id" too. Clustered by default, they get a warning.
# ("y" is not among them: it is as often a coordinate, as in the tutorial's blobs.)
_NOT_MEASUREMENTS = {
    "id", "index", "idx", "key", "name", "label", "labels", "cluster", "clusters", "class",
    "target", "species",
}  # fmt: skip


class _Read(NamedTuple):
    """The data of the command's CSV input: ``X [n, c]``, the clustered column names, the
    identifier column's name and values (None: the rows are numbered), and the notes on
    the columns chosen, to print once the command's checks have passed (a bad option
    gets one line on stderr, nothing else)."""

    X: np.ndarray
    columns: list[str]
    id_name: str | None
    ids: list[str] | None
    notes: list[str]

    def say_notes(self) -> None:
        for note in self.notes:
            print(note, file=sys.stderr)


def _read(args, *, ids: bool = False) -> _Read:
    """The input named by ``args.file`` (``-``: standard input): the columns of
    ``--columns``, or every named column but the identifier column (``--id-column``, or by
    default one named ``id`` in any case, or an unnamed first column as pandas writes its
    index), with a warning for clustered columns named like labels; with ``ids`` the
    identifier column's values as text."""
    import tempfile

    from .datasets import _NotText, _read_rows, load_csv

    with tempfile.TemporaryDirectory(prefix="jaxmeans-stdin-") as folder:
        path = args.file
        if path == "-":  # read once, into a file that can be read twice
            path = os.path.join(folder, "stdin.csv")
            with open(path, "wb") as fh:
                fh.write(sys.stdin.buffer.read())
        elif not os.path.exists(path):
            raise UsageError(f"{path}: no such file")
        header = _header(path, args.encoding)
        id_name = _id_column(args, header)
        columns, notes = _columns(args, header, id_name)
        try:
            table = load_csv(path, columns, encoding=args.encoding)
            rows = _read_rows(path, args.encoding) if ids and id_name is not None else None
        except _NotText as err:
            raise UsageError(err.message(lambda name: f"--encoding {name}")) from None
    values = None
    if rows is not None:
        where = [name.strip().lstrip("\ufeff") for name in rows[0][1]].index(id_name)
        values = [row[where].strip() for _, row in rows[1:]]
    return _Read(table.data, table.columns, id_name, values, notes)


def _header(path: str, encoding: str) -> list[str]:
    """The names of the file's first line (empty when it cannot be read as text: the
    reader then says why)."""
    import csv

    try:
        with open(path, newline="", encoding=encoding) as fh:
            for row in csv.reader(fh):
                if any(cell.strip() for cell in row):
                    names = [cell.strip() for cell in row]
                    names[0] = names[0].lstrip("\ufeff").strip()
                    return names
    except (UnicodeDecodeError, LookupError, csv.Error):
        pass
    return []


def _id_column(args, header: list[str]) -> str | None:
    chosen = getattr(args, "id_column", None)
    if chosen is not None:
        if header and chosen not in header:
            raise UsageError(
                f"--id-column {chosen!r} is not a column of {args.file}; the columns are "
                f"{', '.join(header)}"
            )
        return chosen
    named = [name for name in header if name.lower() == "id"]
    if named:
        return named[0]
    return "" if header and header[0] == "" else None


def _columns(args, header: list[str], id_name: str | None):
    """``(columns or None: every one, notes)``."""
    if args.columns:
        names = [name.strip() for name in args.columns.split(",") if name.strip()]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise UsageError(f"--columns names {twice[0]!r} twice")
        return names, []
    if not header:
        return None, []
    names = [name for name in header if name and name != id_name]
    notes = []
    if id_name:
        notes.append(
            f"jaxmeans: not clustering column {id_name!r}: it identifies the rows "
            "(--columns chooses the columns)"
        )
    for name in names:
        if name.lower() in _NOT_MEASUREMENTS or name.lower().endswith("_id"):
            notes.append(
                f"jaxmeans: warning: clustering column {name!r}, which looks like a label or "
                "an identifier, not a measurement (--columns chooses the columns)"
            )
    return names, notes


def _check_encoding(name: str) -> None:
    import codecs

    try:
        codecs.lookup(name)
    except LookupError:
        raise UsageError(
            f"--encoding {name!r} is not an encoding Python knows; try utf-8, latin-1 or cp1252"
        ) from None


class _CtrlC:
    """The SIGINT handler while the command runs: raises KeyboardInterrupt and remembers
    it, since one raised inside a garbage collector's callback (XLA has one) is dropped
    (:meth:`unraisable` keeps it off stderr); :func:`_check_interrupted` raises it again
    between stages."""

    seen = False

    def __init__(self, hook):
        self.hook = hook

    def __call__(self, signum, frame):
        _CtrlC.seen = True
        raise KeyboardInterrupt

    def unraisable(self, info):
        if not issubclass(info.exc_type, KeyboardInterrupt):
            self.hook(info)


def _check_interrupted() -> None:
    if _CtrlC.seen:
        raise KeyboardInterrupt


def _in_background(work: Callable):
    """``work()``, computed (:func:`_done`) in a thread of its own while this one waits: a
    signal reaches Python only between the main thread's bytecodes, and waiting there for
    a jitted program's result (reading it into NumPy) holds it for the program's whole run
    (a fit, the silhouette pass: minutes on large data). Here Ctrl-C acts within 0.1 s:
    the KeyboardInterrupt leaves the work behind (the command then exits) before any
    output is opened."""
    import threading

    box: dict = {}

    def run():
        try:
            box["value"] = _done(work())
        except BaseException as err:  # handed to the waiting thread
            box["error"] = err

    thread = threading.Thread(target=run, name="jaxmeans-work", daemon=True)
    thread.start()
    while thread.is_alive():
        _check_interrupted()
        thread.join(0.1)
    _check_interrupted()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _done(value):
    """``value`` once every array in it is computed and its callbacks have run."""
    import jax

    jax.block_until_ready(value)
    jax.effects_barrier()
    return value


def _use_agg():
    import matplotlib

    matplotlib.use("Agg")


# -- fit -----------------------------------------------------------------------------------


def _fit(args) -> int:
    from . import KMeans

    outputs = _outputs(args, **{"--out": "out", "--centroids": "centroids", "--plot": "plot"})
    _check_encoding(args.encoding)
    data = _in_background(lambda: _read(args, ids=bool(args.out)))
    X, columns = data.X, data.columns
    if args.k < 1:
        raise UsageError(f"-k (={args.k}) must be >= 1")
    if args.k > len(X):
        raise UsageError(f"-k (={args.k}) must be <= the number of rows (={len(X)})")
    if args.plot and X.shape[1] < 2:
        raise UsageError(f"--plot needs at least two columns to draw, got {X.shape[1]}")
    shown = _plot_columns(args.plot_columns, columns) if args.plot_columns else None
    data.say_notes()
    model = KMeans(
        args.k, n_init=args.n_init, random_state=args.seed, verbose=int(args.verbose),
        metric=args.metric,
    )  # fmt: skip
    model = _in_background(lambda: model.fit(X))
    sizes = np.bincount(model.labels_, minlength=args.k)
    print(f"k={args.k}  inertia={model.inertia_:.6g}  iterations={model.n_iter_}")
    C = model.cluster_centers_
    formats = [_column_format(C[:, j]) for j in range(C.shape[1])]
    width = max([12, *(len(c) for c in columns)])
    print(f"{'cluster':>7}  {'size':>6}  " + "  ".join(f"{c:>{width}}" for c in columns))
    for j, centre in enumerate(C):
        cells = (f"{x:>{width}{f}}" for x, f in zip(centre, formats, strict=True))
        print(f"{j:>7}  {sizes[j]:>6}  " + "  ".join(cells))
    wrote = []
    with outputs:  # every output whole, or none: existing files stay as they were
        if args.out:
            labels = model.labels_.tolist()
            if data.ids is None:
                _write_csv(outputs, "--out", ["row", "label"], enumerate(labels))
            else:  # the file's own identifiers, to join the labels back on
                rows = zip(data.ids, labels, strict=True)
                _write_csv(outputs, "--out", [data.id_name, "label"], rows)
            wrote.append(f"wrote labels to {args.out}")
        if args.centroids:
            _write_csv(outputs, "--centroids", columns, model.cluster_centers_.tolist())
            wrote.append(f"wrote centroids to {args.centroids}")
        if args.plot:
            _use_agg()
            from . import plot
            from .plot import _plane

            points, centres, names, how = _plane(X, C, columns, shown)
            ax = plot.clusters(
                points, model.labels_, centres, feature_names=names,
                title=f"k-means, k = {args.k}{how}",
            )  # fmt: skip
            wrote.append(_write_plot(outputs, ax.figure, args.plot))
        _check_interrupted()
        outputs.commit()
    for line in wrote:
        print(line)
    return 0


def _plot_columns(option: str, columns: list[str]) -> list[int]:
    names = [c.strip() for c in option.split(",")]
    if len(names) != 2:
        raise UsageError(f"--plot-columns needs two column names, got {option!r}")
    for name in names:
        if name not in columns:
            raise UsageError(f"--plot-columns: {name!r} is not among the clustered columns")
    return [columns.index(name) for name in names]


# -- elbow ---------------------------------------------------------------------------------


def _elbow(args) -> int:
    from . import elbow, gap_statistic

    outputs = _outputs(args, **{"--json": "json", "--plot": "plot"})
    _check_encoding(args.encoding)
    data = _in_background(lambda: _read(args))
    X = data.X
    if args.k_min < 1:
        raise UsageError(f"--k-min (={args.k_min}) must be >= 1")
    if args.k_max < args.k_min:
        raise UsageError(f"--k-max (={args.k_max}) must be >= --k-min (={args.k_min})")
    if args.k_max > len(X):
        raise UsageError(f"--k-max (={args.k_max}) must be <= the number of rows (={len(X)})")
    ks = range(args.k_min, args.k_max + 1)
    data.say_notes()
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    if show:
        print(
            f"fitting k = {args.k_min}..{args.k_max}, {args.n_init} restart(s) each",
            file=sys.stderr,
            flush=True,
        )
    how = dict(key=args.seed, n_init=args.n_init, metric=args.metric)
    result = _in_background(
        lambda: elbow(X, ks, scores=not args.no_silhouette, progress=show, **how)
    )
    rows = []
    inertia_format = _column_format(np.asarray(result.inertia, np.float64))
    print(f"{'k':>3}  {'inertia':>16}  {'silhouette':>10}")
    for i, k in enumerate(ks):
        score = None if result.silhouette is None else float(result.silhouette[i])
        score = None if score is None or np.isnan(score) else score  # undefined for k=1
        rows.append(
            {
                "k": k,
                "inertia": float(result.inertia[i]),
                "silhouette": score,
                "n_iter": int(result.n_iter[i]),
            }
        )
        shown = "" if score is None else f"{score:.4f}"
        print(f"{k:>3}  {float(result.inertia[i]):>16{inertia_format}}  {shown:>10}")
    knee = int(result.knee) or None
    print(f"knee: {knee if knee is not None else 'none found'}")
    gap = None
    if args.gap:
        gap = _in_background(
            lambda: gap_statistic(X, ks, n_refs=args.n_refs, reference=args.reference, **how)
        )
        _print_gap(gap, rows)
    wrote = []
    with outputs:  # every output whole, or none: existing files stay as they were
        if args.json:
            payload = {"file": args.file, "knee": knee, "curve": rows}
            if gap is not None:
                payload["gap_k_best"] = int(gap.k_best)
            with outputs.open("--json") as fh:
                json.dump(payload, fh, indent=2, allow_nan=False)
            wrote.append(f"wrote {args.json}")
        if args.plot:
            _use_agg()
            from . import plot

            if gap is None:
                figure = plot.elbow(result).figure
            else:  # the elbow and the gap side by side
                import matplotlib.pyplot as plt

                figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5), layout="constrained")
                plot.elbow(result, ax=left)
                plot.gap(gap, ax=right)
            wrote.append(_write_plot(outputs, figure, args.plot))
        _check_interrupted()
        outputs.commit()
    for line in wrote:
        print(line)
    return 0


def _print_gap(gap, rows) -> None:
    """The gap table (and each row of the JSON curve gains its gap and standard error)."""
    values, se = np.asarray(gap.gap, np.float64), np.asarray(gap.gap_se, np.float64)
    print(f"{'k':>3}  {'gap':>10}  {'gap_se':>10}")
    for row, g, e in zip(rows, values, se, strict=True):
        row["gap"], row["gap_se"] = float(g), float(e)
        print(f"{row['k']:>3}  {g:>10.4f}  {e:>10.4f}")
    print(f"gap statistic: k = {int(gap.k_best)}")


# -- choose-k ------------------------------------------------------------------------------

# Table columns of choose-k: field of the result -> heading.
_CHOOSE_COLUMNS = {
    "inertia": "inertia",
    "silhouette": "silhouette",
    "calinski_harabasz": "calinski_h",
    "davies_bouldin": "davies_b",
    "gap": "gap",
    "gap_se": "gap_se",
    "stability": "stability",
    "stability_sd": "stab_sd",
}
_CHOOSE_PICKS = {
    "elbow": "k_elbow",
    "silhouette": "k_silhouette",
    "calinski_harabasz": "k_calinski_harabasz",
    "davies_bouldin": "k_davies_bouldin",
    "gap": "k_gap",
    "stability": "k_stability",
}


def _choose_k(args) -> int:
    from . import choose_k, choose_k_verdict

    outputs = _outputs(args, **{"--json": "json", "--plot": "plot"})
    _check_encoding(args.encoding)
    data = _in_background(lambda: _read(args))
    X = data.X
    if args.k_min < 1:
        raise UsageError(f"--k-min (={args.k_min}) must be >= 1")
    if args.k_max <= args.k_min:
        raise UsageError(
            f"--k-max (={args.k_max}) must be > --k-min (={args.k_min}): the gap compares "
            "neighbouring ks"
        )
    if args.k_max > len(X):
        raise UsageError(f"--k-max (={args.k_max}) must be <= the number of rows (={len(X)})")
    ks = range(args.k_min, args.k_max + 1)
    data.say_notes()
    how = dict(
        key=args.key, n_init=args.n_init, n_refs=args.n_refs, n_boot=args.n_boot,
        reference=args.reference, metric=args.metric,
    )  # fmt: skip
    result = _in_background(lambda: choose_k(X, ks, **how))
    verdict = choose_k_verdict(result)
    columns = {name: np.asarray(getattr(result, name), np.float64) for name in _CHOOSE_COLUMNS}
    formats = {name: _column_format(values) for name, values in columns.items()}
    widths = {name: max(12, len(head)) for name, head in _CHOOSE_COLUMNS.items()}
    print(
        f"{'k':>3}  "
        + "  ".join(f"{head:>{widths[name]}}" for name, head in _CHOOSE_COLUMNS.items())
        + f"  {'votes':>5}"
    )
    rows = []
    votes = np.asarray(result.votes)
    for i, k in enumerate(ks):
        row = {"k": k}
        cells = []
        for name, values in columns.items():
            value = float(values[i])
            row[name] = value if np.isfinite(value) else None
            shown = f"{value:{formats[name]}}" if np.isfinite(value) else "-"
            cells.append(f"{shown:>{widths[name]}}")
        row["votes"] = int(votes[i])
        rows.append(row)
        print(f"{k:>3}  " + "  ".join(cells) + f"  {int(votes[i]):>5}")
    picks = {name: int(getattr(result, field)) or None for name, field in _CHOOSE_PICKS.items()}
    print("picks: " + ", ".join(f"{name} {k if k else '-'}" for name, k in picks.items()))
    print(f"k_best: {int(result.k_best) or 'none'}")
    print(f"verdict: {verdict}")
    wrote = []
    with outputs:  # every output whole, or none: existing files stay as they were
        if args.json:
            payload = {
                "file": args.file,
                "ks": list(ks),
                "curve": rows,
                "picks": picks,
                "votes": votes.tolist(),
                "k_best": int(result.k_best) or None,
                "verdict": verdict,
            }
            with outputs.open("--json") as fh:
                json.dump(payload, fh, indent=2, allow_nan=False)
            wrote.append(f"wrote {args.json}")
        if args.plot:
            _use_agg()
            from . import plot

            figure = plot.choose_k(result)
            wrote.append(_write_plot(outputs, figure, args.plot))
        _check_interrupted()
        outputs.commit()
    for line in wrote:
        print(line)
    return 0


# -- demo ----------------------------------------------------------------------------------


def _demo(args) -> int:
    from .demo import run

    run(args.out_dir, log=print)
    return 0


def _n_init(text: str):
    if text == "auto":
        return text
    try:
        return _at_least_one(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be 'auto' or an int >= 1, got {text!r}") from None


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an int >= 1, got {text!r}")
    return value


def _reference_option(command) -> None:
    command.add_argument(
        "--reference",
        choices=("uniform", "pca"),
        default="uniform",
        help="the gap's reference sets: uniform in the data's box, or in its principal "
        "components' box (default: uniform)",
    )


def _encoding_option(command) -> None:
    command.add_argument(
        "--encoding",
        default="utf-8",
        help="the input file's text encoding, e.g. latin-1 or cp1252 (default: utf-8, a "
        "byte-order mark accepted)",
    )


def _metric_option(command) -> None:
    command.add_argument(
        "--metric",
        choices=("euclidean", "cosine"),
        default="euclidean",
        help="euclidean k-means, or cosine (spherical: rows scaled to unit length) "
        "(default: euclidean)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jaxmeans", description="k-means clustering in JAX.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    fit = sub.add_parser("fit", help="cluster the rows of a CSV file")
    fit.add_argument("file", help="CSV file with a header row; - reads standard input")
    fit.add_argument("-k", type=int, required=True, help="number of clusters (required)")
    fit.add_argument(
        "--columns",
        help="comma-separated columns to cluster (default: every named column but the identifiers)",
    )
    fit.add_argument(
        "--out",
        help="write each row's identifier (--id-column) or number, and its label, to this CSV "
        "file (default: not written)",
    )
    fit.add_argument(
        "--id-column",
        help="the column that identifies the rows: written to --out, not clustered (default: "
        "a column named id in any case, or an unnamed first column, else row numbers)",
    )
    fit.add_argument(
        "--centroids", help="write the centroids to this CSV file (default: not written)"
    )
    fit.add_argument(
        "--plot",
        help="save a scatter of the clusters to this picture (PNG, SVG, PDF...): the two "
        "columns, or with more the first two principal components (default: no picture)",
    )
    fit.add_argument(
        "--plot-columns",
        metavar="A,B",
        help="draw these two columns instead of the principal components (default: none)",
    )
    fit.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    fit.add_argument(
        "--n-init",
        type=_n_init,
        default="auto",
        help="restarts, or 'auto': KMeans' rule, up to 10 k-means++ restarts where they "
        "cost about one run (default: auto)",
    )
    fit.add_argument("--verbose", action="store_true", help="print every iteration (default: off)")
    _metric_option(fit)
    _encoding_option(fit)
    fit.set_defaults(run=_fit)

    elbow = sub.add_parser("elbow", help="inertia (and silhouette) for a range of k")
    elbow.add_argument("file", help="CSV file with a header row; - reads standard input")
    elbow.add_argument(
        "--columns",
        help="comma-separated columns to cluster (default: every named column but the identifiers)",
    )
    elbow.add_argument("--k-min", type=int, default=1, help="smallest k (default: 1)")
    elbow.add_argument("--k-max", type=int, default=10, help="largest k (default: 10)")
    elbow.add_argument(
        "--n-init", type=_at_least_one, default=3, help="k-means++ restarts per k (default: 3)"
    )
    elbow.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    elbow.add_argument(
        "--no-silhouette",
        action="store_true",
        help="skip the silhouette, O(n^2) work per k (default: computed)",
    )
    elbow.add_argument("--plot", help="save the elbow curve to this picture (default: no picture)")
    elbow.add_argument(
        "--json", help="write the curve and the knee to this JSON file (default: not written)"
    )
    elbow.add_argument(
        "--gap",
        action="store_true",
        help="also compute the gap statistic (Tibshirani et al.) and the k it picks; "
        "with --plot, drawn beside the elbow (default: off)",
    )
    elbow.add_argument(
        "--n-refs",
        type=_at_least_one,
        default=10,
        help="reference sets of the gap statistic (default: 10)",
    )
    _reference_option(elbow)
    shown = elbow.add_mutually_exclusive_group()
    shown.add_argument(
        "--progress",
        action="store_true",
        default=None,
        help="show the fits as they finish, on stderr (default: only on a terminal)",
    )
    shown.add_argument(
        "--quiet",
        action="store_false",
        dest="progress",
        help="show no progress, only the table and the knee (default: off)",
    )
    _metric_option(elbow)
    _encoding_option(elbow)
    elbow.set_defaults(run=_elbow)

    choose = sub.add_parser(
        "choose-k",
        help="every criterion for choosing k (knee, silhouette, Calinski-Harabasz, "
        "Davies-Bouldin, gap, stability), their votes and a verdict",
    )
    choose.add_argument("file", help="CSV file with a header row; - reads standard input")
    choose.add_argument(
        "--columns",
        help="comma-separated columns to cluster (default: every named column but the identifiers)",
    )
    choose.add_argument("--k-min", type=int, default=1, help="smallest k (default: 1)")
    choose.add_argument("--k-max", type=int, default=10, help="largest k (default: 10)")
    choose.add_argument(
        "--n-init",
        type=_n_init,
        default="auto",
        help="k-means++ restarts per fit, or 'auto': 10 on small data, 1 above (default: auto)",
    )
    choose.add_argument(
        "--n-refs",
        type=_at_least_one,
        default=10,
        help="reference sets of the gap statistic (default: 10)",
    )
    choose.add_argument(
        "--n-boot",
        type=_at_least_one,
        default=20,
        help="bootstrap resamples for stability (default: 20)",
    )
    _reference_option(choose)
    choose.add_argument("--key", type=int, default=0, help="random seed (default: 0)")
    choose.add_argument(
        "--plot", help="save a panel per criterion and the votes to this picture "
        "(default: no picture)"
    )  # fmt: skip
    choose.add_argument(
        "--json",
        help="write every criterion, the picks, the votes and the verdict to this JSON file "
        "(default: not written)",
    )
    _metric_option(choose)
    _encoding_option(choose)
    choose.set_defaults(run=_choose_k)

    demo = sub.add_parser("demo", help="the tutorial end to end on the bundled data")
    demo.add_argument(
        "--out-dir",
        default="jaxmeans-demo",
        help="folder for the pictures, created if missing (default: jaxmeans-demo)",
    )
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading

    parser = build_parser()
    stdout = sys.stdout
    sys.stdout = _QuietOnClosedPipe(stdout)
    own_handler = threading.current_thread() is threading.main_thread()
    if own_handler:
        _CtrlC.seen = False
        handler = _CtrlC(sys.unraisablehook)
        previous = signal.signal(signal.SIGINT, handler)
        sys.unraisablehook = handler.unraisable
    try:
        args = parser.parse_args(argv)
        if args.version:
            from . import __version__

            print(__version__)
            return 0
        if args.command is None:
            parser.print_help()
            return 0
        run: Callable = args.run
        return run(args)
    except UsageError as err:
        print(f"jaxmeans: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # partial outputs were temporary files, already removed
        print("jaxmeans: interrupted", file=sys.stderr)
        if argv is None:  # the command itself: leave at once, XLA's threads may still run
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        return 130
    except (ValueError, OSError) as err:  # bad input or files; a TypeError is a bug
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"jaxmeans: error: {message}", file=sys.stderr)
        return 2
    finally:
        sys.stdout.flush()
        sys.stdout = stdout
        if own_handler:
            signal.signal(signal.SIGINT, previous)
            sys.unraisablehook = handler.hook


if __name__ == "__main__":
    sys.exit(main())


def _column_format(values) -> str:
    """One format for a column of numbers, so that they line up and read alike: fixed
    point with enough decimals for six significant digits of the smallest, or scientific
    for all when the column spans magnitudes fixed point cannot show."""
    finite = np.abs(np.asarray([x for x in values if np.isfinite(x)], np.float64))
    nonzero = finite[finite > 0]
    if not nonzero.size:
        return ".1f"
    low, high = float(nonzero.min()), float(nonzero.max())
    if high >= 1e12 or low < 1e-4:
        return ".5e"
    decimals = int(np.clip(5 - np.floor(np.log10(low)), 1, 8))
    return f".{decimals}f"
