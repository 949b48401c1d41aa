"""The ``jaxmeans`` command: fit a CSV file, sweep k for the elbow, or run the tutorial demo.

Bad input exits with status 2 and one line on stderr, before any file is written; output
files are written whole or not at all (a temporary file in the same folder, then a rename;
a symlink stays a symlink, a read-only file is left alone). Ctrl-C exits with status 130.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable

import numpy as np

from ._files import atomic_write, check_writable, figure_format, save_figure


class UsageError(Exception):
    """A problem with the command line or its input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(message)


def _outputs(args, **options) -> None:
    """Check every output path before anything is computed or written: folders exist,
    files are writable, picture formats are known, no path is given twice. ``options``:
    option name -> attribute of ``args``."""
    given = {flag: getattr(args, attr) for flag, attr in options.items() if getattr(args, attr)}
    real = {}
    for flag, path in given.items():
        target = check_writable(path, flag)
        if target in real:
            raise UsageError(f"{flag} and {real[target]} name the same file {path}")
        real[target] = flag
        if flag == "--plot":
            figure_format(path, flag)


def _write_csv(path: str, header: list[str], rows, option: str) -> None:
    import csv

    with atomic_write(path, "w", option) as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)


def _read(path: str, columns: str | None):
    from .datasets import load_csv

    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file")
    table = load_csv(path, columns)
    return table.data, table.columns


def _use_agg():
    import matplotlib

    matplotlib.use("Agg")


# -- fit -----------------------------------------------------------------------------------


def _fit(args) -> int:
    import jax

    import jaxmeans

    _outputs(args, **{"--out": "out", "--centroids": "centroids", "--plot": "plot"})
    X, columns = _read(args.file, args.columns)
    if args.k < 1:
        raise UsageError(f"-k (={args.k}) must be >= 1")
    if args.k > len(X):
        raise UsageError(f"-k (={args.k}) must be <= the number of rows (={len(X)})")
    if args.plot and X.shape[1] < 2:
        raise UsageError(f"--plot needs at least two columns to draw, got {X.shape[1]}")
    model = jaxmeans.KMeans(
        args.k, n_init=args.n_init, random_state=args.seed, verbose=int(args.verbose)
    ).fit(X)
    jax.effects_barrier()
    sizes = np.bincount(model.labels_, minlength=args.k)
    print(f"k={args.k}  inertia={model.inertia_:.6g}  iterations={model.n_iter_}")
    print(f"{'cluster':>7}  {'size':>6}  " + "  ".join(f"{c:>12}" for c in columns))
    for j, centre in enumerate(model.cluster_centers_):
        print(f"{j:>7}  {sizes[j]:>6}  " + "  ".join(f"{x:>12.6g}" for x in centre))
    if args.out:
        _write_csv(args.out, ["row", "label"], enumerate(model.labels_.tolist()), "--out")
        print(f"wrote labels to {args.out}")
    if args.centroids:
        _write_csv(args.centroids, columns, model.cluster_centers_.tolist(), "--centroids")
        print(f"wrote centroids to {args.centroids}")
    if args.plot:
        _use_agg()
        from . import plot

        ax = plot.clusters(
            X,
            model.labels_,
            model.cluster_centers_,
            feature_names=columns[:2],
            title=f"k-means, k = {args.k}",
        )
        save_figure(ax.figure, args.plot, "--plot")
        print(f"wrote plot to {args.plot}")
    return 0


# -- elbow ---------------------------------------------------------------------------------


def _elbow(args) -> int:
    import jax

    import jaxmeans

    _outputs(args, **{"--json": "json", "--plot": "plot"})
    X, _ = _read(args.file, args.columns)
    if args.k_min < 1:
        raise UsageError(f"--k-min (={args.k_min}) must be >= 1")
    if args.k_max < args.k_min:
        raise UsageError(f"--k-max (={args.k_max}) must be >= --k-min (={args.k_min})")
    if args.k_max > len(X):
        raise UsageError(f"--k-max (={args.k_max}) must be <= the number of rows (={len(X)})")
    ks = range(args.k_min, args.k_max + 1)
    print(f"fitting k = {args.k_min}..{args.k_max}, {args.n_init} restart(s) each", flush=True)
    result = jaxmeans.elbow(
        X,
        ks,
        key=args.seed,
        n_init=args.n_init,
        scores=not args.no_silhouette,
        progress=True,
    )
    jax.effects_barrier()
    rows = []
    print(f"{'k':>3}  {'inertia':>14}  {'silhouette':>10}")
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
        print(f"{k:>3}  {float(result.inertia[i]):>14.6g}  {shown:>10}")
    knee = int(result.knee) or None
    print(f"knee: {knee if knee is not None else 'none found'}")
    if args.json:
        payload = {"file": args.file, "knee": knee, "curve": rows}
        with atomic_write(args.json, "w", "--json") as fh:
            json.dump(payload, fh, indent=2, allow_nan=False)
        print(f"wrote {args.json}")
    if args.plot:
        _use_agg()
        from . import plot

        save_figure(plot.elbow(result).figure, args.plot, "--plot")
        print(f"wrote plot to {args.plot}")
    return 0


# -- demo ----------------------------------------------------------------------------------


def _demo(args) -> int:
    from .demo import run

    run(args.out_dir, log=print)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jaxmeans", description="k-means clustering in JAX.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    fit = sub.add_parser("fit", help="cluster the rows of a CSV file")
    fit.add_argument("file", help="CSV file with a header row")
    fit.add_argument("-k", type=int, required=True, help="number of clusters")
    fit.add_argument("--columns", help="comma-separated columns to use (default: all)")
    fit.add_argument("--out", help="write row,label to this CSV file")
    fit.add_argument("--centroids", help="write the centroids to this CSV file")
    fit.add_argument("--plot", help="save a scatter of the first two columns (PNG)")
    fit.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    fit.add_argument("--n-init", type=int, default=10, help="restarts (default 10)")
    fit.add_argument("--verbose", action="store_true", help="print every iteration")
    fit.set_defaults(run=_fit)

    elbow = sub.add_parser("elbow", help="inertia (and silhouette) for a range of k")
    elbow.add_argument("file", help="CSV file with a header row")
    elbow.add_argument("--columns", help="comma-separated columns to use (default: all)")
    elbow.add_argument("--k-min", type=int, default=1)
    elbow.add_argument("--k-max", type=int, default=10)
    elbow.add_argument("--n-init", type=int, default=3, help="restarts per k (default 3)")
    elbow.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    elbow.add_argument(
        "--no-silhouette", action="store_true", help="skip the silhouette (O(n^2) work per k)"
    )
    elbow.add_argument("--plot", help="save the elbow curve (PNG)")
    elbow.add_argument("--json", help="write the curve and the knee to this JSON file")
    elbow.set_defaults(run=_elbow)

    demo = sub.add_parser("demo", help="the tutorial end to end on the bundled data")
    demo.add_argument("--out-dir", default="jaxmeans-demo", help="folder for the pictures")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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


if __name__ == "__main__":
    sys.exit(main())
