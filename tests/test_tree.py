"""SeedTree: purity, numpy compatibility, golden vectors, pickling, bad input."""

from __future__ import annotations

import json
import pickle
import random

import numpy as np
import pytest

from conftest import run_python
from seedpool import SeedTree

# Golden vectors: generate_state(2) of the root, child(3) and child("tasks", 5).
# They freeze the derivation scheme (key encoding, str hashing). Changing any of them is
# a breaking change for every user who replays a recorded run.
GOLDEN = {
    0: ([2968811710, 3677149159], [3685993406, 3082302701], [2148526608, 2914527370]),
    42: ([3444837047, 2669555309], [3276785861, 872644253], [597598983, 3665300630]),
    2**100 + 7: ([1523537530, 7724331], [3797378635, 2112115537], [1957487499, 957220434]),
    (1, 2, 3): ([3822189696, 3026158655], [903287762, 811511407], [2635056033, 355337954]),
    "seedpool": ([3720270060, 3031121883], [3219874889, 437064796], [2219602028, 4134634972]),
}


@pytest.mark.parametrize("seed", list(GOLDEN), ids=repr)
def test_golden_vectors(seed):
    tree = SeedTree(seed)
    root, child3, tasks5 = GOLDEN[seed]
    assert tree.generate_state(2).tolist() == root
    assert tree.child(3).generate_state(2).tolist() == child3
    assert tree.child("tasks", 5).generate_state(2).tolist() == tasks5


@pytest.mark.parametrize("seed", [0, 7, 2**64 + 1, 2**127, [3, 1, 4, 1, 5]])
def test_int_children_equal_numpy_spawn(seed):
    spawned = np.random.SeedSequence(seed).spawn(5)
    for i, ss in enumerate(spawned):
        ours = SeedTree(seed).child(i).seed_sequence
        assert (ours.generate_state(8) == ss.generate_state(8)).all()
    # grandchildren too: numpy spawns append to the spawn key
    grand = np.random.SeedSequence(seed).spawn(3)[2].spawn(2)[1]
    assert (SeedTree(seed).child(2, 1).generate_state(4) == grand.generate_state(4)).all()


def test_child_is_pure_and_order_independent():
    a = SeedTree(11)
    before = a.child("x", 9).generate_state(4)
    for i in range(50):
        a.child(i)
    a.spawn(7)
    a.child("y").child("z")
    assert (a.child("x", 9).generate_state(4) == before).all()
    assert (SeedTree(11).child("x").child(9).generate_state(4) == before).all()


def test_children_are_distinct():
    tree = SeedTree(5)
    nodes = [tree.child(i) for i in range(300)] + [tree.child(str(i)) for i in range(300)]
    nodes += [tree.child(i, j) for i in range(20) for j in range(20)]
    states = {tuple(n.generate_state(4).tolist()) for n in nodes}
    assert len(states) == len(nodes)


def test_str_and_int_keys_never_collide():
    # A str key encodes to words with the top bit set; int keys stay below 2**31.
    tree = SeedTree(1)
    s = tree.child("a")
    words = s._words
    assert all(w >= 2**31 for w in words)
    assert tree.child(*[w & 0x7FFFFFFF for w in words]) != s


def test_spawn_is_stateful_like_numpy():
    tree = SeedTree(3)
    ss = np.random.SeedSequence(3)
    first, second = tree.spawn(2), tree.spawn(1)
    nfirst, nsecond = ss.spawn(2), ss.spawn(1)
    assert second[0].path == (2,)
    for ours, theirs in zip(first + second, nfirst + nsecond):
        assert (ours.generate_state(4) == theirs.generate_state(4)).all()
    assert tree.n_children_spawned == 3


def test_str_seed_is_stable_across_processes():
    # A fresh interpreter has another hash() salt: the derivation must not depend on it.
    code = (
        "from seedpool import SeedTree\n"
        "print(SeedTree('experiment-7').child('worker', 2).uint64(), SeedTree(b'raw').uint32())"
    )
    outs = {run_python(code, env={"PYTHONHASHSEED": str(s)}) for s in (1, 2)}
    here = f"{SeedTree('experiment-7').child('worker', 2).uint64()} {SeedTree(b'raw').uint32()}\n"
    assert outs == {here}


def test_str_seed_hash_is_documented_blake2b():
    import hashlib

    expected = int.from_bytes(hashlib.blake2b(b"abc", digest_size=16).digest(), "big")
    assert SeedTree("abc").entropy == expected == SeedTree(b"abc").entropy


def test_none_draws_fresh_entropy_that_replays():
    a, b = SeedTree(), SeedTree()
    assert a.entropy != b.entropy
    assert a.entropy.bit_length() <= 128
    replay = SeedTree(a.entropy).child(4)
    assert (replay.generate_state(4) == a.child(4).generate_state(4)).all()


