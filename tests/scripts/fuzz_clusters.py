"""Fuzz seedpool.dask and seedpool.ray with seedpool.testing; print each case's outcome as JSON.

Usage: fuzz_clusters.py SCALE. Run by tests/test_fuzz.py in a subprocess with a timeout;
every process of the Dask cluster and of Ray is killed afterwards (tests/cluster_procs.py).
Each case is "ok", "differs: <first line>" or "error: <type>: <message>".
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

import fuzz_corpus as C

from seedpool.testing import Fuzzer, Schedule, ScheduleDependenceError

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 1
THREAD_ENGINES = ("thread_pool", "thread_executor", "joblib_threading")
out: dict[str, str] = {}


def case(name: str, run: Callable[[], Any]) -> None:
    try:
        run()
        out[name] = "ok"
    except ScheduleDependenceError as error:
        out[name] = f"differs: {str(error).splitlines()[0]}"
    except Exception as error:  # noqa: BLE001 - reported, the other cases go on
        out[name] = f"error: {type(error).__name__}: {error}"
    print(name, out[name], file=sys.stderr, flush=True)


def nested(fuzzer: Fuzzer, inner: str, outer: str) -> None:
    second = "imap_unordered" if inner == "joblib_threading" else "submit"
    for workers, method in ((1, "map"), (2, second)):
        fuzzer.check(C.keyed_all, range(8), Schedule(inner, workers, method, outer=Schedule(outer, 2)), timeout=180)


def killed(fuzzer: Fuzzer) -> None:
    """A worker killed mid-call: Dask reruns its tasks elsewhere, with the same values."""
    import os

    fuzzer.check(C.keyed_all, range(16), Schedule("dask", 2, "map", kill=True), timeout=300)
    if not os.listdir(fuzzer._tmpdir()):
        raise RuntimeError("no worker was killed: the schedule tested no retry")


if __name__ == "__main__":
    with Fuzzer() as fuzzer:
        case("dask-flat", lambda: fuzzer.fuzz(C.keyed_all, range(16), engines=["dask"], nesting=False, kill=False,
                                              trials=20 * SCALE, schedule_seed=1, timeout=180))
        case("dask-kill", lambda: killed(fuzzer))
        for engine in THREAD_ENGINES:
            case(f"dask>{engine}", lambda e=engine: nested(fuzzer, e, "dask"))  # type: ignore[misc]
            case(f"{engine}>dask", lambda e=engine: nested(fuzzer, "dask", e))  # type: ignore[misc]
        try:
            import ray  # noqa: F401
        except ImportError:
            out["ray"] = "not installed"
        else:
            case("ray-flat", lambda: fuzzer.fuzz(C.keyed_all, range(16), engines=["ray"], nesting=False,
                                                 trials=10 * SCALE, schedule_seed=2, timeout=300))
            for engine in THREAD_ENGINES:
                case(f"ray>{engine}", lambda e=engine: nested(fuzzer, e, "ray"))  # type: ignore[misc]
    print(json.dumps(out))
