import subprocess
import sys

import jaxmeans


def test_every_public_name_is_exported_and_documented():
    expected = {
        "ChooseKResult",
        "ElbowResult",
        "GapResult",
        "KMeans",
        "KMeansResult",
        "MiniBatchKMeans",
        "assign",
        "cache_dir",
        "choose_k",
        "choose_k_verdict",
        "datasets",
        "elbow",
        "exceptions",
        "find_knee",
        "gap_k_best",
        "gap_statistic",
        "kmeans",
        "kmeans_plusplus",
        "metrics",
        "pairwise_sq_dists",
        "plot",
        "set_cache_dir",
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
        "confusion_matrix",
        "davies_bouldin_score",
        "match_labels",
        "silhouette_score",
    }
    for module in (jaxmeans.metrics, jaxmeans.plot, jaxmeans.datasets):
        for name in module.__all__:
            assert getattr(module, name).__doc__, name


def test_import_does_not_load_matplotlib_or_scikit_learn():
    code = "import sys, jaxmeans; print('matplotlib' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


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
