"""Sphinx extension for seedpool's site: pages generated from the code, so they cannot drift.

Directives (usable from MyST as ```` ```{seedpool-key-layout} ```` etc.):

``seedpool-key-layout``
    The key-layout table, one row per :data:`seedpool._derive.keys.LAYOUT` entry.
``seedpool-key-constants``
    Every key constant of :mod:`seedpool._derive.keys` with its value.
``seedpool-api``
    The API reference: for each public module that can be imported, an autosummary
    table and the autodoc entry of every name in its ``__all__``. A name added to an
    ``__all__`` (or a new public module listed in :data:`PUBLIC_MODULES`) appears with
    no edit to the pages.

On ``builder-inited`` the figure scripts in ``docs/figures/`` run and write their PNGs
into ``docs/_generated/``.

The navbar (``docs/_templates/navbar-sections.html``) is built from the root page's
toctrees: one entry per caption ("User guide", "Reference"...), a dropdown of its pages,
or a link labelled by the caption when it holds one page. A page added to a toctree in
``index.md`` appears in the navbar under its caption, and the navbar stays one line
however many pages there are.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

__all__ = ["PUBLIC_MODULES", "available_modules", "public_names", "api_rst", "layout_rst", "nav_groups",
           "setup"]

#: Every public module, in the order the API page shows them. Modules not yet present
#: (or whose framework is not installed) are skipped, so later engines slot in.
PUBLIC_MODULES = (
    "seedpool",
    "seedpool.array",
    "seedpool.torch",
    "seedpool.torch.distributed",
    "seedpool.torch.init",
    "seedpool.keras",
    "seedpool.tensorflow",
    "seedpool.joblib",
    "seedpool.dask",
    "seedpool.ray",
    "seedpool.testing",
)

DOCS = Path(__file__).resolve().parent.parent
GENERATED = DOCS / "_generated"


def available_modules() -> list[str]:
    """The public modules that exist in this checkout and import here."""
    found = []
    for name in PUBLIC_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                continue
            importlib.import_module(name)
        except ImportError:
            continue
        found.append(name)
    return found


def public_names(module: str) -> list[str]:
    """The names of ``module.__all__``, in its order."""
    return list(importlib.import_module(module).__all__)


def _kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


def api_rst(module: str) -> list[str]:
    """reST for one module's section of the API reference."""
    mod = importlib.import_module(module)
    names = public_names(module)
    title = f"``{module}``"
    lines = [title, "-" * len(title), "", f".. currentmodule:: {module}", ""]
    summary = (mod.__doc__ or "").strip().split("\n\n")[0]
    if summary:
        lines += [summary, ""]
    lines += [".. autosummary::", "    :nosignatures:", ""]
    lines += [f"    {name}" for name in names]
    lines.append("")
    for name in names:
        kind = _kind(getattr(mod, name))
        directive = {"class": "autoclass", "exception": "autoexception", "function": "autofunction",
                     "data": "autodata"}[kind]
        lines += [f".. {directive}:: {name}"]
        if kind == "class":
            lines += ["    :members:"]
        lines.append("")
    return lines


def layout_rst() -> list[str]:
    """reST list-table of :data:`seedpool._derive.keys.LAYOUT`.

    Fixed column widths, and code that wraps inside its cell (``seedpool.css``), so the
    table fits the text column at 1280 px instead of scrolling sideways.
    """
    from seedpool._derive import keys as _keys

    lines = [".. list-table::", "    :header-rows: 1", "    :widths: 25 50 25", "    :class: seedpool-key-layout", "",
             "    * - component", "      - key path", "      - derived in"]
    for key in _keys.LAYOUT:
        lines += [f"    * - {key.component}", f"      - ``{key.path}``", f"      - ``{key.module}``"]
    return lines + [""]


def _constants_rst() -> list[str]:
    from seedpool._derive import keys as _keys

    lines = [".. list-table::", "    :header-rows: 1", "", "    * - constant", "      - key"]
    for name in _keys.__all__:
        value = getattr(_keys, name)
        if isinstance(value, str):
            lines += [f"    * - ``{name}``", f"      - ``{value!r}``"]
    return lines + [""]


class _GeneratedRst(SphinxDirective):
    has_content = False

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        container = nodes.container()
        source = self.get_source_info()[0]
        content = StringList(self.lines(), source=f"{source} (generated)")
        self.state.nested_parse(content, self.content_offset, container, match_titles=True)
        return container.children


class KeyLayout(_GeneratedRst):
    def lines(self) -> list[str]:
        self.env.note_dependency(str(DOCS.parent / "seedpool" / "_keys.py"))
        return layout_rst()


class KeyConstants(_GeneratedRst):
    def lines(self) -> list[str]:
        self.env.note_dependency(str(DOCS.parent / "seedpool" / "_keys.py"))
        return _constants_rst()


class Api(_GeneratedRst):
    def lines(self) -> list[str]:
        out: list[str] = []
        for module in available_modules():
            out += api_rst(module)
        return out


