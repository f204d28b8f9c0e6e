"""seedpool.joblib: Parallel results independent of n_jobs, batching, backend and return_as.

Every scenario with worker processes runs in a fresh interpreter under a timeout (a hang
is a failure), and results are compared across interpreters, so a test can only pass if
the streams really are a function of (call, position).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

pytest.importorskip("joblib")

from conftest import REPO, run_python  # noqa: E402

TESTS = REPO / "tests"
ENV = {"PYTHONPATH": os.pathsep.join([str(REPO), str(TESTS)])}
SEED = 20261201


def run_json(code: str, *, env: dict | None = None, timeout: float = 300) -> object:
    """Run ``code`` in a fresh interpreter; its last stdout line is JSON."""
    out = run_python(code, env={**ENV, **(env or {})}, timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


def multiset(rows: list) -> Counter:
    return Counter(json.dumps(r) for r in rows)


# -- the identities ---------------------------------------------------------------------------
MATRIX = """
import json, seedpool
import joblib_tasks as T
from seedpool.joblib import Parallel, delayed
BACKEND = {backend!r}
xs = list(range(150))
with seedpool.Pool(2, seed={seed}) as pool:          # the reference: task i of calls 0 and 1
    ref = [pool.map(T.draw, xs), pool.map(T.draw_many, xs)]
out = {{"ref": ref, "runs": {{}}}}
for n_jobs in (1, 2, 4):
    for batch_size in ("auto", 1, 7):
        for pre_dispatch in ("2 * n_jobs", "all"):
            for return_as in ("list", "generator", "generator_unordered"):
                if (pre_dispatch == "all" or return_as != "list") and batch_size == 1:
                    continue  # keep the matrix affordable: the other sizes cover these
                if return_as != "list" and BACKEND == "multiprocessing":
                    continue  # joblib: "does not support return_as=generator"
                # One object, two calls: the call counter keys the second call as call 1.
                with Parallel(n_jobs=n_jobs, backend=BACKEND, batch_size=batch_size,
                              pre_dispatch=pre_dispatch, return_as=return_as, seed={seed}) as p:
                    first = list(p(delayed(T.draw)(x) for x in xs))
                    batches = p.n_dispatched_batches
                    second = list(p(delayed(T.draw_many)(x) for x in xs))
                key = f"{{n_jobs}}/{{batch_size}}/{{pre_dispatch}}/{{return_as}}"
                out["runs"][key] = [first, second, batches]
print(json.dumps(out))
"""


# The full product per process backend costs ~55 pools/executors in one interpreter; the
# matrix legs run it on the threading backend (the same dispatch, batching and return_as
# code in seedpool.joblib), and test_matches_pool_across_interpreters_and_backends still
# checks loky and multiprocessing against the Pool on every Python.
@pytest.mark.parametrize("backend", [pytest.param("loky", marks=pytest.mark.matrix_skip),
                                     pytest.param("multiprocessing", marks=pytest.mark.matrix_skip),
                                     "threading"])
def test_same_results_for_every_n_jobs_batch_size_pre_dispatch_and_return_as(backend):
    got = run_json(MATRIX.format(backend=backend, seed=SEED), timeout=600)
    ref = got["ref"]
    assert len(got["runs"]) >= 15
    batched = False
    for key, (first, second, batches) in got["runs"].items():
        if key.endswith("generator_unordered"):
            assert multiset(first) == multiset(ref[0]), key
            assert multiset(second) == multiset(ref[1]), key
        else:
            assert first == ref[0], key
            assert second == ref[1], key
        batched |= batches < len(first)
    assert batched  # some runs really bundled several calls per batch
    # The second call is a new draw, not a replay of the first.
    assert [r[1] for r in ref[0]] != [r[1] for r in ref[1]]


def test_matches_pool_across_interpreters_and_backends():
    code = f"""
import json, seedpool
import joblib_tasks as T
from seedpool.joblib import Parallel, delayed
xs = list(range(40))
rows = [Parallel(n_jobs=n, backend=b, seed={SEED})(delayed(T.draw)(x) for x in xs)
        for n, b in ((1, "loky"), (2, "loky"), (3, "multiprocessing"), (2, "threading"))]
