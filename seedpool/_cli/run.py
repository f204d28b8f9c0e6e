"""``seedpool run`` and ``seedpool check``: seed an unmodified program, and test it.

``seedpool run [--seed S] [--record FILE] [--replay FILE] [--pools] [--strict [warn|error]] -- CMD ...``
    Replaces itself (``exec``) by ``CMD`` with the environment of
    :func:`seedpool._cli.bootstrap.child_env`: every Python process of the program is
    seeded at start-up from its own node -- the program itself from the root, the k-th
    child a process starts from ``node.child("child", k)`` -- see
    :mod:`seedpool._cli.bootstrap`. ``PYTHONHASHSEED`` is pinned to
    ``root.child("pythonhashseed").uint32()`` unless already set. Exit status: ``CMD``'s;
    2 a usage error (bad option, seed, record or replay file), 126 ``CMD`` is not
    executable, 127 ``CMD`` was not found.

``seedpool check [--seed S] [--runs N] [--vary-workers 1,4] [--fuzz N [--fuzz-seed S]] [--outputs PATH ...] [--strict] -- CMD ...``
    Runs ``CMD`` that way N times (plus once per worker count, with
    ``SEEDPOOL_WORKERS`` set, and once per schedule ``--fuzz`` draws -- worker count,
    chunk size, start method, applied through ``--pools`` by :mod:`seedpool._fuzz`),
    compares stdout and the output files by SHA-256, and
    prints the first difference. Each run is its own session (process group): on a
    timeout or Ctrl-C the whole group is killed, and whatever a run leaves behind is
    killed when it ends. Output goes to files, never to memory: memory use does not
    grow with ``--runs`` or the output's size. With ``--strict``, one run in strict mode
    comes first: its reports, from every process, are listed as ``file:line: what`` with
    a count, and any report ends the check with status 1. Exit status: 0 every run
    matched, 1 a difference (or a strict-mode report), 2 a usage error, 3 a run failed (non-zero exit, timeout, or ``CMD``
    cannot be started), 130 interrupted.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Optional

from .. import _fuzz
from .._derive.keys import HASH_SEED
from .._derive.tree import SeedTree
from .._state.record import Recorder, RecordError, SeedRecord, check_target
from .._state.root import ENV_SEED, MAX_WORKERS, is_ascii_int, tree_from_env, tree_to_env
from .._state.strict import ENV_STRICT, ENV_STRICT_LOG
from .bootstrap import child_env

__all__ = ["main_run", "main_check", "first_difference"]


def _split_command(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Options before ``--``, the command after it (or the first non-option onwards)."""
    argv = list(argv)
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def _root_from_args(seed: Optional[str], replay: Optional[str] = None) -> Any:
    if replay is not None:
        return SeedRecord.load(replay).tree()
    if seed is not None:
        # Digits are an int seed; anything else is hashed as a str seed (like SEEDPOOL_SEED).
        return tree_from_env(seed)
    env = os.environ.get(ENV_SEED)
    return tree_from_env(env) if env else SeedTree()


def _run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seedpool run",
        description="Run a program with every Python process it starts seeded reproducibly.",
        epilog="example: seedpool run --seed 42 -- python train.py --epochs 3",
    )
    p.add_argument("--seed", help="root seed: an int, or any text (hashed); default: $SEEDPOOL_SEED, "
                                  "else fresh entropy (printed on stderr)")
    p.add_argument("--record", metavar="FILE", help="write a seed record of the run to FILE (an existing "
                                                    "file is replaced only if it is a seed record)")
    p.add_argument("--replay", metavar="FILE", help="take the root from the seed record FILE")
    p.add_argument("--pools", action="store_true",
                   help="replace multiprocessing.Pool and concurrent.futures.ProcessPoolExecutor "
                        "by seedpool's task-keyed pools")
    p.add_argument("--strict", nargs="?", const="warn", choices=("warn", "error"),
                   help="strict mode for every process of the run (SEEDPOOL_STRICT): report "
                        "(warn, the default) or raise at (error) randomness that escapes the tasks' keys")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the program, after --")
    return p


