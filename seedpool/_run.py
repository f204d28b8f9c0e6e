"""``seedpool run`` and ``seedpool check``: seed an unmodified program, and test it.

``seedpool run [--seed S] [--record FILE] [--replay FILE] [--pools] -- CMD ...``
    Replaces itself (``exec``) by ``CMD`` with the environment of
    :func:`seedpool._bootstrap.child_env`: every Python process of the program is
    seeded at start-up from its own node -- the program itself from the root, the k-th
    child a process starts from ``node.child("child", k)`` -- see
    :mod:`seedpool._bootstrap`. The exit status is ``CMD``'s.

``seedpool check [--seed S] [--runs N] [--vary-workers 1,4] [--outputs PATH ...] -- CMD ...``
    Runs ``CMD`` that way N times (plus once per worker count, with
    ``SEEDPOOL_WORKERS`` set), compares stdout and the output files by SHA-256, and
    prints the first difference. Exit status: 0 every run matched, 1 a difference,
    2 a usage error, 3 a run failed (non-zero exit or timeout).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = ["main_run", "main_check", "first_difference"]


def _split_command(argv: Sequence[str]) -> Tuple[List[str], List[str]]:
    """Options before ``--``, the command after it (or the first non-option onwards)."""
    argv = list(argv)
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def _root_from_args(seed: Optional[str], replay: Optional[str] = None):
    from ._record import SeedRecord
    from ._seeding import ENV_SEED, tree_from_env
    from ._tree import SeedTree

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
    p.add_argument("--record", metavar="FILE", help="write a seed record of the run to FILE")
    p.add_argument("--replay", metavar="FILE", help="take the root from the seed record FILE")
    p.add_argument("--pools", action="store_true",
                   help="replace multiprocessing.Pool and concurrent.futures.ProcessPoolExecutor "
                        "by seedpool's task-keyed pools")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the program, after --")
    return p


def main_run(argv: Sequence[str]) -> int:
    """``seedpool run``; returns an exit status (only when the command cannot be started)."""
    from ._bootstrap import child_env
    from ._record import RecordError, Recorder
    from ._seeding import tree_to_env

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
    except (RecordError, OSError, ValueError, TypeError) as exc:
        print(f"seedpool run: {exc}", file=sys.stderr)
        return 2
    if args.seed is None and args.replay is None:
        print(f"seedpool run: seed {tree_to_env(root)} (pass --seed to fix it)", file=sys.stderr)
    if args.record:
        Recorder(args.record).start(root, argv=command)
    env = child_env(os.environ, seed_env=tree_to_env(root), pools=args.pools, record=args.record)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        # exec, not a child: the program keeps our pid, signals, terminal and exit status.
        os.execvpe(command[0], command, env)
    except OSError as exc:
        print(f"seedpool run: cannot run {command[0]!r}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    return 0  # not reached


# -- check ------------------------------------------------------------------------------------------
@dataclass
class _Run:
    label: str
    env: Dict[str, str]
    returncode: Optional[int] = None
    stdout: bytes = b""
    stderr: bytes = b""
    seconds: float = 0.0
    hashes: Dict[str, str] = field(default_factory=dict)  # artifact -> sha256 (or a status)
    copies: Dict[str, str] = field(default_factory=dict)  # artifact -> saved copy


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


def first_difference(a: bytes, b: bytes, name_a: str = "run 1", name_b: str = "run 2") -> str:
    """Describe where ``a`` and ``b`` first differ: line number and both lines for text,
    byte offset and hex for binary data. Returns ``""`` when they are equal."""
    if a == b:
        return ""
    width = max(len(name_a), len(name_b))
    try:
        ta, tb = a.decode("utf-8"), b.decode("utf-8")
    except UnicodeDecodeError:
        offset = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        lo = max(0, offset - 8)
        return (f"first difference at byte {offset} (sizes {len(a)} and {len(b)} bytes):\n"
                f"  {name_a:<{width}}: {a[lo:offset + 8].hex(' ')}\n"
                f"  {name_b:<{width}}: {b[lo:offset + 8].hex(' ')}")
    la, lb = ta.splitlines(), tb.splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else None
        y = lb[i] if i < len(lb) else None
        if x != y:
            column = next((j for j, (p, q) in enumerate(zip(x or "", y or "")) if p != q),
                          min(len(x or ""), len(y or "")))
            show = [
                "<end of output>" if s is None else repr(_shorten(s, column))[1:-1]
                for s in (x, y)
            ]
            return (f"first difference at line {i + 1}:\n"
                    f"  {name_a:<{width}}: {show[0]}\n"
                    f"  {name_b:<{width}}: {show[1]}")
    return "same lines, but line endings or the final newline differ"


def _check_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seedpool check",
        description="Run a program several times under seedpool run and check that its stdout "
                    "and output files are identical every time.",
        epilog="exit status: 0 all runs matched, 1 they differ, 2 usage error, 3 a run failed. "
               "example: seedpool check --runs 2 --vary-workers 1,4 --outputs out.csv -- python sim.py",
    )
    p.add_argument("--seed", help="root seed for every run (default: $SEEDPOOL_SEED, else a fresh one)")
    p.add_argument("--runs", type=int, default=2, help="plain runs (default 2)")
    p.add_argument("--vary-workers", metavar="N,M,...",
                   help="one more run per worker count, with SEEDPOOL_WORKERS set to it")
    p.add_argument("--outputs", nargs="+", default=[], metavar="PATH",
                   help="files the program writes, compared by content")
    p.add_argument("--pools", action="store_true", help="as for seedpool run")
    p.add_argument("--timeout", type=float, default=None, help="seconds allowed per run")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the program, after --")
    return p


def _parse_counts(text: Optional[str]) -> List[int]:
    if not text:
        return []
    counts = []
    for part in text.split(","):
        try:
            n = int(part)
        except ValueError:
            raise ValueError(f"--vary-workers takes positive ints separated by commas (got {text!r})") from None
        if n < 1:
            raise ValueError(f"--vary-workers counts must be at least 1 (got {n})")
        counts.append(n)
    return counts


def _execute(run: _Run, command: List[str], outputs: List[str], save_dir: str,
             timeout: Optional[float]) -> None:
    before: Dict[str, Optional[Tuple[int, int, int]]] = {}
    for path in outputs:
        try:
            st = os.stat(path)
            before[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            before[path] = None
    start = time.monotonic()
    try:
        proc = subprocess.run(command, env=run.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, timeout=timeout)
        run.returncode, run.stdout, run.stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        run.returncode = None
        run.stdout, run.stderr = exc.stdout or b"", exc.stderr or b""
    run.seconds = time.monotonic() - start
    run.hashes["stdout"] = hashlib.sha256(run.stdout).hexdigest()
    os.makedirs(save_dir, exist_ok=True)
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
        copy = os.path.join(save_dir, str(i))
        shutil.copyfile(path, copy)
        run.copies[path] = copy
        run.hashes[path] = _sha256(copy)


def _describe_failure(run: _Run) -> str:
    status = "timed out" if run.returncode is None else f"exited with status {run.returncode}"
    tail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-10:]
    text = f"seedpool check: {run.label} {status}"
    if tail:
        text += "; its stderr ends with:\n" + "\n".join("  " + line for line in tail)
    return text


def main_check(argv: Sequence[str]) -> int:
    """``seedpool check``; returns the exit status (0 = every run matched)."""
    from ._bootstrap import child_env
    from ._record import RecordError
    from ._seeding import tree_to_env

    options, command = _split_command(argv)
    parser = _check_parser()
    args = parser.parse_args(options)
    command = command or args.command
    try:
        counts = _parse_counts(args.vary_workers)
        if not command:
            raise ValueError("no command given; put it after --, e.g. seedpool check -- python script.py")
        if args.runs < 1 or args.runs + len(counts) < 2:
            raise ValueError(f"need at least 2 runs in all (got --runs {args.runs} and "
                             f"{len(counts)} worker counts)")
        root = _root_from_args(args.seed)
    except (RecordError, ValueError, TypeError) as exc:
        parser.print_usage(sys.stderr)
        print(f"seedpool check: {exc}", file=sys.stderr)
        return 2

    seed_env = tree_to_env(root)
    base = child_env(os.environ, seed_env=seed_env, pools=args.pools)
    runs = [_Run(f"run {i + 1}", dict(base)) for i in range(args.runs)]
    for n in counts:
        runs.append(_Run(f"run {len(runs) + 1} (SEEDPOOL_WORKERS={n})", dict(base, SEEDPOOL_WORKERS=str(n))))

    err = sys.stderr
    print(f"seedpool check: seed {seed_env}, {len(runs)} runs of: {' '.join(command)}", file=err)
    width = max(len(r.label) for r in runs)
    # On a terminal the "running..." line is overwritten by the result; in a log file
    # only the result line is written.
    live = err.isatty()
    mismatched: List[_Run] = []
    with tempfile.TemporaryDirectory(prefix="seedpool-check-") as tmp:
        for i, run in enumerate(runs):
            prefix = f"  [{i + 1}/{len(runs)}] {run.label:<{width}}"
            if live:
                err.write(f"{prefix}  running...")
                err.flush()
            _execute(run, command, args.outputs, os.path.join(tmp, str(i)), args.timeout)
            if live:
                err.write("\r")
            if run.returncode != 0:
                err.write(f"{prefix}  {run.seconds:6.2f}s  FAILED\n")
                print(_describe_failure(run), file=err)
                return 3
            same = i == 0 or run.hashes == runs[0].hashes
            verdict = "" if i == 0 else ("  same" if same else "  DIFFERENT")
            err.write(f"{prefix}  {run.seconds:6.2f}s  stdout {run.hashes['stdout'][:12]}{verdict}\n")
            err.flush()
            if not same:
                mismatched.append(run)

        if not mismatched:
            print(f"seedpool check: OK, all {len(runs)} runs gave identical stdout"
                  + (f" and {len(args.outputs)} output file(s)" if args.outputs else ""))
            return 0
        first = runs[0]
        for run in mismatched:
            for name, digest in run.hashes.items():
                ref = first.hashes[name]
                if digest == ref:
                    continue
                what = "stdout" if name == "stdout" else name
                print(f"seedpool check: DIFFERENT - {what} of {run.label} differs from {first.label}")
                if name == "stdout":
                    print(first_difference(first.stdout, run.stdout, first.label, run.label))
                elif name in first.copies and name in run.copies:
                    with open(first.copies[name], "rb") as fa, open(run.copies[name], "rb") as fb:
                        print(first_difference(fa.read(), fb.read(), first.label, run.label))
                else:
                    print(f"  {first.label}: {ref}\n  {run.label}: {digest}")
        return 1
