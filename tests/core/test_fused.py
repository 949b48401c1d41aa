"""The fused nearest-centroid kernel (Pallas, interpret mode on CPU) against the XLA path."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

import jaxmeans
from jaxmeans._core import tuning
from jaxmeans._core.distances import nearest_in_block, sq_norms
from jaxmeans._core.kernels import fused
from jaxmeans._core.kernels.fused import nearest_block
from jaxmeans._core.tuning import CPU


def _both(xb, C, c_sq, **tile):
    fused = nearest_block(xb, C, c_sq, interpret=True, **tile)
    plain = nearest_in_block(xb, C, c_sq, CPU)
    return [np.asarray(a) for a in (*fused, *plain)]


@pytest.mark.parametrize(
    "rows, k, d, tile",
    [
        (300, 10, 5, {}),  # rows not a multiple of the row tile (ragged last block)
        (257, 70, 16, {}),  # k not a multiple of the centroid tile
        (128, 200, 8, dict(block_rows=64, block_k=32)),  # several tiles both ways
        (7, 3, 2, {}),  # fewer rows and centroids than one tile
    ],
)
def test_labels_and_distances_equal_the_xla_path(rows, k, d, tile):
    rng = np.random.default_rng(rows + k)
    xb = jnp.asarray(rng.normal(size=(d, rows)).astype(np.float32))
    C = jnp.asarray(rng.normal(size=(k, d)).astype(np.float32))
    labels, partial, ref_labels, ref_partial = _both(xb, C, sq_norms(C), **tile)
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_allclose(partial, ref_partial, rtol=1e-5, atol=1e-5)
    assert labels.shape == (rows,) and labels.dtype == np.int32


def test_ties_go_to_the_lowest_index_and_inactive_centroids_are_never_chosen():
    C = np.array([[1.0, 0.0], [0.0, 5.0], [1.0, 0.0], [1.0, 0.0]] * 20, np.float32)  # k=80
    xb = jnp.asarray(np.array([[1.0, 0.0], [0.0, 4.0], [0.9, 0.1]], np.float32).T)
    c_sq = np.sum(C * C, axis=1)
    labels, _, ref, _ = _both(xb, jnp.asarray(C), jnp.asarray(c_sq), block_k=16)
    np.testing.assert_array_equal(labels, [0, 1, 0])
    np.testing.assert_array_equal(labels, ref)
    c_sq[:2] = np.inf  # the first two inactive: the next copy of each wins
    labels, _, ref, _ = _both(xb, jnp.asarray(C), jnp.asarray(c_sq), block_k=16)
    np.testing.assert_array_equal(labels, [2, 5, 2])
    np.testing.assert_array_equal(labels, ref)


@pytest.mark.slow
@pytest.mark.parametrize("weighted", [False, True])
def test_a_whole_fit_with_the_kernel_equals_the_xla_fit(monkeypatch, weighted):
    rng = np.random.default_rng(4)
    d = 4 if weighted else 3  # a program of its own for each case, traced here
    X = (rng.normal(size=(900, d)) + rng.integers(0, 5, size=(900, 1)) * 4).astype(np.float32)
    w = rng.uniform(0.5, 2.0, 900) if weighted else None
    plain = jaxmeans.kmeans(X, 5, key=2, sample_weight=w)  # k*d < 1024: the plain loop
    monkeypatch.setattr(tuning, "CPU", dataclasses.replace(CPU, fused_assign=True))
    traced = []

    def counting(*args, **kwargs):
        traced.append(args[0].shape)
        return nearest_block(*args, **kwargs)

    monkeypatch.setattr(fused, "nearest_block", counting)
    kernel = jaxmeans.kmeans(X, 5, key=2, sample_weight=w)
    assert traced  # the fit's program went through the kernel
    np.testing.assert_array_equal(np.asarray(kernel.labels), np.asarray(plain.labels))
    assert int(kernel.n_iter) == int(plain.n_iter)
    np.testing.assert_allclose(kernel.centroids, plain.centroids, rtol=1e-5, atol=1e-5)
    assert float(kernel.inertia) == pytest.approx(float(plain.inertia), rel=1e-5)
