"""Seed records: a versioned file that says which seed a run used and where it went.

Format (version 1) is JSON Lines, one JSON object per line::

    {"format": "seedpool-record", "version": 1, "root": {...}, "python": ..., ...}   header
    {"consumer": {"path": [...], "pid": 123, "worker": 0, "task": 5, ...}}           0 or more

JSON Lines rather than one JSON document because the consumers are written by many
processes at once (pool workers, children of ``seedpool run``): each appends one short
line with ``O_APPEND``, which needs no lock and no merge step at exit.  A new file is
created with its header already in it (written to a private temporary file in the same
directory, then ``os.link``-ed to the name, which fails if the name exists): of several
processes that start one record at once, exactly one creates it and the others append.
Replacing an older record goes through ``mkstemp`` + ``os.replace``; a file that is not a
seedpool record (or not a regular file) is never replaced.

Root entropy is stored as decimal *strings*: it is a 128-bit int, and most JSON readers
other than Python's (``jq``, JavaScript) would silently round it to a double.  Entropy
over 2048 bits is stored as ``"0x..."`` hex (decimal conversion of such ints is capped
by ``sys.set_int_max_str_digits``).

Loading reads the header first and then one line at a time (each at most
``MAX_LINE`` bytes), only from a regular file, and validates every line before
returning anything; a malformed, foreign or newer-version file raises
:class:`RecordError` (a ``ValueError``) that names the file, the line and what was wrong.
"""

from __future__ import annotations

import datetime as _dt
import errno
import io
import json
import os
import platform
import stat
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from .._derive.tree import Key, SeedTree, int_text
from .._errors import RecordError  # RecordError: importable from here as before
from .._version import __version__

__all__ = [
    "ENV_RECORD",
    "FORMAT",
    "VERSION",
    "RecordError",
    "Consumer",
    "SeedRecord",
    "Recorder",
    "record_root",
    "record_node",
    "record_consumer",
]

ENV_RECORD = "SEEDPOOL_RECORD"
FORMAT = "seedpool-record"
VERSION = 1
MAX_LINE = 16 << 20  # bytes; far above any header (argv is capped by the OS near 2 MB)

Entropy = Union[int, tuple[int, ...]]


# -- encoding helpers ---------------------------------------------------------------------
def _encode_entropy(entropy: Entropy) -> Any:
    if isinstance(entropy, int):
        return int_text(entropy)
    return [int_text(e) for e in entropy]


def _decode_entropy(value: Any, where: str) -> Entropy:
    def one(item: Any) -> int:
        if isinstance(item, str) and item.isascii():
            if item.isdigit():
                try:
                    return int(item)
                except ValueError:  # over sys.get_int_max_str_digits()
                    raise RecordError(
                        f"{where}: root entropy has {len(item)} decimal digits, more than Python "
                        "converts (seedpool writes entropy over 2048 bits as \"0x...\" hex)") from None
            if item[:2] in ("0x", "0X") and len(item) > 2 and all(c in "0123456789abcdefABCDEF" for c in item[2:]):
                return int(item, 16)
        shown = repr(item) if len(repr(item)) <= 60 else repr(item)[:57] + "..."
        raise RecordError(f"{where}: root entropy must be a decimal string of ASCII digits, or "
                          f"\"0x<hex>\" (got {shown})")

    if isinstance(value, list):
        if not value:
            raise RecordError(f"{where}: root entropy is an empty list")
        return tuple(one(v) for v in value)
    return one(value)


def _decode_path(value: Any, where: str) -> tuple[Key, ...]:
    if not isinstance(value, list):
        raise RecordError(f"{where}: a key path must be a list (got {value!r})")
    for key in value:
        ok = isinstance(key, str) or (type(key) is int and 0 <= key < 2**31)
        if not ok:
            raise RecordError(f"{where}: bad key {key!r} in path {value!r}; keys are str or ints in [0, 2**31)")
    return tuple(value)


