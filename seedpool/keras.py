"""Keras 3 ``PyDataset`` integration: each batch produced under its own keyed seeds.

``import seedpool.keras`` does not import Keras (nor TensorFlow): the class below is
built on first access, so test collectors and ``import seedpool.keras`` stay cheap.

Keras hands a worker one *batch index* at a time, so the unit keyed here is the
batch: batch ``b`` of epoch ``e`` is produced inside
``seedpool.task_scope(root.child("batches", e, b))``. Python's ``random``, numpy's
global state, torch (if loaded), TensorFlow (if loaded in the worker) and
:func:`seedpool.rng` are seeded from that node, and so are RNG objects held by the
dataset. A batch therefore depends only on ``(root, e, b)``: not on ``workers``, on
which worker process builds it, or on the order Keras requests batches in
(``shuffle=True`` in ``fit`` permutes indices, the content of each index is fixed).

How the epoch reaches the workers: Keras calls ``on_epoch_end()`` in the main process,
which advances the epoch here; for a finite dataset Keras starts a *new*
``multiprocessing.Pool`` for every epoch, whose workers receive the dataset as it is
then. (For an infinite dataset -- ``num_batches`` is None -- the pool is never
restarted and indices keep counting up, so ``(epoch at start, index)`` is still unique.)

Threads are refused: ``workers > 1`` with ``use_multiprocessing=False`` runs batches
concurrently in threads sharing one global ``random`` / numpy state, which no seeding
can make reproducible.
"""

from __future__ import annotations

import os
from typing import Any, Optional

from ._derive.keys import BATCHES
from ._derive.tree import SeedLike, SeedTree
from ._state.generators import GeneratorNames, check_count, normalise_generators, reseed_generators
from ._task.seed_arg import resolve_root
from ._task.task import task_scope

__all__ = ["SeededPyDataset"]  # noqa: F822  (built on first access, by __getattr__ below)

_DOC = """SeededPyDataset(dataset, seed=None, *, epoch=0, generators="auto", workers=None, use_multiprocessing=None, max_queue_size=None)

    Wrap a Keras 3 ``PyDataset`` so batch ``b`` of epoch ``e`` is produced under
    ``task_scope(root.child("batches", e, b))``.

    Parameters
    ----------
    dataset : keras.utils.PyDataset
        The dataset to wrap.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root. ``None``: the process's root itself (:func:`seedpool.seed_everything`
        or ``SEEDPOOL_SEED``); if neither was set, fresh entropy, recorded in
        ``SEEDPOOL_SEED`` so child processes share it (unlike :class:`seedpool.Pool`,
        which takes ``root.child("pools", k)``).
    epoch : int
        The starting epoch (e.g. ``initial_epoch`` when resuming); ``on_epoch_end``
        advances it, :meth:`set_epoch` sets it.
    generators : 'auto', sequence of str or None
        RNG objects on the dataset to reseed per batch, in place, from
        ``node.child("attr", name)``. ``'auto'`` scans ``vars(dataset)`` once, here, for
        ``numpy.random.Generator``, ``RandomState``, ``random.Random`` and
        ``torch.Generator`` attributes; a sequence names attribute paths
        (``["augment.rng"]``); ``None`` reseeds none.
    workers, use_multiprocessing, max_queue_size : optional
        Default to the wrapped dataset's settings.

    Raises
    ------
    TypeError
        ``dataset`` is not a ``keras.utils.PyDataset``; a bad epoch or generator name.
    ValueError
        ``workers > 1`` with ``use_multiprocessing=False`` (threads), or a bad epoch.

    Notes
    -----
    In the process that created the wrapper (``workers=1`` without multiprocessing:
    Keras builds batches in the main thread) the global RNG states are restored after
    each batch, so the training loop's own stream is not disturbed.

    Examples
    --------
    >>> ds = SeededPyDataset(MyPyDataset(workers=4, use_multiprocessing=True), seed=0)  # doctest: +SKIP
    >>> model.fit(ds, epochs=3)                                                      # doctest: +SKIP
    """