print(json.dumps(rows))
"""
    a = run_json(code)
    b = run_json(code)
    assert a == b
    assert all(rows == a[0] for rows in a)
    import joblib_tasks as T

    import seedpool

    with seedpool.Pool(2, seed=SEED) as pool:
        assert pool.map(T.draw, range(40)) == [list(r) for r in a[0]]


def test_seed_words_are_the_pools_words():
    """Task i of call c gets exactly seedpool.Pool's words: checked on the words themselves."""
    import joblib_tasks as T
    import numpy as np

    from seedpool import SeedTree
    from seedpool._derive.keys import TASKS
    from seedpool._task.task import task_scope
    from seedpool.joblib import Parallel, delayed

    p = Parallel(n_jobs=1, seed=SEED)
    p(delayed(T.noop)(x) for x in range(3))  # call 0
    got = p(delayed(T.draw)(x) for x in range(5))  # call 1
    for i, row in enumerate(got):
        with task_scope(SeedTree(SEED).child(TASKS, 1, i)):
            assert row == T.draw(i)
    np.random.seed(0)  # leave the process's state as other tests expect


# matrix_skip: a control on plain joblib (no seedpool code), the same on every Python.
@pytest.mark.matrix_skip
def test_control_plain_joblib_depends_on_n_jobs():
    """Without seedpool the same program gives other numbers for other n_jobs."""
    code = """
import json, numpy as np, random
import joblib_tasks as T
from joblib import Parallel, delayed
out = []
for n_jobs in (1, 2):
    random.seed(0); np.random.seed(0)
    out.append(Parallel(n_jobs=n_jobs)(delayed(T.draw)(x) for x in range(20)))
print(json.dumps(out))
"""
    one, two = run_json(code)
    assert one != two
    assert sorted(r[2] for r in one) != sorted(r[2] for r in two)


# -- seedpool.joblib.seeded: plain joblib and scikit-learn --------------------------------------
def test_seeded_keys_plain_parallel_calls_like_pool_calls():
    code = f"""
import json, seedpool.joblib
import joblib_tasks as T
from joblib import Parallel, delayed
rows = []
for n_jobs, backend in ((1, "loky"), (2, "loky"), (2, "multiprocessing"), (4, "threading")):
    with seedpool.joblib.seeded({SEED}):
        a = Parallel(n_jobs=n_jobs, backend=backend, batch_size=3)(delayed(T.draw)(x) for x in range(30))
        b = Parallel(n_jobs=n_jobs, backend=backend)(delayed(T.draw_many)(x) for x in range(30))
    rows.append([a, b])
print(json.dumps(rows))
"""
    rows = run_json(code)
    assert all(r == rows[0] for r in rows)
    import joblib_tasks as T

    import seedpool

    with seedpool.Pool(2, seed=SEED) as pool:
        assert [pool.map(T.draw, range(30)), pool.map(T.draw_many, range(30))] == rows[0]


SKLEARN = """
import json, random, sys, numpy as np, seedpool, seedpool.joblib
import joblib_tasks as T
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.model_selection import GridSearchCV, cross_val_score
X, y = make_classification(120, 5, random_state=0)
seeded = {seeded}
out = {{}}
for k in (1, 2, 4):
    random.seed(123); np.random.seed(123)  # the caller's own state: the same for every k
    ctx = seedpool.joblib.seeded({seed}) if seeded else seedpool.isolate()
    with ctx:
        r = {{}}
        r["cross_val_score"] = cross_val_score(T.NoisyFit(), X, y, cv=4, n_jobs=k).tolist()
        if seeded:
            gs = GridSearchCV(T.NoisyFit(), {{"scale": [0.5, 1.0, 2.0]}}, cv=3, n_jobs=k).fit(X, y)
            r["grid"] = gs.cv_results_["mean_test_score"].tolist()
            est = T.NoisyPredict().fit(X, y)
            r["permutation"] = permutation_importance(est, X, y, n_repeats=3, n_jobs=k,
                                                      random_state=0).importances.tolist()
            # a forest (random_state=None: tree seeds from the task's np.random), its
            # own n_jobs nested inside cross_val_score's tasks
            r["forest_in_cv"] = cross_val_score(RandomForestClassifier(5, n_jobs=2), X, y, cv=3,
                                                n_jobs=k).tolist()
            np.random.seed(7)  # forest n_jobs at top level: tree seeds come from the caller
            r["forest"] = RandomForestClassifier(8, n_jobs=k).fit(X, y).predict_proba(X).tolist()
    out[k] = r
print(json.dumps(out))
"""


