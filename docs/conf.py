"""Sphinx configuration for the jaxmeans documentation.

Build (from the repository root):

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
# autodoc imports this checkout, installed or not.
sys.path.insert(0, str(ROOT))

import jaxmeans  # noqa: E402

project = "jaxmeans"
release = version = jaxmeans.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "myst_parser",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]

# The docstrings are Google style ("Args:", "Returns:", "Raises:", "Example:").
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# "Attributes:" sections become attribute entries; their types are in the text (shapes
# and dtypes), not taken from the annotations, which name JAX's private array class.
napoleon_attr_annotations = False

autodoc_member_order = "bysource"
# No type hints in the pages: the docstrings state each argument's kind, shape and dtype
# in words. Rendered, ``jax.typing.ArrayLike`` expands to an eight-member union, and
# ``autodoc_type_aliases`` shows it as "TypeAliasForwardRef(...)" inside ``X | None``.
autodoc_typehints = "none"

# MyST: anchors for "##" and "###" headings, so pages can link to sections.
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = "jaxmeans"
html_show_copyright = False
html_theme_options = {
    "description": "k-means clustering in JAX with scikit-learn's semantics",
    "fixed_sidebar": True,
}


def _skip_namedtuple_fields(app, what, name, obj, skip, options):
    """Leave out the fields autodoc finds on a NamedTuple ("Alias for field number 0"):
    the class's "Attributes:" section already describes each one, and documenting both
    would describe the same attribute twice."""
    if what == "class" and (getattr(obj, "__doc__", None) or "").startswith("Alias for field"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_namedtuple_fields)
