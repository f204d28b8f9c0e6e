"""Rank seeds for ``torch.distributed``: keyed by named mesh axes, hashed, never added.

``import seedpool.torch.distributed`` imports torch; ``import seedpool`` never does.

Every tool in wide use seeds a rank by adding offsets to one seed (Megatron-LM:
``seed + 100 * pp_rank + 10 * dp_rank`` and ``seed + 2718 + tp_rank``; accelerate:
``seed + process_index``). Offsets collide: ``(pp=0, dp=10)`` and ``(pp=1, dp=0)`` get
the same seed, and run ``s`` on one rank is run ``s + 1`` on its neighbour.
:class:`MeshSeeds` keys a rank by the *names and coordinates* of its mesh axes in the
seed tree instead::

    rank node          root.child("mesh", axis, coord, axis, coord, ...)
                       over the axes marked "split" whose coordinate is not 0,
                       sorted by axis name ("share" axes never enter the key)
    global generators  rank.child("mesh.step", step)          seed_everything(), set_step(s)
    named stream       rank.child("mesh.stream", name)         stream(name)
      its generator    rank.child("mesh.stream", name, step)   generator(name)
      fork entry k     rank.child("mesh.stream", name, step, k)   the k-th fork(name) of the step

(``rank`` is the rank node under the stream's own policy when ``fork``/``stream`` is
given ``policy=``.) A torch generator is seeded from a node ``X`` exactly as
``seedpool.seed_everything(X, backends="torch")`` seeds torch: with the 64-bit
``X.child("torch").uint64()``.

Why these choices:

* *Hashed names, not offsets*: str keys are blake2b-hashed words with the top bit
  set and coordinates are single words below ``2**31``, so the path of a rank is
  injective in its set of (axis, coordinate) pairs -- no two ranks of any mesh, and no
  rank of two seeds, share a stream (tests check every rank of meshes up to 1,024 ranks
  under 1,000 seeds, and show Megatron's formula colliding on the same meshes).
* *Sorted by name*: the order of the mesh's dimensions does not matter.
* *Coordinate 0 is not keyed*: an axis of size 1 changes nothing, and growing a split
  axis keeps the existing coordinates' streams (the data-parallel rank 0 of a ``dp=8``
  run draws what a single-process run draws) -- the same "the index, not the shape"
  rule as :mod:`seedpool.array`.
* *Steps and fork entries are counters in the key*, so the state worth saving is the
  root and two small counters, identical on every rank at a step boundary: a checkpoint
  loads on any world size or ``(dp, tp, pp)`` layout and continues the same streams
  (:meth:`MeshSeeds.state_dict`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Optional, Union

import numpy as np
import torch

from .._derive.keys import MESH, MESH_STEP, MESH_STREAM, TORCH
from .._derive.tree import SeedLike, SeedTree
from .._state import root as _root
from .._state.backends import resolve_backends
from .._state.generators import check_count
from .._state.root import tree_from_env, tree_to_env

__all__ = ["MeshSeeds"]

SPLIT = "split"
SHARE = "share"
_POLICIES = (SPLIT, SHARE)
# fork() seeds come in blocks derived in one vectorised call (one SeedSequence per
# entry would cost ~30 us, ten times the swap itself). A block costs ~60 us plus
# ~0.04 us an entry, so blocks grow 4x while a stream keeps going within a step: a
# step of a few dozen entries derives 64 seeds, a stream forked without set_step
# settles at 4,096 a block (~0.05 us an entry).
_FIRST_BLOCK = 64
_MAX_BLOCK = 4096
_MAX_KEY = 2**31  # int keys of the tree
_STATE_FORMAT = "seedpool.MeshSeeds/1"

MeshLike = Union[Mapping[str, int], Any]  # a dict of axis sizes, or a DeviceMesh


def _device_mesh_type() -> Any:  # the DeviceMesh class, or None
    if not torch.distributed.is_available():  # builds without distributed support
        return None
    from torch.distributed.device_mesh import DeviceMesh

    return DeviceMesh


def _axes_from(mesh: Any, coords: Optional[Mapping[str, int]]) -> tuple[dict[str, int], dict[str, int]]:
    """(sizes, coords) by axis name, from a DeviceMesh or a dict plus ``coords``."""
    device_mesh = _device_mesh_type()
    if device_mesh is not None and isinstance(mesh, device_mesh):
        if coords is not None:
            raise TypeError(
                "coords must not be given with a DeviceMesh (got coords as well); the mesh knows "
                "this rank's coordinates -- pass a dict of axis sizes to give them yourself"
            )
        names = mesh.mesh_dim_names
        if not names:
            raise ValueError(
                "mesh is a DeviceMesh without dimension names; axes are keyed by name: build it with "
                "init_device_mesh(device, shape, mesh_dim_names=(\"dp\", \"tp\", ...))"
            )
        where = mesh.get_coordinate()
        if where is None:
            raise ValueError(
                f"this rank ({torch.distributed.get_rank()}) is not part of the mesh {mesh!r}; "
                "build MeshSeeds on the ranks of the mesh only"
            )
        return dict(zip(names, (int(s) for s in mesh.shape))), dict(zip(names, (int(c) for c in where)))
    if not isinstance(mesh, Mapping):
        raise TypeError(
            f"mesh must be a torch.distributed.device_mesh.DeviceMesh or a dict of axis sizes such as "
            f"{{\"dp\": 4, \"tp\": 2}} (got {type(mesh).__name__})"
        )
    if coords is None:
        raise TypeError(
            "coords must be given with a dict mesh: this rank's coordinate on every axis, e.g. "
            "coords={\"dp\": 1, \"tp\": 0} (or pass a DeviceMesh, which knows them)"
        )
    if not isinstance(coords, Mapping):
        raise TypeError(f"coords must be a dict of axis name -> coordinate (got {type(coords).__name__})")
    sizes: dict[str, int] = {}
    for name, size in mesh.items():
        _check_name(name, "mesh")
        sizes[name] = check_count(size, f"mesh[{name!r}]", minimum=1)
    if set(coords) != set(sizes):
        raise ValueError(
            f"coords must name exactly the mesh's axes {sorted(sizes)} (got {sorted(map(str, coords))})"
        )
    where_: dict[str, int] = {}
    for name in sizes:
        c = check_count(coords[name], f"coords[{name!r}]")
        if c >= sizes[name]:
            raise ValueError(f"coords[{name!r}] must be in [0, {sizes[name]}) for an axis of size {sizes[name]} "
                             f"(got {c})")
        where_[name] = c
    return sizes, where_


def _check_name(name: Any, what: str) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"{what} axis names must be non-empty str (got {name!r})")


def _check_policy(policy: Any, axes: Iterable[str], what: str, *, complete: bool) -> dict[str, str]:
    if not isinstance(policy, Mapping):
        raise TypeError(
            f"{what} must be a dict of axis name -> \"split\" or \"share\" (got {type(policy).__name__}), "
            "e.g. {\"dp\": \"split\", \"tp\": \"share\"}"
        )
    axes = list(axes)
    unknown = [name for name in policy if name not in axes]
    if unknown:
        raise ValueError(f"{what} names axes the mesh does not have: {unknown!r}; the mesh's axes are {axes!r}")
    if complete:
        missing = [name for name in axes if name not in policy]
        if missing:
            raise ValueError(
                f"{what} must mark every mesh axis \"split\" or \"share\"; missing {missing!r} -- split: ranks "
                "along it draw different streams (data, pipeline, expert parallel); share: the same stream "
                "(tensor, context parallel)"
            )
    out = {}
    for name, value in policy.items():
        if value not in _POLICIES:
            raise ValueError(f"{what}[{name!r}] must be \"split\" or \"share\" (got {value!r})")
        out[name] = value
    return out


class _Fork:
    """The context manager :meth:`MeshSeeds.fork` returns: one per stream, reused, and
    holding the stream's position (its entry count in the current step).

    A class rather than ``contextlib.contextmanager``, and the count kept here rather
    than in a dict: fork() runs per layer per step, and the generator protocol and
    lookups would cost about as much as the RNG swap itself.
    """

    __slots__ = ("_seeds", "name", "split", "_node", "count", "_first", "_block", "_cuda", "_saved", "_saved_cuda")

    def __init__(self, seeds: MeshSeeds, name: str, split: tuple[str, ...], node: SeedTree, count: int) -> None:
        self._seeds = seeds
        self.name = name
        self.split = split  # the split axes of this stream's policy
        self._node = node  # rank.child("mesh.stream", name); entry k of step s is .child(s, k)
        self.count = count  # entries so far in the current step
        self._first = count  # the entry _block[0] seeds
        self._block: list[int] = []  # torch seeds of entries _first, _first + 1, ... of this step
        self._cuda = seeds._cuda
        self._saved: list[torch.Tensor] = []  # the CPU state at each open entry (entries nest)
        self._saved_cuda: list[torch.Tensor] = []

    def restart(self, count: int) -> None:
        """Position the stream at entry ``count`` of the (new) current step."""
        self.count = self._first = count
        self._block = []

    def _refill(self) -> None:
        # The next entries of this step in one vectorised derivation: row j is
        # node.child(step, k + j, "torch").uint64(), the seed torch gets from
        # node.child(step, k + j) (as seedpool.seed_everything would give it).
        k = self._first = self.count
        if k >= _MAX_KEY:
            raise ValueError(f"stream {self.name!r} was forked 2**31 times in step {self._seeds.step}; "
                             "call set_step() at the start of every step")
        size = min(_MAX_BLOCK, 4 * len(self._block)) if self._block else _FIRST_BLOCK
        words = self._node.child(self._seeds.step).child_states(
            np.arange(k, min(k + size, _MAX_KEY), dtype=np.int64), TORCH, n_words=1, dtype=np.uint64)
        self._block = words[:, 0].tolist()

    def __enter__(self) -> None:
        i = self.count - self._first
        if i >= len(self._block):
            self._refill()
            i = 0
        seed = self._block[i]
        self.count += 1
        self._saved.append(_cpu_get_state())
        if self._cuda:
            self._saved_cuda.append(torch.cuda.get_rng_state())
            torch.cuda.manual_seed(seed)
        _cpu_manual_seed(seed)

    def __exit__(self, *exc: Any) -> None:
        _cpu_set_state(self._saved.pop())
        if self._cuda:
            torch.cuda.set_rng_state(self._saved_cuda.pop())


# torch's default CPU generator is one object for the life of the process; its bound
# methods are looked up once (fork() is on the per-layer path).
_cpu_get_state = torch.default_generator.get_state
_cpu_set_state = torch.default_generator.set_state
_cpu_manual_seed = torch.default_generator.manual_seed


class MeshSeeds:
    """MeshSeeds(seed, mesh, policy, *, coords=None, cuda=None)

    A rank's seeds from the named axes of a device mesh: distinct along "split" axes,
    equal along "share" axes, hashed (never added), and resumable on another layout.

    The rank's node is ``root.child("mesh", axis, coord, ...)`` over its split axes
    whose coordinate is not 0, sorted by axis name (the module ``seedpool.torch.distributed``
    explains why). Under it: the global generators (:meth:`seed_everything`,
    :meth:`set_step`), named streams (:meth:`stream`, :meth:`generator`) and
    :meth:`fork`, which swaps torch's default RNG to a named stream for a block -- the
    role of Megatron-LM's ``get_cuda_rng_tracker().fork()``.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence or SeedTree
        The root, the same on every rank. ``None`` is refused: ranks must agree on it.
        A node (``root.child("model")``) names a sub-tree.
    mesh : torch.distributed.device_mesh.DeviceMesh or dict of str to int
        A DeviceMesh with ``mesh_dim_names`` (this rank's coordinates are read from it),
        or the axis sizes by name, ``{"dp": 4, "tp": 2}``, with ``coords``.
    policy : dict of str to {"split", "share"}
        Every axis of the mesh, marked ``"split"`` (ranks along it draw different
        streams: data, pipeline, expert parallel) or ``"share"`` (the same stream:
        tensor and context parallel, where replicated dropout must agree).
    coords : dict of str to int, optional
        This rank's coordinate on every axis; only (and always) with a dict ``mesh``.
    cuda : bool, optional
        Whether :meth:`fork`, :meth:`seed_everything` and :meth:`set_step` also swap and
        seed the current CUDA device's generator. ``None``: when
        ``torch.cuda.is_available()`` (asked once, here).

    Attributes
    ----------
    root : SeedTree
        The ``seed`` given.
    sizes, coords, policy : dict
        Axis sizes, this rank's coordinates and the policy, by axis name.
    node : SeedTree
        This rank's node.
    step : int
        The logical step (:meth:`set_step`).

    Raises
    ------
    TypeError, ValueError
        A missing or bad seed, an unnamed DeviceMesh, a policy that does not mark
        exactly the mesh's axes, coordinates outside the mesh.

    See Also
    --------
    seedpool.tensorflow.StrategySeeds : the TensorFlow counterpart.

    Notes
    -----
    What is saved for a resume is the root and the logical counters -- the step and,
    per stream, how many times it was forked in that step -- never per-rank generator
    states (:meth:`state_dict`). Draws inside ``fork(name)`` are a pure function of
    ``(root, split coordinates, name, step, entry)``, and the global generators of
    ``(root, split coordinates, step)``, so a run restarted from a checkpoint on any
    world size continues with what the uninterrupted run would have drawn on the ranks
    that have those coordinates. Neither depends on which process or device a rank is.

    Examples
    --------
    >>> import torch
    >>> from seedpool.torch.distributed import MeshSeeds
    >>> policy = {"dp": "split", "tp": "share"}
    >>> tp0 = MeshSeeds(1234, {"dp": 2, "tp": 2}, policy, coords={"dp": 1, "tp": 0}, cuda=False)
    >>> tp1 = MeshSeeds(1234, {"dp": 2, "tp": 2}, policy, coords={"dp": 1, "tp": 1}, cuda=False)
    >>> dp0 = MeshSeeds(1234, {"dp": 2, "tp": 2}, policy, coords={"dp": 0, "tp": 1}, cuda=False)
    >>> tp0.node.path                        # tp is shared, so not in the key
    ('mesh', 'dp', 1)
    >>> tp0.node == tp1.node, tp0.node == dp0.node
    (True, False)
    >>> x = torch.ones(8)
    >>> with tp0.fork("dropout"):            # the same mask on every tp rank ...
    ...     a = torch.nn.functional.dropout(x, 0.5)
    >>> with tp1.fork("dropout"):
    ...     b = torch.nn.functional.dropout(x, 0.5)
    >>> bool((a == b).all())
    True
    >>> MeshSeeds(1234, {"tp": 2, "dp": 2, "pp": 1}, {"pp": "split", "tp": "share", "dp": "split"},
    ...           coords={"dp": 1, "tp": 0, "pp": 0}, cuda=False).node == tp0.node  # order, size-1 axes
    True
    """

    def __init__(
        self,
        seed: SeedLike,
        mesh: MeshLike,
        policy: Mapping[str, str],
        *,
        coords: Optional[Mapping[str, int]] = None,
        cuda: Optional[bool] = None,
    ) -> None:
        if seed is None:
            raise ValueError(
                "seed must be given (got None): every rank must derive from the same root; pass an int "
                "such as 1234 (the same on every rank) or a seedpool.SeedTree node"
            )
        try:
            root = seed if isinstance(seed, SeedTree) else SeedTree(seed)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"seed: {exc}") from None
        sizes, where = _axes_from(mesh, coords)
        checked = _check_policy(policy, sizes, "policy", complete=True)
        if cuda is not None and not isinstance(cuda, bool):
            raise TypeError(f"cuda must be a bool or None (got {cuda!r})")
        self.root = root
        self.sizes = sizes
        self.coords = where
        self.policy = {name: checked[name] for name in sizes}
        self.step = 0
        self._cuda = _cuda_usable() if cuda is None else cuda
        self._node = self._node_for(self.policy)
        self._split = tuple(sorted(name for name, v in self.policy.items() if v == SPLIT))
        self._forks: dict[str, _Fork] = {}  # by stream name (a name has one policy)
        self._pending: dict[str, int] = {}  # loaded entry counts of streams not forked yet
        self._backends: Optional[tuple[Any, ...]] = None  # what seed_everything() seeded

    # -- nodes -----------------------------------------------------------------------
    def _node_for(self, policy: Mapping[str, str]) -> SeedTree:
        keys: list[Any] = [MESH]
        for name in sorted(policy):
            coord = self.coords[name]
            if policy[name] == SPLIT and coord:
                keys += [name, coord]
        return self.root.child(*keys)

    def _policy_with(self, override: Optional[Mapping[str, str]]) -> dict[str, str]:
        if override is None:
            return self.policy
        return {**self.policy, **_check_policy(override, self.sizes, "policy", complete=False)}

    @property
    def node(self) -> SeedTree:
        """This rank's node: ``root.child("mesh", axis, coord, ...)`` over its split axes
        with a coordinate other than 0, sorted by name (the same on ranks that differ
        only along share axes)."""
        return self._node

    def stream(self, name: str, *, policy: Optional[Mapping[str, str]] = None) -> SeedTree:
        """The node of a named stream: ``rank.child("mesh.stream", name)``.

        Parameters
        ----------
        name : str
            The stream's name.
        policy : dict of str to {"split", "share"}, optional
            Axes whose policy differs for this stream, e.g. ``{"tp": "split"}`` for a
            stream that must differ across tensor-parallel ranks (Megatron's
            ``"model-parallel-rng"``, for dropout on sharded activations and the
            initialisation of sharded weights).

        Returns
        -------
        SeedTree
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty str (got {name!r})")
        return self._node_for(self._policy_with(policy)).child(MESH_STREAM, name)

    def generator(self, name: Optional[str] = None, *, device: Any = "cpu",
                  policy: Optional[Mapping[str, str]] = None) -> torch.Generator:
        """A new ``torch.Generator`` seeded for the current step.

        ``name=None``: from ``rank.child("mesh.step", step)`` -- the same seed
        :meth:`set_step` gives torch's default generator. A name: from the stream's
        ``.child(step)``.

        Parameters
        ----------
        name : str, optional
            A named stream (see :meth:`stream`), or the rank's own.
        device : str or torch.device
            ``"cpu"`` or ``"cuda"`` (``"cuda:1"``...).
        policy : dict, optional
            As for :meth:`stream` (with a name only).

        Returns
        -------
        torch.Generator
        """
        if name is None:
            if policy is not None:
                raise TypeError("policy applies to a named stream; pass a name too")
            node = self._node.child(MESH_STEP, self.step)
        else:
            node = self.stream(name, policy=policy).child(self.step)
        generator = torch.Generator(device=device)
        generator.manual_seed(_torch_seed(node))
        return generator

    # -- the process's generators ------------------------------------------------------
    def seed_everything(self, *, backends: Iterable[str] | str | None = None) -> SeedTree:
        """Seed this rank's generators: each backend from ``rank.child("mesh.step", step)``.

        Python's ``random``, numpy's global state, :func:`seedpool.rng`, torch's CPU
        and CUDA generators (and TensorFlow's, if loaded) are seeded each from its own
        child, as :func:`seedpool.seed_everything` does; from now on :meth:`set_step`
        reseeds the same backends for each step. The process root (``SEEDPOOL_SEED``,
        the root of pools made with ``seed=None``) becomes this rank's :attr:`node`.

        Data pipelines that must not depend on the layout (:class:`seedpool.torch.SeededSampler`,
        :class:`seedpool.torch.SeededDataset`) take ``root``, the seed every rank
        shares, not the process root.

        Parameters
        ----------
        backends : str, iterable of str or None
            As for :func:`seedpool.seed_everything`; ``None`` seeds every backend whose
            library is imported (torch is).

        Returns
        -------
        SeedTree
            This rank's node.
        """
        chosen = resolve_backends(backends)
        self._seed_backends(chosen)
        _root.set_root(self._node)
        self._backends = chosen
        return self._node

    def _seed_backends(self, chosen: tuple[Any, ...]) -> None:
        node = self._node.child(MESH_STEP, self.step)
        for backend in chosen:
            if backend.name == TORCH and not self._cuda:
                torch.default_generator.manual_seed(_torch_seed(node))
            else:
                backend.seed(node)

    def set_step(self, step: int) -> None:
        """Start logical step ``step``: reset every stream's fork count and, after
        :meth:`seed_everything`, reseed the same backends from ``rank.child("mesh.step", step)``.

        Call it at the start of every training step (with the trainer's iteration
        number): what is drawn during step ``s`` then depends on ``s``, not on how many
        steps this process ran -- a resumed run matches.

        Parameters
        ----------
        step : int
            In ``[0, 2**31)``.
        """
        self.step = check_count(step, "step", fix="; pass the training iteration, counted from 0")
        self._restart({})
        if self._backends is not None:
            self._seed_backends(self._backends)

    # -- fork ----------------------------------------------------------------------------
    def fork(self, name: str, *, policy: Optional[Mapping[str, str]] = None) -> _Fork:
        """A context manager that swaps torch's default RNG to a named stream and back.

        Inside the block torch's default CPU generator (and the current CUDA device's,
        see ``cuda``) is seeded for entry ``k`` of stream ``name`` in the current step
        -- from ``rank.child("mesh.stream", name, step, k)`` -- where ``k`` counts this
        step's earlier entries of that stream; on exit the generators get back exactly
        the state they had on entry. So each entry draws fresh numbers (two dropout
        layers never share a mask), the stream continues from one entry to the next as
        Megatron's tracker does, and -- unlike the tracker's saved generator states --
        its position is two counters (``step``, ``k``) that a checkpoint can carry to
        any other layout.

        Parameters
        ----------
        name : str
            The stream; e.g. ``"dropout"``.
        policy : dict of str to {"split", "share"}, optional
            Per-stream override of the axis policy, e.g. ``{"tp": "split"}`` for
            dropout on tensor-parallel-sharded activations. A name keeps the policy it
            was first forked with (a second one raises ValueError).

        Returns
        -------
        context manager
            Reusable and re-entrant (entries nest).

        Examples
        --------
        >>> seeds = MeshSeeds(7, {"dp": 2, "tp": 2}, {"dp": "split", "tp": "share"},
        ...                   coords={"dp": 0, "tp": 1}, cuda=False)    # doctest: +SKIP
        >>> with seeds.fork("dropout"):                                  # doctest: +SKIP
        ...     y = torch.nn.functional.dropout(x, 0.1)
        """
        if policy is None:
            fork = self._forks.get(name)
            if fork is not None and fork.split == self._split:
                return fork
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty str (got {name!r})")
        split = tuple(sorted(k for k, v in self._policy_with(policy).items() if v == SPLIT))
        fork = self._forks.get(name)
        if fork is None:
            count = self._pending.pop(name, 0)
            fork = self._forks[name] = _Fork(self, name, split, self.stream(name, policy=policy), count)
        elif fork.split != split:
            raise ValueError(
                f"stream {name!r} was forked splitting axes {list(fork.split)}, now {list(split)}; a stream keeps "
                "one policy (its coordinate-0 ranks would otherwise share draws): use another name"
            )
        return fork

    def _restart(self, counts: dict[str, int]) -> None:
        for name, fork in self._forks.items():
            fork.restart(counts.pop(name, 0))
        self._pending = counts

    # -- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The state to checkpoint: the root and the logical counters, nothing per device.

        Returns
        -------
        dict
            ``{"format": "seedpool.MeshSeeds/1", "root": str, "step": int, "entries": {name: k}}``:
            the root encoded as ``SEEDPOOL_SEED`` encodes it, the step, and how many times
            each stream was forked in that step. Plain str and int only, so
            ``torch.load(..., weights_only=True)`` reads it. Mesh, coordinates and policy
            are not saved: they describe the new layout, not the run's position.

        Notes
        -----
        After :meth:`set_step` every count is 0, so a checkpoint taken at a step
        boundary is the same dict on every rank, and saving rank 0's is enough. Within
        a step the counts are this rank's (a pipeline stage forks only for its own
        layers); save each rank's if you checkpoint mid-step.
        """
        return {"format": _STATE_FORMAT, "root": tree_to_env(self.root), "step": self.step,
                "entries": self._entries()}

    def _entries(self) -> dict[str, int]:
        counts = {name: fork.count for name, fork in self._forks.items() if fork.count}
        counts.update((name, k) for name, k in self._pending.items() if k)
        return dict(sorted(counts.items()))

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a :meth:`state_dict`, on this mesh (any size or layout).

        The step and the fork counts are restored (the next ``fork(name)`` is entry
        ``entries[name]`` of that step) and, after :meth:`seed_everything`, the
        backends are reseeded for the step. Ranks with the coordinates of the saved
        run's ranks continue those ranks' streams; new coordinates start their own.

        Parameters
        ----------
        state : dict
            As returned by :meth:`state_dict`.

        Raises
        ------
        TypeError, ValueError
            Not such a dict, or saved under another root (a run resumed on the wrong
            root is the failure this catches: construct MeshSeeds with the run's seed).
            Nothing is changed then.
        """
        if not isinstance(state, Mapping) or state.get("format") != _STATE_FORMAT:
            raise TypeError(
                f"state must be a dict returned by MeshSeeds.state_dict() (format {_STATE_FORMAT!r}); got "
                f"{type(state).__name__}" + (f" with format {state.get('format')!r}" if isinstance(state, Mapping)
                                               else "")
            )
        try:
            saved_root = tree_from_env(state["root"])
            step = check_count(state["step"], "state['step']")
            entries = state["entries"]
            if not isinstance(entries, Mapping):
                raise TypeError(f"state['entries'] must be a dict (got {type(entries).__name__})")
            counts = {}
            for name, k in entries.items():
                if not isinstance(name, str):
                    raise TypeError(f"state['entries'] keys must be stream names (got {name!r})")
                counts[name] = check_count(k, f"state['entries'][{name!r}]")
        except KeyError as exc:
            raise ValueError(f"state lacks {exc}; pass a dict returned by MeshSeeds.state_dict()") from None
        if saved_root != self.root:
            raise ValueError(
                f"state was saved under root {saved_root!r}, but these MeshSeeds have root {self.root!r}; "
                "construct MeshSeeds with the checkpointed run's seed"
            )
        self.step = step
        self._restart(counts)
        if self._backends is not None:
            self._seed_backends(self._backends)

    def __repr__(self) -> str:
        axes = ", ".join(f"{n}={self.coords[n]}/{self.sizes[n]} {self.policy[n]}" for n in self.sizes)
        return f"MeshSeeds(root={self.root!r}, {axes}, step={self.step})"


def _torch_seed(node: SeedTree) -> int:
    """The 64-bit seed torch gets from ``node`` (what the "torch" backend would give it)."""
    return node.child(TORCH).uint64()


def _cuda_usable() -> bool:
    # Never touch CUDA in a forked child of a process that initialised it.
    if not torch.cuda.is_available():
        return False
    bad_fork = getattr(torch.cuda, "_is_in_bad_fork", lambda: False)
    return not bad_fork()

