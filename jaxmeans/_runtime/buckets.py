"""Shape buckets: the sizes of the programs that serve a problem of a given size.

A new number of rows or clusters would otherwise compile a new program (1-3 s on a CPU,
1-8 s on a GPU). Problems are padded up to the next bucket, rows with zero weight (never
seeds, never relocation targets, excluded from the mean, the variance and the inertia) and
centroids masked out, so nearby sizes share one program; the padding is sliced off before
the caller sees a result.

The rule comes from measurements (benchmarks/NOTES.md, "Shape buckets"): a fit skips row
blocks that hold only padding, so padded rows cost memory and a little bookkeeping, not
distance computations; padded centroids do cost distance computations.

- Rows: problems with at most ``2**12 / d`` rows (iris-sized) share a tiny bucket, small
  enough to take the quickest compilation; every problem with at most ``2**16 / d`` rows
  (at most 16,384, at least 128) shares the next, where compilation dominates; above it,
  sixteen buckets per doubling, so at most 1/16 of the rows (and of the memory) is padding.
- Clusters: every k up to 8 shares a bucket (8); above it, four buckets per doubling (10,
  12, 14, 16, 20, 24, ...), at most a quarter more distance work.
- Pairs of rows (the silhouette, O(n^2) work whose padding columns cannot be skipped): up to
  64 rows one bucket, then eight buckets per doubling (at most 27% more work).
"""

from __future__ import annotations

_TINY_ENTRIES, _ROW_ENTRIES = 2**12, 2**16
_MIN_ROWS, _MAX_SMALL_ROWS = 128, 16384
_STEPS_PER_DOUBLING_ROWS = 16
_MIN_PAIR_ROWS, _STEPS_PER_DOUBLING_PAIRS = 64, 8
_MIN_CLUSTERS = 8
_STEPS_PER_DOUBLING_CLUSTERS = 4


def _round_up(n: int, smallest: int, steps: int) -> int:
    """``n`` rounded up to ``smallest`` or to one of ``steps`` points per doubling."""
    if n <= smallest:
        return smallest
    step = max(1, 2 ** ((n - 1).bit_length() - 1) // steps)
    return -(-n // step) * step


def _power_of_two_rows(entries: int, d: int) -> int:
    rows = max(entries // max(d, 1), 1)
    return max(_MIN_ROWS, min(_MAX_SMALL_ROWS, 1 << (rows.bit_length() - 1)))


def row_bucket(n: int, d: int) -> int:
    """Rows of the program that serves ``n`` rows of ``d`` features."""
    tiny = _power_of_two_rows(_TINY_ENTRIES, d)
    if n <= tiny:
        return tiny
    return _round_up(n, _power_of_two_rows(_ROW_ENTRIES, d), _STEPS_PER_DOUBLING_ROWS)


def tiny(n: int, d: int) -> bool:
    """Whether ``n`` rows of ``d`` features fill the smallest row bucket (the programs
    that compile quickest and run in about a millisecond)."""
    return n <= _power_of_two_rows(_TINY_ENTRIES, d)


def cluster_bucket(k: int) -> int:
    """Centroid rows of the program that serves ``k`` clusters."""
    return _round_up(k, _MIN_CLUSTERS, _STEPS_PER_DOUBLING_CLUSTERS)


def pair_bucket(n: int) -> int:
    """Rows of a program whose work grows with the square of the rows (the silhouette)."""
    return _round_up(n, _MIN_PAIR_ROWS, _STEPS_PER_DOUBLING_PAIRS)