def _optional_int(data: dict, name: str, where: str) -> Optional[int]:
    value = data.get(name)
    if value is None:
        return None
    if type(value) is not int:
        raise RecordError(f"{where}: {name!r} must be an int or null (got {value!r})")
    return value


# -- what a record holds --------------------------------------------------------------------
@dataclass(frozen=True)
class Consumer:
    """One node handed out during a run, and who used it.

    Attributes
    ----------
    path : tuple of int or str
        The node's key path from the root.
    kind : str
        What the node seeded: ``"process"``, ``"task"``, ``"worker"``, ``"seed_everything"``...
    pid : int or None
        The process that used it.
    worker, task : int or None
        Pool worker index and task index, when the consumer is a pool.
    backend : str or None
        A single backend, when only one was seeded from the node.
    """

    path: tuple[Key, ...]
    kind: str = "task"
    pid: Optional[int] = None
    worker: Optional[int] = None
    task: Optional[int] = None
    backend: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": list(self.path), "kind": self.kind, "pid": self.pid,
                "worker": self.worker, "task": self.task, "backend": self.backend}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Consumer:
        if not isinstance(data, dict):
            raise RecordError(f"{where}: a consumer must be a JSON object (got {data!r})")
        kind = data.get("kind", "task")
        backend = data.get("backend")
        if not isinstance(kind, str) or not (backend is None or isinstance(backend, str)):
            raise RecordError(f"{where}: 'kind' and 'backend' must be strings")
        return cls(
            path=_decode_path(data.get("path"), where),
            kind=kind,
            pid=_optional_int(data, "pid", where),
            worker=_optional_int(data, "worker", where),
            task=_optional_int(data, "task", where),
            backend=backend,
        )


