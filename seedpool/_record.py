"""Seed records: a versioned file that says which seed a run used and where it went.

Format (version 1) is JSON Lines, one JSON object per line::

    {"format": "seedpool-record", "version": 1, "root": {...}, "python": ..., ...}   header
    {"consumer": {"path": [...], "pid": 123, "worker": 0, "task": 5, ...}}           0 or more

JSON Lines rather than one JSON document because the consumers are written by many
processes at once (pool workers, children of ``seedpool run``): each appends one short
line with ``O_APPEND``, which needs no lock and no merge step at exit.  The header is
written once, atomically (temporary file + ``os.replace``).

Root entropy is stored as decimal *strings*: it is a 128-bit int, and most JSON readers
other than Python's (``jq``, JavaScript) would silently round it to a double.

Loading validates the whole file before returning anything; a malformed, foreign or
newer-version file raises :class:`RecordError` (a ``ValueError``) that names the file,
the line and what was wrong.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ._errors import RecordError  # defined there; importable from here as before
from ._tree import Key, SeedTree

__all__ = [
    "ENV_RECORD",
    "FORMAT",
    "VERSION",
    "RecordError",
    "Consumer",
    "SeedRecord",
    "Recorder",
    "record_root",
    "record_consumer",
]

ENV_RECORD = "SEEDPOOL_RECORD"
FORMAT = "seedpool-record"
VERSION = 1

Entropy = Union[int, Tuple[int, ...]]


# -- encoding helpers ---------------------------------------------------------------------
def _encode_entropy(entropy: Entropy) -> Any:
    if isinstance(entropy, int):
        return str(entropy)
    return [str(e) for e in entropy]


def _decode_entropy(value: Any, where: str) -> Entropy:
    def one(item: Any) -> int:
        if not isinstance(item, str) or not item.isdigit():
            raise RecordError(f"{where}: root entropy must be a decimal string (got {item!r})")
        return int(item)

    if isinstance(value, list):
        if not value:
            raise RecordError(f"{where}: root entropy is an empty list")
        return tuple(one(v) for v in value)
    return one(value)


def _decode_path(value: Any, where: str) -> Tuple[Key, ...]:
    if not isinstance(value, list):
        raise RecordError(f"{where}: a key path must be a list (got {value!r})")
    for key in value:
        ok = isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool) and 0 <= key < 2**31)
        if not ok:
            raise RecordError(f"{where}: bad key {key!r} in path {value!r}; keys are str or ints in [0, 2**31)")
    return tuple(value)


def _optional_int(data: dict, name: str, where: str) -> Optional[int]:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
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

    path: Tuple[Key, ...]
    kind: str = "task"
    pid: Optional[int] = None
    worker: Optional[int] = None
    task: Optional[int] = None
    backend: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return {"path": list(self.path), "kind": self.kind, "pid": self.pid,
                "worker": self.worker, "task": self.task, "backend": self.backend}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Consumer":
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


def _library_versions() -> Dict[str, Optional[str]]:
    """Versions of the libraries that matter, without importing any that is not loaded."""
    import numpy

    from ._version import __version__

    versions: Dict[str, Optional[str]] = {"seedpool": __version__, "numpy": numpy.__version__}
    for name in ("tensorflow", "torch"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = str(getattr(module, "__version__", None))
    return versions


def _determinism_flags() -> Dict[str, Any]:
    """Settings that change results besides the seed (only read, never imported)."""
    flags: Dict[str, Any] = {}
    for var in ("PYTHONHASHSEED", "TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC",
                "CUBLAS_WORKSPACE_CONFIG", "OMP_NUM_THREADS", "SEEDPOOL_WORKERS"):
        if var in os.environ:
            flags[var] = os.environ[var]
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
    >>> from seedpool._record import SeedRecord
    >>> rec = SeedRecord.capture(SeedTree(42).child("data"))
    >>> SeedRecord.from_json(rec.to_json()).tree() == SeedTree(42).child("data")
    True
    """

    entropy: Entropy
    path: Tuple[Key, ...] = ()
    created: str = ""
    python: str = ""
    platform: str = ""
    libraries: Dict[str, Optional[str]] = field(default_factory=dict)
    start_method: Optional[str] = None
    determinism: Dict[str, Any] = field(default_factory=dict)
    argv: List[str] = field(default_factory=list)
    consumers: List[Consumer] = field(default_factory=list)

    @classmethod
    def capture(cls, root: SeedTree, *, argv: Optional[Sequence[str]] = None) -> "SeedRecord":
        """A record of ``root`` and the current process's environment."""
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
            determinism=_determinism_flags(),
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
    def header(self) -> Dict[str, Any]:
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
    def from_json(cls, text: str, source: str = "<string>") -> "SeedRecord":
        """Parse and validate record text; ``source`` names it in error messages.

        Raises
        ------
        RecordError
            Anything wrong with any line; nothing is returned half-parsed.
        """
        lines = text.splitlines()
        if not lines or not lines[0].strip():
            raise RecordError(f"{source}: empty file, not a seedpool record")
        try:
            head = json.loads(lines[0])
        except ValueError as exc:
            raise RecordError(f"{source}, line 1: not JSON ({exc}); not a seedpool record") from None
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            got = head.get("format") if isinstance(head, dict) else type(head).__name__
            raise RecordError(f"{source}, line 1: not a seedpool record (format is {got!r}, expected {FORMAT!r})")
        version = head.get("version")
        if version != VERSION:
            raise RecordError(
                f"{source}: record version {version!r} is not supported (this seedpool reads version "
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
        consumers = []
        for number, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            where = f"{source}, line {number}"
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise RecordError(f"{where}: not JSON ({exc}); the file may be truncated") from None
            if not isinstance(item, dict) or set(item) != {"consumer"}:
                raise RecordError(f"{where}: expected {{\"consumer\": {{...}}}} (got {line[:80]!r})")
            consumers.append(Consumer.from_dict(item["consumer"], where))
        return cls(
            entropy=entropy, path=path, created=str(head.get("created", "")),
            python=str(head.get("python", "")), platform=str(head.get("platform", "")),
            libraries=libraries, start_method=head.get("start_method"), determinism=determinism,
            argv=[str(a) for a in argv], consumers=consumers,
        )

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write the record atomically (a reader never sees a partial file)."""
        path = os.fspath(path)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(self.to_json())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "SeedRecord":
        """Read and validate a record file.

        Raises
        ------
        RecordError
            The file is not a valid seedpool record of a supported version.
        OSError
            The file cannot be read.
        """
        path = os.fspath(path)
        with open(path, "rb") as fh:
            raw = fh.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError(f"{path}: not UTF-8 text ({exc}); not a seedpool record") from None
        return cls.from_json(text, source=path)


# -- writing during a run ---------------------------------------------------------------------
class Recorder:
    """Writes one record file during a run, from any number of processes.

    Parameters
    ----------
    path : str or os.PathLike
        The record file.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self._fd: Optional[int] = None
        self._pid = -1
        self._lock = threading.Lock()

    def start(self, root: SeedTree, *, argv: Optional[Sequence[str]] = None) -> SeedRecord:
        """Write a fresh header for ``root`` (replacing any previous record)."""
        record = SeedRecord.capture(root, argv=argv)
        with self._lock:
            self._close()
            record.save(self.path)
        return record

    def add(self, node: SeedTree, *, kind: str = "task", worker: Optional[int] = None,
            task: Optional[int] = None, backend: Optional[str] = None) -> None:
        """Append one consumer line for ``node`` (used by the current process)."""
        line = json.dumps({"consumer": Consumer(node.path, kind, os.getpid(), worker, task, backend).to_dict()},
                          sort_keys=True) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            if self._fd is None or self._pid != os.getpid():
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


_recorders: Dict[str, Recorder] = {}
_recorders_lock = threading.Lock()


def _recorder(path: str) -> Recorder:
    path = os.path.abspath(path)
    with _recorders_lock:
        rec = _recorders.get(path)
        if rec is None:
            rec = _recorders[path] = Recorder(path)
        return rec


def _header_entropy(path: str) -> Optional[Entropy]:
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
        return SeedRecord.from_json(first, source=path).entropy
    except (OSError, ValueError):
        return None


def record_root(root: SeedTree, path: Union[str, "os.PathLike[str]", None] = None) -> Optional[str]:
    """Record that this process seeded itself from ``root`` (hook for ``seed_everything``).

    The file is ``path``, else ``$SEEDPOOL_RECORD``; with neither, nothing happens. If
    the file already holds a record of the same root entropy (a child process of a
    recorded run), ``root`` is appended as a consumer; otherwise a new record is
    started. ``SEEDPOOL_RECORD`` is then set so that child processes and pool workers
    append to the same file.

    Returns
    -------
    str or None
        The absolute path written, or None when recording is off.
    """
    target = os.fspath(path) if path is not None else os.environ.get(ENV_RECORD)
    if not target:
        return None
    rec = _recorder(target)
    if _header_entropy(rec.path) == root.entropy:
        rec.add(root, kind="seed_everything")
    else:
        rec.start(root)
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
