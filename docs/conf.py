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

# attrs_block: a class on the next block ({.seedpool-cards} on the landing page's list).
myst_enable_extensions = ["colon_fence", "deflist", "attrs_block"]
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
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["seedpool.css"]
# Also spares every page a request for /favicon.ico that the server would answer 404.
html_favicon = "_static/seedpool-icon.svg"
# The theme reads the reader's light/dark choice from localStorage and falls back to
# this; left empty it logs a console error on every first visit.
html_context = {"default_mode": "auto"}
html_theme_options = {
    # One navbar line: the logo, one entry per caption of index.md's toctrees
    # (navbar-sections.html, filled by docs/_ext/seedpool_docs.py), search, theme switch.
    "navbar_start": ["navbar-logo"],
    "logo": {"image_light": "_static/seedpool-icon.svg", "image_dark": "_static/seedpool-icon.svg",
             "text": html_title, "alt_text": "seedpool - home"},
    "navbar_center": ["navbar-sections"],
    "navbar_end": ["theme-switcher"],
    "navbar_persistent": ["search-button"],
    "navbar_align": "left",
    # The left sidebar shows a page's own sub-pages. With hidden toctrees excluded the
    # theme resolves them per page and drops the sidebar where there are none -- every
    # page today, so the text gets the width (see html_sidebars).
    "sidebar_includehidden": False,
    "navigation_depth": 2,
    "show_toc_level": 2,
    # The landing page is its own table of contents; other pages list their sections.
    "secondary_sidebar_items": {"**": ["page-toc"], "index": []},
    "show_prev_next": True,
}
# Per page: no "collapse sidebar" button anywhere (with nothing to collapse it is one
# more empty box), and no sidebar at all on the landing page and the generated indices.
html_sidebars = {"**": ["sidebar-nav-bs"], "index": [], "search": [], "genindex": []}