def _check_dataset(keras: Any, dataset: Any, workers: Optional[int],
                   use_multiprocessing: Optional[bool]) -> tuple[int, bool]:
    """Validate what ``SeededPyDataset`` wraps; returns its ``(workers, use_multiprocessing)``."""
    if not isinstance(dataset, keras.utils.PyDataset):
        raise TypeError(
            f"dataset must be a keras.utils.PyDataset (got {type(dataset).__name__}); "
            "wrap arrays in a PyDataset subclass first"
        )
    workers = dataset.workers if workers is None else workers
    use_mp = dataset.use_multiprocessing if use_multiprocessing is None else use_multiprocessing
    if workers > 1 and not use_mp:  # type: ignore[operator]
        raise ValueError(
            f"workers={workers} with use_multiprocessing=False runs batches in threads that "
            "share one global RNG state, which cannot be made reproducible; pass "
            "use_multiprocessing=True (or workers=1)"
        )
    return workers, use_mp  # type: ignore[return-value]


def _build() -> type:
    import keras

    class SeededPyDataset(keras.utils.PyDataset):
        __doc__ = _DOC

        def __init__(
            self,
            dataset: Any,
            seed: SeedLike = None,
            *,
            epoch: int = 0,
            generators: GeneratorNames = "auto",
            workers: Optional[int] = None,
            use_multiprocessing: Optional[bool] = None,
            max_queue_size: Optional[int] = None,
        ) -> None:
            workers, use_mp = _check_dataset(keras, dataset, workers, use_multiprocessing)
            super().__init__(
                workers=workers,
                use_multiprocessing=use_mp,
                max_queue_size=dataset.max_queue_size if max_queue_size is None else max_queue_size,
            )
            self.dataset = dataset
            self.root: SeedTree = resolve_root(seed, counted=False)
            self.generators = normalise_generators(dataset, generators)
            self.epoch = check_count(epoch, "epoch", fix="; pass the epoch number, starting at 0")
            # Keras workers are forked (or spawned) copies: a different pid means "in a
            # worker", where nothing else draws between batches and restoring is waste.
            self._owner_pid = os.getpid()

        def set_epoch(self, epoch: int) -> None:
            """Key the following batches by ``epoch`` (main process, between epochs)."""
            self.epoch = check_count(epoch, "epoch", fix="; pass the epoch number, starting at 0")

        def node(self, index: int, epoch: Optional[int] = None) -> SeedTree:
            """The node batch ``index`` of ``epoch`` (default: current) is produced under."""
            index = check_count(index, "index", fix="; PyDataset batches are keyed by their int index")
            e = self.epoch if epoch is None else check_count(epoch, "epoch")
            return self.root.child(BATCHES, e, index)

        def __getitem__(self, index: int) -> Any:
            node = self.node(index)
            with task_scope(node, restore=os.getpid() == self._owner_pid):
                if self.generators:
                    reseed_generators(self.dataset, self.generators, node)
                return self.dataset[index]

        def __len__(self) -> int:
            return len(self.dataset)

        @property
        def num_batches(self) -> Optional[int]:
            return self.dataset.num_batches

        def on_epoch_begin(self) -> None:
            self.dataset.on_epoch_begin()

        def on_epoch_end(self) -> None:
            self.epoch += 1
            self.dataset.on_epoch_end()

        def __repr__(self) -> str:
            return f"SeededPyDataset({self.dataset!r}, root={self.root!r}, epoch={self.epoch})"

    # Pickle finds the class as seedpool.keras.SeededPyDataset (spawn workers, copies).
    SeededPyDataset.__module__ = __name__
    SeededPyDataset.__qualname__ = "SeededPyDataset"
    return SeededPyDataset


def __getattr__(name: str) -> Any:
    if name == "SeededPyDataset":
        cls = _build()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"SeededPyDataset"})
