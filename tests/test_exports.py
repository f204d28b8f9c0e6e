"""Public names are exported once, from where they live, and `import seedpool` stays light."""

from __future__ import annotations

import ast
import importlib
import json
import pickle
import types
import warnings
from pathlib import Path

import pytest

import seedpool
import seedpool.tensorflow as stf
from conftest import REPO, run_python

SUBMODULES = {"tensorflow", "torch", "keras", "joblib", "dask", "ray", "array", "testing", "pytest_plugin"}  # public submodules, imported on demand
NOT_OBJECTS_WITH_A_HOME = {"SeedLike"}  # a typing alias: no __module__ of its own


def _public(module: types.ModuleType) -> set[str]:
    return {n for n in dir(module) if not n.startswith("_")}


def test_all_matches_public_names_and_nothing_leaks_into_dir():
    public = _public(seedpool) - SUBMODULES
    assert set(seedpool.__all__) == public
    # Helpers of the package's own code are not part of its namespace.
    for leaked in ("Any", "annotations", "TYPE_CHECKING", "importlib", "typing"):
        assert leaked not in dir(seedpool), leaked
    assert set(stf.__all__) == _public(stf)
    assert "annotations" not in dir(stf) and "Any" not in dir(stf)


@pytest.mark.parametrize("module", [seedpool, stf], ids=lambda m: m.__name__)
def test_each_public_symbol_is_exported_once(module):
    names = list(module.__all__)
    assert len(names) == len(set(names)), "a name is listed twice in __all__"
    # No object under two public names (trio's test_exports): one name per meaning.
    # seedpool.tensorflow's lazy names would import TensorFlow: only its eager ones here.
    loaded = [n for n in names if module is seedpool or n not in stf._LAZY]
    objects = {}
    for name in loaded:
        obj = getattr(module, name)
        assert id(obj) not in objects, f"{name} and {objects.get(id(obj))} are the same object"
        objects[id(obj)] = name


def test_module_is_where_users_find_the_object_and_pickle_agrees():
    for name in seedpool.__all__:
        obj = getattr(seedpool, name)
        if name in NOT_OBJECTS_WITH_A_HOME:
            continue
        assert obj.__module__ == "seedpool", name
        # Classes and functions pickle by reference: the reference must lead back here.
        assert pickle.loads(pickle.dumps(obj)) is obj, name
    for name in set(stf.__all__) - set(stf._LAZY):
        obj = getattr(stf, name)
        assert obj.__module__ == "seedpool.tensorflow", name
        assert pickle.loads(pickle.dumps(obj)) is obj, name


def test_exceptions_live_in_one_module_and_old_locations_still_import_them():
    from seedpool import _errors
    from seedpool._engines import process_pool as _pool
    from seedpool._engines import watch as _watchdog
    from seedpool._state import record as _record

    assert _record.RecordError is seedpool.RecordError is _errors.RecordError
    assert _watchdog.WorkerLostError is seedpool.WorkerLostError is _errors.WorkerLostError
    assert _pool.TimeoutError is seedpool.TimeoutError is _errors.TimeoutError
    assert stf.WorkerFailedError is _errors.WorkerFailedError
    import multiprocessing

    import multiprocess

    assert issubclass(seedpool.TimeoutError, multiprocessing.TimeoutError)
    assert issubclass(seedpool.TimeoutError, multiprocess.TimeoutError)
    for cls in (seedpool.RecordError, seedpool.WorkerLostError, seedpool.BackendUnavailableError,
                stf.WorkerFailedError, stf.WorkerTimeoutError):
        assert issubclass(cls, seedpool.SeedpoolError), cls
    # Every class is drawn in the hierarchy of _errors' docstring.
    for name in _errors.__all__:
        assert name in _errors.__doc__, name
    # Raised in a worker, they cross the process boundary whole.
    lost = pickle.loads(pickle.dumps(seedpool.WorkerLostError("w", 1, 2, -9, 3, 4)))
    assert (type(lost), lost.worker, lost.pid, lost.exitcode, lost.call, lost.task_index) == (
        seedpool.WorkerLostError, 1, 2, -9, 3, 4)
    timeout = pickle.loads(pickle.dumps(seedpool.TimeoutError("t")))
    assert type(timeout) is seedpool.TimeoutError and str(timeout) == "t"


def test_version_comes_from_its_own_module():
    from seedpool import _version

    assert seedpool.__version__ == _version.__version__
    # setup.cfg reads it from there, so building never imports the package __init__.
    assert "attr: seedpool._version.__version__" in (REPO / "setup.cfg").read_text()


@pytest.mark.parametrize("cls_name", ["Pool", "ProcessPoolExecutor"])
def test_root_attribute_is_root_and_the_old_name_warns(cls_name):
    cls = getattr(seedpool, cls_name)
    with cls(1, seed=5) as pool:
        assert pool.root == seedpool.SeedTree(5)
        with pytest.warns(DeprecationWarning, match=rf"{cls_name}\.seed_tree is deprecated; use {cls_name}\.root"):
            old = pool.seed_tree
        assert old is pool.root
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _ = pool.root  # the new name does not warn


def test_examples_import_no_private_module():
    for path in sorted((REPO / "examples").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "seedpool":
                    assert not any(p.startswith("_") for p in parts[1:]), f"{path.name} imports {name}"


def test_documented_names_resolve():
    # Docstrings send users to seedpool.task_scope / seedpool.SeedLike: they must exist.
    for name in ("task_scope", "SeedLike"):
        assert getattr(seedpool, name) is getattr(importlib.import_module(
            {"task_scope": "seedpool._task.task", "SeedLike": "seedpool._derive.tree"}[name]), name)


def test_import_loads_neither_tensorflow_nor_torch_nor_dill():
    code = (
        "import sys, json, seedpool, seedpool.tensorflow\n"
        "seedpool.seed_everything(1)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'torch', 'keras', 'multiprocess', 'dill', 'jax'))))\n"
    )
    assert json.loads(run_python(code)) == []


def test_tensorflow_adapter_is_a_subpackage():
    # The TensorFlow adapter is a subpackage; the old flat modules are gone.
    pkg = REPO / "seedpool"
    assert (pkg / "tensorflow" / "__init__.py").is_file()
    assert not list(pkg.glob("_tf_*.py")) and not (pkg / "tensorflow.py").exists()
    assert Path(stf.__file__).parent == pkg / "tensorflow"
