"""seedpool.array: every element keyed by its index (issue 24).

The layout is checked against an independent reference built from its documented
definition (tile ``t`` is numpy's sampler on ``SFC64(node.child("array", family, dtype,
ndim, *t).seed_sequence)``), then every way of asking for a part -- slices, chunkings,
threads, shapes, Dask schedulers, other processes -- is compared with the whole array.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import pickle
import subprocess
import sys
import textwrap
import threading
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seedpool.array as spa
from conftest import REPO, run_python
from seedpool import SeedTree
from seedpool._derive import tiles as _tiles

SEED = 2024
# Tiles by number of dimensions: 4,096 elements, 16,384 for the uniform and bits families.
TILES = {0: (), 1: (4096,), 2: (64, 64), 3: (16, 16, 16)}
CHEAP_TILES = {0: (), 1: (16384,), 2: (128, 128), 3: (16, 32, 32)}
SHAPES = {1: (40000,), 2: (300, 150), 3: (20, 40, 70)}  # several tiles of either size, ragged edges

# (name, factory(seed, shape) -> RandomArray) for every function and dtype.
CASES = [
    ("random-f64", lambda s, sh: spa.random(s, sh)),
    ("random-f32", lambda s, sh: spa.random(s, sh, dtype=np.float32)),
    ("uniform-f64", lambda s, sh: spa.uniform(s, sh, -2.0, 3.0)),
    ("uniform-f32", lambda s, sh: spa.uniform(s, sh, -2.0, 3.0, dtype=np.float32)),
    ("normal-f64", lambda s, sh: spa.normal(s, sh, 1.5, 2.0)),
    ("normal-f32", lambda s, sh: spa.normal(s, sh, dtype=np.float32)),
    ("exponential-f64", lambda s, sh: spa.standard_exponential(s, sh)),
    ("exponential-f32", lambda s, sh: spa.standard_exponential(s, sh, dtype=np.float32)),
    ("integers-i64", lambda s, sh: spa.integers(s, sh, -5, 2**40)),
    ("integers-u8", lambda s, sh: spa.integers(s, sh, 3, 200, dtype=np.uint8)),
    ("bits-u64", lambda s, sh: spa.bits(s, sh)),
    ("bits-u16", lambda s, sh: spa.bits(s, sh, dtype=np.uint16)),
]
CASE_IDS = [name for name, _ in CASES]
FACTORIES = [factory for _, factory in CASES]


def reference(a: spa.RandomArray) -> np.ndarray:
    """The array from the layout's definition alone: one numpy Generator per tile, its
    draws laid out in Fortran order."""
    family = a.node.path[-3]
    tile = (CHEAP_TILES if family in ("uniform", "bits") else TILES)[a.ndim]
    out = np.empty(a.shape, dtype=a.dtype)
    counts = [-(-n // e) for n, e in zip(a.shape, tile)]
    for t in itertools.product(*(range(c) for c in counts)):
        g = np.random.Generator(np.random.SFC64(a.root.child("array", family, a.dtype.name, a.ndim, *t).seed_sequence))
        size = int(np.prod(tile))
        if family == "uniform":
            values = g.random(size, dtype=a.dtype)
        elif family == "normal":
            values = g.standard_normal(size, dtype=a.dtype)
        elif family == "exponential":
            values = g.standard_exponential(size, dtype=a.dtype)
        elif family == "integers":
            values = g.integers(a.params["low"], a.params["high"], size, dtype=a.dtype)
        else:
            values = g.integers(0, 2 ** (8 * a.dtype.itemsize), size, dtype=a.dtype)
        values = values.reshape(tile, order="F")  # a tile's draws, first axis fastest
        # The parameters transform the values, except the defaults, which leave them
        # untouched (0.0 + 1.0 * -0.0 would turn a drawn -0.0 into +0.0).
        if a.function == "uniform" and (a.params["low"], a.params["high"]) != (0.0, 1.0):
            lo, hi = a.params["low"], a.params["high"]
            values = values * a.dtype.type(hi - lo) + a.dtype.type(lo)
        elif a.function == "normal" and (a.params["loc"], a.params["scale"]) != (0.0, 1.0):
            values = values * a.dtype.type(a.params["scale"]) + a.dtype.type(a.params["loc"])
        where = tuple(slice(k * e, min((k + 1) * e, n)) for k, e, n in zip(t, tile, a.shape))
        out[where] = values[tuple(slice(0, w.stop - w.start) for w in where)]
    return out


def same(x: np.ndarray, y: np.ndarray) -> bool:
    """Bit for bit (and shape, dtype)."""
    return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()


# -- the layout ---------------------------------------------------------------------------
def test_tile_shapes_are_the_documented_ones():
    assert [_tiles.tile_shape(d) for d in range(6)] == [
        (), (4096,), (64, 64), (16, 16, 16), (8, 8, 8, 8), (4, 4, 4, 8, 8)]
    assert [_tiles.tile_shape(d, 14) for d in range(4)] == [(), (16384,), (128, 128), (16, 32, 32)]
    assert [_tiles.tile_bits(f) for f in ("uniform", "bits", "normal", "exponential", "integers")] == [
        14, 14, 12, 12, 12]
    for d in range(1, 16):
        assert int(np.prod(_tiles.tile_shape(d))) == 4096
        assert int(np.prod(_tiles.tile_shape(d, 14))) == 16384


@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_bulk_tile_keys_equal_seedtree_children(ndim):
    node = SeedTree(SEED).child("k")
    rng = np.random.default_rng(ndim)
    coords = rng.integers(0, 2**31, size=(40, ndim))
    coords[:5] = rng.integers(0, 3, size=(5, ndim))
    words = _tiles.child_words(node, [coords[:, k] for k in range(ndim)], 3, len(coords))
    for row, c in zip(words, coords):
        assert list(row) == list(node.child(*map(int, c)).generate_state(3, np.uint64))
    states = _tiles.sfc64_states(words)
    for row, c in zip(states[:8], coords[:8]):
        bg = np.random.SFC64(node.child(*map(int, c)).seed_sequence)
        assert list(row) == list(bg.state["state"]["state"])


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("factory", FACTORIES, ids=CASE_IDS)
def test_whole_array_is_the_documented_layout(factory, ndim):
    a = factory(SEED, SHAPES[ndim])
    assert same(np.asarray(a), reference(a))


@pytest.mark.parametrize("factory", FACTORIES, ids=CASE_IDS)
def test_large_blocks_use_the_same_layout(factory):
    # Blocks of many tiles derive their keys in batches (and warm SFC64 up vectorised),
    # small ones a group at a time through the array's key cache: both are the layout.
    for shape in [(16384 * 45 + 77,), (128 * 14 + 5, 128 * 12 + 3), (16 * 12, 32 * 5 + 1, 32 * 6)]:
        a = factory(SEED, shape)
        assert same(a.to_numpy(), reference(a)), shape
        assert same(a.to_numpy(threads=2), reference(a)), shape


def test_zero_d_and_empty_arrays():
    a = spa.normal(SEED, ())
    assert a.shape == () and np.asarray(a).shape == ()
    g = np.random.Generator(np.random.SFC64(SeedTree(SEED).child("array", "normal", "float64", 0).seed_sequence))
    assert np.asarray(a)[()] == g.standard_normal()
    assert a[...].shape == () and a[None].shape == (1,)
    e = spa.random(SEED, (3, 0, 5))
    assert np.asarray(e).shape == (3, 0, 5) and e[1:2].shape == (1, 0, 5)


# -- golden vectors: the frozen streams --------------------------------------------------------
# Recorded on numpy 2.4.6; numpy 1.22.4, 2.0.2 and 2.3.5 gave the same. Each entry: a[16382:16387]
# of a (20000,) array, a[127:129, 127:129] of (200, 200), a[15:17, 3, 31:33] of (20, 20, 40), seed
# 2024: each crosses tile boundaries of either tile size.
GOLDEN_CASES = {
    "random-float64": (spa.random, {}), "random-float32": (spa.random, {"dtype": np.float32}),
    "uniform-float64": (spa.uniform, {"low": -2.0, "high": 3.0}),
    "uniform-float32": (spa.uniform, {"low": -2.0, "high": 3.0, "dtype": np.float32}),
    "normal-float64": (spa.normal, {}), "normal-float32": (spa.normal, {"dtype": np.float32}),
    "normal-loc-scale": (spa.normal, {"loc": 1.5, "scale": 2.0}),
    "exponential-float64": (spa.standard_exponential, {}),
    "exponential-float32": (spa.standard_exponential, {"dtype": np.float32}),
    "integers-int64": (spa.integers, {"low": 0, "high": 10}),
    "integers-int64-wide": (spa.integers, {"low": -5, "high": 2**40}),
    "integers-int16": (spa.integers, {"low": -100, "high": 100, "dtype": np.int16}),
    "integers-uint8": (spa.integers, {"low": 0, "high": 256, "dtype": np.uint8}),
    "bits-uint64": (spa.bits, {}), "bits-uint32": (spa.bits, {"dtype": np.uint32}),
    "bits-uint8": (spa.bits, {"dtype": np.uint8}),
}
GOLDEN = {'bits-uint32': [[2851651515, 691673209, 2839828733, 521174099, 1957911584],
                 [3378046833, 1938887472, 2968541608, 4188387876],
                 [224663848, 1845863930, 426037477, 3853128525]],
 'bits-uint64': [[11163163486721090969, 6845638234320760008, 5625926630790011916, 14656086272218299261,
                  9672656323798890731],
                 [10359725653101132582, 10694252021859214171, 1481134217685843627, 10947705774692293015],
                 [2470626191136122496, 13513610490710806665, 7521542881936224526, 5576726435475704658]],
 'bits-uint8': [[26, 102, 145, 218, 185], [216, 92, 107, 208], [103, 239, 33, 71]],
 'exponential-float32': [[0.6835004091262817, 0.5934417843818665, 1.2465201616287231, 0.21247920393943787,
                          0.8554596304893494],
                         [0.6993746161460876, 3.012315034866333, 2.635784149169922, 1.3731476068496704],
                         [0.23532630503177643, 0.05778052657842636, 0.2535068690776825, 0.8148766160011292]],
 'exponential-float64': [[0.09628092445580808, 0.8853648500449575, 0.20057176508062927, 0.8489364654132362,
                          0.08425986389508824],
                         [5.051450038226411, 0.02007944825860599, 1.8053698934289086, 1.26565435017688],
                         [0.4356969256629134, 1.387044234105942, 1.1554922315916492, 0.0842494011523923]],
 'integers-int16': [[83, -26, 58, 37, 46], [56, -58, 50, 68], [-54, -53, -39, 1]],
 'integers-int64': [[2, 6, 2, 5, 7], [6, 9, 8, 1], [6, 9, 8, 8]],
 'integers-int64-wide': [[28612155610, 861887737782, 597495781446, 1035933896137, 70335889448],
                         [437501627966, 11890779494, 625503154587, 1074310079002],
                         [224914847191, 804920095343, 272591923772, 648120997729]],
 'integers-uint8': [[62, 195, 200, 240, 192], [129, 9, 110, 132], [190, 157, 133, 36]],
 'normal-float32': [[0.5287463665008545, -0.3002125918865204, -0.41648951172828674, 0.7863861918449402,
                     0.1742677092552185],
                    [-0.16795781254768372, 0.9804738163948059, -0.4323732256889343, 0.26969900727272034],
                    [1.715813159942627, -0.45147278904914856, -0.6948108673095703, 0.3988327085971832]],
 'normal-float64': [[-1.495467560487491, -0.21168073936650816, 0.9192040646359174, 0.17118857436736026,
                     0.21114206135581054],
                    [2.588831255555993, -0.09545683257786128, -0.7657018197778142, -0.245717723917801],
                    [-0.09429826421667038, -2.0021965414866165, 0.7283721865639693, -1.364246469154443]],
 'normal-loc-scale': [[-1.490935120974982, 1.0766385212669838, 3.338408129271835, 1.8423771487347205,
                       1.9222841227116212],
                      [6.677662511111986, 1.3090863348442774, -0.031403639555628304, 1.008564552164398],
                      [1.3114034715666592, -2.504393082973233, 2.956744373127939, -1.2284929383088858]],
 'random-float32': [[0.38364338874816895, 0.24464130401611328, 0.2270788550376892, 0.5375697612762451,
                     0.2400481104850769],
                    [0.33869683742523193, 0.8210391998291016, 0.9542810916900635, 0.0823633074760437],
                    [0.17282670736312866, 0.23543614149093628, 0.6752709746360779, 0.8351287841796875]],
 'random-float64': [[0.47502337064743017, 0.8045148917806606, 0.2474169711664136, 0.8404442644492794,
                     0.14998877199865546],
                    [0.21967947085545436, 0.9879560002115423, 0.5647873928415517, 0.3560627431417307],
                    [0.07431347526979759, 0.8003989534788382, 0.4967674725518997, 0.31794316957508884]],
 'uniform-float32': [[-0.08178305625915527, -0.7767934799194336, -0.8646056652069092, 0.6878488063812256,
                      -0.7997593879699707],
                     [-0.30651581287384033, 2.105195999145508, 2.7714052200317383, -1.5881834030151367],
                     [-1.135866403579712, -0.8228192329406738, 1.3763549327850342, 2.1756439208984375]],
 'uniform-float64': [[0.37511685323715094, 2.0225744589033035, -0.762915144167932, 2.2022213222463973,
                      -1.2500561400067227],
                     [-0.9016026457227282, 2.939780001057711, 0.8239369642077583, -0.2196862842913465],
                     [-1.628432623651012, 2.0019947673941907, 0.4838373627594983, -0.41028415212455593]]}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_vectors(name):
    fn, kw = GOLDEN_CASES[name]
    got = [fn(SEED, (20000,), **kw)[16382:16387].tolist(),
           fn(SEED, (200, 200), **kw)[127:129, 127:129].ravel().tolist(),
           fn(SEED, (20, 20, 40), **kw)[15:17, 3, 31:33].ravel().tolist()]
    assert got == GOLDEN[name], f"{name}: the stream changed -- a breaking change of seedpool.array's layout"


def test_numpy_samplers_match_the_recorded_digests():
    for (family, dtype), digest in _tiles.KNOWN_DIGESTS.items():
        assert _tiles.sampler_digest(family, np.dtype(dtype)) == digest, (family, dtype)


def test_a_changed_numpy_sampler_is_refused(monkeypatch):
    # What a numpy whose normal sampler changed would see: construction refuses, before drawing.
    monkeypatch.setattr(_tiles, "_checked", set())
    monkeypatch.setitem(_tiles.KNOWN_DIGESTS, ("normal", "float64"), "0" * 32)
    with pytest.raises(RuntimeError, match=r"numpy .* draws other normal values in float64 .*NEP 19"):
        spa.normal(1, 10)
    spa.normal(1, 10, dtype=np.float32)  # another sampler is unaffected
    spa.random(1, 10)


# -- any slice is the same slice of the whole ----------------------------------------------
@st.composite
def basic_index(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple:
    items: list = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "slice", "full"]))
        if kind == "int" and n:
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            bound = st.none() | st.integers(-n - 3, n + 3)
            step = st.none() | st.integers(-5000, 5000).filter(lambda s: s != 0) | st.sampled_from([1, 2, 3, -1, -2])
            items.append(slice(draw(bound), draw(bound), draw(step)))
        else:
            items.append(slice(None))
    if items and draw(st.booleans()):  # some axes as `...`
        k = draw(st.integers(0, len(items)))
        j = draw(st.integers(k, len(items)))
        items = items[:k] + [Ellipsis] + items[j:]
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    return tuple(items)


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("factory", FACTORIES, ids=CASE_IDS)
def test_any_slice_equals_that_slice_of_the_whole(factory, ndim):
    a = factory(SEED, SHAPES[ndim])
    whole = np.asarray(a)

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(basic_index(SHAPES[ndim]))
    def check(index):
        assert same(a[index], whole[index]), index

    check()


def test_hand_picked_slices():
    a = spa.normal(SEED, (300, 200))
    whole = np.asarray(a)
    for index in [(5, 7), (-1, -1), (slice(63, 65), slice(63, 130, 5)), (Ellipsis, 3), (3, Ellipsis),
                  (slice(None, None, -1),), (slice(299, 0, -64), slice(None, None, -7)), (None, 4, None, 9),
                  (slice(10, 10),), (slice(64, 128), slice(64, 128)), (slice(0, 64), slice(None)), ()]:
        assert same(a[index], whole[index]), index
    assert isinstance(a[3, 4], np.ndarray) and a[3, 4].shape == ()


# -- shape independence ---------------------------------------------------------------------
@pytest.mark.parametrize("factory", FACTORIES, ids=CASE_IDS)
def test_element_does_not_depend_on_the_shape(factory):
    assert same(factory(SEED, (4, 8))[1, 3], factory(SEED, (100, 1000))[1, 3])
    small, big = factory(SEED, (70, 90)), factory(SEED, (1000, 130))
    assert same(np.asarray(small), big[:70, :90])
    # a grown array keeps its old elements (dask#1684's scenario)
    assert same(np.asarray(factory(SEED, (5000,))), factory(SEED, (12000,))[:5000])
    assert same(np.asarray(factory(SEED, (3, 5, 7))), factory(SEED, (40, 6, 20))[:3, :5, :7])


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 150), min_size=2, max_size=2), st.lists(st.integers(1, 150), min_size=2,
                                                                          max_size=2))
def test_common_corner_of_any_two_shapes(s1, s2):
    corner = tuple(min(x, y) for x, y in zip(s1, s2))
    a, b = spa.normal(SEED, tuple(s1)), spa.normal(SEED, tuple(s2))
    where = tuple(slice(0, c) for c in corner)
    assert same(a[where], b[where])


def test_ndim_is_part_of_the_key():
    # A (n,) array is not the first row of a (1, n) one: unrelated, as documented.
    a, b = np.asarray(spa.normal(SEED, 4096)), spa.normal(SEED, (1, 4096))[0]
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.1
    assert not np.any(a == b)


# -- Dask --------------------------------------------------------------------------------
@pytest.mark.parametrize("factory", FACTORIES, ids=CASE_IDS)
def test_to_dask_equals_asarray_for_every_chunking(factory):
    da = pytest.importorskip("dask.array")
    for shape, chunkings in [
        ((9, 7), [1, (2, 3), (9, 1), "auto"]),
        ((5000,), [333, 4097, (1000, 4000)]),
        ((130, 70), [(65, 7), (130, 70)]),
        ((3, 4, 5), [1, (2, 3, 4)]),
    ]:
        a = factory(SEED, shape)
        whole = np.asarray(a)
        for chunks in chunkings:
            d = a.to_dask(chunks)
            assert isinstance(d, da.Array) and d.shape == shape and d.dtype == a.dtype
            assert same(d.compute(scheduler="threads"), whole), (shape, chunks)


def test_to_dask_on_every_local_scheduler_and_its_names():
    pytest.importorskip("dask.array")
    import dask

    a = spa.normal(SEED, (50, 40), dtype=np.float32)
    whole = np.asarray(a)
    for scheduler in ("sync", "threads"):
        assert same(a.to_dask((7, 9)).compute(scheduler=scheduler), whole)
    with dask.config.set(scheduler="processes", num_workers=2):  # pickled copies, in other processes
        assert same(a.to_dask((7, 9)).compute(), whole)
        b = spa.integers(SEED, (5000,), 0, 10)
        assert same(b.to_dask(1000).compute(), np.asarray(b))
    # Dask names the graph after the array: equal arrays, equal keys; others, other keys.
    assert spa.normal(SEED, (10,)).to_dask(5).name == spa.normal(SEED, (10,)).to_dask(5).name
    names = {spa.normal(SEED + 1, (10,)).to_dask(5).name, spa.normal(SEED, (10,), 1.0).to_dask(5).name,
             spa.normal(SEED, (11,)).to_dask(5).name, spa.random(SEED, (10,)).to_dask(5).name,
             spa.normal(SEED, (10,)).to_dask(5).name, spa.normal(SEED, (10,)).to_dask(2).name}
    assert len(names) == 6


def test_dask_graph_chunks_of_one_element():
    pytest.importorskip("dask.array")
    a = spa.random(SEED, (20, 3))
    d = a.to_dask(1)
    assert d.npartitions == 60
    assert same(d.compute(), np.asarray(a))


LOCAL_CLUSTER = """
import hashlib, json, numpy as np
from distributed import Client, LocalCluster
import seedpool.array as spa
if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None) as cluster, \\
            Client(cluster) as client:
        out = {}
        for chunks in [(100, 100), (333, 77), "auto"]:
            a = spa.normal(2024, (1000, 900), dtype=np.float32).to_dask(chunks).compute()
            out[str(chunks)] = hashlib.sha256(a.tobytes()).hexdigest()
        print(json.dumps(out))
