"""`seedpool demo` shows each bug and the fix with real workers, and leaves nothing running."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil

from conftest import REPO


def test_demo_shows_bugs_and_fix():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SEEDPOOL_SEED", None)
    proc = subprocess.Popen([sys.executable, "-m", "seedpool", "demo"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    me = psutil.Process(proc.pid)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    verdicts = [line.strip() for line in lines if line.strip().startswith(("ok", "BUG"))]
    assert verdicts[0].startswith("BUG   1 distinct value(s) among 4 workers")  # fork inheritance
    assert verdicts[1].startswith("BUG   1 distinct value(s)")  # spawn + top-level seed
    assert verdicts[2].startswith("BUG   3 of 4 streams shared")  # base + worker_id
    assert verdicts[3].startswith("ok    distinct within a run, identical across runs")
    assert verdicts[4].startswith("BUG   per-worker seeding gave")  # schedule-dependent
    assert verdicts[5].startswith("ok    seedpool.Pool: identical for every schedule")
    hashes = {line.rsplit(" ", 1)[-1] for line in lines if "seedpool.Pool: " in line and "processes=" in line}
    assert len(hashes) == 1
    assert not me.is_running() or me.status() == psutil.STATUS_ZOMBIE


def test_cli_usage_and_unknown_command():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    bad = subprocess.run([sys.executable, "-m", "seedpool", "frobnicate"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "unknown command 'frobnicate'" in bad.stderr
    ok = subprocess.run([sys.executable, "-m", "seedpool", "--help"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and "demo" in ok.stdout


def test_pool_example_prints_the_same_for_any_worker_count():
    def run(workers, seed="42"):
        env = {**os.environ, "PYTHONPATH": str(REPO), "SEEDPOOL_WORKERS": workers}
        env.pop("SEEDPOOL_SEED", None)
        proc = subprocess.run([sys.executable, str(REPO / "examples" / "pool_map.py"), "--seed", seed],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    one, three = run("1"), run("3")
    assert one == three
    first, second = one.splitlines()
    assert first != second
    assert run("2", seed="43") != one