def _library_versions() -> dict[str, Optional[str]]:
    """Versions of the libraries that matter, without importing any that is not loaded."""
    import numpy

    versions: dict[str, Optional[str]] = {"seedpool": __version__, "numpy": numpy.__version__}
    for name in ("tensorflow", "torch"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = str(getattr(module, "__version__", None))
    return versions


def _determinism_flags(environ: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """Settings that change results besides the seed (only read, never imported)."""
    env = os.environ if environ is None else environ
    flags: dict[str, Any] = {}
    for var in ("PYTHONHASHSEED", "TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC",
                "CUBLAS_WORKSPACE_CONFIG", "OMP_NUM_THREADS", "SEEDPOOL_WORKERS"):
        if var in env:
            flags[var] = env[var]
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            flags["torch.are_deterministic_algorithms_enabled"] = bool(torch.are_deterministic_algorithms_enabled())
            flags["torch.backends.cudnn.deterministic"] = bool(torch.backends.cudnn.deterministic)
        except Exception:  # a half-initialised or stubbed torch must not break recording
            pass
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        try:
            flags["tf.config.experimental.is_op_determinism_enabled"] = bool(
                tf.config.experimental.is_op_determinism_enabled())
        except Exception:
            pass
    return flags


def _start_method() -> Optional[str]:
    mp = sys.modules.get("multiprocessing")
    if mp is None:
        return None
    # allow_none=True: asking must not fix the start method as a side effect.
    return mp.get_start_method(allow_none=True)


@dataclass
class SeedRecord:
    """The seed record of one run: its root, its environment, and optionally its consumers.

    Build one with :meth:`capture`, write it with :meth:`save`, read it back with
    :meth:`load` and replay the run from :meth:`tree`.

    Attributes
    ----------
    entropy : int or tuple of int
        Root entropy of the run's :class:`~seedpool.SeedTree`.
    path : tuple of int or str
        Key path of the run's root node (empty for a plain ``seed_everything(seed)``).
    created : str
        ISO 8601 UTC time the record was made.
    python, platform : str
        ``platform.python_version()`` and ``platform.platform()``.
    libraries : dict
        ``{"seedpool": ..., "numpy": ...}``, plus ``tensorflow`` / ``torch`` when they
        were already imported (they are never imported to fill this in).
    start_method : str or None
        The multiprocessing start method if one was fixed, else None.
    determinism : dict
        Environment variables and framework switches that affect reproducibility.
    argv : list of str
        The command line of the run.
    consumers : list of Consumer
        Nodes handed out during the run, in the order they were written.

    Examples
    --------
    >>> from seedpool import SeedTree
    >>> from seedpool._state.record import SeedRecord
    >>> rec = SeedRecord.capture(SeedTree(42).child("data"))
    >>> SeedRecord.from_json(rec.to_json()).tree() == SeedTree(42).child("data")
    True
    """

    entropy: Entropy
    path: tuple[Key, ...] = ()
    created: str = ""
    python: str = ""
    platform: str = ""
    libraries: dict[str, Optional[str]] = field(default_factory=dict)
    start_method: Optional[str] = None
    determinism: dict[str, Any] = field(default_factory=dict)
    argv: list[str] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)

    @classmethod
    def capture(cls, root: SeedTree, *, argv: Optional[Sequence[str]] = None,
                environ: Optional[dict[str, str]] = None) -> SeedRecord:
        """A record of ``root`` and the current process's environment (or ``environ``,
        the environment the run's program gets, e.g. with ``PYTHONHASHSEED`` pinned)."""
        if not isinstance(root, SeedTree):
            raise TypeError(f"root must be a SeedTree (got {type(root).__name__}); use SeedTree(seed)")
        return cls(
            entropy=root.entropy,
            path=root.path,
            created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            python=platform.python_version(),
            platform=platform.platform(),
            libraries=_library_versions(),
            start_method=_start_method(),
            determinism=_determinism_flags(environ),
            argv=list(sys.argv if argv is None else argv),
        )

    def tree(self) -> SeedTree:
        """The run's root node, rebuilt: seeding from it replays the run.

        Returns
        -------
        SeedTree
            ``SeedTree(entropy).child(*path)``.
        """
        return SeedTree(self.entropy).child(*self.path)

    # -- serialisation ------------------------------------------------------------------
    def header(self) -> dict[str, Any]:
        """The first line of the file, as a dict."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "root": {"entropy": _encode_entropy(self.entropy), "path": list(self.path)},
            "created": self.created,
            "python": self.python,
            "platform": self.platform,
            "libraries": self.libraries,
            "start_method": self.start_method,
            "determinism": self.determinism,
            "argv": self.argv,
        }

    def to_json(self) -> str:
        """The record as JSON Lines text (header, then one line per consumer)."""
        lines = [json.dumps(self.header(), sort_keys=True)]
        lines += [json.dumps({"consumer": c.to_dict()}, sort_keys=True) for c in self.consumers]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "<string>") -> SeedRecord:
        """Parse and validate record text; ``source`` names it in error messages.

        Raises
        ------
        TypeError
            ``text`` is not a str.
        RecordError
            Anything wrong with any line; nothing is returned half-parsed.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be the str of a seed record (got {type(text).__name__}); "
                            "use SeedRecord.load(path) for a file")
        return cls._parse(enumerate(io.StringIO(text), start=1), source)

    @classmethod
    def _parse(cls, lines: Any, source: str) -> SeedRecord:
        """Validate ``(number, line)`` pairs, header first, consuming them one by one."""
        first = next(lines, None)
        if first is None or not first[1].strip():
            raise RecordError(f"{source}: empty file, not a seedpool record")
        head = _json_line(first[1], f"{source}, line 1", "not a seedpool record")
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            got = head.get("format") if isinstance(head, dict) else type(head).__name__
            raise RecordError(f"{source}, line 1: not a seedpool record (format is {got!r:.60}, expected {FORMAT!r})")
        version = head.get("version")
        if type(version) is not int or version != VERSION:
            raise RecordError(
                f"{source}: record version {version!r:.40} is not supported (this seedpool reads version "
                f"{VERSION}); upgrade seedpool to read newer records"
            )
        where = f"{source}, line 1"
        root = head.get("root")
        if not isinstance(root, dict):
            raise RecordError(f"{where}: missing 'root' object")
        entropy = _decode_entropy(root.get("entropy"), where)
        path = _decode_path(root.get("path", []), where)
        libraries = head.get("libraries", {})
        determinism = head.get("determinism", {})
        argv = head.get("argv", [])
        if not isinstance(libraries, dict) or not isinstance(determinism, dict) or not isinstance(argv, list):
            raise RecordError(f"{where}: 'libraries' and 'determinism' must be objects, 'argv' a list")
        start_method = head.get("start_method")
        if not (start_method is None or isinstance(start_method, str)):
            raise RecordError(f"{where}: 'start_method' must be a string or null (got {start_method!r:.40})")
        consumers = []
        for number, line in lines:
            if not line.strip():
                continue
            where = f"{source}, line {number}"
            item = _json_line(line, where, "the file may be truncated")
            if not isinstance(item, dict) or set(item) != {"consumer"}:
                raise RecordError(f"{where}: expected {{\"consumer\": {{...}}}} (got {line[:80]!r})")
            consumers.append(Consumer.from_dict(item["consumer"], where))
        return cls(
            entropy=entropy, path=path, created=str(head.get("created", "")),
            python=str(head.get("python", "")), platform=str(head.get("platform", "")),
            libraries=libraries, start_method=start_method, determinism=determinism,
            argv=[str(a) for a in argv], consumers=consumers,
        )

    def save(self, path: Union[str, bytes, os.PathLike[Any]]) -> None:
        """Write the record atomically (a reader never sees a partial file).

        Raises
        ------
        TypeError
            ``path`` is not a str, bytes or path-like object.
        RecordError
            ``path`` exists and is not a seedpool record (it is never replaced), or is
            not a regular file, or its directory does not exist.
        """
        target = check_target(path, "path")
        _replace(target, self.to_json())

    @classmethod
    def load(cls, path: Union[str, bytes, os.PathLike[Any]]) -> SeedRecord:
        """Read and validate a record file.

        Raises
        ------
        TypeError
            ``path`` is not a str, bytes or path-like object.
        RecordError
            The file is not a valid seedpool record of a supported version, or not a
            regular file, or has a line over ``MAX_LINE`` bytes.
        OSError
            The file cannot be opened.
        """
        name = _fspath(path, "path")
        with _open_regular(name) as fh:
            return cls._parse(_lines(fh, name), name)