"""


@pytest.mark.slow
def test_local_cluster_computes_the_same_bits(tmp_path):
    pytest.importorskip("distributed")
    script = tmp_path / "cluster.py"
    script.write_text(LOCAL_CLUSTER)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240,
                          cwd=str(REPO), env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    hashes = json.loads(proc.stdout.strip().splitlines()[-1])
    local = hashlib.sha256(np.asarray(spa.normal(2024, (1000, 900), dtype=np.float32)).tobytes()).hexdigest()
    assert set(hashes.values()) == {local}, hashes


# -- threads and processes ------------------------------------------------------------------
@pytest.mark.parametrize("factory", [FACTORIES[0], FACTORIES[5], FACTORIES[8]], ids=[CASE_IDS[i] for i in (0, 5, 8)])
def test_threads_give_the_same_bits(factory, monkeypatch):
    a = factory(SEED, (4096 * 700,))  # 700 tiles: several batches for every thread
    b = factory(SEED, (300, 1100))
    seen: set[int] = set()
    run = _tiles._TileWorker.run
    # The first two threads to draw wait for each other: with one drawing thread the wait
    # times out and the call fails. Without it, a loaded machine may let the first thread
    # take every batch before the second is scheduled (CI's 3.10 leg once did).
    meeting: dict = {"barrier": None, "arrived": 0}
    lock = threading.Lock()

    def recording(self, *args, **kwargs):
        me = threading.get_ident()
        with lock:
            first_time = me not in seen
            seen.add(me)
            if first_time:
                meeting["arrived"] += 1
            wait = first_time and meeting["barrier"] is not None and meeting["arrived"] <= 2
        if wait:
            meeting["barrier"].wait()
        return run(self, *args, **kwargs)

    monkeypatch.setattr(_tiles._TileWorker, "run", recording)
    one = a.to_numpy(threads=1)
    assert seen == {threading.get_ident()}
    for k in (2, 4):
        seen.clear()
        meeting.update(barrier=threading.Barrier(2, timeout=60), arrived=0)
        assert same(a.to_numpy(threads=k), one)
        assert 2 <= len(seen) <= k and threading.get_ident() not in seen
    meeting["barrier"] = None
    assert same(b.to_numpy(threads=4), b.to_numpy(threads=1))
    assert same(b.to_numpy(threads=3), reference(b))


def test_one_array_shared_by_many_threads(monkeypatch):
    # Dask's threaded scheduler draws chunks of one array at once: small blocks share the
    # array's key cache, here kept to two groups so that threads evict each other's.
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(_tiles, "_MAX_GROUPS", 2)
    a = spa.normal(SEED, (4096 * 600,), dtype=np.float32)
    whole = a.to_numpy(threads=2)
    rng = np.random.default_rng(1)
    starts = rng.integers(0, len(whole) - 5000, 400)
    with ThreadPoolExecutor(8) as pool:
        parts = list(pool.map(lambda s: a[s:s + 5000], starts))
    assert all(same(p, whole[s:s + 5000]) for p, s in zip(parts, starts))
    assert len(a._cache.groups) <= 2


def test_another_process_and_a_pickled_copy_agree():
    a = spa.uniform(SeedTree("experiment").child("init", "layer3"), (300, 500), -1.0, 1.0, dtype=np.float32)
    blob = base64.b64encode(pickle.dumps(a)).decode()
    code = textwrap.dedent(f"""
        import base64, hashlib, pickle, numpy as np
        import seedpool.array as spa
        from seedpool import SeedTree
        a = pickle.loads(base64.b64decode({blob!r}))
        b = spa.uniform(SeedTree("experiment").child("init", "layer3"), (300, 500), -1.0, 1.0, dtype=np.float32)
        print(hashlib.sha256(a[7:290, 3::4].tobytes()).hexdigest(), hashlib.sha256(np.asarray(b).tobytes()).hexdigest())
    """)
    sliced, whole = run_python(code).split()
    assert sliced == hashlib.sha256(np.asarray(a)[7:290, 3::4].tobytes()).hexdigest()
    assert whole == hashlib.sha256(np.asarray(a).tobytes()).hexdigest()


# -- memory -----------------------------------------------------------------------------------
@pytest.mark.parametrize("factory, shape, index", [
    (FACTORIES[4], (2**21,), np.s_[123:-5]),
    (FACTORIES[4], (2**23,), np.s_[123:-5]),
    (FACTORIES[1], (1500, 1500), np.s_[5:1400, 7:]),
    (FACTORIES[8], (100, 100, 100), np.s_[3:, 1:, ::2]),
    (FACTORIES[11], (3, 2**19), np.s_[:, 5:]),
], ids=["normal-1d", "normal-1d-4x", "random-f32-2d", "integers-3d", "bits-u16-long-rows"])
def test_a_block_allocates_a_tile_and_fixed_bookkeeping_beyond_itself(factory, shape, index):
    a = factory(SEED, shape)
    a[index]  # numpy's one-time caches and the sampler check are not the block's
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = a[index]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tile_bytes = int(np.prod(_tiles.tile_shape(a.ndim, a._sampler.bits))) * a.dtype.itemsize
    # One tile of scratch (+ one for integers and bits: numpy's sampler returns a new
    # array), plus bookkeeping for one batch of 128 tiles, whatever the block's size.
    assert peak - out.nbytes <= 2 * tile_bytes + 160_000, (peak - out.nbytes, out.nbytes)


# -- statistics ------------------------------------------------------------------------------
N = 10**6


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_distributions_are_right(dtype):
    stats = pytest.importorskip("scipy.stats")
    # kstest against the standard distributions, the data standardised here: scipy 1.18's
    # kstest passes args=(loc, scale) to special.ndtr, which takes none of them.
    tol = 6 / np.sqrt(N)  # six standard errors of a unit-variance mean
    u = np.asarray(spa.random(SEED, (1000, 1000), dtype=dtype), dtype=np.float64).ravel()
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < tol / np.sqrt(12) and abs(u.var() - 1 / 12) < 2 * tol / 12
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    w = np.asarray(spa.uniform(SEED + 1, N, -3.0, 5.0, dtype=dtype), dtype=np.float64)
    assert w.min() >= -3 and w.max() <= 5
    assert stats.kstest((w + 3) / 8, "uniform").pvalue > 1e-3
    z = np.asarray(spa.normal(SEED, (100, 100, 100), dtype=dtype), dtype=np.float64).ravel()
    assert abs(z.mean()) < tol and abs(z.var() - 1) < 3 * tol
    assert abs(stats.skew(z)) < 4 * tol and abs(stats.kurtosis(z)) < 8 * tol
    assert stats.kstest(z, "norm").pvalue > 1e-3
    y = np.asarray(spa.normal(SEED + 2, N, loc=10.0, scale=3.0, dtype=dtype), dtype=np.float64)
    assert abs(y.mean() - 10) < 3 * tol and stats.kstest((y - 10) / 3, "norm").pvalue > 1e-3
    e = np.asarray(spa.standard_exponential(SEED, N, dtype=dtype), dtype=np.float64)
    assert e.min() >= 0 and abs(e.mean() - 1) < tol and abs(e.var() - 1) < 4 * tol
    assert stats.kstest(e, "expon").pvalue > 1e-3


def test_integers_and_bits_are_uniform():
    stats = pytest.importorskip("scipy.stats")
    dice = np.asarray(spa.integers(SEED, (1000, 1000), 1, 7))
    counts = np.bincount(dice.ravel(), minlength=7)[1:]
    assert counts.sum() == N and stats.chisquare(counts).pvalue > 1e-3
    wide = np.asarray(spa.integers(SEED, N, -(2**62), 2**62))
    assert stats.kstest((wide / 2.0**62 + 1) / 2, "uniform").pvalue > 1e-3
    for dtype in (np.uint8, np.uint64):
        b = np.asarray(spa.bits(SEED, N, dtype=dtype))
        ones = np.unpackbits(b.view(np.uint8)).reshape(N, -1).mean(axis=0)  # every bit position
        assert np.all(np.abs(ones - 0.5) < 6 * 0.5 / np.sqrt(N)), ones


def test_tiles_are_independent_of_each_other():
    # The same position in 20,000 different tiles (1-d) and 22,500 (2-d): i.i.d. draws.
    stats = pytest.importorskip("scipy.stats")
    first = spa.random(SEED, 4096 * 20000)[::4096]
    assert stats.kstest(first, "uniform").pvalue > 1e-3
    corner = spa.normal(SEED, (64 * 150, 64 * 150))[::64, ::64].ravel()
    assert stats.kstest(corner, "norm").pvalue > 1e-3
    # neighbours across a tile boundary are uncorrelated
    a = spa.normal(SEED, 4096 * 5000)
    last, nxt = a[4095::4096], a[4096::4096]
    r = np.corrcoef(last[:len(nxt)], nxt)[0, 1]
    assert abs(r) < 6 / np.sqrt(len(nxt))


def test_distinct_seeds_and_key_paths_are_unrelated():
    root = SeedTree(SEED)
    arrays = {
        "seed": spa.normal(SEED, N),
        "seed+1": spa.normal(SEED + 1, N),
        "child a": spa.normal(root.child("a"), N),
        "child b": spa.normal(root.child("b"), N),
        "float32": spa.normal(SEED, N, dtype=np.float32),
        "random": spa.random(SEED, N),
        "exponential": spa.standard_exponential(SEED, N),
    }
    values = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}
    for (ka, va), (kb, vb) in itertools.combinations(values.items(), 2):
        assert abs(np.corrcoef(va, vb)[0, 1]) < 6 / np.sqrt(N), (ka, kb)
    # but the parameters transform one standard array, as numpy's do
    assert same(np.asarray(spa.random(SEED, 100)), np.asarray(spa.uniform(SEED, 100)))
    z = np.asarray(spa.normal(SEED, 100))
    assert same(np.asarray(spa.normal(SEED, 100, 3.0, 2.0)), z * 2.0 + 3.0)


# -- uniform_at --------------------------------------------------------------------------------
def _label_reference(seed, label) -> float:
    node = SeedTree(seed).child("labels", "uniform")
    if isinstance(label, str):
        h = int.from_bytes(hashlib.blake2b(label.encode(), digest_size=16).digest(), "little")
        path = (2, *((h >> (31 * k)) & 0x7FFFFFFF for k in range(4)))
    else:
        u = label % 2**64
        path = (1 if label >= 2**63 else 0, u & 0x7FFFFFFF, (u >> 31) & 0x7FFFFFFF, u >> 62)
    word = int(node.child(*path).generate_state(1, np.uint64)[0])
    return (word >> 11) * 2.0**-53


def test_uniform_at_is_the_documented_key():
    labels = [0, 5, -1, -(2**63), 2**63 - 1, 2**63, 2**64 - 1, "", "a", "é", "row-17", 10**12]
    got = spa.uniform_at(SEED, labels)
    assert got.tolist() == [_label_reference(SEED, x) for x in labels]
    assert len(set(got.tolist())) == len(labels)


def test_uniform_at_depends_on_the_label_only():
    rng = np.random.default_rng(0)
    ids = rng.integers(-(10**15), 10**15, 50_000)
    whole = spa.uniform_at(SEED, ids)
    perm = rng.permutation(len(ids))
    assert same(spa.uniform_at(SEED, ids[perm]), whole[perm])
    parts = np.concatenate([spa.uniform_at(SEED, part) for part in np.array_split(ids, 7)])
    assert same(parts, whole)
    # int types agree; an int and its str do not
    small = np.arange(120)  # fits every int dtype
    u = spa.uniform_at(SEED, small)
    for dt in (np.int8, np.uint8, np.int32, np.uint64):
        assert same(spa.uniform_at(SEED, small.astype(dt)), u)
    assert same(spa.uniform_at(SEED, small.tolist()), u)
    assert same(spa.uniform_at(SEED, np.array(small, dtype=object)), u)
    assert not np.any(spa.uniform_at(SEED, [str(i) for i in small]) == u)
    words = ["alpha", "beta", "gamma"]
    assert same(spa.uniform_at(SEED, np.array(words)), spa.uniform_at(SEED, words))
    mixed = spa.uniform_at(SEED, ["alpha", 3, "beta", 4])
    assert mixed.tolist() == [*spa.uniform_at(SEED, ["alpha"]), u[3], *spa.uniform_at(SEED, ["beta"]), u[4]]
    assert spa.uniform_at(SEED, small.reshape(12, 10)).shape == (12, 10)
    assert not np.any(spa.uniform_at(SEED + 1, small) == u)
    stats = pytest.importorskip("scipy.stats")
    assert stats.kstest(spa.uniform_at(SEED, np.arange(N)), "uniform").pvalue > 1e-3


@pytest.mark.parametrize("labels, error, match", [
    ([1.5], TypeError, r"labels must be ints or strings \(got 1.5 of type float at position 0\)"),
    ([1, True], TypeError, r"labels must be ints or strings \(got True of type bool at position 1\)"),
    (["a", None], TypeError, r"got None of type NoneType at position 1"),
    ([2**64], ValueError, r"an int label must lie in \[-2\*\*63, 2\*\*64\)"),
    ([-(2**63) - 1], ValueError, r"position 0"),
    (np.array([0.5, 1.0]), TypeError, r"labels must be ints or strings \(got an array of dtype float64\)"),
    (np.array([True]), TypeError, r"dtype bool"),
    ("abc", TypeError, r"labels must be a sequence or array .* wrap a single label in a list"),
    (5, TypeError, r"labels must be a sequence or array"),
])
def test_uniform_at_bad_labels(labels, error, match):
    with pytest.raises(error, match=match):
        spa.uniform_at(SEED, labels)


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, match", [
    (lambda: spa.normal(1, -3), ValueError, r"shape must not have negative dimensions \(got -3\)"),
    (lambda: spa.normal(1, (3, -1)), ValueError, r"shape must not have negative"),
    (lambda: spa.normal(1, 2.5), TypeError, r"shape must be an int or a sequence of ints \(got 2.5 of type float\)"),
    (lambda: spa.normal(1, (2, "3")), TypeError, r"shape must be an int or a sequence of ints"),
    (lambda: spa.normal(1, True), TypeError, r"shape must be an int or a sequence of ints, not a bool"),
    (lambda: spa.normal(1, (4096 * 2**31 + 1,)), ValueError, r"shape .* is too large"),
    (lambda: spa.normal(1, 3, dtype=np.int64), ValueError, r"dtype must be numpy.float32 or numpy.float64 \(got int64\)"),
    (lambda: spa.random(1, 3, dtype=np.float16), ValueError, r"dtype must be numpy.float32 or numpy.float64"),
    (lambda: spa.random(1, 3, dtype="nonsense"), TypeError, r"dtype must be a numpy dtype"),
    (lambda: spa.normal(1, 3, scale=-1.0), ValueError, r"scale must be non-negative \(got -1.0\)"),
    (lambda: spa.normal(1, 3, loc=float("nan")), ValueError, r"loc must be finite \(got nan\)"),
    (lambda: spa.normal(1, 3, loc="0"), TypeError, r"loc must be a real number \(got '0' of type str\)"),
    (lambda: spa.uniform(1, 3, 2.0, 1.0), ValueError, r"high must be >= low \(got low=2.0, high=1.0\)"),
    (lambda: spa.uniform(1, 3, -1e308, 1e308), ValueError, r"high - low must be finite"),
    (lambda: spa.uniform(1, 3, high=True), TypeError, r"high must be a real number"),
    (lambda: spa.integers(1, 3, 5, 5), ValueError, r"high must be > low \(got low=5, high=5\)"),
    (lambda: spa.integers(1, 3, 0, 300, dtype=np.uint8), ValueError, r"low and high must lie within uint8"),
    (lambda: spa.integers(1, 3, -1, 3, dtype=np.uint8), ValueError, r"within uint8"),
    (lambda: spa.integers(1, 3, 0.5, 3), TypeError, r"low must be an int \(got 0.5 of type float\)"),
    (lambda: spa.integers(1, 3, 0, 3, dtype=np.float64), ValueError, r"dtype must be a numpy integer dtype"),
    (lambda: spa.bits(1, 3, dtype=np.int64), ValueError, r"dtype must be an unsigned integer dtype"),
    (lambda: spa.normal(-1, 3), ValueError, r"seed must be non-negative"),
    (lambda: spa.normal(1.5, 3), TypeError, r"seed must be a non-negative int, not a float"),
    (lambda: spa.normal(1, 3).to_numpy(threads=0), ValueError, r"threads must be a positive int or None \(got 0\)"),
    (lambda: spa.normal(1, 3).to_numpy(threads="2"), TypeError, r"threads must be an int \(got '2' of type str\)"),
    (lambda: spa.normal(1, (3, 4))[[0, 1]], TypeError, r"basic indexing only"),
    (lambda: spa.normal(1, (3, 4))[np.array([0, 1])], TypeError, r"basic indexing only"),
    (lambda: spa.normal(1, (3, 4))[True], TypeError, r"not a bool"),
    (lambda: spa.normal(1, (3, 4))[3], IndexError, r"index 3 is out of bounds for axis 0 with size 3"),
    (lambda: spa.normal(1, (3, 4))[0, -5], IndexError, r"index -5 is out of bounds for axis 1 with size 4"),
    (lambda: spa.normal(1, (3, 4))[0, 0, 0], IndexError, r"too many indices"),
    (lambda: spa.normal(1, (3, 4))[..., 0, ...], IndexError, r"single ellipsis"),
    (lambda: np.asarray(spa.normal(1, 3), copy=False), ValueError, r"cannot be viewed without a copy"),
    (lambda: len(spa.normal(1, ())), TypeError, r"len\(\) of a 0-d RandomArray"),
])
def test_bad_input_is_refused_with_a_named_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_attributes_and_numpy_protocol():
    root = SeedTree(SEED).child("init", "layer3")
    a = spa.normal(root, (3, 4), dtype=np.float32)
    assert (a.shape, a.ndim, a.size, a.nbytes, len(a)) == ((3, 4), 2, 12, 48, 3)
    assert a.dtype == np.float32 and a.root == root
    assert a.node == root.child("array", "normal", "float32", 2)
    assert "normal" in repr(a) and "(3, 4)" in repr(a)
    assert np.asarray(a, dtype=np.float64).dtype == np.float64
    assert same(np.array(a), np.asarray(a))
    assert spa.normal(1, np.int64(5)).shape == (5,) and spa.normal(1, np.array([2, 3])).shape == (2, 3)
    assert spa.normal(1, 3, dtype=">f8").dtype == np.dtype("float64")  # drawn in native order
    fresh = spa.random(None, 10)  # None: fresh entropy, fixed for the array's life
    assert same(fresh[:], fresh[:]) and isinstance(fresh.root.entropy, int)


def test_import_seedpool_array_loads_no_dask_or_pandas():
    out = run_python(
        "import sys, seedpool.array as spa, seedpool\n"
        "spa.normal(1, (5, 5))[:]; spa.uniform_at(1, ['a', 2])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'pandas', 'pyarrow')))"
    )
    assert out.strip() == "[]"