def _hash_seed(root: Any) -> Optional[str]:
    """``PYTHONHASHSEED`` for the run, from the root; None when the user set one."""

    if "PYTHONHASHSEED" in os.environ:
        return None
    return str(root.child(HASH_SEED).uint32())


def main_run(argv: Sequence[str]) -> int:
    """``seedpool run``; returns an exit status (only when the command cannot be started)."""

    options, command = _split_command(argv)
    parser = _run_parser()
    args = parser.parse_args(options)
    command = command or args.command
    if not command:
        parser.print_usage(sys.stderr)
        print("seedpool run: no command given; put it after --, e.g. seedpool run -- python script.py",
              file=sys.stderr)
        return 2
    if args.seed is not None and args.replay is not None:
        print("seedpool run: give --seed or --replay, not both", file=sys.stderr)
        return 2
    try:
        root = _root_from_args(args.seed, args.replay)
        record = check_target(args.record, "--record") if args.record else None
    except (RecordError, OSError, ValueError, TypeError) as exc:
        print(f"seedpool run: {_one_line(exc)}", file=sys.stderr)
        return 2
    if args.seed is None and args.replay is None:
        print(f"seedpool run: seed {tree_to_env(root)} (pass --seed to fix it)", file=sys.stderr)
    env = child_env(os.environ, seed_env=tree_to_env(root), pools=args.pools, record=record,
                    hash_seed=_hash_seed(root))
    if args.strict:
        env[ENV_STRICT] = args.strict
    if record:
        try:
            Recorder(record).start(root, argv=command, environ=env)
        except (RecordError, OSError) as exc:
            print(f"seedpool run: cannot write the record: {_one_line(exc)}", file=sys.stderr)
            return 2
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        # exec, not a child: the program keeps our pid, signals, terminal and exit status.
        os.execvpe(command[0], command, env)
    except OSError as exc:
        print(f"seedpool run: cannot run {command[0]!r}: {exc.strerror or exc}", file=sys.stderr)
        # The shell's statuses: 126 found but not executable, 127 not found.
        return 126 if isinstance(exc, PermissionError) else 127
    return 0  # not reached


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


