"""Entry point of one worker started by :func:`seedpool.tensorflow.launch_local_workers`.

Run as ``python -m seedpool.tensorflow._worker``; everything it needs is in the environment
(``TF_CONFIG`` and ``SEEDPOOL_TF_WORKER_SPEC``), which the launcher writes.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from typing import Any, Callable

from .._state.root import tree_from_env
from ._launch import LocalWorker, worker_node

__all__ = ["main"]


def _resolve(spec: str) -> Callable[..., Any]:
    where, _, qualname = spec.rpartition(":")
    if where.endswith(".py") or os.sep in where:
        # A script's function: load the file under another name so its
        # `if __name__ == "__main__":` block does not run again in the worker.
        mod_spec = importlib.util.spec_from_file_location("__seedpool_target__", where)
        if mod_spec is None or mod_spec.loader is None:
            raise ImportError(f"cannot load target file {where!r}")
        module = importlib.util.module_from_spec(mod_spec)
        sys.modules["__seedpool_target__"] = module
        sys.path.insert(0, os.path.dirname(where))
        mod_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def main() -> None:
    spec = json.loads(os.environ["SEEDPOOL_TF_WORKER_SPEC"])
    import seedpool

    root = tree_from_env(spec["root"])
    node = worker_node(root, spec["task_index"])
    seedpool.seed_everything(node, backends=spec["backends"])
    target = _resolve(spec["target"])
    worker = LocalWorker(spec["task_index"], spec["num_workers"], root, node, spec["cluster"])
    result = target(worker, *json.loads(spec["args"]))
    tmp = spec["result_path"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, spec["result_path"])
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: TF's gRPC server threads can keep a finished MWMS
    # worker alive (or crash it) during shutdown; the result is already on disk.
    os._exit(0)


if __name__ == "__main__":
    main()
