"""``seedpool run`` and ``seedpool check`` on unmodified scripts, in separate processes."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import numpy as np
import pytest

import seedpool
from conftest import REPO
from seedpool._state.record import SeedRecord

SCRIPTS = REPO / "tests" / "scripts"
PY = sys.executable
needs_pools = pytest.mark.skipif(
    not (hasattr(seedpool, "Pool") and hasattr(seedpool, "ProcessPoolExecutor")),
    reason="seedpool.Pool / ProcessPoolExecutor not available yet",
)


def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full = dict(os.environ)
    full["PYTHONPATH"] = os.pathsep.join([str(REPO), full.get("PYTHONPATH", "")])
    for name in ("SEEDPOOL_SEED", "SEEDPOOL_RECORD", "SEEDPOOL_WORKERS", "SEEDPOOL_RUN", "SEEDPOOL_POOLS"):
        full.pop(name, None)
    full.update(env or {})
    return subprocess.run([PY, "-m", "seedpool", *args], capture_output=True, text=True, env=full,
                          timeout=timeout, cwd=str(REPO))


def run_script(seed: str, *script: str, extra: tuple = ()) -> str:
    proc = cli("run", "--seed", seed, *extra, "--", PY, str(SCRIPTS / script[0]), *script[1:])
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def mixed_42() -> str:
    return run_script("42", "mixed.py", "spawn")


def test_run_is_reproducible_across_processes(mixed_42):
    again = run_script("42", "mixed.py", "spawn")
    assert again == mixed_42
    lines = mixed_42.splitlines()
    workers = [line for line in lines if line.startswith("worker")]
    # two spawn workers, each on its own stream (not a copy of the parent's, not of each other)
    assert len(workers) == 2 and workers[0] != workers[1]
    assert lines[-1].startswith("subprocess ")


def test_another_seed_gives_other_numbers(mixed_42):
    other = run_script("43", "mixed.py", "spawn")
    assert set(other.splitlines()).isdisjoint(mixed_42.splitlines())


def test_main_process_is_seeded_like_seed_everything(mixed_42):
    seedpool.seed_everything(42)
    assert mixed_42.splitlines()[0] == f"main {random.random()} {np.random.random()}"


def test_child_keys_do_not_depend_on_start_method(mixed_42):
    # the k-th child gets node.child("child", k) however it was started
    assert run_script("42", "mixed.py", "forkserver") == mixed_42
    assert run_script("42", "mixed.py", "fork") == mixed_42


def test_record_and_replay(tmp_path, mixed_42):
    record = tmp_path / "run.seeds"
    assert run_script("42", "mixed.py", "spawn", extra=("--record", str(record))) == mixed_42
    loaded = SeedRecord.load(record)
    assert loaded.tree() == seedpool.SeedTree(42)
    processes = {c.path for c in loaded.consumers if c.kind == "process"}
    # the script itself, two pool workers (children 0 and 1), the subprocess (child 2)
    assert {(), ("child", 0), ("child", 1), ("child", 2)} <= processes
    proc = cli("run", "--replay", str(record), "--", PY, str(SCRIPTS / "mixed.py"), "spawn")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == mixed_42


def test_run_keeps_an_existing_sitecustomize(tmp_path):
    (tmp_path / "sitecustomize.py").write_text("import builtins; builtins.OTHER_SITECUSTOMIZE = True\n")
    code = "import builtins, random; print(getattr(builtins, 'OTHER_SITECUSTOMIZE', False), random.random())"
    proc = cli("run", "--seed", "1", "--", PY, "-c", code, env={"PYTHONPATH": f"{REPO}{os.pathsep}{tmp_path}"})
    assert proc.returncode == 0, proc.stderr
    seedpool.seed_everything(1)
    assert proc.stdout.split() == ["True", str(random.random())]


def test_run_exit_status_and_errors():
    assert cli("run", "--seed", "1", "--", PY, "-c", "raise SystemExit(7)").returncode == 7
    assert cli("run", "--seed", "1").returncode == 2
    missing = cli("run", "--seed", "1", "--", "no-such-program-seedpool")
    assert missing.returncode == 127 and "cannot run" in missing.stderr


@needs_pools
def test_pools_make_task_draws_reproducible_for_any_worker_count():
    outs = {run_script("7", "pool_draws.py", "spawn", extra=("--pools",)) for _ in range(2)}
    assert len(outs) == 1
    out = outs.pop()
    proc = cli("run", "--seed", "7", "--pools", "--", PY, str(SCRIPTS / "pool_draws.py"), "fork",
               env={"SEEDPOOL_WORKERS": "3"})
    assert proc.stdout == out and "seedpool" in proc.stderr
    # without --pools the stdlib pool's tasks draw from per-worker streams: schedule-dependent
    plain = run_script("7", "pool_draws.py", "fork")
    assert plain != out


# -- check -----------------------------------------------------------------------------------------
def test_check_passes_on_a_reproducible_script():
    proc = cli("check", "--seed", "5", "--runs", "2", "--", PY, str(SCRIPTS / "mixed.py"), "spawn")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK, all 2 runs gave identical stdout" in proc.stdout
    assert "[2/2] run 2" in proc.stderr and "same" in proc.stderr  # progress on stderr


def test_check_reports_the_first_difference():
    proc = cli("check", "--seed", "5", "--", PY, str(SCRIPTS / "clock.py"))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert "stdout of run 2 differs from run 1" in lines[0]
    assert lines[1] == "first difference at line 2:"
    assert lines[2].startswith("  run 1: clock ") and lines[3].startswith("  run 2: clock ")
    assert lines[2] != lines[3]


def test_check_compares_output_files(tmp_path):
    out = tmp_path / "out.txt"
    code = ("import os, random, sys; open(sys.argv[1], 'w').write("
            "f'{random.random()}\\n' + (os.urandom(4).hex() if len(sys.argv) > 2 else '') + '\\n')")
    same = cli("check", "--seed", "1", "--outputs", str(out), "--", PY, "-c", code, str(out))
    assert same.returncode == 0, same.stdout + same.stderr
    assert "and 1 output file(s)" in same.stdout
    diff = cli("check", "--seed", "1", "--outputs", str(out), "--", PY, "-c", code, str(out), "urandom")
    assert diff.returncode == 1
    assert f"{out} of run 2 differs" in diff.stdout and "first difference at line 2:" in diff.stdout


def test_check_reports_a_failing_run():
    proc = cli("check", "--seed", "1", "--", PY, "-c", "import sys; sys.exit('broken on purpose')")
    assert proc.returncode == 3
    assert "run 1 exited with status 1" in proc.stderr and "broken on purpose" in proc.stderr


@needs_pools
def test_check_detects_worker_count_dependence():
    proc = cli("check", "--seed", "1", "--pools", "--runs", "1", "--vary-workers", "1,3", "--",
               PY, str(SCRIPTS / "workers_leak.py"))
    assert proc.returncode == 1
    assert "run 2 (SEEDPOOL_WORKERS=1) differs from run 1" in proc.stdout
    ok = cli("check", "--seed", "1", "--pools", "--runs", "1", "--vary-workers", "1,3", "--",
             PY, str(SCRIPTS / "pool_draws.py"), "fork")
    assert ok.returncode == 0, ok.stdout + ok.stderr