# matrix_skip: scikit-learn is one more joblib user; what differs between Pythons (the
# joblib hooks, loky workers) is checked by the joblib tests above on every leg, and
# these fits (three n_jobs, two fresh interpreters) cost minutes a leg.
@pytest.mark.slow
@pytest.mark.matrix_skip
def test_scikit_learn_calls_identical_for_every_n_jobs_and_across_runs():
    pytest.importorskip("sklearn")
    code = SKLEARN.format(seed=SEED, seeded=True)
    a = run_json(code, timeout=600)
    assert a["1"] == a["2"] == a["4"]
    assert len(set(a["1"]["cross_val_score"])) > 1  # scores really depend on the draws
    b = run_json(code, timeout=600)
    assert a == b


@pytest.mark.matrix_skip  # the control for the test above: runs where it runs
def test_control_cross_val_score_depends_on_n_jobs_without_seedpool():
    pytest.importorskip("sklearn")
    a = run_json(SKLEARN.format(seed=SEED, seeded=False), timeout=600)
    # Even with the caller's np.random seeded, n_jobs=1 (draws from the caller's stream)
    # and n_jobs=2 (draws in loky workers) disagree.
    assert a["1"]["cross_val_score"] != a["2"]["cross_val_score"]


# -- nesting, executor reuse, the caller's state ------------------------------------------------
# The matrix legs keep the loky-inside-a-worker case; the keying of inner tasks is the
# same code for a threading inner call (3.11 only: ~35 s of loky start-ups a leg).
@pytest.mark.parametrize("inner", [(1, "loky"), pytest.param((2, "threading"), marks=pytest.mark.matrix_skip)])
def test_nested_plain_calls_are_keyed_under_their_task(inner):
    code = f"""
inner = {inner!r}
import json, seedpool.joblib
import joblib_tasks as T
from seedpool.joblib import Parallel, delayed
rows = [Parallel(n_jobs=n, backend=b, seed={SEED})(delayed(T.nested)(x, *inner) for x in range(4))
        for n, b in ((1, "loky"), (2, "loky"), (2, "multiprocessing"))]
print(json.dumps(rows))
"""
    rows = run_json(code)
    assert rows[0] == rows[1] == rows[2]
    import joblib_tasks as T
    import numpy as np

    from seedpool import SeedTree
    from seedpool._derive.keys import TASKS
    from seedpool._task.task import task_scope

    # inner task j of outer task i: root.child("tasks", 0, i, "tasks", 0, j)
    for i, row in enumerate(rows[0]):
        for j, got in enumerate(row[2:]):
            with task_scope(SeedTree(SEED).child(TASKS, 0, i, TASKS, 0, j), restore=True):
                assert got == T.draw(j)
    np.random.seed(0)


# matrix_skip (this and the next two): seedpool's scope clean-up, seed=None and record
# paths are the same code on every Python and are checked per version for the Pool
# (test_pool, test_record); here each costs a fresh interpreter and loky start-ups
# (35-65 s a leg).
@pytest.mark.matrix_skip
def test_reused_loky_workers_do_not_carry_one_calls_keys_into_another():
    code = f"""
import json, joblib
import joblib_tasks as T
from seedpool.joblib import Parallel, delayed, seeded
first = Parallel(n_jobs=2, seed={SEED})(delayed(T.draw)(x) for x in range(40))
try:
    Parallel(n_jobs=2, seed=1)(delayed(T.fail_at)(x, 17) for x in range(40))
except ValueError as exc:
    failed = str(exc)
# plain joblib on the same (reused) workers: no seedpool scope left active in them
probes = joblib.Parallel(n_jobs=2)(joblib.delayed(T.probe)() for _ in range(40))
again = Parallel(n_jobs=2, seed={SEED})(delayed(T.draw)(x) for x in range(40))
print(json.dumps([first, failed, probes, again]))
"""
    first, failed, probes, again = run_json(code)
    assert failed == "task 17 fails"
    assert len({p[0] for p in probes}) >= 1
    assert all(p[1:] == [True, True, True] for p in probes)
    assert first == again


