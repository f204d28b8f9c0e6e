"""Issue 10: hostile and careless inputs -- one test per numbered item, and a fuzz test.

Anything that could hang (a deadlock after fork, a lock held across a child's run, a
read of ``/dev/zero`` or a FIFO) runs in a subprocess with a timeout: a hang fails the
test, it never stalls the suite.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seedpool
from conftest import REPO
from seedpool import SeedTree
from seedpool._state.record import RecordError, SeedRecord, record_consumer
from seedpool._state.root import ENV_SEED, tree_from_env, tree_to_env, workers_from_env

PY = sys.executable
HEADER = json.dumps({"format": "seedpool-record", "version": 1, "root": {"entropy": "7", "path": []}})


def _env(**extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    for name in ("SEEDPOOL_SEED", "SEEDPOOL_RECORD", "SEEDPOOL_WORKERS", "SEEDPOOL_RUN", "SEEDPOOL_POOLS",
                 "PYTHONHASHSEED"):
        env.pop(name, None)
    env.update(extra)
    return env


def _python(code: str, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          env=_env(**env), timeout=timeout, cwd=str(REPO))


def _cli(*args: str, timeout: float = 120, cwd: str | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "seedpool", *args], capture_output=True, text=True, env=_env(**env),
                          timeout=timeout, cwd=cwd or str(REPO))


def _one_line_error(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr


# -- 1. after-fork hook never blocks on a lock another parent thread holds --------------------------
FORK_WHILE_HELD = """
import os, sys, threading, time
import numpy as np
import seedpool
from seedpool import SeedTree
from seedpool._state import root as _root
from seedpool._state.fork import reseed_after_fork

reseed_after_fork(1)
which = sys.argv[1]
lock = np.random.mtrand._rand._bit_generator.lock if which == "numpy" else _root._lock
held = threading.Event()

def hold():
    with lock:          # a parent thread inside np.random / the root's lock at fork time
        held.set()
        time.sleep(120)

threading.Thread(target=hold, daemon=True).start()
held.wait()
children = {}
for k in range(5):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, repr(float(np.random.random())).encode())
        os._exit(0)
    os.close(w)
    children[pid] = (k, r)
deadline = time.monotonic() + 20
values, hung = {}, 0
while children and time.monotonic() < deadline:
    for pid in list(children):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            k, r = children.pop(pid)
            values[k] = float(os.read(r, 100))
    time.sleep(0.02)
for pid in children:
    hung += 1
    os.kill(pid, 9)
print(hung, sorted(values.items()))
"""


@pytest.mark.parametrize("which", ["numpy", "root"])
def test_01_forked_child_never_deadlocks_on_a_held_lock(which):
    proc = _python(FORK_WHILE_HELD, which, timeout=90)
    assert proc.returncode == 0, proc.stderr
    hung, values = proc.stdout.split(" ", 1)
    assert hung == "0", f"{hung} of 5 children hung in the after-fork hook"
    got = dict(eval(values))  # noqa: S307 - our own repr of floats
    # Each child k is seeded from node.child("child", k), as with no thread holding anything.
    for k, value in got.items():
        seedpool.seed_everything(SeedTree(1).child("child", k), backends=("python", "numpy", "rng"))
        assert value == float(np.random.random())


# -- 2. os.system under seedpool run: the parent's environ untouched, no lock across the run -----------
OS_SYSTEM = """
import multiprocessing as mp, os, sys, threading, time

def touch(flag):
    open(flag, "w").close()

if __name__ == "__main__":
    flag, out = sys.argv[1], sys.argv[2]
    parent = os.environ["SEEDPOOL_SEED"]
    cmd = f'echo "$SEEDPOOL_SEED" > {out}.part && mv {out}.part {out}; while [ ! -e {flag} ]; do sleep 0.05; done'
    t = threading.Thread(target=os.system, args=(cmd,))
    t.start()
    while not os.path.exists(out):  # the command is running now
        time.sleep(0.02)
    during = os.environ["SEEDPOOL_SEED"]
    import seedpool
    root = seedpool.seed_everything()
    # With a lock held across os.system, this start waited for the command, which waits
    # for this child: a deadlock.
    p = mp.get_context("spawn").Process(target=touch, args=(flag,))
    p.start(); p.join(); t.join()
    print(parent == during, list(root.path), open(out).read().strip())
