"""After-fork reseeding: forked children get distinct streams, the same on every run."""

from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest

from conftest import REPO, run_python
from seedpool import SeedTree
from seedpool._state.backends import words_to_int
from seedpool._state.fork import (
    fork_node,
    next_child_node,
    register_generator,
    reseed_after_fork,
    stop_reseed_after_fork,
    unregister_generator,
)

SCRIPT = REPO / "tests" / "scripts" / "fork_children.py"
pytestmark = pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="needs os.fork")


def _run(mode: str) -> dict:
    return json.loads(run_python(f"import runpy, sys; sys.argv = ['x', {mode!r}]; "
                                 f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')"))


@pytest.fixture(scope="module")
def on_runs() -> tuple:
    return _run("on"), _run("on")


@pytest.fixture(autouse=True)
def _off():
    yield
    stop_reseed_after_fork()


def test_raw_fork_children_distinct(on_runs):
    result = on_runs[0]
    rows = [tuple(c["draws"]) for c in result["children"]] + [tuple(result["children"][0]["grandchild"]["draws"])]
    # random, np.random, seedpool.rng() and the registered Generator: each column distinct
    for column in zip(*rows):
        assert len(set(column)) == len(rows), column
    # no child replays the parent's continuing streams (the numpy#9650 symptom)
    for row in rows:
        assert not set(row) & set(result["parent_next"])


def test_children_identical_across_runs(on_runs):
    first, second = on_runs
    assert first["children"] == second["children"]
    assert first["mp"] == second["mp"]


def test_children_keyed_by_fork_counter(on_runs):
    children = on_runs[0]["children"]
    # reseed_after_fork(5) was called twice: idempotent, so the keys start at 0
    assert [json.loads(c["env"])["path"] for c in children] == [["child", 0], ["child", 1], ["child", 2]]
    assert json.loads(children[0]["grandchild"]["env"])["path"] == ["child", 0, "child", 0]
    # child 1's `random` is seeded exactly from SeedTree(5).child("child", 1).child("python")
    expected = random.Random(words_to_int(SeedTree(5).child("child", 1).child("python").generate_state(4)))
    assert children[1]["draws"][0] == expected.random()


def test_multiprocessing_fork_children_distinct(on_runs):
    assert len(set(on_runs[0]["mp"])) == 2


def test_without_reseeding_children_replay_numpy():
    result = _run("off")
    numpy_draws = [c["draws"][1] for c in result["children"]]
    # the bug this feature fixes: every child draws the parent's next numpy value
    assert numpy_draws == [result["parent_next"][1]] * 3
    assert len(set(result["mp"])) == 1



def test_stop_then_child_inherits_parent_state():
    code = (
        "import os, json, numpy as np\n"
        "from seedpool._state.fork import reseed_after_fork, stop_reseed_after_fork\n"
        "np.random.seed(3); reseed_after_fork(1); stop_reseed_after_fork()\n"
        "r, w = os.pipe(); pid = os.fork()\n"
        "if pid == 0:\n    os.write(w, repr(np.random.random()).encode()); os._exit(0)\n"
        "os.close(w); child = float(os.read(r, 100)); os.waitpid(pid, 0)\n"
        "print(json.dumps([child, np.random.random()]))\n"
    )
    child, parent = json.loads(run_python(code))
    assert child == parent


def test_reseed_after_fork_idempotent_and_resets_on_new_root():
    assert reseed_after_fork(9) == SeedTree(9)
    assert next_child_node() == SeedTree(9).child("child", 0)
    reseed_after_fork(9)  # same root: the counter keeps going
    assert next_child_node() == SeedTree(9).child("child", 1)
    reseed_after_fork(10)  # another root: count from 0 under it
    assert next_child_node() == SeedTree(10).child("child", 0)


def test_register_generator_validates_and_unregisters():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        register_generator(np.random.RandomState(0))  # type: ignore[arg-type]
    gen = np.random.default_rng(0)
    assert register_generator(gen) is gen
    unregister_generator(gen)
    from seedpool._state import fork as _fork

    assert all(g is not gen for g in _fork._generators)


def test_stop_reports_off():
    reseed_after_fork(4)
    assert fork_node() == SeedTree(4)
    stop_reseed_after_fork()
    assert fork_node() is None
    assert next_child_node() is None