def test_from_seedsequence_and_tree():
    ss = np.random.SeedSequence(99).spawn(3)[1]
    tree = SeedTree(ss)
    assert tree.path == (1,)
    assert (tree.generate_state(4) == ss.generate_state(4)).all()
    assert SeedTree(tree) == tree


def test_pickle_equality_hash_repr():
    node = SeedTree(2**70 + 5).child("a", 3)
    clone = pickle.loads(pickle.dumps(node))
    assert clone == node and hash(clone) == hash(node)
    assert (clone.generate_state(4) == node.generate_state(4)).all()
    assert clone != SeedTree(2**70 + 5).child("a", 4)
    assert repr(node) == f"SeedTree(entropy={2**70 + 5}, path=('a', 3))"
    assert len({node, clone, node.child()}) == 1


def test_outputs_are_independent_streams():
    node = SeedTree(8)
    gen = node.generator()
    assert isinstance(gen, np.random.Generator)
    assert gen.random() == node.generator().random()
    assert 0 <= node.uint32() < 2**32 and 0 <= node.uint64() < 2**64
    tf_seed = node.tf_seed()
    assert tf_seed.dtype == np.int64 and tf_seed.shape == (2,)
    r = node.random()
    assert isinstance(r, random.Random) and r.random() == node.random().random()


@pytest.mark.parametrize("suffix", [(), ("numpy",), (7, "x")])
@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_child_states_equal_one_by_one(suffix, dtype):
    node = SeedTree(2**90 + 1).child("tasks", 3)
    idx = np.array([0, 1, 2, 1000, 2**31 - 1, 77])
    bulk = node.child_states(idx, *suffix, n_words=5, dtype=dtype)
    one_by_one = np.array([node.child(int(i), *suffix).generate_state(5, dtype) for i in idx])
    assert bulk.dtype == np.dtype(dtype)
    assert (bulk == one_by_one).all()
    assert (SeedTree(4).child_states(range(3)) == SeedTree(4).child_states(np.arange(3))).all()


BAD_SEEDS = [
    (-1, ValueError, "non-negative"),
    (1.5, TypeError, "float"),
    (2.0, TypeError, "float"),
    (1j, TypeError, "complex"),
    (True, TypeError, "bool"),
    ([1, None], TypeError, r"seed\[1\] is None"),
    ([1, -2], ValueError, r"seed\[1\]"),
    ([], ValueError, "empty"),
    (object(), TypeError, "object"),
    ({"a": 1}, TypeError, "dict"),
]


@pytest.mark.parametrize("seed,exc,match", BAD_SEEDS, ids=[repr(b[0])[:20] for b in BAD_SEEDS])
def test_bad_seeds_are_refused(seed, exc, match):
    with pytest.raises(exc, match=match):
        SeedTree(seed)


@pytest.mark.parametrize(
    "key,exc",
    [(-1, ValueError), (2**31, ValueError), (1.0, TypeError), (True, TypeError), (None, TypeError), (b"x", TypeError)],
)
def test_bad_keys_are_refused(key, exc):
    with pytest.raises(exc, match="key"):
        SeedTree(0).child(key)


def test_bad_bulk_arguments():
    with pytest.raises(ValueError, match=r"\[0, 2\*\*31\)"):
        SeedTree(0).child_states([-1])
    with pytest.raises(TypeError, match="1-D"):
        SeedTree(0).child_states([[1, 2]])
    with pytest.raises(ValueError, match="dtype"):
        SeedTree(0).child_states([1], dtype=np.int64)


def test_bad_spawn_arguments():
    with pytest.raises(ValueError, match="non-negative"):
        SeedTree(0).spawn(-1)
    with pytest.raises(TypeError, match="int"):
        SeedTree(0).spawn(2.0)


def test_json_roundtrip_of_entropy_and_path():
    node = SeedTree([5, 2**40]).child("a", 2)
    data = json.loads(json.dumps({"entropy": list(node.entropy), "path": list(node.path)}))
    assert SeedTree(tuple(data["entropy"])).child(*data["path"]) == node


def test_child_state_is_numpys_generate_state_bit_for_bit():
    # seedpool._derive.bulk.child_state: a node's backend words in plain integers from its
    # parent's cached pool (task_scope, a pool's single task) -- exact against numpy.
    import random

    from seedpool._derive.bulk import _suffix, child_state

    rnd = random.Random(7)
    for _ in range(1500):
        entropy = rnd.choice([0, 5, 2**127 + 3, (1, 2), (2**40, 7, 9, 11, 13),
                              rnd.getrandbits(rnd.randrange(1, 300))])
        path = [rnd.choice([rnd.randrange(2**31), "tasks", "samples", "x" * rnd.randrange(5)])
                for _ in range(rnd.randrange(1, 6))]
        node = SeedTree(entropy).child(*path)
        name = rnd.choice(["python", "numpy", "rng", "torch", "tensorflow"])
        n = rnd.choice([1, 4, 8, 16])
        assert (child_state(node, _suffix(name), n) == node.child(name).generate_state(n)).all(), (entropy, path)
