"""Local multi-worker launcher: N ``MultiWorkerMirroredStrategy`` workers on 127.0.0.1.

Data flow::

    launch_local_workers(target, n)          (parent; never imports TensorFlow)
      |-- picks n free ports, writes one TF_CONFIG per worker
      |-- Popen(python -m seedpool.tensorflow._worker) x n, each in its own process group
      |       worker i: seed_everything(worker_node(root, i)); result = target(LocalWorker, *args)
      |       writes json.dumps(result) to its result file, exits 0
      |-- polls: any worker with a non-zero exit -> kill every group, WorkerFailedError
      |          deadline passed                 -> kill every group, WorkerTimeoutError
      '-- returns [result_0, ..., result_{n-1}] in task order

Workers run in their own sessions so that killing a worker's process group also ends
anything it started; the parent kills only the groups it created, by id.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from .._derive.keys import TF_WORKER
from .._derive.tree import SeedLike, SeedTree
from .._errors import WorkerFailedError, WorkerTimeoutError
from .._state.seeding import tree_to_env

__all__ = [
    "LocalWorker",
    "WorkerFailedError",
    "WorkerTimeoutError",
    "launch_local_workers",
    "worker_node",
    "target_spec",
]

# Key of the per-worker branch; StrategySeeds.worker_node uses the same function.
_SPEC_ENV = "SEEDPOOL_TF_WORKER_SPEC"
_DEFAULT_BACKENDS = ("tensorflow", "python", "numpy", "rng")
_STDERR_TAIL = 25


def worker_node(root: SeedTree, task_id: int) -> SeedTree:
    """The node a worker with this task id seeds itself from: ``root.child("tf.worker", task_id)``."""
    return root.child(TF_WORKER, task_id)


@dataclass(frozen=True)
class LocalWorker:
    """What a launched worker's target receives as its first argument.

    Attributes
    ----------
    task_index : int
        This worker's index in ``TF_CONFIG`` (0 is the chief).
    num_workers : int
        How many workers the launch started.
    root : SeedTree
        The launch's root node (the ``seed`` given to :func:`launch_local_workers`).
    node : SeedTree
        ``root.child("tf.worker", task_index)``: the node this process was seeded from,
        equal to ``StrategySeeds(strategy, root).worker_node``.
    cluster : dict
        The ``TF_CONFIG`` cluster spec, ``{"worker": ["127.0.0.1:port", ...]}``.
    """

    task_index: int
    num_workers: int
    root: SeedTree
    node: SeedTree
    cluster: dict = field(default_factory=dict)


def target_spec(target: Union[str, Callable[..., Any]]) -> str:
    """Turn a target into ``"module:qualname"`` or ``"/path/file.py:qualname"``.

    A function defined in the running script (``__main__``) is named by the script's
    path, so the worker can load it without running the script's main block.
    """
    if isinstance(target, str):
        if ":" not in target:
            raise ValueError(
                f"target must be 'module:function' or 'path/to/file.py:function' (got {target!r}); "
                "add the function name after a colon"
            )
        return target
    if not callable(target):
        raise TypeError(
            f"target must be a top-level function or a 'module:function' string "
            f"(got {target!r} of type {type(target).__name__})"
        )
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", "")
    if not module or "<" in qualname:
        raise ValueError(
            f"target must be defined at the top level of a module so a fresh worker process "
            f"can import it (got {target!r}); move it out of the enclosing function or lambda"
        )
    if module == "__main__":
        path = getattr(sys.modules["__main__"], "__file__", None)
        if not path:
            raise ValueError(
                f"target {qualname!r} lives in an interactive __main__ with no file; put it "
                "in a module and pass that function or 'module:function'"
            )
        return f"{os.path.abspath(path)}:{qualname}"
    return f"{module}:{qualname}"


def _free_ports(n: int) -> list[int]:
    # Bind all sockets before closing any, so the n ports are distinct.
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _tail(path: str, lines: int = _STDERR_TAIL) -> str:
    try:
        with open(path, errors="replace") as f:
            text = f.read().splitlines()
    except OSError:
        return "<no output>"
    return "\n".join(text[-lines:]) or "<no output>"


def _describe_rc(rc: Optional[int]) -> str:
    if rc is None:
        return "was still running"
    if rc < 0:
        try:
            return f"was killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"was killed by signal {-rc}"
    return f"exited with code {rc}"


def _kill_group(proc: subprocess.Popen) -> None:
    # The worker leads its own process group (start_new_session=True); its pgid is its pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def launch_local_workers(
    target: Union[str, Callable[..., Any]],
    num_workers: int = 2,
    *,
    seed: SeedLike,
    args: Sequence[Any] = (),
    timeout: float = 300.0,
    backends: Sequence[str] = _DEFAULT_BACKENDS,
    env: Optional[dict] = None,
    python: str = sys.executable,
) -> list[Any]:
    """Run ``target`` in ``num_workers`` local MultiWorkerMirroredStrategy worker processes.

    Each worker gets its own ``TF_CONFIG`` (all workers on 127.0.0.1, free ports), is seeded
    with ``seedpool.seed_everything(root.child("tf.worker", task_index))`` before ``target``
    runs, and calls ``target(worker, *args)`` where ``worker`` is a :class:`LocalWorker`.
    The target creates the strategy itself (``tf.distribute.MultiWorkerMirroredStrategy()``
    reads ``TF_CONFIG``). This function never imports TensorFlow in the calling process.

    Parameters
    ----------
    target : callable or str
        A top-level function, or ``"module:function"`` / ``"path/file.py:function"``.
        Its return value must be JSON-serialisable.
    num_workers : int
        Number of worker processes (>= 1).
    seed : int, str, SeedTree, ...
        The root of the launch (see :class:`seedpool.SeedTree`); required. An explicit
        ``None`` draws fresh entropy (``SeedTree(None)``), which the launcher hands to
        every worker, so they still share one root (read it back as ``worker.root``).
    args : sequence
        JSON-serialisable extra arguments passed to ``target`` after the worker.
    timeout : float
        Seconds for the whole launch; after it every worker is killed.
    backends : sequence of str
        Backends each worker seeds (default TensorFlow, Python, numpy, ``seedpool.rng``).
    env : dict, optional
        Extra environment variables for the workers.
    python : str
        The interpreter to start workers with.

    Returns
    -------
    list
        ``target``'s return values, in task-index order.

    Raises
    ------
    WorkerFailedError
        A worker exited with an error (its index, exit code and the end of its stderr are
        in the message); every other worker has been killed when this is raised.
    WorkerTimeoutError
        The deadline passed; every worker has been killed.
    TypeError, ValueError
        Bad arguments.
    """
    spec = target_spec(target)
    args_json, backends = _check_launch_args(num_workers, timeout, backends, args)
    root = SeedTree(seed)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(num_workers)]}
    base_env = _worker_base_env(env)
    with tempfile.TemporaryDirectory(prefix="seedpool-tf-") as tmp:
        errs = [os.path.join(tmp, f"worker{i}.err") for i in range(num_workers)]
        results = [os.path.join(tmp, f"worker{i}.json") for i in range(num_workers)]
        procs: list[subprocess.Popen] = []
        try:
            for i in range(num_workers):
                spec_env = {"target": spec, "args": args_json, "root": tree_to_env(root), "task_index": i,
                            "num_workers": num_workers, "cluster": cluster, "backends": list(backends),
                            "result_path": results[i]}
                procs.append(_start_worker(python, base_env, cluster, i, spec_env, errs[i], tmp))
            _wait_for_workers(procs, errs, spec, timeout)
        finally:
            for p in procs:
                _kill_group(p)
            for p in procs:
                p.wait()
        values: list[Any] = []
        for path in results:
            with open(path) as f:
                values.append(json.load(f))
        return values


def _check_launch_args(num_workers: Any, timeout: Any, backends: Any, args: Any) -> tuple[str, Sequence[str]]:
    """Validate the launch's arguments (before any port is taken or process started);
    returns ``args`` as JSON and ``backends`` as a sequence."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int):
        raise TypeError(f"num_workers must be an int >= 1 (got {num_workers!r}); pass e.g. num_workers=2")
    if num_workers < 1:
        raise ValueError(f"num_workers must be >= 1 (got {num_workers}); pass e.g. num_workers=2")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds (got {timeout!r}); pass e.g. timeout=300")
    if isinstance(backends, str):
        backends = (backends,)
    try:
        args_json = json.dumps(list(args))
    except TypeError as exc:
        raise TypeError(f"args must be JSON-serialisable (got {args!r}): {exc}; pass plain ints, floats, str, "
                        "lists or dicts") from None
    return args_json, backends


