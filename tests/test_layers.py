"""The package's floors, checked from its imports (an AST walk; nothing is imported).

Floors, from the bottom (``seedpool/__init__.py`` and ``docs/guide/layout.md`` say the
same; :data:`FLOORS` is the one copy this test reads)::

    0  leaves    _version _errors _deprecated _lazy_exports _compat/
    1  _derive/  pure derivation, numpy only
    2  _state/   the process's generators: backends, scopes, hooks, strict, root, seeding...
    3  _task/    the one protocol: Task, the keyed call, the worker lifecycle, resolve_root
    4  _engines/ the pools, executors, thread pools and what they share
    5  faces     the public package and its integrations (joblib, dask, ray, torch, ...)
    6  _cli/     the seedpool command, ``seedpool run`` and its bootstrap

A module imports seedpool modules from its own room or floors below; ``_compat/`` imports
no seedpool module at all; there is no import cycle; and a function-local import of a
seedpool module is there only to defer a heavy dependency (it would load one the
importing module does not load already). What must flow upward is a callback.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "seedpool"

FLOORS: dict[str, int] = {
    "_version": 0, "_errors": 0, "_deprecated": 0, "_lazy_exports": 0, "_compat": 0,
    "_derive": 1,
    "_state": 2,
    "_task": 3,
    "_engines": 4,
    "_cli": 6,
}
FACES = 5  # every other top-level module or folder: seedpool/__init__, joblib, dask, ray...
# Third-party packages that are slow or heavy to import (or optional): a function-local
# import of a seedpool module is justified when it would load one of these.
HEAVY = {"multiprocess", "dill", "torch", "tensorflow", "keras", "joblib", "distributed", "dask", "ray",
         "scipy", "pandas", "sklearn", "psutil", "hypothesis", "pytest", "loky"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def room(module: str) -> str:
    """The folder (or top-level module) of ``module``: ``seedpool._state.scopes`` -> ``_state``
    (``python -m seedpool``'s ``__main__`` belongs to the CLI)."""
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else "__init__"
    return "_cli" if name == "__main__" else name


def floor(module: str) -> int:
    return FLOORS.get(room(module), FACES)


def _resolve(importer: str, is_package: bool, level: int, name: str | None) -> str:
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _lazy_names(module: str) -> dict[str, str]:
    """``module``'s PEP 562 lazy names (its ``_LAZY`` table): name -> submodule."""
    tree = ast.parse(MODULES[module].read_text())
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if isinstance(target, ast.Name) and target.id == "_LAZY" and isinstance(node.value, ast.Dict):
            return {k.value: _resolve(module, MODULES[module].name == "__init__.py", v.value.count(".", 0, 2),
                                      v.value.lstrip("."))
                    for k, v in zip(node.value.keys, node.value.values)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)}
    return {}