# -- check ------------------------------------------------------------------------------------------
@dataclass
class _Run:
    label: str
    env: dict[str, str]
    returncode: Optional[int] = None
    error: str = ""  # why the command could not be started
    stderr_tail: bytes = b""
    seconds: float = 0.0
    hashes: dict[str, str] = field(default_factory=dict)  # artifact -> sha256 (or a status)
    files: dict[str, str] = field(default_factory=dict)  # artifact -> file holding it (on disk)


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _shorten(line: str, column: int, width: int = 100) -> str:
    if len(line) <= width:
        return line
    start = max(0, min(column - width // 2, len(line) - width))
    return ("..." if start else "") + line[start:start + width] + ("..." if start + width < len(line) else "")


_CHUNK = 1 << 20
_WINDOW = 4096  # bytes of a line shown around a difference, at most


def first_difference(a: bytes, b: bytes, name_a: str = "run 1", name_b: str = "run 2") -> str:
    """Describe where ``a`` and ``b`` first differ: line number and both lines for text,
    byte offset and hex for binary data. Returns ``""`` when they are equal."""
    import io

    return _first_difference(io.BytesIO(a), io.BytesIO(b), name_a, name_b)


def _first_difference_files(path_a: str, path_b: str, name_a: str, name_b: str) -> str:
    with open(path_a, "rb") as fa, open(path_b, "rb") as fb:
        return _first_difference(fa, fb, name_a, name_b)


def _first_difference(fa: IO[bytes], fb: IO[bytes], name_a: str, name_b: str) -> str:
    """:func:`first_difference` on two seekable files, reading a chunk at a time."""
    offset = 0
    lines = 0  # newlines before the difference
    line_start = 0
    while True:
        ca, cb = fa.read(_CHUNK), fb.read(_CHUNK)
        if ca == cb:
            if not ca:
                return ""
            lines += ca.count(b"\n")
            last = ca.rfind(b"\n")
            if last >= 0:
                line_start = offset + last + 1
            offset += len(ca)
            continue
        common = next((i for i, (x, y) in enumerate(zip(ca, cb)) if x != y), min(len(ca), len(cb)))
        head = ca[:common]
        lines += head.count(b"\n")
        last = head.rfind(b"\n")
        if last >= 0:
            line_start = offset + last + 1
        offset += common
        break
    width = max(len(name_a), len(name_b))
    start = max(line_start, offset - _WINDOW // 2)
    sides = []
    binary = False
    for fh in (fa, fb):
        fh.seek(start)
        data = fh.read(offset - start + _WINDOW)
        end = data.find(b"\n", offset - start)
        if end >= 0:
            data = data[:end]
        sides.append(data)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            binary = True
        if b"\0" in data:
            binary = True
    if binary:
        parts = []
        for fh in (fa, fb):
            fh.seek(max(0, offset - 8))
            parts.append(fh.read(offset - max(0, offset - 8) + 8).hex(" "))
        return (f"first difference at byte {offset}:\n"
                f"  {name_a:<{width}}: {parts[0]}\n"
                f"  {name_b:<{width}}: {parts[1]}")
    texts = [d.decode("utf-8") for d in sides]
    at_end = []
    for fh, side in zip((fa, fb), sides):
        fh.seek(start + len(side))
        at_end.append(side == b"" and fh.read(1) == b"" and start == offset)
    if texts[0].rstrip("\r") == texts[1].rstrip("\r") and not any(at_end):
        return "same lines, but line endings or the final newline differ"
    if any(at_end) and texts[0] == texts[1] == "":
        return "same lines, but line endings or the final newline differ"
    column = offset - start
    show = ["<end of output>" if end_ else repr(_shorten(t, column))[1:-1] for t, end_ in zip(texts, at_end)]
    return (f"first difference at line {lines + 1}:\n"
            f"  {name_a:<{width}}: {show[0]}\n"
            f"  {name_b:<{width}}: {show[1]}")


def _check_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seedpool check",
        description="Run a program several times under seedpool run and check that its stdout "
                    "and output files are identical every time.",
        epilog="exit status: 0 all runs matched, 1 they differ (or --strict found reports), 2 usage error, 3 a run failed, "
               "130 interrupted. "
               "example: seedpool check --runs 2 --vary-workers 1,4 --outputs out.csv -- python sim.py",
    )
    p.add_argument("--seed", help="root seed for every run (default: $SEEDPOOL_SEED, else a fresh one)")
    p.add_argument("--runs", type=_count, default=2, help="plain runs (default 2)")
    p.add_argument("--vary-workers", metavar="N,M,...",
                   help="one more run per worker count, with SEEDPOOL_WORKERS set to it (seedpool's "
                        "pools follow it; stdlib pools only with --pools)")
    p.add_argument("--outputs", nargs="+", default=[], metavar="PATH",
                   help="files the program writes, compared by content")
    p.add_argument("--pools", action="store_true", help="as for seedpool run")
    p.add_argument("--fuzz", type=_count, default=0, metavar="N",
                   help="N more runs, each under a drawn schedule: the worker count, chunk size and start "
                        "method of the pools --pools installs (implies --pools)")
    p.add_argument("--fuzz-seed", type=_schedule_seed, default=None, metavar="S",
                   help="draw the --fuzz schedules from this seed (default: a fresh one, printed)")
    p.add_argument("--timeout", type=_seconds, default=None, help="seconds allowed per run (> 0)")
    p.add_argument("--strict", action="store_true",
                   help="first run the program once in strict mode (SEEDPOOL_STRICT=warn), list every "
                        "report from every process as file:line: what, and exit 1 if there is any")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the program, after --")
    return p


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise argparse.ArgumentTypeError(f"expected a small int of ASCII digits (got {text!r})")
    return int(text)


def _schedule_seed(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        raise argparse.ArgumentTypeError(f"expected a non-negative int of ASCII digits (got {text!r})")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds (got {text!r})") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds above 0 (got {text!r})")
    return value


def _parse_counts(text: Optional[str]) -> list[int]:
    if not text:
        return []
    counts = []
    for part in text.split(","):
        part = part.strip()
        if not (is_ascii_int(part) and len(part) <= 6):
            raise ValueError(f"--vary-workers takes positive ints separated by commas (got {text!r})")
        n = int(part)
        if not 1 <= n <= MAX_WORKERS:
            raise ValueError(f"--vary-workers counts must be in [1, {MAX_WORKERS}] (got {n})")
        counts.append(n)
    return counts


def _kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_unreaped(proc: subprocess.Popen, deadline: Optional[float]) -> bool:
    """Wait for ``proc`` to exit *without reaping it* (so its pid, and so its process
    group id, cannot be reused yet); False at ``deadline``."""
    if not hasattr(os, "waitid"):  # macOS before Python 3.13: reap, then kill the group
        try:
            proc.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
            return True
        except subprocess.TimeoutExpired:
            return False
    delay = 0.001
    while True:
        try:
            info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
        except ChildProcessError:
            return True
        if info is not None:
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _stream_sha256(path: str) -> str:
    return _sha256(path) if os.path.exists(path) else hashlib.sha256(b"").hexdigest()


def _tail(path: str, limit: int = 16384) -> bytes:
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - limit))
            return fh.read()
    except OSError:
        return b""