"""


def test_02_os_system_leaves_parent_environ_and_never_blocks_spawn(tmp_path):
    script = tmp_path / "sys_script.py"
    script.write_text(OS_SYSTEM)
    proc = _cli("run", "--seed", "3", "--", PY, str(script), str(tmp_path / "flag"), str(tmp_path / "out"),
                timeout=60)
    assert proc.returncode == 0, proc.stderr
    same, rest = proc.stdout.split(" ", 1)
    assert same == "True"  # os.environ["SEEDPOOL_SEED"] stayed the parent's while cmd ran
    path, child_seed = rest.rsplit(" ", 1)
    assert path == "[]"  # seed_everything() adopted the parent's node, not the child's
    assert tree_from_env(child_seed) == SeedTree(3).child("child", 0)


# -- 3. concurrent writers of one record all land in it ---------------------------------------------
WRITER = """
import os, sys, time
go, ready = sys.argv[1], sys.argv[2]
import seedpool
from seedpool._state.record import record_consumer
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
root = seedpool.seed_everything(7)
for i in range(199):
    record_consumer(root.child("tasks", 0, i), task=i)
"""


def test_03_concurrent_writers_append_to_one_record(tmp_path):
    record, go = tmp_path / "run.seeds", tmp_path / "go"
    ready = [tmp_path / f"ready{i}" for i in range(8)]
    procs = [subprocess.Popen([PY, "-c", WRITER, str(go), str(r)], env=_env(SEEDPOOL_RECORD=str(record)),
                              cwd=str(REPO), stderr=subprocess.PIPE) for r in ready]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all eight have imported seedpool: release them together
    for p in procs:
        assert p.wait(timeout=60) == 0, p.stderr.read() if p.stderr else ""
    loaded = SeedRecord.load(record)
    assert loaded.tree() == SeedTree(7)
    # 8 x 200 lines: one header, 7 seed_everything consumers, 8 x 199 tasks -- none lost.
    assert len(loaded.consumers) == 7 + 8 * 199
    assert sum(1 for c in loaded.consumers if c.kind == "seed_everything") == 7


# -- 4. equality and hash agree with the streams --------------------------------------------------------
@pytest.mark.parametrize("a, b", [
    (SeedTree(1 + (7 << 128)), SeedTree(1).child(7)),
    (SeedTree(5), SeedTree([5, 0])),
    (SeedTree(5), SeedTree((5, 0, 0, 0))),
    (SeedTree(2**32), SeedTree([0, 1])),
])
def test_04_same_streams_compare_equal(a, b):
    assert (a.generate_state(8) == b.generate_state(8)).all()
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.child("x", 3) == b.child("x", 3)


def test_04_distinct_streams_compare_unequal():
    pairs = [(SeedTree(5), SeedTree([5, 0, 0, 0, 0])), (SeedTree(5), SeedTree(6)),
             (SeedTree(1).child(7), SeedTree(1).child(8))]
    for a, b in pairs:
        assert not (a.generate_state(8) == b.generate_state(8)).all()
        assert a != b


# -- 5. lone surrogates are hashed, not a UnicodeEncodeError -------------------------------------------
def test_05_lone_surrogates_hash(tmp_path):
    text = "run-\udce9"
    tree = SeedTree(text)
    assert tree == SeedTree(text) and tree != SeedTree("run-\u00e9")
    node = SeedTree(1).child(text, 2)
    assert tree_from_env(tree_to_env(node)) == node
    path = tmp_path / "r.seeds"
    SeedRecord.capture(node).save(path)
    assert SeedRecord.load(path).tree() == node
    # an encodable string hashes exactly as before (plain UTF-8)
    assert SeedTree("run-\u00e9").entropy == SeedTree("run-\u00e9".encode()).entropy


# -- 6. huge roots everywhere, and seed_everything never half-seeds -------------------------------------
def test_06_huge_roots_round_trip(tmp_path):
    big = SeedTree(2**15000 + 3)
    assert "0x" in repr(big)
    assert tree_from_env(tree_to_env(big)) == big
    assert tree_from_env(tree_to_env(big.child("a", 1))) == big.child("a", 1)
    path = tmp_path / "big.seeds"
    SeedRecord.capture(big.child(4)).save(path)
    assert SeedRecord.load(path).tree() == big.child(4)
    seedpool.seed_everything(2**15000)
    assert tree_from_env(os.environ[ENV_SEED]) == SeedTree(2**15000)


def test_06_seed_everything_validates_before_seeding(tmp_path):
    random.seed(11)
    np.random.seed(11)
    before = (random.getstate(), np.random.get_state()[1].copy())
    for bad in ({"record": 5}, {"record": str(tmp_path)}, {"record": str(tmp_path / "no" / "dir" / "r")}):
        with pytest.raises((TypeError, ValueError), match="record"):
            seedpool.seed_everything(2**15000, **bad)
        assert random.getstate() == before[0] and (np.random.get_state()[1] == before[1]).all()
        assert ENV_SEED not in os.environ


# -- 7. every malformed SEEDPOOL_SEED names the variable ------------------------------------------------
@pytest.mark.parametrize("value", [
    '{"entropy": 1.5, "path": []}',
    '{"entropy":' + "[" * 100000 + "]" * 100000 + ',"path":[]}',
    "9" * 5000,
    '{"entropy": 1, "path": "abc"}',
    '{"entropy": true, "path": []}',
    '{"entropy": 1, "path": [true]}',
    '{"entropy": [], "path": []}',
    '{"entropy": -1, "path": []}',
    '{"entropy": 1}',
    '{"entropy": 1, "path": [], "x": 2}',
    '{"entropy": "12", "path": []}',
    '{"entropy": 1, "path": [2147483648]}',
    "{not json",
])
def test_07_malformed_seed_env_names_the_variable(value):
    with pytest.raises(ValueError, match="SEEDPOOL_SEED is malformed"):
        tree_from_env(value)


def test_07_malformed_seed_env_from_seed_everything(monkeypatch):
    monkeypatch.setenv(ENV_SEED, '{"entropy": 1, "path": "abc"}')
    with pytest.raises(ValueError, match="SEEDPOOL_SEED is malformed"):
        seedpool.seed_everything()


# -- 8. ASCII digits and exact types only -----------------------------------------------------------------
@pytest.mark.parametrize("value", ["99999999999999999999", "\u0663", "0", "-1", "1.5", "", "4x"])
def test_08_bad_workers_env(value, monkeypatch):
    with pytest.raises(ValueError, match="SEEDPOOL_WORKERS"):
        workers_from_env(value)
    if value:
        from seedpool._engines.common import default_processes

        monkeypatch.setenv("SEEDPOOL_WORKERS", value)
        with pytest.raises(ValueError, match="SEEDPOOL_WORKERS"):
            default_processes()


def test_08_unicode_digits_and_bools_are_not_ints(tmp_path):
    assert workers_from_env("12") == 12
    assert tree_from_env("\u0663") == SeedTree("\u0663") != SeedTree(3)  # text, hashed
    for head in ({"version": True}, {"root": {"entropy": "\u0663", "path": []}}):
        data = json.loads(HEADER)
        data.update(head)
        path = tmp_path / "r.seeds"
        path.write_text(json.dumps(data) + "\n")
        with pytest.raises(RecordError, match=str(path)):
            SeedRecord.load(path)


# -- 9. loading: bounded, streamed, regular files only, RecordError with file and line ---------------------
@pytest.mark.parametrize("second", [
    "[" * 100000 + "]" * 100000,
    json.dumps({"consumer": {"path": ["a"] * 3, "pid": int("9" * 500)}}).replace("9" * 500, "9" * 5000),
])
def test_09_bad_consumer_lines(tmp_path, second):
    path = tmp_path / "r.seeds"
    path.write_text(HEADER + "\n" + second + "\n")
    with pytest.raises(RecordError, match=f"{path}, line 2"):
        SeedRecord.load(path)


@pytest.mark.parametrize("entropy", ["\u00b2", "9" * 5000, "0x", "12a"])
def test_09_bad_entropy_names_the_file(tmp_path, entropy):
    path = tmp_path / "r.seeds"
    path.write_text(HEADER.replace('"7"', json.dumps(entropy)) + "\n")
    with pytest.raises(RecordError, match=f"{path}, line 1"):
        SeedRecord.load(path)


def test_09_long_lines_are_refused(tmp_path, monkeypatch):
    from seedpool._state import record as _record

    monkeypatch.setattr(_record, "MAX_LINE", 1000)
    path = tmp_path / "r.seeds"
    path.write_text(HEADER + "\n" + "x" * 5000 + "\n")
    with pytest.raises(RecordError, match="line 2: longer than 1000 bytes"):
        SeedRecord.load(path)


def test_09_special_files_are_refused_without_reading(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code = """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))  # /dev/zero must not eat memory
    from seedpool._state.record import RecordError, SeedRecord
    for name in sys.argv[1:]:
        try:
            SeedRecord.load(name)
        except RecordError as exc:
            print("refused", name in str(exc))
    """
    proc = _python(code, "/dev/zero", str(fifo), str(tmp_path), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:3] == ["refused True"] * 3


# -- 10. never replace a foreign file, safe temporary files, bytes paths ------------------------------------
def test_10_foreign_files_are_never_replaced(tmp_path, monkeypatch):
    csv = tmp_path / "results.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(RecordError, match="refusing to replace"):
        seedpool.seed_everything(1, record=csv)
    with pytest.raises(RecordError, match="refusing to replace"):
        SeedRecord.capture(SeedTree(1)).save(csv)
    monkeypatch.setenv("SEEDPOOL_RECORD", str(csv))
    with pytest.raises(RecordError, match="refusing to replace"):
        seedpool.seed_everything(1)
    with pytest.raises(RecordError, match="not a seedpool record"):
        record_consumer(SeedTree(1).child("tasks", 0, 0))  # what a pool worker does
    assert csv.read_text() == "a,b\n1,2\n"
    proc = _cli("run", "--seed", "1", "--record", str(csv), "--", PY, "-c", "pass")
    assert proc.returncode == 2 and "refusing to replace" in proc.stderr
    _one_line_error(proc)
    assert csv.read_text() == "a,b\n1,2\n"


def test_10_temp_files_are_private_and_cleaned_up(tmp_path):
    target = tmp_path / "r.seeds"
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    # The old temp name, planted as a symlink: must not be followed.
    (tmp_path / f"r.seeds.{os.getpid()}.tmp").symlink_to(victim)
    SeedRecord.capture(SeedTree(1)).save(target)
    assert victim.read_text() == "keep me"
    assert SeedRecord.load(target).tree() == SeedTree(1)
    before = set(os.listdir(tmp_path))
    with pytest.raises(RecordError):
        SeedRecord.capture(SeedTree(1)).save(tmp_path)  # a directory
    assert set(os.listdir(tmp_path)) == before  # no temp file left behind
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp") and not os.path.islink(tmp_path / n)]


def test_10_bytes_record_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seedpool.seed_everything(1, record=b"out.seeds")
    assert sorted(os.listdir(tmp_path)) == ["out.seeds"]
    assert SeedRecord.load(b"out.seeds").tree() == SeedTree(1)


# -- 11. validate everything before applying anything ----------------------------------------------------
def test_11_set_state_is_all_or_nothing():
    with pytest.raises(TypeError, match="state\\['python'\\]"):
        seedpool.set_state({"python": 5})
    random.seed(1)
    good = seedpool.get_state(["python", "numpy"])
    random.seed(2)
    now = random.getstate()
    with pytest.raises(TypeError, match="state\\['numpy'\\]"):
        seedpool.set_state({"python": good["python"], "numpy": 5})
    assert random.getstate() == now  # python was not restored alone


def test_11_other_bad_arguments():
    with pytest.raises(TypeError, match="text"):
        SeedRecord.from_json(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="n_words"):
        SeedTree(1).child_states(range(3), n_words=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_words"):
        SeedTree(1).child_states(range(3), n_words=-1)
    with pytest.raises(TypeError, match="memoryview"):
        SeedTree(memoryview(b"abc"))
    assert SeedTree(b"abc") == SeedTree(bytearray(b"abc"))


# -- 12. the CLI: one-line messages and the documented statuses ------------------------------------------
def test_12_cli_statuses(tmp_path):
    script = tmp_path / "not_executable"
    script.write_text("#!/bin/sh\necho hi\n")
    cases = [
        (("check", "--seed", "1", "--", "/no/such/program"), 3, "cannot run"),
        (("check", "--seed", "1", "--", str(script)), 3, "cannot run"),
        (("check", "--seed", "1", "--timeout", "nan", "--", PY, "-c", "pass"), 2, "--timeout"),
        (("check", "--seed", "1", "--timeout", "-1", "--", PY, "-c", "pass"), 2, "--timeout"),
        (("check", "--seed", "1", "--runs", "\u0663", "--", PY, "-c", "pass"), 2, "--runs"),
        (("run", "--seed", "1", "--record", "/nonexistent/dir/x", "--", PY, "-c", "pass"), 2, "does not exist"),
        (("run", "--seed", "1", "--record", str(tmp_path), "--", PY, "-c", "pass"), 2, "directory"),
        (("run", "--seed", "1", "--", "/no/such/program"), 127, "cannot run"),
        (("run", "--seed", "1", "--", str(script)), 126, "cannot run"),
    ]
    for args, status, words in cases:
        proc = _cli(*args)
        assert proc.returncode == status, (args, proc.returncode, proc.stderr)
        assert words in proc.stderr, (args, proc.stderr)
        _one_line_error(proc)


def test_12_ctrl_c_during_check(tmp_path):
    flag = tmp_path / "started"
    code = f"import time; open({str(flag)!r}, 'w').close(); time.sleep(60)"
    # SIGINT back to its default in the child: a test run started in the background by a
    # shell inherits SIGINT ignored, and then no Python process it starts sees a Ctrl-C.
    check = subprocess.Popen([PY, "-m", "seedpool", "check", "--seed", "1", "--", PY, "-c", code],
                             env=_env(), cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        check.send_signal(signal.SIGINT)
        out, err = check.communicate(timeout=30)
    finally:
        check.kill()
    assert check.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err


# -- 13. check keeps output on disk, not in memory -----------------------------------------------------
def test_13_check_memory_does_not_grow_with_output_or_runs():
    code = """
    import resource, sys
    from seedpool._cli.run import main_check
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    writer = "import sys\\nfor _ in range(60): sys.stdout.buffer.write(bytes(1 << 20))"
    status = main_check(["--seed", "1", "--runs", "3", "--", sys.executable, "-c", writer])
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    print(status, grown)
    """
    proc = _python(code, timeout=120)
    status, grown_kb = proc.stdout.split()[-2:]
    assert status == "0", proc.stdout + proc.stderr
    # 3 runs x 60 MB of output: holding it would add >= 120 MB; streaming adds a few MB.
    assert int(grown_kb) < 40 * 1024, f"check grew by {int(grown_kb) // 1024} MB"


# -- 14. a timeout kills the run's whole process group ---------------------------------------------------
def test_14_timeout_kills_grandchildren(tmp_path):
    pidfile = tmp_path / "pid"
    code = ("import subprocess, sys, time; "
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
            f" open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(60)")
    # 8 s: the child must start, import seedpool and start its grandchild first (~1 s
    # here, several on a loaded machine); it then sleeps 60 s, which the timeout cuts.
    proc = _cli("check", "--seed", "1", "--timeout", "8", "--", PY, "-c", code, timeout=90)
    assert proc.returncode == 3 and "timed out" in proc.stderr, proc.stderr
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    alive = True
    while alive and time.monotonic() < deadline:
        try:
            os.kill(grandchild, 0)
            with open(f"/proc/{grandchild}/stat") as fh:  # a zombie waiting for init counts as gone
                alive = fh.read().split(") ")[1][0] != "Z"
        except (ProcessLookupError, FileNotFoundError):
            alive = False
        time.sleep(0.1)
    if alive:
        os.kill(grandchild, signal.SIGKILL)
    assert not alive, "the grandchild outlived seedpool check"


# -- 15. empty PYTHONPATH entries (the current directory) survive seedpool run ----------------------------
def test_15_empty_pythonpath_entries_survive(tmp_path):
    (tmp_path / "helper_mod_15.py").write_text("VALUE = 15\n")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "use.py").write_text("import helper_mod_15; print(helper_mod_15.VALUE)\n")
    env = {"PYTHONPATH": f"{REPO}{os.pathsep}"}  # trailing empty entry: the current directory
    plain = subprocess.run([PY, str(scripts / "use.py")], capture_output=True, text=True, cwd=str(tmp_path),
                           env=_env(**env), timeout=60)
    assert plain.stdout.strip() == "15", plain.stderr
    proc = _cli("run", "--seed", "1", "--", PY, str(scripts / "use.py"), cwd=str(tmp_path), **env)
    assert proc.returncode == 0 and proc.stdout.strip() == "15", proc.stderr


# -- 16. --vary-workers says what SEEDPOOL_WORKERS reaches ------------------------------------------------
def test_16_vary_workers_without_pools_says_stdlib_pools_ignore_it():
    proc = _cli("check", "--seed", "1", "--runs", "1", "--vary-workers", "1,3", "--", PY, "-c", "print(1)")
    assert proc.returncode == 0, proc.stderr
    assert "(SEEDPOOL_WORKERS=1, seedpool pools only)" in proc.stderr
    assert "ignore it unless --pools" in proc.stderr
    assert "seedpool's pools only" in proc.stdout


# -- 17. PYTHONHASHSEED pinned from the root, recorded, the user's kept ------------------------------------
HASHES = """
import multiprocessing as mp, os

