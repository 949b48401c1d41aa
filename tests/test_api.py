import subprocess
import sys

import jaxmeans


def test_every_public_name_is_exported_and_documented():
    expected = {"KMeansResult", "assign", "kmeans", "kmeans_plusplus", "pairwise_sq_dists"}
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