def _execute(run: _Run, command: list[str], outputs: list[str], save_dir: str,
             timeout: Optional[float]) -> None:
    """Run once, in its own session; stdout, stderr and output copies go to ``save_dir``."""
    os.makedirs(save_dir, exist_ok=True)
    before: dict[str, Optional[tuple[int, int, int]]] = {}
    for path in outputs:
        try:
            st = os.stat(path)
            before[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            before[path] = None
    out_path, err_path = os.path.join(save_dir, "stdout"), os.path.join(save_dir, "stderr")
    start = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        try:
            # Files, not pipes: nothing is held in memory, and a grandchild that keeps
            # the descriptor open cannot make us wait. Own session: one killpg reaches
            # every process the run started.
            proc = subprocess.Popen(command, env=run.env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        except OSError as exc:
            run.error = f"cannot run {command[0]!r}: {exc.strerror or exc}"
            run.returncode = 127 if isinstance(exc, FileNotFoundError) else 126
            return
        try:
            finished = _wait_unreaped(proc, None if timeout is None else start + timeout)
        except BaseException:  # Ctrl-C: take the whole run down with us
            _kill_group(proc.pid, signal.SIGTERM)
            if not _wait_unreaped(proc, time.monotonic() + 2):
                _kill_group(proc.pid)
            _kill_group(proc.pid)
            proc.wait()
            raise
        # The leader is a zombie now (or still running after a timeout): its pid is
        # not reused, so the group id still names only this run's processes.
        _kill_group(proc.pid)
        proc.wait()
    run.returncode = proc.returncode if finished else None
    run.seconds = time.monotonic() - start
    run.files["stdout"] = out_path
    run.hashes["stdout"] = _stream_sha256(out_path)
    run.stderr_tail = _tail(err_path)
    for i, path in enumerate(outputs):
        try:
            st = os.stat(path)
        except OSError:
            run.hashes[path] = "missing"
            continue
        if before[path] == (st.st_mtime_ns, st.st_size, st.st_ino):
            # An untouched file would look like a perfect match; say it was not written.
            run.hashes[path] = "not written by this run"
            continue
        copy = os.path.join(save_dir, f"output-{i}")
        shutil.copyfile(path, copy)
        run.files[path] = copy
        run.hashes[path] = _sha256(copy)


def _describe_failure(run: _Run) -> str:
    if run.error:
        return f"seedpool check: {run.label}: {run.error}"
    status = "timed out" if run.returncode is None else f"exited with status {run.returncode}"
    tail = run.stderr_tail.decode("utf-8", "replace").strip().splitlines()[-10:]
    text = f"seedpool check: {run.label} {status}"
    if tail:
        text += "; its stderr ends with:\n" + "\n".join("  " + line for line in tail)
    return text


def main_check(argv: Sequence[str]) -> int:
    """``seedpool check``; returns the exit status (0 = every run matched)."""

    options, command = _split_command(argv)
    parser = _check_parser()
    args = parser.parse_args(options)
    command = command or args.command
    try:
        counts = _parse_counts(args.vary_workers)
        if not command:
            raise ValueError("no command given; put it after --, e.g. seedpool check -- python script.py")
        if args.runs < 1 or args.runs + len(counts) + args.fuzz < 2:
            raise ValueError(f"need at least 2 runs in all (got --runs {args.runs}, "
                             f"{len(counts)} worker counts and --fuzz {args.fuzz})")
        root = _root_from_args(args.seed)
    except (RecordError, ValueError, TypeError) as exc:
        parser.print_usage(sys.stderr)
        print(f"seedpool check: {exc}", file=sys.stderr)
        return 2

    seed_env = tree_to_env(root)
    args.pools = args.pools or args.fuzz > 0  # the schedules reach the program through --pools
    base = child_env(os.environ, seed_env=seed_env, pools=args.pools, hash_seed=_hash_seed(root))
    runs = [_Run(f"run {i + 1}", dict(base)) for i in range(args.runs)]
    # Without --pools only seedpool's own pools read SEEDPOOL_WORKERS: say so rather than
    # claim the schedule was varied for multiprocessing / concurrent.futures pools too.
    scope = "" if args.pools else ", seedpool pools only"
    for n in counts:
        runs.append(_Run(f"run {len(runs) + 1} (SEEDPOOL_WORKERS={n}{scope})",
                         dict(base, SEEDPOOL_WORKERS=str(n))))
    err = sys.stderr
    if args.fuzz:
        fuzz_seed = args.fuzz_seed if args.fuzz_seed is not None else int.from_bytes(os.urandom(4), "big") >> 1
        for schedule in _fuzz.draw_program_schedules(fuzz_seed, args.fuzz):
            runs.append(_Run(f"run {len(runs) + 1} (fuzz: {_fuzz.program_label(schedule)})",
                             dict(base, **_fuzz.program_env(schedule))))
        print(f"seedpool check: {args.fuzz} schedule(s) drawn from --fuzz-seed {fuzz_seed}", file=err)

    print(f"seedpool check: seed {seed_env}, {len(runs)} runs of: {' '.join(command)}", file=err)
    if counts and not args.pools:
        print("seedpool check: note: SEEDPOOL_WORKERS sets the worker count of seedpool's pools only; "
              "multiprocessing and concurrent.futures pools ignore it unless --pools makes them "
              "seedpool's", file=err)
    try:
        if args.strict:
            status = _strict_run(dict(base), command, args.timeout)
            if status:
                return status
        return _check_runs(runs, command, args.outputs, args.timeout, bool(counts and not args.pools))
    except KeyboardInterrupt:
        err.write("\nseedpool check: interrupted; the running program and its children were stopped\n")
        return 130


def _strict_run(env: dict[str, str], command: list[str], timeout: Optional[float]) -> int:
    """One run with ``SEEDPOOL_STRICT=warn``; every process appends its reports to one
    log. Prints them counted by place; 0 if there were none, 1 if any, 3 if the run failed."""
    import json

    err = sys.stderr
    with tempfile.TemporaryDirectory(prefix="seedpool-strict-") as tmp:
        log = os.path.join(tmp, "reports.jsonl")
        run = _Run("strict run", dict(env, **{ENV_STRICT: "warn", ENV_STRICT_LOG: log}))
        _execute(run, command, [], os.path.join(tmp, "run"), timeout)
        if run.returncode != 0:
            err.write(f"  [strict] {run.label}  FAILED\n")
            print(_describe_failure(run), file=err)
            return 3
        places: dict[tuple[str, int, str], list[Any]] = {}
        try:
            with open(log, encoding="utf-8", errors="surrogateescape") as fh:
                for line in fh:
                    try:
                        r = json.loads(line)
                        place = (str(r["file"]), int(r["line"]), str(r["what"]))
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut short by a killed process
                    places.setdefault(place, []).append(r.get("task"))
        except FileNotFoundError:
            pass
    if not places:
        err.write(f"  [strict] {run.label}  {run.seconds:6.2f}s  no randomness escaped the tasks' keys\n")
        return 0
    total = sum(len(tasks) for tasks in places.values())
    print(f"seedpool check --strict: {total} report(s) at {len(places)} place(s):")
    for (filename, lineno, what), tasks in sorted(places.items()):
        print(f"{filename}:{lineno}: {what} [{len(tasks)} task(s), e.g. {tasks[0]}]")
    return 1


def _check_runs(runs: list[_Run], command: list[str], outputs: list[str], timeout: Optional[float],
                pools_note: bool) -> int:
    err = sys.stderr
    width = max(len(r.label) for r in runs)
    # On a terminal the "running..." line is overwritten by the result; in a log file
    # only the result line is written.
    live = err.isatty()
    reports: list[str] = []  # what differs, worked out as each run ends
    with tempfile.TemporaryDirectory(prefix="seedpool-check-") as tmp:
        first = runs[0]
        for i, run in enumerate(runs):
            prefix = f"  [{i + 1}/{len(runs)}] {run.label:<{width}}"
            if live:
                err.write(f"{prefix}  running...")
                err.flush()
            _execute(run, command, outputs, os.path.join(tmp, str(i)), timeout)
            if live:
                err.write("\r")
            if run.returncode != 0:
                err.write(f"{prefix}  {run.seconds:6.2f}s  FAILED\n")
                print(_describe_failure(run), file=err)
                return 3
            same = i == 0 or run.hashes == first.hashes
            verdict = "" if i == 0 else ("  same" if same else "  DIFFERENT")
            err.write(f"{prefix}  {run.seconds:6.2f}s  stdout {run.hashes['stdout'][:12]}{verdict}\n")
            err.flush()
            if not same:
                reports.extend(_differences(first, run))
            if i > 0:
                # Only run 1's files are kept: memory and disk do not grow with --runs.
                shutil.rmtree(os.path.join(tmp, str(i)), ignore_errors=True)
                run.files.clear()

        if not reports:
            print(f"seedpool check: OK, all {len(runs)} runs gave identical stdout"
                  + (f" and {len(outputs)} output file(s)" if outputs else "")
                  + (" (the worker count varied for seedpool's pools only; see --pools)" if pools_note else ""))
            return 0
        for line in reports:
            print(line)
        return 1


def _differences(first: _Run, run: _Run) -> list[str]:
    out = []
    for name, digest in run.hashes.items():
        ref = first.hashes.get(name)
        if digest == ref:
            continue
        what = "stdout" if name == "stdout" else name
        out.append(f"seedpool check: DIFFERENT - {what} of {run.label} differs from {first.label}")
        if name in first.files and name in run.files:
            out.append(_first_difference_files(first.files[name], run.files[name], first.label, run.label))
        else:
            out.append(f"  {first.label}: {ref}\n  {run.label}: {digest}")
    return out