def _worker_base_env(env: Optional[dict]) -> dict:
    """The environment every worker starts from: this one, ``env``, and this seedpool on
    ``PYTHONPATH`` (workers must import it even where it is not installed)."""
    # The folder holding seedpool/, not seedpool/ itself: there, seedpool/tensorflow/
    # would shadow the real TensorFlow package.
    pkg_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    base_env = dict(os.environ)
    base_env.update(env or {})
    base_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (pkg_parent, os.getcwd(), base_env.get("PYTHONPATH", "")) if p
    )
    base_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return base_env


def _start_worker(python: str, base_env: dict, cluster: dict, index: int, spec_env: dict, err_path: str,
                  tmp: str) -> subprocess.Popen:
    """Start worker ``index`` (its own ``TF_CONFIG`` and spec), in its own session."""
    wenv = dict(base_env)
    wenv["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
    wenv[_SPEC_ENV] = json.dumps(spec_env)
    with open(err_path, "wb") as err_file, open(os.path.join(tmp, f"worker{index}.out"), "wb") as out_file:
        return subprocess.Popen(
            [python, "-m", "seedpool.tensorflow._worker"], env=wenv, stdout=out_file, stderr=err_file,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )


def _wait_for_workers(procs: list, errs: list[str], spec: str, timeout: float) -> None:
    """Wait until every worker exited 0; raise WorkerFailedError at the first failure and
    WorkerTimeoutError at the deadline (the caller kills what is left)."""
    num_workers = len(procs)
    deadline = time.monotonic() + timeout
    while True:
        rcs = [p.poll() for p in procs]
        failed = [i for i, rc in enumerate(rcs) if rc not in (None, 0)]
        if failed:
            first = failed[0]
            details = "\n".join(
                f"--- worker {i} {_describe_rc(rcs[i])}; end of its stderr:\n{_tail(errs[i])}" for i in failed
            )
            raise WorkerFailedError(
                f"worker {first} of {num_workers} {_describe_rc(rcs[first])} (target {spec}); "
                f"the other workers were killed.\n{details}",
                first, rcs,
            )
        if all(rc == 0 for rc in rcs):
            return
        if time.monotonic() > deadline:
            running = [i for i, rc in enumerate(rcs) if rc is None]
            raise WorkerTimeoutError(
                f"workers {running} of {num_workers} were still running after timeout={timeout} s "
                f"(target {spec}); all workers were killed. Pass a larger timeout if the job "
                f"needs it. End of worker {running[0]}'s stderr:\n{_tail(errs[running[0]])}"
            )
        time.sleep(0.05)
