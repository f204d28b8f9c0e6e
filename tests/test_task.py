"""task_scope: lazy per-block seeding, exact restore, nesting -- compared with fresh processes."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

import seedpool
from conftest import run_python
from seedpool._derive.bulk import BlockWords, words_for_indices
from seedpool._task.task import task_scope

ROOT = seedpool.SeedTree(3)


def _outside():
    return (random.random(), float(np.random.random()), random.gauss(0, 1), float(np.random.randn()))


def _prime():
    seedpool.seed_everything(1)
    np.random.randn(3)  # leaves a cached second normal in numpy's RandomState
    random.gauss(0, 1)  # and in random's gauss_next


def _block():
    return (random.random(), float(np.random.random()), float(seedpool.rng().random()), random.gauss(0, 1),
            float(np.random.randn()))


def test_restore_leaves_every_outside_stream_exactly_as_it_was():
    _prime()
    untouched = _outside()
    _prime()
    with task_scope(ROOT.child(1), restore=True):
        _block()
        with task_scope(ROOT.child(2)):  # nested, inherits restore
            _block()
    assert _outside() == untouched


def test_scope_values_are_the_documented_children_and_match_a_fresh_process():
    with task_scope(ROOT.child("samples", 0, 5)):
        here = _block()[:3]
    node = ROOT.child("samples", 0, 5)
    from seedpool._state.backends import words_to_int

    assert here == (
        random.Random(words_to_int(node.child("python").generate_state(4))).random(),
        float(np.random.RandomState(node.child("numpy").generate_state(4)).random_sample()),
        float(node.child("rng").generator().random()),
    )
    code = (
        "import json, random, numpy as np, seedpool\n"
        "from seedpool._task.task import task_scope\n"
        "np.random.random(); random.random()\n"
        "with task_scope(seedpool.SeedTree(3).child('samples', 0, 5)):\n"
        "    print(json.dumps([random.random(), float(np.random.random()), float(seedpool.rng().random())]))\n"
    )
    assert tuple(json.loads(run_python(code))) == here


@pytest.mark.parametrize("parent", [ROOT.child("samples", 2), seedpool.SeedTree(2**200 + 9).child("x", 1, "y"),
                                    seedpool.SeedTree("a text seed")])
def test_bulk_words_equal_scalar_words(parent):
    # Small batches derive every backend in one pass (states_many), for roots of any
    # entropy length and nodes at any depth (the hashmix constants depend on both).
    blocks = BlockWords(parent)
    batch = words_for_indices(parent, [70, 3, 3, 511])
    for index, words in zip([70, 3, 3, 511], batch):
        for name in ("python", "numpy", "rng", "torch", "tensorflow"):
            expected = parent.child(index, name).generate_state(8)
            assert (blocks.get(index, name) == expected).all()
            assert (words(name) == expected).all()


def test_a_block_that_draws_nothing_changes_nothing():
    _prime()
    untouched = _outside()
    _prime()
    with task_scope(ROOT.child(9)):
        pass
    assert _outside() == untouched


def test_seeding_side_effects_of_framework_backends_touch_neither_stream():
    # Keras' set_random_seed also calls random.seed / np.random.seed; seedpool runs it
    # inside _lazy.scratch(). Simulate that here with the real hooks.
    from seedpool._state import scopes as _lazy
    from seedpool._state.backends import words_to_int

    _prime()
    untouched = _outside()
    _prime()
    node = ROOT.child(4)
    with task_scope(node, restore=True):
        with _lazy.scratch():
            random.seed(5)
            np.random.seed(5)
        inside = (random.random(), float(np.random.random()))
    assert inside == (
        random.Random(words_to_int(node.child("python").generate_state(4))).random(),
        float(np.random.RandomState(node.child("numpy").generate_state(4)).random_sample()),
    )
    assert _outside() == untouched


def test_bulk_words_equal_scalar_words_for_every_request_order():
    # BlockWords derives ranges that grow while a worker walks a call's indices; the
    # words must not depend on the order of requests (chunks, strided workers, jumps).
    parent = ROOT.child("tasks", 4)
    rng = random.Random(5)
    orders = [list(range(0, 700)), list(range(3, 1500, 7)), [rng.randrange(2**31) for _ in range(20)],
              list(range(2**31 - 40, 2**31)), list(range(90, 0, -3))]
    for order in orders:
        blocks = BlockWords(parent)
        for k, index in enumerate(order):
            name = ("python", "numpy", "rng")[k % 3]
            if k % 11 == 0 or len(order) < 100:
                assert (blocks.get(index, name) == parent.child(index, name).generate_state(8)).all(), index
            else:
                blocks.get(index, name)
        # and every index of the walk again, against numpy
        for index in order[::13]:
            assert (blocks.get(index, "numpy") == parent.child(index, "numpy").generate_state(8)).all()


def test_module_level_numpy_seed_does_not_hand_out_the_global_generator():
    # np.random.seed is a module function that reads mtrand._rand._bit_generator; through
    # the hooks' facade that read used to count as handing the MT19937 out, after which
    # every task of a pool worker seeded numpy at its start (a reseed per no-op task).
    code = (
        "import numpy as np, seedpool\n"
        "from seedpool._state import hooks, scopes as _lazy\n"
        "hooks.install()\n"
        "np.random.seed(7); a = np.random.random()\n"
        "print(_lazy._P.bitgen_out, a == np.random.RandomState(7).random())\n"
        "np.random.get_bit_generator()\n"
        "print(_lazy._P.bitgen_out)\n"
    )
    assert run_python(code).split() == ["False", "True", "True"]
