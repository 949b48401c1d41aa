"""The documentation: every public example runs as pasted into a fresh interpreter, and the
Sphinx site in ``docs/`` builds without a warning."""

import doctest
import inspect
import os
import pathlib
import re
import subprocess
import sys

import pytest

import jaxmeans
from jaxmeans import datasets, exceptions, metrics, plot

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PICTURES = ("blobs.png", "clusters.png", "elbow.png", "iris_confusion.png", "iris_3d.png")


def public_objects() -> dict:
    """Everything a user reads the docstring of, by its dotted name."""
    found = {f"jaxmeans.{name}": getattr(jaxmeans, name) for name in jaxmeans.__all__}
    for module in (metrics, datasets, plot, exceptions):
        for name in module.__all__:
            found[f"{module.__name__}.{name}"] = getattr(module, name)
    for cls in (jaxmeans.KMeans, jaxmeans.MiniBatchKMeans):
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_"):
                found[f"jaxmeans.{cls.__name__}.{name}"] = member
    return found


def run_examples(name: str, obj) -> doctest.TestResults:
    """Run the ``>>>`` examples of ``obj``'s docstring in empty globals, as a new session
    would: an example that forgets an import fails. Raises AssertionError with doctest's
    report when one fails."""
    test = doctest.DocTestParser().get_doctest(obj.__doc__ or "", {}, name, None, 0)
    for example in test.examples:
        # A user cannot copy what reaches into private names (a NamedTuple's _fields aside).
        private = re.findall(r"\w\.(_(?!fields|replace|asdict)\w+)", example.source)
        assert not private, f"{name}: example uses private {private}: {example.source}"
    report = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    results = runner.run(test, out=report.append)
    assert results.failed == 0, "".join(report)
    return results


@pytest.mark.parametrize("name", sorted(public_objects()))
def test_docstring_examples_run_in_a_fresh_session(name, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    run_examples(name, public_objects()[name])


def test_a_missing_import_fails():
    def documented():
        """Example:
        >>> jax.random.key(0).shape
        ()
        """

    with pytest.raises(AssertionError, match="NameError: name 'jax' is not defined"):
        run_examples("documented", documented)


def test_a_private_helper_fails():
    def documented():
        """Example:
        >>> import jaxmeans.datasets as ds
        >>> ds._bundled("iris.csv").name
        'iris.csv'
        """

    with pytest.raises(AssertionError, match="private"):
        run_examples("documented", documented)


def test_every_public_function_has_an_example():
    lacking = [
        name
        for name, obj in public_objects().items()
        if inspect.isfunction(obj)
        and ".KMeans." not in name
        and ".MiniBatchKMeans." not in name
        and ">>>" not in (obj.__doc__ or "")
    ]
    assert lacking == []


def python_blocks(page: pathlib.Path) -> str:
    """The ```python code blocks of a Markdown page, joined into one script."""
    return "\n".join(re.findall(r"^```python\n(.*?)^```$", page.read_text(), re.S | re.M))


@pytest.mark.slow
@pytest.mark.parametrize("page", ["getting-started.md", "tutorial.md", "choosing-k.md"])
def test_page_code_runs(page, tmp_path):
    script = python_blocks(DOCS / page)
    assert script
    # A warning on a page the reader copies from (a dtype JAX truncates, say) is a defect.
    done = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", script],
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    # Sphinx and MyST come with the ``docs`` extra (pip install -e ".[test,docs]"); only a
    # machine set up without it skips this check.
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    html = tmp_path / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    command += ["-d", str(tmp_path / "doctrees"), str(DOCS), str(html)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    api = (html / "api.html").read_text()
    assert "KMeans" in api and "elbow" in api
    for name, obj in public_objects().items():  # each public object has its entry
        anchor = f"module-{name}" if inspect.ismodule(obj) else name
        assert f'id="{anchor}"' in api, name
    tutorial = (html / "tutorial.html").read_text()
    for picture in PICTURES:
        assert f"_images/{picture}" in tutorial, picture
        assert (html / "_images" / picture).is_file(), picture
    choosing = (html / "choosing-k.html").read_text()
    for picture in ("choose_k_blobs.png", "choose_k_iris.png"):
        assert f"_images/{picture}" in choosing, picture
    performance = (html / "performance.html").read_text()
    assert "scikit-learn (lloyd)" in performance


def _architecture_block() -> dict:
    """The README's list of modules by folder: folder -> the names it gives."""
    section = (ROOT / "README.md").read_text().split("## Architecture\n", 1)[1]
    block = section.split("```\n", 2)[1]
    listed, folder = {}, None
    for line in block.splitlines():
        words = line.split()
        if not words:
            continue
        if not line.startswith(" "):  # a new folder; indented lines continue its names
            folder, words = words[0], words[1:]
        listed.setdefault(folder, set()).update(words)
    return listed


def test_the_architecture_section_lists_the_tree():
    package = ROOT / "jaxmeans"
    actual = {}
    for folder in [package, *package.rglob("*")]:
        if not folder.is_dir() or folder.name in ("__pycache__", "data"):
            continue
        names = {p.stem for p in folder.glob("*.py")} - {"__init__"}
        names |= {p.name + "/" for p in folder.iterdir() if p.is_dir()} - {"__pycache__/"}
        actual[str(folder.relative_to(ROOT)) + "/"] = names
    assert _architecture_block() == actual


def test_the_design_page_includes_the_architecture_and_shows_a_metric():
    design = (DOCS / "design.md").read_text()
    assert ':start-after: "## Architecture\\n"' in design
    assert "{literalinclude} ../jaxmeans/_core/geometry/cosine.py" in design
