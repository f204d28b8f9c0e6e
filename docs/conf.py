"""Sphinx configuration for seedpool's documentation (``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))
# TensorFlow is imported by autodoc for seedpool.tensorflow: keep its start-up quiet.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import seedpool  # noqa: E402

project = "seedpool"
author = "the seedpool developers"
copyright = "seedpool developers"
release = seedpool.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "numpydoc",
    "seedpool_docs",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_generated/*.md", "Thumbs.db", ".DS_Store"]

nitpicky = True
# Names from other projects' docs: no intersphinx (CI and these machines are offline), so
# references to them are plain text, not links. Listed so nitpicky mode stays on for ours.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|multiprocessing|multiprocess|concurrent|torch|tensorflow|tf|keras|"
               r"random|typing|collections|os|dill|joblib|dask|distributed|ray|sklearn)(\..*)?"),
    (r"py:.*", r"(optional|callable|iterable|sequence|mapping|default|of|or|and)"),
]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc Parameters sections carry the types
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Docstring examples are run by pytest --doctest-modules; the doctest builder runs the
# ```{doctest}``` blocks of the pages only.
doctest_test_doctest_blocks = ""

html_theme = "pydata_sphinx_theme"
html_title = f"seedpool {release}"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []
