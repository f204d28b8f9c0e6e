"""PyTorch ``DataLoader`` integration: keyed seeds for workers, samples and shuffles.

``import seedpool.torch`` imports torch; ``import seedpool`` never does.

Two ways to make a loader's randomness reproducible, from the cheapest to the strictest::

    worker mode       DataLoader(ds, num_workers=W, worker_init_fn=seeder, generator=seeder.generator)
                      each worker process seeds random / numpy / torch / seedpool.rng() once
                      from  root.child("dataloader-workers", rank, epoch, worker_id)
                      -> reproducible for a fixed num_workers; changes if num_workers does.

    per-sample mode   DataLoader(SeededDataset(ds, seed), sampler=SeededSampler(ds, seed), ...)
                      item i of epoch e is produced with every RNG seeded
                      from  root.child("samples", e, i)     (rank is not in the key)
                      -> the same items, bit for bit, for any num_workers, batch_size,
                         persistent_workers, rank count, and after a mid-epoch resume.

    shuffle order     SeededSampler: permutation of epoch e from root.child("sampler", e),
                      sharded across ranks like torch's DistributedSampler.

Keys are *hashed* through the seed tree (``SeedSequence`` spawn keys), never added:
``(rank=0, worker=1)`` and ``(rank=1, worker=0)`` are unrelated streams.

How the epoch reaches the workers
---------------------------------
The main process owns the epoch; call :func:`set_epoch` (or ``.set_epoch`` on each
seeded object) before iterating each epoch, as with ``DistributedSampler``.

* :class:`SeededSampler` runs in the main process, so its epoch is simply read there.
* :class:`SeededDataset` keeps its epoch in a one-element *shared-memory* tensor. Worker
  processes hold a copy of the dataset (made once, when they start), and with
  ``persistent_workers=True`` they are not restarted between epochs: a plain attribute
  would stay at the epoch the workers were started in. The shared tensor is the same
  memory in every worker, under fork and spawn alike, so workers see ``set_epoch`` at
  once. ``set_epoch`` must be called *between* epochs, not while one is being loaded.
* :class:`WorkerSeeder` needs the epoch only when a worker starts: non-persistent workers
  are restarted for every epoch and receive the seeder as it is then; persistent workers
  are seeded once, and their streams simply continue (deterministically) across epochs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Optional, cast

import numpy as np
import torch
import torch.utils.data as _tud

from .._derive.bulk import words_for_indices
from .._derive.keys import LOADER_GENERATOR, LOADER_WORKERS, SAMPLER, SAMPLES
from .._derive.tree import SeedLike, SeedTree, index_child
from .._state import hooks
from .._state.backends import seed_loaded
from .._state.backends._torch_rng import get_state, seed_words, set_state
from .._state.generators import GeneratorNames
from .._state.generators import check_count as _check_count
from .._state.generators import normalise_generators as _normalise_generators
from .._state.generators import reseed_generators as _reseed_generators
from .._state.root import tree_from_env, tree_to_env
from .._task.seed_arg import resolve_root
from .._task.task import Task, task_scope

_SAMPLER_FORMAT = "seedpool.SeededSampler/1"
_DATASET_FORMAT = "seedpool.SeededDataset/1"

__all__ = [
    "WorkerSeeder",
    "worker_init_fn",
    "SeededDataset",
    "SeededSampler",
    "set_epoch",
    "seed_words",
    "get_state",
    "set_state",
]



# -- helpers -----------------------------------------------------------------------------
def _root_of(seed: SeedLike) -> SeedTree:
    # None -> the process's root (seed_everything / SEEDPOOL_SEED), so a script that
    # called seedpool.seed_everything(s) gets loaders keyed by the same root; inside a
    # task, the task's node.child("pools", k), as for every engine (resolve_root).
    return resolve_root(seed, counted=False)


def _dist_rank_world() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1



# -- worker mode -------------------------------------------------------------------------
class WorkerSeeder:
    """WorkerSeeder(seed=None, *, rank=None, epoch=0, generators="auto", init_fn=None)

    A picklable ``worker_init_fn`` that seeds each DataLoader worker from a keyed node.

    In worker ``w`` of rank ``r`` during epoch ``e``, Python's ``random``, numpy's
    global state, torch and :func:`seedpool.rng` are seeded from
    ``root.child("dataloader-workers", r, e, w)`` (each from its own child of that node,
    as in :func:`seedpool.seed_everything`), and so are the RNGs held by the worker's
    copy of the dataset (see ``generators``). Pass :attr:`generator` to the DataLoader
    as well: it makes the loader's base seed and ``shuffle=True`` order a function of
    ``(root, epoch)`` instead of a draw from the main process's torch RNG.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root. ``None``: the process's root itself (:func:`seedpool.seed_everything`
        or ``SEEDPOOL_SEED``); if neither was set, fresh entropy, recorded in
        ``SEEDPOOL_SEED`` so child processes share it (unlike :class:`seedpool.Pool`,
        which takes ``root.child("pools", k)``).
    rank : int, optional
        This process's rank. ``None`` reads ``torch.distributed.get_rank()`` when the
        default process group is initialised (at construction and at each
        :meth:`set_epoch`), else 0.
    epoch : int
        The starting epoch; advance it with :meth:`set_epoch` before each epoch.
    generators : 'auto', sequence of str or None
        RNG objects on the dataset to reseed in each worker. ``'auto'`` (default) finds
        every ``numpy.random.Generator``, ``RandomState``, ``random.Random`` and
        ``torch.Generator`` among the dataset's own attributes (``vars(dataset)``, one
        level, looked up in the worker). A sequence names attribute paths explicitly
        (``["rng", "transform.rng"]``), for RNGs nested deeper. ``None`` reseeds none.
        Each is reseeded in place from ``node.child("attr", name)``.
    init_fn : callable, optional
        Your own ``worker_init_fn(worker_id)``, called after seeding.

    Attributes
    ----------
    root : SeedTree
    rank : int
    epoch : int

    Notes
    -----
    Worker mode is reproducible for a fixed ``num_workers``: which items a worker loads
    depends on how many workers there are. For results independent of ``num_workers``
    use :class:`SeededDataset`.

    Examples
    --------
    >>> seeder = seedpool.torch.WorkerSeeder(1234)                     # doctest: +SKIP
    >>> loader = DataLoader(ds, num_workers=4, worker_init_fn=seeder,
    ...                     generator=seeder.generator)                # doctest: +SKIP
    >>> for epoch in range(10):                                        # doctest: +SKIP
    ...     seeder.set_epoch(epoch)
    ...     for batch in loader: ...
    """

    def __init__(
        self,
        seed: SeedLike = None,
        *,
        rank: Optional[int] = None,
        epoch: int = 0,
        generators: GeneratorNames = "auto",
        init_fn: Optional[Callable[[int], Any]] = None,
    ) -> None:
        if init_fn is not None and not callable(init_fn):
            raise TypeError(f"init_fn must be a callable taking the worker id (got {init_fn!r})")
        if not (generators is None or isinstance(generators, str)):
            try:
                generators = tuple(generators)
            except TypeError:
                raise TypeError(
                    f"generators must be 'auto', None or a sequence of attribute names (got {generators!r})"
                ) from None
        self.root = _root_of(seed)
        self._rank_arg = None if rank is None else _check_count(rank, "rank")
        self.rank = self._resolve_rank()
        self.epoch = _check_count(epoch, "epoch", fix="; pass the epoch number, starting at 0")
        self.generators = generators
        self.init_fn = init_fn
        self._generator: Optional[torch.Generator] = None

    def _resolve_rank(self) -> int:
        return self._rank_arg if self._rank_arg is not None else _dist_rank_world()[0]

    @property
    def generator(self) -> torch.Generator:
        """The ``torch.Generator`` to pass as ``DataLoader(generator=...)``.

        Seeded from ``root.child("dataloader-generator", rank, epoch)`` and reseeded
        by :meth:`set_epoch`, so epoch ``e``'s shuffle order and base seed do not
        depend on how many epochs ran before (a resumed run matches).
        """
        if self._generator is None:
            self._generator = torch.Generator()
            self._seed_generator()
        return self._generator

    def _seed_generator(self) -> None:
        node = self.root.child(LOADER_GENERATOR, self.rank, self.epoch)
        assert self._generator is not None
        self._generator.manual_seed(int(node.generate_state(1, np.uint64)[0]))

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch the next worker processes are seeded for (main process)."""
        self.epoch = _check_count(epoch, "epoch", fix="; pass the epoch number, starting at 0")
        self.rank = self._resolve_rank()
        if self._generator is not None:
            self._seed_generator()

    def node(self, worker_id: int) -> SeedTree:
        """The node worker ``worker_id`` is seeded from in the current epoch."""
        return self.root.child(LOADER_WORKERS, self.rank, self.epoch, _check_count(worker_id, "worker_id"))

    def __call__(self, worker_id: int) -> None:
        node = self.node(worker_id)
        # Every backend whose library is loaded in the worker (python, numpy, torch,
        # seedpool.rng; TensorFlow too if the dataset imported it), each from its own child.
        seed_loaded(node)
        info = _tud.get_worker_info()
        dataset = info.dataset if info is not None else None
        if dataset is not None and self.generators is not None:
            names = _normalise_generators(dataset, self.generators)
            _reseed_generators(dataset, names, node)
        if self.init_fn is not None:
            self.init_fn(worker_id)

    def __getstate__(self) -> dict:
        # Workers do not need the loader's generator, and a torch.Generator does not
        # travel to spawn workers (its state tensor fails to rebuild from shared memory).
        state = dict(self.__dict__)
        state["_generator"] = None
        return state

    def __repr__(self) -> str:
        return f"WorkerSeeder(root={self.root!r}, rank={self.rank}, epoch={self.epoch})"