def test_n_jobs_1_leaves_the_callers_generators_alone():
    """Tasks run in the caller draw from spare generators: after the call the caller's
    random / np.random are where they were, as when workers ran the tasks."""
    import random

    import joblib
    import joblib_tasks as T
    import numpy as np

    from seedpool.joblib import Parallel, delayed, seeded

    def seeded_plain():
        with seeded(SEED):
            return joblib.Parallel(n_jobs=1)(joblib.delayed(T.draw)(x) for x in range(5))

    runs = [lambda: Parallel(n_jobs=1, seed=SEED)(delayed(T.draw)(x) for x in range(5)), seeded_plain]
    for run in runs:
        random.seed(5)
        np.random.seed(5)
        expected = (random.random(), float(np.random.random()))
        random.seed(5)
        np.random.seed(5)
        rows = run()
        assert (random.random(), float(np.random.random())) == expected
        assert rows[0][1] != expected[0]


def test_seeded_block_is_scoped_and_nests():
    import joblib
    import joblib_tasks as T

    import seedpool
    from seedpool.joblib import seeded

    def plain():
        return joblib.Parallel(n_jobs=1)(joblib.delayed(T.draw)(x) for x in range(3))

    with seeded(1) as root:
        assert root == seedpool.SeedTree(1)
        a = plain()
        with seeded(2):
            b = plain()
        a2 = plain()  # the outer block's call 1
    with seeded(1):
        assert plain() == a
        c1 = plain()
    with seeded(2):
        assert plain() == b
    assert a2 == c1
    assert plain() != plain()  # outside any block: unkeyed


# -- records, seed=None, bad input, import hygiene, seedpool run --pools -----------------------
@pytest.mark.matrix_skip
def test_task_nodes_are_recorded(tmp_path):
    record = tmp_path / "rec.jsonl"
    code = """
import json, seedpool
import joblib_tasks as T
from seedpool.joblib import Parallel, delayed
Parallel(n_jobs=2, seed=5)(delayed(T.noop)(x) for x in range(6))
Parallel(n_jobs=1, seed=5)(delayed(T.noop)(x) for x in range(3))
print(json.dumps(0))
"""
    run_json(code, env={"SEEDPOOL_RECORD": str(record)})
    lines = [json.loads(line)["consumer"] for line in record.read_text().splitlines() if "consumer" in line]
    tasks = sorted((tuple(c["path"]), c["task"]) for c in lines if c["kind"] == "task")
    expected = sorted([(("tasks", 0, i), i) for i in range(6)] + [(("tasks", 0, i), i) for i in range(3)])
    assert tasks == expected


@pytest.mark.matrix_skip
def test_seed_none_follows_the_process_root():
    code = """
import json, seedpool
import joblib_tasks as T
from seedpool.joblib import Parallel, delayed
seedpool.seed_everything(99)
a = Parallel(n_jobs=2)(delayed(T.draw)(x) for x in range(10))
with seedpool.Pool(2, seed=seedpool.SeedTree(99).child("pools", 0)) as pool:
    ref = pool.map(T.draw, range(10))
print(json.dumps([a, ref, Parallel(n_jobs=1).root == seedpool.SeedTree(99).child("pools", 1)]))
"""
    a, ref, second = run_json(code)
    assert a == ref
    assert second


def test_bad_seed_raises_before_anything_starts():
    from seedpool.joblib import Parallel, seeded

    with pytest.raises(ValueError, match="seed|key|negative"):
        Parallel(n_jobs=2, seed=-1)
    with pytest.raises(TypeError):
        Parallel(n_jobs=2, seed=1.5)
    with pytest.raises(ValueError):
        with seeded(-3):
            pass


def test_import_seedpool_does_not_import_joblib():
    out = run_python("import sys, seedpool; print('joblib' in sys.modules)", env=ENV)
    assert out.strip() == "False"