def imports(module: str) -> list[tuple[str, bool, str]]:
    """``(imported seedpool module or third-party top name, at module level?, kind)`` for
    each import in ``module``; kind is "seedpool" or "third"."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found: list[tuple[str, bool, str]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # typing only: never executed
            if isinstance(child, ast.Import):
                for alias in child.names:
                    _add(alias.name, inner)
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(module, is_package, child.level, child.module) if child.level else child.module or ""
                if target.split(".")[0] != "seedpool":
                    _add(target, inner)
                    continue
                lazy = _lazy_names(target) if target in MODULES else {}
                subs = [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else lazy[a.name]
                        for a in child.names if f"{target}.{a.name}" in MODULES or a.name in lazy]
                if len(subs) < len(child.names):
                    _add(target, inner)
                for sub in subs:
                    _add(sub, inner)  # a submodule, or the module a lazy name loads
            visit(child, inner)

    def _add(name: str, top: bool) -> None:
        if name.split(".")[0] == "seedpool":
            while name not in MODULES and "." in name:
                name = name.rpartition(".")[0]
            found.append((name, top, "seedpool"))
        elif name:
            found.append((name.split(".")[0], top, "third"))

    visit(tree, True)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


EDGES = {m: imports(m) for m in MODULES}


def _closure_third(module: str, seen: set[str] | None = None) -> set[str]:
    """Third-party top names loaded by importing ``module`` (module-level imports only,
    through seedpool modules and the packages that contain them)."""
    seen = set() if seen is None else seen
    if module in seen:
        return set()
    seen.add(module)
    out: set[str] = set()
    parts = module.split(".")
    for k in range(1, len(parts)):  # importing a.b.c runs a/__init__ and a/b/__init__ first
        parent = ".".join(parts[:k])
        if parent in MODULES and parent != "seedpool":
            out |= _closure_third(parent, seen)
    for name, top, kind in EDGES[module]:
        if not top:
            continue
        if kind == "third":
            out.add(name)
        else:
            out |= _closure_third(name, seen)
    return out


def test_the_walk_sees_the_package():
    # Guards the test itself: it must find the rooms and the arrows it judges.
    assert {"seedpool._derive.tree", "seedpool._task.worker", "seedpool._engines.process_pool"} <= set(MODULES)
    assert ("seedpool._derive.tree", True, "seedpool") in EDGES["seedpool._task.worker"]
    assert floor("seedpool._state.scopes") == 2 and floor("seedpool.joblib") == FACES
    assert "joblib" in _closure_third("seedpool.joblib")


def test_compat_imports_no_seedpool_module():
    bad = [(m, name) for m in MODULES if room(m) == "_compat"
           for name, _, kind in EDGES[m] if kind == "seedpool"]
    assert not bad, bad


def test_no_import_runs_up_a_floor():
    bad = []
    for module, edges in EDGES.items():
        for name, _, kind in edges:
            if kind != "seedpool" or name == "seedpool":
                continue
            same_room = room(name) == room(module)
            if floor(name) > floor(module) or (floor(name) == floor(module) and not same_room
                                                and floor(module) != FACES):
                bad.append(f"{module} (floor {floor(module)}) imports {name} (floor {floor(name)})")
    assert not bad, "\n".join(bad)


def test_no_import_cycle():
    graph = {m: {n for n, _, kind in edges if kind == "seedpool" and n != m} for m, edges in EDGES.items()}
    # Tarjan's strongly connected components: any with more than one module is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    assert not cycles, cycles


def test_function_local_imports_of_seedpool_defer_something():
    bad = []
    for module, edges in EDGES.items():
        if module.endswith(".sitecustomize"):
            continue  # run by `site` as a top-level module: it finds seedpool or puts it on sys.path
        if module == "seedpool.pytest_plugin":
            continue  # a conftest loads it in every session: the fuzzer only when a test asks for it
        own = _closure_third(module)
        for name, top, kind in edges:
            if kind != "seedpool" or top or name == "seedpool":
                continue
            if not (_closure_third(name) - own) & HEAVY:
                bad.append(f"{module} imports {name} inside a function, which loads nothing heavy "
                           f"it does not load already: import it at the top")
    assert not bad, "\n".join(bad)


def test_a_planted_upward_import_and_cycle_would_fail(tmp_path):
    # The checks above must be able to fail: an upward arrow and a cycle, planted.
    saved = dict(EDGES)
    try:
        EDGES["seedpool._derive.tree"] = saved["seedpool._derive.tree"] + [("seedpool._task.worker", True, "seedpool")]
        with pytest.raises(AssertionError, match="imports seedpool._task.worker"):
            test_no_import_runs_up_a_floor()
        with pytest.raises(AssertionError):
            test_no_import_cycle()
    finally:
        EDGES.clear()
        EDGES.update(saved)


def test_layout_page_and_package_docstring_list_every_module():
    page = (REPO / "docs" / "guide" / "layout.md").read_text()
    listed = set(re.findall(r"seedpool/[\w/]+\.py|(?<=\s)[\w/]+\.py", page))
    missing = []
    for module, path in MODULES.items():
        rel = str(path.relative_to(PACKAGE))
        if path.name == "__init__.py" and module != "seedpool":
            continue  # a folder is listed by its name
        if rel not in page and path.name not in page:
            missing.append(rel)
    assert not missing, f"docs/guide/layout.md does not list {missing}"
    assert listed
    init_doc = (PACKAGE / "__init__.py").read_text()
    for folder in ("_derive", "_state", "_task", "_engines", "_cli", "_compat"):
        assert folder in init_doc and folder in page, folder