def _json_line(line: str, where: str, hint: str) -> Any:
    try:
        return json.loads(line)
    except RecursionError:
        raise RecordError(f"{where}: JSON nested too deeply; {hint}") from None
    except ValueError as exc:  # also ints over the decimal digit limit
        raise RecordError(f"{where}: not JSON ({exc}); {hint}") from None


def _fspath(path: Any, name: str) -> str:
    try:
        raw = os.fspath(path)
    except TypeError:
        raise TypeError(f"{name} must be a str, bytes or os.PathLike file name (got {type(path).__name__})") from None
    text = os.fsdecode(raw)  # bytes name -> the str the OS means, not "b'...'"
    if not text or "\0" in text:
        raise TypeError(f"{name} must be a non-empty file name without NUL characters (got {text!r:.60})")
    return text


def _open_regular(name: str) -> io.BufferedReader:
    # O_NONBLOCK: opening a FIFO must not wait for a writer before we can refuse it.
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise RecordError(f"{name}: {kind}, not a seedpool record")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _lines(fh: Any, name: str) -> Any:
    """``(number, text)`` for each line, each read with a bounded buffer."""
    number = 0
    while True:
        raw = fh.readline(MAX_LINE + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE:
            raise RecordError(f"{name}, line {number}: longer than {MAX_LINE} bytes; not a seedpool record")
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError(f"{name}, line {number}: not UTF-8 text ({exc}); not a seedpool record") from None


def _is_consumer_line(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and list(data) == ["consumer"] and isinstance(data["consumer"], dict)


def _read_header(name: str) -> tuple[str, Optional[SeedRecord]]:
    """What is at ``name``: ``("missing", None)``, ``("empty", None)``, ``("consumers",
    None)`` (consumer lines with no header yet), ``("record", header)``, or raises
    RecordError for anything a record must not replace."""
    try:
        fh = _open_regular(name)
    except FileNotFoundError:
        return "missing", None
    except IsADirectoryError:
        raise RecordError(f"{name}: a directory, not a seedpool record") from None
    except OSError as exc:
        raise RecordError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    with fh:
        first = next(_lines(fh, name), None)
    if first is None:
        return "empty", None
    if _is_consumer_line(first[1]):
        # Workers appended before any header was written (SEEDPOOL_RECORD set by hand,
        # no seed_everything / seedpool run): seedpool's own lines, safe to append to.
        return "consumers", None
    try:
        return "record", SeedRecord._parse(iter([first]), name)
    except RecordError as exc:
        raise RecordError(
            f"refusing to replace {name}: it is not a seedpool record ({exc}); choose another file "
            "name for the record, or delete the file") from None


def check_target(path: Any, name: str = "record") -> str:
    """Validate a record file name before anything is seeded or written.

    Returns the absolute path. Raises TypeError for a value that is not a file name and
    RecordError for a target that must not be written (a directory, a missing
    directory, a file that is not a seedpool record).
    """
    text = os.path.abspath(_fspath(path, name))
    directory = os.path.dirname(text)
    if not os.path.isdir(directory):
        raise RecordError(f"{name} {text}: directory {directory} does not exist; create it first")
    _read_header(text)
    return text


def _temp_in(target: str, text: str) -> str:
    """A private temporary file beside ``target`` holding ``text`` (mkstemp: created
    O_EXCL with mode 0600, never through a planted symlink)."""
    directory, base = os.path.split(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644 & ~_umask())
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _unlink_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _replace(target: str, text: str) -> None:
    tmp = _temp_in(target, text)
    try:
        os.replace(tmp, target)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _create(target: str, text: str) -> bool:
    """Create ``target`` holding ``text`` if it does not exist; False if it does.

    The file appears with its content (``link`` of a finished temporary file), so a
    concurrent reader sees either no file or the whole header.
    """
    tmp = _temp_in(target, text)
    try:
        os.link(tmp, target)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # No hard links here (some network and FUSE file systems): O_EXCL creation.
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return True
    finally:
        _unlink_quietly(tmp)


# -- writing during a run ---------------------------------------------------------------------
class Recorder:
    """Writes one record file during a run, from any number of processes.

    Parameters
    ----------
    path : str or os.PathLike
        The record file.
    """

    def __init__(self, path: Union[str, os.PathLike[str]]) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self._fd: Optional[int] = None
        self._pid = -1
        self._lock = threading.Lock()

    def start(self, root: SeedTree, *, argv: Optional[Sequence[str]] = None,
              environ: Optional[dict[str, str]] = None) -> SeedRecord:
        """Write a fresh header for ``root``, replacing a previous seedpool record.

        Raises
        ------
        RecordError
            The file exists and is not a seedpool record (it is left alone).
        """
        record = SeedRecord.capture(root, argv=argv, environ=environ)
        with self._lock:
            self._close()
            record.save(self.path)
        return record

    def join_or_start(self, root: SeedTree) -> None:
        """Append ``root`` to the record of its run, or start a record for it.

        Any number of processes may call this at once for one file: the first creates
        it (header included, atomically), the others append.
        """
        record = SeedRecord.capture(root)
        with self._lock:
            for _ in range(100):
                state, header = _read_header(self.path)
                if state == "record" and header is not None and header.entropy == root.entropy:
                    break
                if state == "missing":
                    if _create(self.path, record.to_json()):
                        return
                    continue  # another process created it first: read its header
                self._close()
                record.save(self.path)  # an older run's record (or an empty file)
                return
        self.add(root, kind="seed_everything")

    def add(self, node: SeedTree, *, kind: str = "task", worker: Optional[int] = None,
            task: Optional[int] = None, backend: Optional[str] = None) -> None:
        """Append one consumer line for ``node`` (used by the current process)."""
        line = json.dumps({"consumer": Consumer(node.path, kind, os.getpid(), worker, task, backend).to_dict()},
                          sort_keys=True) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            if self._fd is None or self._pid != os.getpid():
                # Never append to a file that is not a seedpool record (SEEDPOOL_RECORD
                # pointing at someone's results): RecordError, the file untouched.
                _read_header(self.path)
                # After a fork the inherited descriptor is still valid, but reopening keeps
                # each process's O_APPEND writes independent of its parent's file offset.
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                self._pid = os.getpid()
            # One write() of a short line with O_APPEND: lines from concurrent processes
            # never interleave.
            os.write(self._fd, data)

    def _close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None

    def close(self) -> None:
        """Close this process's descriptor (the file stays valid)."""
        with self._lock:
            self._close()


_recorders: dict[str, Recorder] = {}
_recorders_lock = threading.Lock()


def _after_fork_in_child() -> None:
    """In a forked child: fresh locks (a parent thread may have held one at fork time --
    a pool started from one thread while another records -- and would hold it forever)."""
    global _recorders_lock
    _recorders_lock = threading.Lock()
    for rec in _recorders.values():
        rec._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _recorder(path: str) -> Recorder:
    path = os.path.abspath(path)
    with _recorders_lock:
        rec = _recorders.get(path)
        if rec is None:
            rec = _recorders[path] = Recorder(path)
        return rec


def record_root(root: SeedTree, path: Union[str, os.PathLike[str], None] = None) -> Optional[str]:
    """Record that this process seeded itself from ``root`` (hook for ``seed_everything``).

    The file is ``path``, else ``$SEEDPOOL_RECORD``; with neither, nothing happens. If
    the file already holds a record of the same root entropy (a child process of a
    recorded run, or another process of the same launch), ``root`` is appended as a
    consumer; a missing file is created with the header (atomically, so that of many
    processes starting at once exactly one writes it); a record of another root is
    replaced. A file that is not a seedpool record is never replaced.
    ``SEEDPOOL_RECORD`` is then set so that child processes and pool workers
    append to the same file.

    Returns
    -------
    str or None
        The absolute path written, or None when recording is off.

    Raises
    ------
    TypeError
        ``path`` is not a file name.
    RecordError
        The target is a directory, in a missing directory, or not a seedpool record.
    """
    if path is not None:
        target = check_target(path)
    else:
        env = os.environ.get(ENV_RECORD)
        if not env:
            return None
        target = check_target(env, ENV_RECORD)
    rec = _recorder(target)
    rec.join_or_start(root)
    os.environ[ENV_RECORD] = rec.path
    return rec.path


def record_consumer(node: SeedTree, *, kind: str = "task", worker: Optional[int] = None,
                    task: Optional[int] = None, backend: Optional[str] = None) -> None:
    """Append ``node`` to the run's record if ``$SEEDPOOL_RECORD`` is set (hook for pools).

    Costs one environment lookup when recording is off.
    """
    target = os.environ.get(ENV_RECORD)
    if target:
        _recorder(target).add(node, kind=kind, worker=worker, task=task, backend=backend)


def record_node(path: Optional[str], node: SeedTree, *, kind: str = "task", worker: Optional[int] = None,
                task: Optional[int] = None) -> None:
    """Append ``node`` to the record at ``path`` (None: nothing). Engines pass the
    caller's ``SEEDPOOL_RECORD``, taken when the work was submitted: a worker's own
    environment may be another machine's; on a machine that does not share the caller's
    filesystem the line lands in that machine's file of the same name."""
    if path:
        _recorder(path).add(node, kind=kind, worker=worker, task=task)