def child(q):
    q.put(hash("seedpool"))

if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q,)); p.start(); p.join()
    print(hash("seedpool"), q.get(), os.environ.get("PYTHONHASHSEED"))
"""


def test_17_hash_seed_is_pinned_and_recorded(tmp_path):
    script = tmp_path / "hashes.py"
    script.write_text(HASHES)
    record = tmp_path / "r.seeds"
    one = _cli("run", "--seed", "4", "--record", str(record), "--", PY, str(script)).stdout.split()
    two = _cli("run", "--seed", "4", "--", PY, str(script)).stdout.split()
    assert one == two and one[0] == one[1]  # the same in every run and every process
    from seedpool._derive.keys import HASH_SEED

    assert one[2] == str(SeedTree(4).child(HASH_SEED).uint32())
    assert SeedRecord.load(record).determinism["PYTHONHASHSEED"] == one[2]
    mine = _cli("run", "--seed", "4", "--", PY, str(script), PYTHONHASHSEED="0").stdout.split()
    assert mine[2] == "0"


# -- 18. the docs say what escapes under spawn ------------------------------------------------------------
def test_18_docs_cover_module_level_bindings_under_spawn():
    text = (REPO / "docs" / "guide" / "reproducing.md").read_text()
    assert "from random import random" in text and "spawn" in text
    for status in ("126", "127", "130"):
        assert status in text


# -- fuzz: only the documented exception types, with the argument named ---------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
SEEDS = (st.integers() | st.text() | st.binary() | st.floats() | st.none() | st.booleans()
         | st.lists(st.integers(min_value=-3, max_value=2**70), max_size=6)
         | st.lists(JSON, max_size=3) | st.tuples(st.integers(), st.text()) | st.complex_numbers())
KEYS = st.integers() | st.text() | st.floats() | st.none() | st.booleans() | st.binary() | JSON
ENV_TEXT = (st.text() | st.integers().map(str) | JSON.map(json.dumps)
            | st.fixed_dictionaries({"entropy": JSON, "path": JSON}).map(json.dumps)
            | st.fixed_dictionaries({"entropy": st.integers(), "path": st.lists(KEYS.filter(
                lambda k: not isinstance(k, bytes)), max_size=3)}).map(json.dumps))


def _named(exc: BaseException, *names: str) -> None:
    assert isinstance(exc, (TypeError, ValueError)), repr(exc)
    assert any(name in str(exc) for name in names), str(exc)


# 300 examples in `make test` (3.11); the .ci/matrix legs set SEEDPOOL_FUZZ_EXAMPLES=60:
# the same strategies on every Python, without repeating the long search (17 s a leg).
FUZZ_EXAMPLES = int(os.environ.get("SEEDPOOL_FUZZ_EXAMPLES", "300"))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEEDS, keys=st.lists(KEYS, max_size=3), env=ENV_TEXT, workers=st.text() | st.integers().map(str),
       line=JSON.map(json.dumps) | st.text() | st.fixed_dictionaries({"consumer": JSON}).map(json.dumps))
def test_fuzz_only_documented_errors(seed, keys, env, workers, line):
    try:
        SeedTree(seed)
    except Exception as exc:  # noqa: BLE001 - the assertion is on the type
        _named(exc, "seed")
    try:
        SeedTree(1).child(*keys)
    except Exception as exc:  # noqa: BLE001
        _named(exc, "key")
    try:
        tree_from_env(env)
    except Exception as exc:  # noqa: BLE001
        _named(exc, "SEEDPOOL_SEED")
    try:
        assert workers_from_env(workers) >= 1
    except Exception as exc:  # noqa: BLE001
        _named(exc, "SEEDPOOL_WORKERS")
    for text in (HEADER + "\n" + line + "\n", line + "\n"):
        try:
            SeedRecord.from_json(text, source="<fuzz>")
        except Exception as exc:  # noqa: BLE001
            assert isinstance(exc, RecordError), repr(exc)
            _named(exc, "<fuzz>")