def _stdlib_docstring(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Show a docstring borrowed from the standard library verbatim.

    The drop-ins borrow the stdlib's docstrings (``submit.__doc__ =
    Executor.submit.__doc__``); those are Google-style text, not reST, and would not
    parse. They are replaced by a pointer to the stdlib method.
    """
    if what != "method" or not lines:
        return
    owner_name, _, attr = name.rpartition(".")
    try:
        owner = importlib.import_module(owner_name.rpartition(".")[0])
        owner = getattr(owner, owner_name.rpartition(".")[2])
    except (ImportError, AttributeError):
        return
    ours = inspect.getdoc(obj) or ""
    for base in inspect.getmro(owner)[1:]:
        library = base.__module__.split(".")[0]
        if library in ("concurrent", "multiprocessing", "multiprocess", "ray", "distributed"):
            theirs = getattr(base, attr, None)
            doc = inspect.getdoc(theirs) if theirs is not None else None
            # The same text, or the same with a "Seeding:" paragraph appended.
            if doc and ours.startswith(doc.rstrip()):
                where = f"{base.__module__}.{base.__qualname__}.{attr}"
                owner_text = "The standard library's" if library in ("concurrent", "multiprocessing") else "The"
                lines[:] = [f"{owner_text} ``{where}`` (same signature, result and exceptions), "
                            "with each task seeded as described for the class.", ""]
                return


def _make_figures(app: Sphinx) -> None:
    GENERATED.mkdir(exist_ok=True)
    # Imported as real modules (not run as scripts): their pools pickle module functions.
    figures = str(DOCS / "figures")
    if figures not in sys.path:
        sys.path.insert(0, figures)
    for script in sorted((DOCS / "figures").glob("*.py")):
        importlib.import_module(script.stem).main(GENERATED)


def nav_groups(app: Sphinx) -> list[tuple[str, list[str]]]:
    """The root page's toctrees as ``(caption, [docname, ...])``, in page order."""
    # Read once per build, when pages are written (the environment is complete then);
    # kept on the app, not the environment, which is pickled between builds.
    cached = getattr(app, "_seedpool_nav_groups", None)
    if cached is None:
        env = app.env
        doctree = env.get_doctree(env.config.root_doc)
        cached = [(str(node.get("caption") or ""), [doc for _title, doc in node["entries"] if doc in env.titles])
                  for node in doctree.findall(addnodes.toctree)]
        app._seedpool_nav_groups = cached  # type: ignore[attr-defined]
    return cached


def _navbar_html(app: Sphinx, pagename: str, dropdowns: bool) -> str:
    """The navbar's links, one per root toctree caption (see the module docstring).

    ``dropdowns=False`` is the mobile sidebar's form (the theme renders the navbar there
    too): each caption's pages as a plain list under the caption.
    """
    env = app.env

    def link(doc: str, extra: str = "", label: str = "") -> str:
        current = ' aria-current="page"' if doc == pagename else ""
        href = html.escape(app.builder.get_relative_uri(pagename, doc))
        title = html.escape(label or env.titles[doc].astext())
        return f'<a class="nav-link nav-internal{extra}" href="{href}"{current}>{title}</a>'

    out = []
    for caption, docs in nav_groups(app):
        if not docs:
            continue
        active = " current active" if pagename in docs else ""
        if len(docs) == 1 or not caption:
            # One page under a caption ("Development"): a link labelled by the caption.
            label = caption if len(docs) == 1 else ""
            out += [f'<li class="nav-item{" current active" if pagename == doc else ""}">{link(doc, label=label)}</li>'
                    for doc in docs]
        elif dropdowns:
            menu_id = "seedpool-nav-" + re.sub(r"[^a-z0-9]+", "-", caption.lower()).strip("-")
            items = "".join(f"<li>{link(doc, ' dropdown-item')}</li>" for doc in docs)
            out.append(
                f'<li class="nav-item dropdown{active}">'
                f'<button class="btn dropdown-toggle nav-item" type="button" data-bs-toggle="dropdown" '
                f'aria-expanded="false" aria-controls="{menu_id}">{html.escape(caption)}</button>'
                f'<ul id="{menu_id}" class="dropdown-menu">{items}</ul></li>')
        else:
            out.append(f'<li class="nav-item seedpool-nav-caption">{html.escape(caption)}</li>')
            out += [f'<li class="nav-item seedpool-nav-sub{" current active" if pagename == doc else ""}">'
                    f"{link(doc)}</li>" for doc in docs]
    return "\n".join(out)


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    context["seedpool_navbar"] = lambda dropdowns=True: _navbar_html(app, pagename, dropdowns)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("seedpool-key-layout", KeyLayout)
    app.add_directive("seedpool-key-constants", KeyConstants)
    app.add_directive("seedpool-api", Api)
    app.connect("builder-inited", _make_figures)
    app.connect("html-page-context", _page_context)
    # Before numpydoc (priority 500) parses the docstring.
    app.connect("autodoc-process-docstring", _stdlib_docstring, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
