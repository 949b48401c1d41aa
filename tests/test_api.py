import subprocess
import sys

import jaxmeans


def test_every_public_name_is_exported_and_documented():
    expected = {
        "ElbowResult",
        "KMeansResult",
        "assign",
        "elbow",
        "find_knee",
        "kmeans",
        "kmeans_plusplus",
        "metrics",
        "pairwise_sq_dists",
    }
    assert set(jaxmeans.__all__) == expected
    for name in jaxmeans.__all__:
        obj = getattr(jaxmeans, name)
        assert obj.__doc__, name
    assert jaxmeans.KMeansResult._fields == (
        "centroids",
        "labels",
        "inertia",
        "n_iter",
        "converged",
    )
    assert jaxmeans.ElbowResult._fields == (
        "ks",
        "inertia",
        "centroids",
        "labels",
        "n_iter",
        "converged",
        "knee",
        "silhouette",
    )
    assert set(jaxmeans.metrics.__all__) == {
        "calinski_harabasz_score",
        "davies_bouldin_score",
        "silhouette_score",
    }


def test_console_script_module_prints_help():
    out = subprocess.run(
        [sys.executable, "-m", "jaxmeans", "--help"], capture_output=True, text=True, check=True
    )
    assert "usage: jaxmeans" in out.stdout


def test_version_flag():
    out = subprocess.run(
        [sys.executable, "-m", "jaxmeans", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == jaxmeans.__version__
