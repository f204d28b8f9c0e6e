"""Run a script that starts a Dask or Ray cluster, and kill every process it started.

A cluster outlives a killed driver (Dask nannies, Ray's raylet and GCS may not share its
fate), so the script and everything it starts carry a unique environment marker; after
the run -- normal, failed or timed out -- every process still carrying it is killed.
Only processes with this run's marker are touched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Optional

import psutil

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
MARKER = "SEEDPOOL_TEST_CLUSTER"


def _marked(tag: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get(MARKER) == tag:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def kill_marked(tag: str) -> int:
    """Kill every process whose environment holds ``MARKER=tag``; return how many were left."""
    left = _marked(tag)
    for proc in left:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=10)
    return len(left)


def run_cluster_script(script: Any, *args: str, env: Optional[dict] = None, timeout: float = 300,
                       parse_json: bool = True) -> Any:
    """Run ``tests/scripts/<script>`` (or the path ``script``) with ``args``; return the JSON
    its last stdout line holds, or its whole stdout with ``parse_json=False``."""
    path = Path(script) if isinstance(script, Path) else TESTS / "scripts" / script
    tag = uuid.uuid4().hex
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(REPO), full_env.get("PYTHONPATH", "")])
    full_env.pop("SEEDPOOL_SEED", None)
    full_env.pop("SEEDPOOL_WORKERS", None)
    full_env.pop("SEEDPOOL_RECORD", None)
    full_env[MARKER] = tag
    if env:
        full_env.update(env)
    proc = subprocess.Popen([sys.executable, str(path), *args], env=full_env,
                            cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"{script} {' '.join(args)} timed out after {timeout} s:\n{err[-4000:]}") from None
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        time.sleep(0.2)
        kill_marked(tag)
    if proc.returncode != 0:
        raise AssertionError(f"{script} {' '.join(args)} failed ({proc.returncode}):\n{err[-6000:]}")
    if not parse_json:
        return out
    lines = [line for line in out.splitlines() if line.strip()]
    return json.loads(lines[-1])