def worker_init_fn(
    seed: SeedLike = None,
    *,
    rank: Optional[int] = None,
    epoch: int = 0,
    generators: GeneratorNames = "auto",
    init_fn: Optional[Callable[[int], Any]] = None,
) -> WorkerSeeder:
    """Return a :class:`WorkerSeeder`: the ``worker_init_fn`` (with ``.generator``).

    Parameters
    ----------
    seed, rank, epoch, generators, init_fn
        As for :class:`WorkerSeeder`.

    Returns
    -------
    WorkerSeeder
        Pass it as ``worker_init_fn=`` and its ``.generator`` as ``generator=``.

    Examples
    --------
    >>> init = seedpool.torch.worker_init_fn(7, rank=2)                 # doctest: +SKIP
    >>> DataLoader(ds, num_workers=2, worker_init_fn=init, generator=init.generator)  # doctest: +SKIP
    """
    return WorkerSeeder(seed, rank=rank, epoch=epoch, generators=generators, init_fn=init_fn)


# -- per-sample mode ---------------------------------------------------------------------
class SeededDataset(_tud.Dataset):
    """SeededDataset(dataset, seed=None, *, epoch=0, generators="auto")

    Wrap a map-style dataset so each item is produced under its own keyed seeds.

    ``dataset[i]`` during epoch ``e`` runs inside
    ``seedpool.task_scope(root.child("samples", e, i))``: Python's ``random``, numpy's
    global state, torch and :func:`seedpool.rng` are seeded from that node (each from
    its own child), and so are the RNGs held by the dataset (see ``generators``). The
    item therefore depends only on ``(root, e, i)``: not on the worker that loads it,
    ``num_workers``, ``batch_size``, ``persistent_workers``, the rank, or what was
    loaded before. With ``num_workers=0`` the main process's RNG states are restored
    after each item, so its own stream is not disturbed.

    Parameters
    ----------
    dataset : map-style dataset
        Anything with ``__getitem__`` and ``__len__``.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root. ``None``: the process's root itself (:func:`seedpool.seed_everything`
        or ``SEEDPOOL_SEED``); if neither was set, fresh entropy, recorded in
        ``SEEDPOOL_SEED`` so child processes share it (unlike :class:`seedpool.Pool`,
        which takes ``root.child("pools", k)``).
    epoch : int
        The starting epoch; advance with :meth:`set_epoch` (or :func:`set_epoch`).
    generators : 'auto', sequence of str or None
        RNG objects on the dataset to reseed per item, in place, from
        ``root.child("samples", e, i, "attr", name)``. ``'auto'`` (default) scans
        ``vars(dataset)`` once, here, for ``numpy.random.Generator``, ``RandomState``,
        ``random.Random`` and ``torch.Generator`` attributes. A sequence names attribute
        paths (``["rng", "transform.rng"]``) for RNGs nested deeper. ``None``: none.

    Raises
    ------
    TypeError
        ``dataset`` is not map-style, or an index / epoch / generator name of the
        wrong type.
    ValueError
        An index outside ``[-len, len)``, an epoch outside ``[0, 2**31)``, or a
        generator name the dataset lacks.

    Notes
    -----
    Randomness drawn *outside* ``__getitem__`` (in a ``collate_fn``, or by a dataset
    that implements ``__getitems__`` for whole batches) is not per-sample: the wrapper's
    own ``__getitems__`` fetches a batch item by item through the wrapped dataset's
    ``__getitem__`` (deriving the batch's seed words in one vectorised step).
    Attributes of the wrapped dataset are reachable through the wrapper.
    """

    def __init__(
        self,
        dataset: Any,
        seed: SeedLike = None,
        *,
        epoch: int = 0,
        generators: GeneratorNames = "auto",
    ) -> None:
        if isinstance(dataset, _tud.IterableDataset) or not hasattr(dataset, "__getitem__") or not hasattr(
            dataset, "__len__"
        ):
            raise TypeError(
                f"dataset must be a map-style dataset with __getitem__ and __len__ (got "
                f"{type(dataset).__name__}); iterable datasets have no item index to key "
                "on: use seedpool.torch.WorkerSeeder for them"
            )
        self.dataset = dataset
        self.root = _root_of(seed)
        self.generators = _normalise_generators(dataset, generators)
        # Shared memory: persistent workers keep their dataset copy across epochs and
        # must still see set_epoch (see the module docstring).
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        self.set_epoch(epoch)

    @property
    def epoch(self) -> int:
        """The epoch items are keyed by (shared with the worker processes)."""
        return int(self._epoch)

    def set_epoch(self, epoch: int) -> None:
        """Key the following items by ``epoch``; call between epochs, in the main process."""
        self._epoch.fill_(_check_count(epoch, "epoch", fix="; pass the epoch number, starting at 0"))

    def __len__(self) -> int:
        return len(self.dataset)

    def state_dict(self) -> dict:
        """``{"format": "seedpool.SeededDataset/1", "root": str, "epoch": int}``.

        Items are keyed by ``(root, epoch, index)`` only, so this is all a resume needs,
        on any world size and ``num_workers``.
        """
        return {"format": _DATASET_FORMAT, "root": tree_to_env(self.root), "epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        """Restore the epoch of a :meth:`state_dict` (saved under the same root).

        Raises
        ------
        TypeError, ValueError
            Not such a dict, or saved under another root. Nothing changes then.
        """
        (epoch,) = _check_loader_state(state, _DATASET_FORMAT, "SeededDataset", self.root, {}, ("epoch",))
        self.set_epoch(epoch)

    def node(self, index: int, epoch: Optional[int] = None) -> SeedTree:
        """The node item ``index`` of ``epoch`` (default: the current one) is produced under."""
        e = int(self._epoch) if epoch is None else _check_count(epoch, "epoch")
        return self.root.child(SAMPLES, e, self._position(index))

    def _position(self, index: int) -> int:
        n = len(self.dataset)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(
                f"index must be an int (got {index!r} of type {type(index).__name__}); "
                "SeededDataset keys each item by its integer index"
            )
        i = int(index)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise ValueError(f"index must be in [-{n}, {n}) for this dataset of length {n} (got {index})")
        return i

    def __getitem__(self, index: int) -> Any:
        node = self.node(index)
        # In the main process (num_workers=0) the caller's own RNG stream must come out
        # unchanged; in a worker nothing else draws between items, so skip the cost.
        restore = _tud.get_worker_info() is None
        with task_scope(node, restore=restore):
            if self.generators:
                _reseed_generators(self.dataset, self.generators, node)
            return self.dataset[index]

    def __getitems__(self, indices: Sequence[int]) -> list:
        """Fetch a batch (the DataLoader calls this when it exists): each item is still
        produced under its own node, but the batch's seed words are derived in one
        vectorised step instead of one ``SeedSequence`` per item and backend."""
        parent = self.root.child(SAMPLES, int(self._epoch))
        positions = [self._position(index) for index in indices]
        restore = _tud.get_worker_info() is None
        hooks.install()  # as task_scope does (once per process; a flag test after)
        items = []
        for index, position, words in zip(indices, positions, words_for_indices(parent, positions)):
            # The item's node is built only if asked for (attached generators, nested
            # pools, records); its words came with the batch.
            node = functools.partial(index_child, parent, position)
            with Task(words, node, restore):
                if self.generators:
                    _reseed_generators(self.dataset, self.generators, node())
                items.append(self.dataset[index])
        return items

    def __getattr__(self, name: str) -> Any:
        # Delegate to the wrapped dataset (e.g. .classes); never for private names, or
        # unpickling (before __dict__ is filled) would recurse.
        if name.startswith("_") or name in ("dataset", "root", "generators"):
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __repr__(self) -> str:
        return f"SeededDataset({self.dataset!r}, root={self.root!r}, epoch={self.epoch})"


class SeededSampler(_tud.Sampler):
    """SeededSampler(data_source, seed=None, *, shuffle=True, num_replicas=None, rank=None, drop_last=False)

    Shuffle order keyed by ``(root, epoch)``, sharded across ranks like
    ``torch.utils.data.DistributedSampler``.

    Epoch ``e``'s order is ``root.child("sampler", e).generator().permutation(n)``:
    the same in every run and on every rank, whatever happened before. It is padded by
    wrapping around to a multiple of ``num_replicas`` (or truncated, with
    ``drop_last``), and rank ``r`` takes positions ``r, r + num_replicas, ...``.

    A position is global: after every rank took ``k`` indices, positions
    ``0 .. k * num_replicas - 1`` of the epoch's order are consumed. :meth:`state_dict`
    saves the epoch and that position (not the world size), and :meth:`load_state_dict`
    resumes there on any ``num_replicas`` -- also one the position does not divide:
    the ranks then share out the remaining positions ``p, p + 1, ..., n - 1`` as
    above, starting at ``p`` (rank ``r`` takes ``p + r, p + r + num_replicas, ...``),
    padded by wrapping around (or truncated) to a multiple of the new
    ``num_replicas``. So the remaining samples are the same, each once, in the same
    global order; only the padding depends on the world size, as in
    ``DistributedSampler``. With :class:`SeededDataset` keyed by the same root, each
    sample's randomness is the same too, for any ``num_workers``.

    Parameters
    ----------
    data_source : sized or int
        The dataset, or its length.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root. ``None``: the process's root itself (:func:`seedpool.seed_everything`
        or ``SEEDPOOL_SEED``); if neither was set, fresh entropy, recorded in
        ``SEEDPOOL_SEED`` so child processes share it (unlike :class:`seedpool.Pool`,
        which takes ``root.child("pools", k)``).
    shuffle : bool
        ``False`` keeps ``0, 1, ..., n - 1`` before sharding.
    num_replicas, rank : int, optional
        Default to the initialised ``torch.distributed`` process group, else 1 and 0.
    drop_last : bool
        Drop the tail instead of padding so every rank gets ``floor(n / num_replicas)``.

    Examples
    --------
    >>> s = SeededSampler(10, seed=0, num_replicas=2, rank=1)           # doctest: +SKIP
    >>> s.set_epoch(3)                                                  # doctest: +SKIP
    >>> s.set_epoch(3, start=2)   # resume after this rank's first 2 items  # doctest: +SKIP
    >>> state = s.state_dict(consumed=1)  # position 2 + 1 * 2 of epoch 3       # doctest: +SKIP
    >>> t = SeededSampler(10, seed=0, num_replicas=3, rank=0)           # doctest: +SKIP
    >>> t.load_state_dict(state)  # the rest of epoch 3 over 3 ranks    # doctest: +SKIP
    """

    def __init__(
        self,
        data_source: Any,
        seed: SeedLike = None,
        *,
        shuffle: bool = True,
        num_replicas: Optional[int] = None,
        rank: Optional[int] = None,
        drop_last: bool = False,
    ) -> None:
        if isinstance(data_source, bool):
            raise TypeError(f"data_source must be a sized dataset or an int length (got {data_source!r})")
        if isinstance(data_source, (int, np.integer)):
            n = int(data_source)
            if n < 0:
                raise ValueError(f"data_source as a length must be non-negative (got {n})")
        elif hasattr(data_source, "__len__"):
            n = len(data_source)
        else:
            raise TypeError(
                f"data_source must be a sized dataset or an int length (got {type(data_source).__name__}); "
                "an iterable dataset cannot be shuffled by index"
            )
        dist_rank, dist_world = _dist_rank_world()
        self.num_replicas = dist_world if num_replicas is None else _check_count(num_replicas, "num_replicas", minimum=1)
        self.rank = dist_rank if rank is None else _check_count(rank, "rank")
        if self.rank >= self.num_replicas:
            raise ValueError(
                f"rank must be in [0, num_replicas={self.num_replicas}) (got {self.rank}); "
                "pass num_replicas too, or initialise torch.distributed"
            )
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle must be a bool (got {shuffle!r})")
        self.n = n
        self.root = _root_of(seed)
        self.shuffle = shuffle
        self.drop_last = bool(drop_last)
        if self.drop_last:
            self.num_samples = n // self.num_replicas
        else:
            self.num_samples = math.ceil(n / self.num_replicas) if n else 0
        self.total_size = self.num_samples * self.num_replicas
        self.epoch = 0
        # The global position this rank's iteration starts from (set_epoch's start
        # times num_replicas, or a loaded state's position), and how many indices the
        # current iterator has handed out.
        self.position = 0
        self._yielded = 0

    def set_epoch(self, epoch: int, *, start: int = 0) -> None:
        """Use epoch ``epoch``'s order, skipping this rank's first ``start`` indices.

        ``start`` resumes mid-epoch: after a checkpoint taken when ``k`` of this
        rank's items were consumed, ``set_epoch(e, start=k)`` yields the rest (global
        position ``k * num_replicas``; :meth:`load_state_dict` resumes on another world
        size). It applies until the next ``set_epoch``.
        """
        epoch = _check_count(epoch, "epoch", fix="; pass the epoch number, starting at 0")
        start = _check_count(start, "start")
        if start > self.num_samples:
            raise ValueError(
                f"start must be at most this rank's {self.num_samples} samples per epoch (got {start})"
            )
        self.epoch = epoch
        self.position = start * self.num_replicas
        self._yielded = 0

    @property
    def start(self) -> int:
        """This rank's indices skipped at the start of the epoch: the ``start`` of
        :meth:`set_epoch` (the number of its positions before ``position``)."""
        return max(0, -(-(self.position - self.rank) // self.num_replicas))

    def indices(self, epoch: Optional[int] = None) -> np.ndarray:
        """This rank's full index order for ``epoch`` (default: the current one)."""
        e = self.epoch if epoch is None else _check_count(epoch, "epoch")
        return self._indices(e, 0)

    def _positions(self, position: int) -> range:
        """This rank's global positions from ``position`` to the end of the epoch.

        The positions left are made a multiple of the world size -- padded by wrapping
        around (like DistributedSampler) or truncated with ``drop_last`` -- and dealt
        out in turn from ``position``. From position 0 this is the whole epoch,
        ``total_size`` positions.
        """
        n, replicas = self.n, self.num_replicas
        left = n - position
        if left <= 0:
            return range(0)
        end = position + replicas * (left // replicas if self.drop_last else -(-left // replicas))
        return range(position + self.rank, end, replicas)

    def _indices(self, epoch: int, position: int) -> np.ndarray:
        """This rank's indices of ``epoch`` from global ``position`` on."""
        if self.shuffle:
            order = self.root.child(SAMPLER, epoch).generator().permutation(self.n)
        else:
            order = np.arange(self.n)
        positions = self._positions(position)
        # Padding positions (n and above) wrap around to the start of the order.
        return order[np.arange(positions.start, positions.stop, positions.step) % self.n] if positions else order[:0]

    def __iter__(self) -> Iterator[int]:
        self._yielded = 0
        for index in self._indices(self.epoch, self.position).tolist():
            # Counted as handed out: state_dict() takes it as consumed, which it is
            # when the loader draws indices on demand (num_workers=0).
            self._yielded += 1
            yield index

    def __len__(self) -> int:
        return len(self._positions(self.position))

    # -- resuming on any world size ------------------------------------------------------
    def state_dict(self, consumed: Optional[int] = None) -> dict:
        """The epoch and the global position reached: resumable on any world size.

        Parameters
        ----------
        consumed : int, optional
            How many of this rank's indices the training loop has consumed since
            iteration began (since :meth:`set_epoch` or :meth:`load_state_dict`), the
            same on every rank (they step together). ``None``: the number the current
            iterator has handed out, which is what was consumed when the DataLoader
            draws indices on demand (``num_workers=0``). Worker processes prefetch
            (``prefetch_factor * num_workers`` batches ahead): pass
            ``batches_done * batch_size`` then.

        Returns
        -------
        dict
            ``{"format": "seedpool.SeededSampler/1", "root": str, "n": int,
            "shuffle": bool, "epoch": int, "position": int}`` -- plain str, int and
            bool (``torch.load(weights_only=True)`` reads it). The position is global:
            ``position + consumed * num_replicas``; the world size is not saved.
        """
        yielded = self._yielded if consumed is None else _check_count(consumed, "consumed")
        available = len(self)
        if yielded > available:
            raise ValueError(
                f"consumed must be at most this rank's {available} indices of this epoch (got {yielded}); "
                "count the samples this rank consumed since set_epoch or load_state_dict"
            )
        return {"format": _SAMPLER_FORMAT, "root": tree_to_env(self.root), "n": self.n, "shuffle": self.shuffle,
                "epoch": self.epoch, "position": self.position + yielded * self.num_replicas}

    def load_state_dict(self, state: dict) -> None:
        """Resume at a :meth:`state_dict`'s epoch and global position, on this world size.

        Iteration then yields this rank's share of the positions left (see the class
        notes); ``len()`` is that share. The next :meth:`set_epoch` starts a new epoch
        as usual.

        Parameters
        ----------
        state : dict
            As returned by :meth:`state_dict` (on any number of replicas).

        Raises
        ------
        TypeError, ValueError
            Not such a dict; another root, dataset length or ``shuffle`` than this
            sampler's (the order would not be the saved run's). Nothing changes then.
        """
        epoch, position = _check_loader_state(state, _SAMPLER_FORMAT, "SeededSampler", self.root, {
            "n": self.n, "shuffle": self.shuffle}, ("epoch", "position"))
        self.epoch = epoch
        self.position = position
        self._yielded = 0


def _check_loader_state(state: Any, fmt: str, owner: str, root: SeedTree, same: dict,
                        counters: tuple[str, ...]) -> list[int]:
    """Validate a loader state dict against its owner; return its counters, in order."""
    if not isinstance(state, dict) or state.get("format") != fmt:
        raise TypeError(
            f"state must be a dict returned by {owner}.state_dict() (format {fmt!r}); got {type(state).__name__}"
            + (f" with format {state.get('format')!r}" if isinstance(state, dict) else "")
        )
    try:
        saved_root = tree_from_env(state["root"])
        values = [_check_count(state[name], f"state[{name!r}]") for name in counters]
        for name, mine in same.items():
            if state[name] != mine:
                raise ValueError(
                    f"state[{name!r}] is {state[name]!r} but this {owner} has {mine!r}; the saved run's order "
                    f"cannot continue here: build the {owner} as the checkpointed run did"
                )
    except KeyError as exc:
        raise ValueError(f"state lacks {exc}; pass a dict returned by {owner}.state_dict()") from None
    if saved_root != root:
        raise ValueError(
            f"state was saved under root {saved_root!r}, but this {owner} has root {root!r}; pass the "
            "checkpointed run's seed"
        )
    return values


def set_epoch(loader: Any, epoch: int, *, start: int = 0) -> list:
    """Call ``set_epoch`` on every seeded part of a DataLoader.

    Looks at ``loader.dataset``, ``loader.sampler``, ``loader.batch_sampler`` (and its
    ``.sampler``) and ``loader.worker_init_fn``; anything with a ``set_epoch`` method
    gets it (``start`` goes to :class:`SeededSampler` only). Call it in the main
    process before iterating each epoch.

    Parameters
    ----------
    loader : torch.utils.data.DataLoader
    epoch : int
    start : int
        Resume offset for a :class:`SeededSampler` (this rank's items already consumed).

    Returns
    -------
    list
        The objects whose epoch was set (empty means nothing here is seeded).
    """
    if not isinstance(loader, _tud.DataLoader):
        raise TypeError(f"loader must be a torch.utils.data.DataLoader (got {type(loader).__name__})")
    epoch = _check_count(epoch, "epoch", fix="; pass the epoch number, starting at 0")
    parts = [loader.dataset, loader.sampler, loader.batch_sampler,
             getattr(loader.batch_sampler, "sampler", None), loader.worker_init_fn]
    done: list = []
    for part in parts:
        if part is None or any(part is d for d in done):
            continue
        if isinstance(part, SeededSampler):
            part.set_epoch(epoch, start=start)
        elif isinstance(part, (SeededDataset, WorkerSeeder)) or (
            callable(getattr(part, "set_epoch", None)) and not isinstance(part, _tud.DataLoader)
        ):
            cast(Any, part).set_epoch(epoch)  # has one: checked just above
        else:
            continue
        done.append(part)
    return done
