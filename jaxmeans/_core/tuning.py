"""Backend tuning: one immutable value per platform, never changed once chosen.

The boundary reads the platform of the device the data is on
(:func:`jaxmeans._runtime.placement.platform_of`), takes its :class:`Tuning`
(:func:`tuning_for`), decides from it what a fit does (:class:`~jaxmeans._core.types.Plan`:
bounds, restarts one after another, carried sums; :mod:`jaxmeans._runtime.spec`) and passes
it to the core as a static argument, so the programs key on it and data placed on a
non-default device gets that device's rules.

Every number here was measured (benchmarks/NOTES.md).
"""

from __future__ import annotations

import dataclasses

from jax import lax


@dataclasses.dataclass(frozen=True)
class Tuning:
    """How the core lays out and computes a fit on one kind of device (hashable, static).

    Attributes:
      platform: ``"cpu"``, ``"gpu"``, ``"tpu"``...
      block_entries: entries of the ``[k, rows]`` distance block live at once, over all
        vmapped lanes. On CPUs 2**19 float32 values (2 MiB) stay in L2; on accelerators a
        block is a kernel launch, so blocks are large (2**26 values, 256 MiB).
      max_block_rows: most rows in one block.
      min_block_rows: fewest rows in one block (when k is very large).
      small_block_rows: problems of fewer than ``8 * max_block_rows`` rows are cut into
        at least eight blocks of at least this many rows, so that a program padded to a
        shape bucket skips the padding in fine steps (a fit of 2,000 rows padded to 16,384
        ran in 1.4 ms with 2,048-row blocks, 2.2 ms with 8,192).
      variadic_max_k: up to this many centroids the nearest-centroid search is one
        (value, index) reduction over the block. Above it XLA:CPU runs that reduction
        several times slower (k=24: 3.1x two plain reductions), so larger blocks are reduced
        in chunks of ``chunk_k`` centroids with a running minimum (0.6-0.75x at k=32, 64).
        Other backends reduce (value, index) pairs natively.
      chunk_k: centroids per chunk of that reduction.
      one_hot_max_k: up to this many centroids the per-cluster sums are a one-hot GEMM;
        above it a scatter (``segment_sum``). On XLA:CPU the scatter was as fast or faster at
        every k measured, so CPUs always scatter; on GPUs the scatter's atomic adds are the
        slow part and the GEMM is cheap, so there it is always the GEMM.
      one_hot_lanes_max_k: the same for fits side by side (a sweep's slots, restarts under
        ``vmap``), whose scatter XLA:CPU runs with batched indices: there the GEMM was the
        faster up to k = 16 (the elbow of ks 1..10, ``n_init=10``: iris 6.5-7.1 ms against
        5.1-6.3, 5,000 x 8 blobs 165-169 ms against 102-104; benchmarks/NOTES.md,
        "Small and many").
      bounded_min_work: single fits with ``k * d`` at least this (and a scatter update) run
        the loop with Hamerly's bounds; None: never. On XLA:CPU (100k, 16, 64) bounded took
        0.66x the plain time, (200k, 8, 64) 1.1x, (1M, 2, 10) 2x. Accelerators keep the
        plain, fully parallel pass.
      fast_compile_max_work, fast_compile_max_k: programs with ``n * d * k`` (of their
        padded shapes, summed over side-by-side fits) and ``k`` up to these compile with
        :data:`jaxmeans._runtime.compile.FAST_COMPILE`: on XLA:CPU 0.7-1.0 s instead of 1.2-2.5 s,
        and as fast to run up to about 2**22 at k = 8 (1.2-1.3x the time at 2**23-2**24;
        2-5x at k = 16-32). -1: never.
      fast_compile_any_k_max_work: programs of at most this work take those options at
        any k (iris' elbow of ks 1..10 and its gap, k = 10: compiled in 1.8 s against 3.1
        and ran in 5.5 ms against 11; benchmarks/NOTES.md, "Small and many").
      sequential_restarts_max_work: restarts of programs whose single fit has
        ``n * d * k`` (padded) up to this run one after another (``lax.map``) rather than
        side by side (``vmap``): the ten k-means++ restarts ``n_init="auto"`` gives iris
        (1,024 x 4 x 8 padded) compiled in 1.0-1.1 s against 1.2-1.4 s and ran in
        3.2-3.9 ms against 4.8-5.0 ms, with the same result. -1: never.
      vmap_restarts_max_rows: restarts of programs with at most this many rows (padded)
        run side by side all the same: in the tight buckets of iris-sized data a step's
        fixed cost outweighs its rows. ``KMeans(3).fit`` with ten restarts, in-process, in
        random order: iris (192 rows) 1.67 ms against 1.85, standardised wine 1.79
        against 2.02, 100 x 20 1.19 against 1.35; from 320 rows on as fast or slower
        (2,000 x 2, k = 8: 8.95 ms against 7.02; benchmarks/NOTES.md, "Small and many").
      sequential_seedings: a sweep's k-means++ seedings (one per restart and trial
        count) run one after another (``lax.map``), not side by side (``vmap``): on
        XLA:CPU the three seedings of ks 1..10 took 6.0 ms against 11.5 ms at 20,000 x 8,
        and the nine of ``n_init=3`` 62 ms against 85 ms at 100,000 x 8. On iris-sized
        inputs side by side measured no faster (iris' elbow of ks 1..10, ``n_init=10``:
        within the spread of two compilations of the same program, about 10%).
      split_sweep_min_entries, split_sweep_max_entries: an elbow sweep whose distance
        blocks hold this many entries over all its fits side by side (``n * k * slots``,
        padded) runs its ks in one part per core, each part one call of the same program
        from a thread of its own (:func:`jaxmeans._runtime.spec.split_ks`). On 2 cores, ks 1..10,
        d = 8: 3,000 rows 21 ms against 13 ms, 10,000 rows 46 against 30 ms, 30,000 rows
        with ``n_init=3`` 131 against 89 ms; no gain at 60,000 rows with ``n_init=3`` or
        200,000 with one (XLA:CPU spreads programs that size over the cores itself), and
        at iris' size the threads cost more (2 against 3 ms). -1: never.
      fused_assign: the nearest-centroid search runs the fused Pallas kernel
        (:mod:`jaxmeans._core.kernels.fused`: distances and a running argmin, the
        ``[k, rows]`` block never written to memory) instead of XLA's GEMM and
        reduction; off on every platform until a run on that device shows it correct and
        faster (on CPU it runs in Pallas' interpret mode, for tests only).
      carry_sums: a single fit whose step scatters its per-cluster sums (no one-hot
        update) carries them between iterations and moves them by the rows that changed
        cluster (:class:`jaxmeans._core.sums.Carried`): on 2 cores the gap statistic at
        20,000 x 8 took 0.70-0.80x the time of a scatter of every row each step. The
        spec leaves it out (:attr:`jaxmeans._core.types.Plan.carry_sums`) inside a
        caller's ``jit``/``vmap``, where the step may run under the caller's ``vmap`` and
        its ``lax.cond`` become a select that sums afresh on every step (eight vmapped
        fits of 10,000 x 8 uniform rows, k=6: 242 -> 284 ms); with sample weights, whose
        carried sums could leave a cluster that lost every row a residue of weight
        (it would not be relocated; unit weights add up exactly); for sparse rows, whose
        moved rows' values are found only by a pass over every stored value; and for
        programs compiled with the fast options
        (:func:`jaxmeans._runtime.compile.options_for`), whose scatters loop over every
        row.
      fused_block_rows, fused_block_k: the kernel's tile (rows per grid step, centroids
        per inner step).
      auto_restarts, auto_restart_max_k: ``KMeans(n_init="auto")`` with k-means++ runs
        ``auto_restarts`` restarts side by side when the data have at most ``4096 / d`` rows
        (:func:`jaxmeans._runtime.buckets.tiny`: 4,096 entries, iris is 600) and ``k`` is at most
        ``auto_restart_max_k`` (the smallest cluster bucket); else one, as scikit-learn.
        There a fit's time is fixed costs: on 2 CPU cores, warm, iris took 3.3 ms for one
        run and 3.1-3.5 ms for ten; compiling the ten-restart program took 0.4 s more
        side by side (1.05 s against 0.65 s), 0.2 s more one after another (see
        ``sequential_restarts_max_work``), once: it is cached. Larger data were measured too and
        rejected: 2,000 x 8, k=5, 2.8 ms for one, 4.3 for three, 9.6 for ten; and every
        restart count there is another program to compile for each shape bucket (20 data
        sets of 500-5,000 rows, cold, 0.8 s became 5.2 s).
    """

    platform: str
    block_entries: int
    max_block_rows: int
    variadic_max_k: int
    one_hot_max_k: int
    bounded_min_work: int | None
    fast_compile_max_work: int
    fast_compile_max_k: int
    auto_restarts: int = 10
    fast_compile_any_k_max_work: int = 2**18
    one_hot_lanes_max_k: int = 16
    sequential_restarts_max_work: int = 2**16
    vmap_restarts_max_rows: int = 256
    sequential_seedings: bool = True
    split_sweep_min_entries: int = 2**17
    split_sweep_max_entries: int = 2**22
    fused_assign: bool = False
    carry_sums: bool = True
    fused_block_rows: int = 128
    fused_block_k: int = 64
    auto_restart_max_k: int = 8
    min_block_rows: int = 64
    small_block_rows: int = 2048
    chunk_k: int = 16

    def block_layout(self, n: int, k: int, lanes: int = 1) -> tuple[int, int]:
        """Static row blocking for ``n`` points, ``k`` centroids and ``lanes`` vmapped fits.

        Returns:
          ``(n_blocks, rows)`` with ``n_blocks * rows >= n`` and as little padding as
          possible; ``rows`` is a multiple of 8 unless a single block holds all ``n`` rows.
        """
        per_row = max(k, 1) * max(lanes, 1)
        longest = min(self.max_block_rows, max(self.small_block_rows, n // 8))
        target = max(self.min_block_rows, min(longest, self.block_entries // per_row))
        if n <= target:
            return 1, n
        n_blocks = -(-n // target)
        rows = -(-n // n_blocks)
        return n_blocks, -(-rows // 8) * 8

    def restarts_for_auto(self, tiny: bool, k: int) -> int:
        """Restarts ``n_init="auto"`` runs for a k-means++ fit of ``k`` clusters to data
        that have (``tiny``) or do not have at most ``4096 / d`` rows."""
        return self.auto_restarts if tiny and k <= self.auto_restart_max_k else 1

    def split_sweep(self, entries: int) -> bool:
        """Whether a sweep whose fits side by side hold ``entries = n * k * slots``
        distances runs in parts, one per core."""
        return self.split_sweep_min_entries <= entries <= self.split_sweep_max_entries

    def sequential_restarts(self, work: int, rows: int) -> bool:
        """Whether restarts of a fit of ``work = n * d * k`` over ``rows`` (both padded)
        run one after another."""
        return rows > self.vmap_restarts_max_rows and work <= self.sequential_restarts_max_work

    def variadic_reduce(self, k: int) -> bool:
        """Whether the nearest of ``k`` centroids is found by one (value, index) reduction."""
        return k <= self.variadic_max_k

    def one_hot_update(self, k: int, lanes: bool = False) -> bool:
        """Whether per-cluster sums for ``k`` centroids are a one-hot GEMM (``lanes``: in
        fits side by side)."""
        return k <= self.one_hot_max_k or (lanes and k <= self.one_hot_lanes_max_k)

    def bounded(self, k: int, d: int) -> bool:
        """Whether a single fit of ``k`` centroids in ``d`` dimensions runs with bounds.

        Both loops then add the per-cluster sums with the same scatter, in the same order.
        """
        work = self.bounded_min_work
        return work is not None and k * d >= work and not self.one_hot_update(k)

    def fast_compile(self, work: int, k: int) -> bool:
        """Whether a program of ``work = n * d * k`` with ``k`` centroid rows takes the
        fast-compiling options."""
        small_k = k <= self.fast_compile_max_k or work <= self.fast_compile_any_k_max_work
        return work <= self.fast_compile_max_work and small_k


_PRECISIONS = {
    "highest": lax.Precision.HIGHEST,
    "high": lax.Precision.HIGH,
    "default": lax.Precision.DEFAULT,
}
PRECISIONS = tuple(_PRECISIONS)

_NEVER = 2**31 - 1

CPU = Tuning(
    platform="cpu",
    block_entries=2**19,
    max_block_rows=8192,
    variadic_max_k=20,
    one_hot_max_k=0,
    bounded_min_work=1024,
    fast_compile_max_work=2**22,
    fast_compile_max_k=8,
)


def tuning_for(platform: str) -> Tuning:
    """The :class:`Tuning` for a platform name (``jax.Device.platform``)."""
    if platform == "cpu":
        return CPU
    return Tuning(
        platform=platform,
        block_entries=2**26,
        max_block_rows=2**20,
        variadic_max_k=_NEVER,
        one_hot_max_k=_NEVER,
        bounded_min_work=None,
        fast_compile_max_work=-1,
        fast_compile_max_k=-1,
        fast_compile_any_k_max_work=-1,
        # Not measured on accelerators: the CPU's rule, where restarts are surely cheap.
        auto_restarts=10,
        sequential_restarts_max_work=-1,
        sequential_seedings=False,
        split_sweep_max_entries=-1,
    )


def dot_precision(name: str) -> lax.Precision:
    """The ``lax.Precision`` of a ``precision=`` name (one of :data:`PRECISIONS`)."""
    return _PRECISIONS[name]
