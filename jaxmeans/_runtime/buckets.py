"""Shape buckets: the sizes of the programs that serve a problem of a given size.

A new number of rows or clusters would otherwise compile a new program (1-3 s on a CPU,
1-8 s on a GPU). Problems are padded up to the next bucket, rows with zero weight (never
seeds, never relocation targets, excluded from the mean, the variance and the inertia) and
centroids masked out, so nearby sizes share one program; the padding is sliced off before
the caller sees a result.

The rule comes from measurements (benchmarks/NOTES.md, "Shape buckets"): a fit skips row
blocks that hold only padding, so padded rows cost memory and a little bookkeeping, not
distance computations; padded centroids do cost distance computations.

- Rows: problems with at most ``2**12 / d`` rows (iris-sized) take two buckets per
  doubling from 32 (32, 48, 64, 96, 128, 192, ...): there a step's fixed cost and the
  padding, not the data, are most of the work (iris' 150 rows had shared a bucket of
  1,024; its seeding took 9.4 ms there and 2.1 ms on 256 rows, see benchmarks/NOTES.md,
  "Small and many"); every problem with at most ``2**16 / d`` rows (at most 16,384, at
  least 128) shares the next, where compilation dominates and blocks of padding are
  skipped (5,000 x 8 ran as fast in 6,144 rows as in 8,192); above it, sixteen buckets
  per doubling, so at most 1/16 of the rows (and of the memory) is padding.
- Clusters: every k up to 8 shares a bucket (8); above it, four buckets per doubling (10,
  12, 14, 16, 20, 24, ...), at most a quarter more distance work.
- Pairs of rows (the silhouette, O(n^2) work whose padding columns cannot be skipped): up to
  64 rows one bucket, then eight buckets per doubling (at most 27% more work).
"""

from __future__ import annotations

_TINY_ENTRIES, _ROW_ENTRIES = 2**12, 2**16
_MIN_ROWS, _MAX_SMALL_ROWS = 128, 16384
_SMALLEST_ROWS, _STEPS_PER_DOUBLING_SMALL = 32, 2
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
    tiny_rows = _power_of_two_rows(_TINY_ENTRIES, d)
    if n <= tiny_rows:
        return min(tiny_rows, _round_up(n, _SMALLEST_ROWS, _STEPS_PER_DOUBLING_SMALL))
    return _round_up(n, _power_of_two_rows(_ROW_ENTRIES, d), _STEPS_PER_DOUBLING_ROWS)


def tiny(n: int, d: int) -> bool:
    """Whether ``n`` rows of ``d`` features are iris-sized: at most ``2**12 / d`` rows
    (at least 128), the range of the smallest, tightest row buckets."""
    return n <= _power_of_two_rows(_TINY_ENTRIES, d)


def cluster_bucket(k: int) -> int:
    """Centroid rows of the program that serves ``k`` clusters."""
    return _round_up(k, _MIN_CLUSTERS, _STEPS_PER_DOUBLING_CLUSTERS)


def pair_bucket(n: int) -> int:
    """Rows of a program whose work grows with the square of the rows (the silhouette)."""
    return _round_up(n, _MIN_PAIR_ROWS, _STEPS_PER_DOUBLING_PAIRS)
