"""seed_everything, backends, state capture/restore -- checked in separate processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import random

import numpy as np
import pytest

import seedpool
from conftest import run_python
from seedpool._state.backends import words_to_int

DRAW = (
    "import random, json, numpy as np, seedpool\n"
    "print(json.dumps([random.random(), float(np.random.random()), float(seedpool.rng().random())]))\n"
)


def test_seed_everything_seeds_each_backend_from_its_own_child():
    root = seedpool.seed_everything(2024)
    got = [random.random(), float(np.random.random()), float(seedpool.rng().random())]
    py = random.Random(words_to_int(root.child("python").generate_state(4))).random()
    npv = np.random.RandomState(root.child("numpy").generate_state(4)).random_sample()
    rng = root.child("rng").generator().random()
    assert got == [py, float(npv), float(rng)]
    assert len(set(got)) == 3  # not the same stream


def test_same_seed_same_values_in_separate_processes():
    code = "import seedpool\nseedpool.seed_everything('exp-1')\n" + DRAW
    a, b = run_python(code), run_python(code)
    assert a == b
    assert a != run_python(code.replace("exp-1", "exp-2"))


def _child_draw(queue):
    import seedpool as sp

    sp.seed_everything()  # no argument: lands on the parent's root
    queue.put([random.random(), float(np.random.random())])


def test_spawned_child_lands_on_the_same_root_with_no_argument():
    root = seedpool.seed_everything(31337)
    assert os.environ["SEEDPOOL_SEED"] == "31337"
    expected = [random.random(), float(np.random.random())]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child_draw, args=(queue,))
    proc.start()
    got = queue.get(timeout=60)
    proc.join(30)
    assert got == expected
    assert root == seedpool.SeedTree(31337)


def test_env_roundtrip_for_non_int_roots():
    from seedpool._state.seeding import tree_from_env, tree_to_env

    for tree in (seedpool.SeedTree("abc"), seedpool.SeedTree([1, 2]).child("x", 3), seedpool.SeedTree(5).child(1)):
        assert tree_from_env(tree_to_env(tree)) == tree
    with pytest.raises(ValueError, match="SEEDPOOL_SEED is malformed"):
        tree_from_env('{"entropy": 1}')


def test_get_and_set_state_rewind_every_backend():
    seedpool.seed_everything(1)
    state = seedpool.get_state()
    first = [random.random(), float(np.random.random()), float(seedpool.rng().random())]
    seedpool.set_state(state)
    assert [random.random(), float(np.random.random()), float(seedpool.rng().random())] == first


def test_state_restores_in_another_process():
    code = (
        "import pickle, sys, seedpool\n"
        "seedpool.seed_everything(8)\n"
        "sys.stdout.buffer.write(pickle.dumps(seedpool.get_state()))\n"
    )
    import pickle
    import subprocess
    import sys

    from conftest import REPO

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}).stdout
    seedpool.set_state(pickle.loads(out))
    got = [random.random(), float(np.random.random()), float(seedpool.rng().random())]
    seedpool.seed_everything(8)
    assert got == [random.random(), float(np.random.random()), float(seedpool.rng().random())]


def test_isolate_restores_outside_state_even_on_error():
    seedpool.seed_everything(3)
    with pytest.raises(KeyError):
        with seedpool.isolate(seed=99) as node:
            inside = random.random()
            raise KeyError
    after = random.random()
    seedpool.seed_everything(3)
    assert after == random.random()
    assert node == seedpool.SeedTree(99)
    with seedpool.isolate(seed=99):
        assert random.random() == inside


def test_bad_backends_and_states_are_refused_before_anything_changes():
    seedpool.seed_everything(4)
    before = random.getstate()
    with pytest.raises(ValueError, match="unknown backend 'jax'"):
        seedpool.seed_everything(5, backends=["python", "jax"])
    with pytest.raises(TypeError, match="backend names must be str"):
        seedpool.seed_everything(5, backends=[1])
    with pytest.raises(ValueError, match="non-negative"):
        seedpool.seed_everything(-5)
    assert random.getstate() == before
    with pytest.raises(TypeError, match="RNGState"):
        seedpool.set_state([1, 2])
    with pytest.raises(ValueError, match="unknown backends"):
        seedpool.set_state({"nope": 1})


def test_backends_are_listed_without_importing_frameworks():
    code = (
        "import sys, json, seedpool\n"
        "names = seedpool.available_backends()\n"
        "print(json.dumps([list(names), [m for m in ('tensorflow', 'torch') if m in sys.modules]]))\n"
    )
    names, loaded = json.loads(run_python(code))
    assert {"python", "numpy", "rng"} <= set(names)
    assert loaded == []


def test_seed_everything_seeds_torch_when_imported():
    pytest.importorskip("torch")
    code = (
        "import torch, seedpool\n"
        "seedpool.seed_everything(6)\n"
        "print(torch.rand(3).tolist())\n"
    )
    a, b = run_python(code), run_python(code)
    assert a == b and a != run_python(code.replace("(6)", "(7)"))


def test_rng_before_seeding_records_no_root():
    # rng()/get_state() in a fresh process must not quietly set SEEDPOOL_SEED: that would
    # change what Pool(seed=None) and every later child process do.
    code = (
        "import os, seedpool\n"
        "seedpool.rng().random(); seedpool.get_state()\n"
        "print(os.environ.get('SEEDPOOL_SEED'))\n"
    )
    assert run_python(code).strip() == "None"
