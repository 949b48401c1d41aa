"""The metrics: each one module of the core, named nowhere else, with the rules it states."""

import ast
import pathlib

import jax.numpy as jnp
import numpy as np
import pytest

from jaxmeans._core.geometry import METRICS

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "jaxmeans"
GEOMETRY = PACKAGE / "_core" / "geometry"


def test_every_metric_is_a_module_of_its_own():
    modules = {p.stem for p in GEOMETRY.glob("*.py")} - {"__init__", "base"}
    assert modules == set(METRICS)
    for name, metric in METRICS.items():
        assert type(metric).__module__ == f"jaxmeans._core.geometry.{name}"


def test_no_module_outside_geometry_names_a_metric():
    # What differs between metrics is asked of the plan's metric, never decided by its
    # name: no code compares with a metric's name or imports a metric's module.
    named = {}
    for path in PACKAGE.rglob("*.py"):
        if GEOMETRY in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                texts = [c.value for c in node.comparators if isinstance(c, ast.Constant)]
                if isinstance(node.left, ast.Constant):
                    texts.append(node.left.value)
                if any(t in METRICS for t in texts if isinstance(t, str)):
                    named[str(path.relative_to(PACKAGE))] = ast.unparse(node)
            if isinstance(node, ast.ImportFrom) and node.module:
                if any(node.module.endswith(f"geometry.{name}") for name in METRICS):
                    named[str(path.relative_to(PACKAGE))] = node.module
                imported = {alias.name for alias in node.names}
                if imported & {"COSINE", "Cosine"}:
                    named[str(path.relative_to(PACKAGE))] = sorted(imported)
    assert named == {}


def _rows(seed=0, n=12, d=3):
    return np.random.default_rng(seed).normal(size=(n, d))


@pytest.mark.parametrize("name", sorted(METRICS))
def test_the_centre_rule(name):
    metric = METRICS[name]
    sums, counts = _rows(1, 4, 3), np.array([2.0, 0.0, 3.5, 1.0])
    old = _rows(2, 4, 3)
    if metric.unit_rows:  # centres are unit vectors there
        old = old / np.linalg.norm(old, axis=1, keepdims=True)
    new = np.asarray(metric.centroid(jnp.asarray(sums), jnp.asarray(counts), jnp.asarray(old)))
    mean = sums / np.where(counts > 0, counts, 1)[:, None]
    if metric.unit_rows:  # the direction of the mean
        mean = mean / np.linalg.norm(mean, axis=1, keepdims=True)
    np.testing.assert_allclose(new[counts > 0], mean[counts > 0], rtol=1e-6)
    np.testing.assert_allclose(new[counts == 0], old[counts == 0], rtol=1e-6)  # stays


@pytest.mark.parametrize("name", sorted(METRICS))
def test_objective_and_distance_from_squared_distances(name):
    metric = METRICS[name]
    X, C = _rows(3), _rows(4, 1, 3)
    if metric.unit_rows:
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
        C = C / np.linalg.norm(C, axis=1, keepdims=True)
    sq = ((X - C) ** 2).sum(axis=1)
    if metric.unit_rows:  # cosine distance 1 - cos, its objective too
        expected = 1.0 - X @ C[0]
        np.testing.assert_allclose(metric.objective(sq), expected, atol=1e-12)
        np.testing.assert_allclose(metric.distance(sq), expected, atol=1e-12)
    else:
        np.testing.assert_array_equal(metric.objective(sq), sq)
        np.testing.assert_allclose(metric.distance(sq), np.sqrt(sq))
    np.testing.assert_allclose(np.linalg.norm(metric.rows(jnp.asarray(X)), axis=1),
                               1.0 if metric.unit_rows else np.linalg.norm(X, axis=1),
                               rtol=1e-6)  # fmt: skip
