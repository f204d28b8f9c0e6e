"""Public names are exported once, and `import seedpool` stays light."""

from __future__ import annotations

import json

import seedpool
from conftest import run_python


def test_all_matches_public_names():
    public = {n for n in dir(seedpool) if not n.startswith("_")}
    modules = {"tensorflow", "torch", "keras", "joblib", "dask", "ray"}  # submodules, imported on demand
    assert set(seedpool.__all__) == public - modules - {"annotations", "Any"}
    assert len(seedpool.__all__) == len(set(seedpool.__all__))
    for name in seedpool.__all__:
        obj = getattr(seedpool, name)
        if hasattr(obj, "__module__") and not isinstance(obj, type(seedpool)):
            assert obj.__module__ == "seedpool", name


def test_import_loads_neither_tensorflow_nor_torch_nor_dill():
    code = (
        "import sys, json, seedpool\n"
        "seedpool.seed_everything(1)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'torch', 'keras', 'multiprocess', 'dill', 'jax'))))\n"
    )
    assert json.loads(run_python(code)) == []