# matrix_skip: five `seedpool run` programs with loky and nested pools (over two minutes
# on a loaded leg); the --pools swap machinery itself is checked on every Python by
# test_threads/test_run, and which class joblib gets does not depend on the version.
@pytest.mark.matrix_skip
def test_seedpool_run_pools_swaps_joblib_parallel(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(
        "import json, sys\n"
        "from joblib import Parallel, delayed\n"
        "import joblib_tasks as T\n"
        "n = int(sys.argv[1])\n"
        "a = Parallel(n_jobs=n)(delayed(T.draw)(x) for x in range(12))\n"
        "b = Parallel(n_jobs=n, backend='multiprocessing')(delayed(T.nested)(x, 2, 'loky') for x in range(3))\n"
        "import seedpool.joblib\n"
        "print(json.dumps([a, b, type(Parallel(n_jobs=1)).__module__]))\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = ENV["PYTHONPATH"]
    for name in ("SEEDPOOL_SEED", "SEEDPOOL_RECORD", "SEEDPOOL_WORKERS", "SEEDPOOL_RUN", "SEEDPOOL_POOLS"):
        env.pop(name, None)

    def run(n, *extra):
        proc = subprocess.run([sys.executable, "-m", "seedpool", "run", "--seed", "4", *extra, "--",
                               sys.executable, str(script), str(n)],
                              capture_output=True, text=True, env=env, timeout=300, cwd=str(REPO))
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    one, two, two_again = run(1, "--pools"), run(2, "--pools"), run(2, "--pools")
    assert one[2] == "seedpool.joblib"
    assert one[:2] == two[:2] == two_again[:2]
    plain_one, plain_two = run(1), run(2)  # without --pools: joblib's own behaviour
    assert plain_one[2] == "joblib.parallel"
    assert plain_one[0] != plain_two[0]


def test_importing_seedpool_joblib_patches_nothing():
    # Issue 21: no import side effects -- random, np.random and joblib.Parallel stay as
    # they are until a keyed call or seeded() needs the hooks.
    out = run_python(
        "import random, numpy as np, joblib\n"
        "before = (random.random, np.random.random, joblib.Parallel.__call__)\n"
        "import seedpool.joblib\n"
        "after = (random.random, np.random.random, joblib.Parallel.__call__)\n"
        "print([a is b for a, b in zip(before, after)])\n"
        "with seedpool.joblib.seeded(1):\n"
        "    pass\n"
        "print(joblib.Parallel.__call__ is before[2])\n"
    )
    assert out.split("\n")[:2] == ["[True, True, True]", "False"]


def test_a_generators_bound_method_taken_before_any_task_is_keyed():
    # joblib evaluates the caller's generator lazily, and a list of delayed calls is
    # built before the Parallel object: either way ``np.random.rand`` / ``random.random``
    # are looked up before any task runs. The restructure had moved the hooks' install
    # to the first task, and item 0 of a fresh process drew unseeded; importing
    # seedpool.joblib still patches nothing (issue 21).
    out = run_python(
        "import json, random, numpy as np\n"
        "import seedpool.joblib\n"
        "from seedpool.joblib import Parallel, delayed\n"
        "untouched = np.random.rand.__self__ is np.random.mtrand._rand and type(np.random.mtrand._rand) is np.random.RandomState\n"
        "listed = [delayed(np.random.rand)() for _ in range(3)]\n"
        "pylisted = [delayed(random.random)() for _ in range(3)]\n"
        "first = Parallel(n_jobs=1, seed=7)(listed)\n"
        "again = Parallel(n_jobs=1, seed=7)(delayed(np.random.rand)() for _ in range(3))\n"
        "threads = Parallel(n_jobs=2, backend='threading', seed=7)(delayed(random.random)() for _ in range(3))\n"
        "pyfirst = Parallel(n_jobs=1, seed=7)(pylisted)\n"
        "print(json.dumps([untouched, first, again, threads, pyfirst]))\n"
    )
    untouched, first, again, threads, pyfirst = json.loads(out)
    assert untouched
    assert first == again and len(set(first)) == 3
    assert threads == pyfirst and len(set(threads)) == 3
