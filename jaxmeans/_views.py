"""How the command line shows numbers and points: one number format per table column,
and the plane a scatter of many columns is drawn in."""

from __future__ import annotations

import numpy as np


def column_format(values) -> str:
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


def plane(X, C, columns, shown):
    """The two coordinates to draw: the named columns, the only two, or the first two
    principal components (of the data, centres projected alike)."""
    if shown is not None:
        return X[:, shown], C[:, shown], [columns[i] for i in shown], ""
    if X.shape[1] == 2:
        return X, C, columns, ""
    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    share = s**2 / max(float(np.sum(s**2)), np.finfo(np.float64).tiny)
    names = [f"principal component {i + 1} ({share[i]:.0%} of variance)" for i in range(2)]
    how = f" ({X.shape[1]} columns, first two principal components)"
    return (X - mean) @ vt[:2].T, (C - mean) @ vt[:2].T, names, how
