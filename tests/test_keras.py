"""seedpool.keras with a real Keras 3 PyDataset and multiprocessing workers.

Keras (and TensorFlow, its default backend) run in a subprocess only: the pytest process
must never import TensorFlow. The subprocess drives the PyDataset through Keras' own
PyDatasetAdapter / OrderedEnqueuer (what ``fit`` uses), epoch hooks included.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import run_python  # noqa: E402

pytestmark = pytest.mark.slow

_SCRIPT = r'''
import json, os, random
import numpy as np
import keras, seedpool
from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter
from seedpool._task.task import task_scope
from seedpool.keras import SeededPyDataset


class Aug(keras.utils.PyDataset):
    """Batch b: rows of [b, random, np.random, seedpool.rng(), user Generator, pid]."""

    def __init__(self, n=6, bs=2, **kw):
        super().__init__(**kw)
        self.n, self.bs = n, bs
        self.rng = np.random.default_rng(0)

    def __len__(self):
        return self.n

    def __getitem__(self, b):
        rows = [[b, random.random(), np.random.random(), seedpool.rng().random(), self.rng.random(), os.getpid()]
                for _ in range(self.bs)]
        return np.array(rows, dtype="float64"), np.zeros((self.bs, 1))


def run(workers, mp, seed=3, epochs=2, wrap=True):
    inner = Aug(workers=workers, use_multiprocessing=mp)
    ds = SeededPyDataset(inner, seed=seed) if wrap else inner
    adapter = PyDatasetAdapter(ds, shuffle=False)
    seen = []
    for _ in range(epochs):  # what keras' EpochIterator does around each epoch of fit()
        adapter.on_epoch_begin()
        seen.extend(x.tolist() for x, _ in adapter.get_numpy_iterator())
        adapter.on_epoch_end()
    return seen


out = {"pid": os.getpid()}
seedpool.seed_everything(1)
before = (random.random(), float(np.random.random()))
seedpool.seed_everything(1)
out["main"] = run(1, False)
out["main_stream_kept"] = (random.random(), float(np.random.random())) == before
out["mp2"] = run(2, True)
out["mp3"] = run(3, True)
out["other_seed"] = run(2, True, seed=4)
out["stock2"] = run(2, True, wrap=False)
# The documented key: batch 1 of epoch 1 is Aug()[1] under task_scope(root.child("batches", 1, 1)).
inner = Aug()
node = seedpool.SeedTree(3).child("batches", 1, 1)
with task_scope(node):
    inner.rng = node.child("attr", "rng").generator()
    out["by_hand"] = inner[1][0].tolist()
errors = []
for bad in (lambda: SeededPyDataset([1, 2]), lambda: SeededPyDataset(Aug(workers=2, use_multiprocessing=False))):
    try:
        bad()
    except (TypeError, ValueError) as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
out["errors"] = errors
print("JSON" + json.dumps(out))
'''


@pytest.fixture(scope="module")
def keras_run():
    import importlib.util

    if importlib.util.find_spec("keras") is None:  # importorskip would load Keras + TF here
        pytest.skip("keras is not installed")
    stdout = run_python(_SCRIPT, env={"TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    line = [ln for ln in stdout.splitlines() if ln.startswith("JSON")][-1]
    data = json.loads(line[4:])
    return {k: (np.array(v) if k not in ("errors", "pid", "main_stream_kept") else v) for k, v in data.items()}


def test_batches_identical_for_main_thread_and_worker_processes(keras_run):
    main, mp2, mp3 = keras_run["main"], keras_run["mp2"], keras_run["mp3"]
    assert main.shape == (12, 2, 6)  # 2 epochs x 6 batches x 2 rows
    np.testing.assert_array_equal(mp2[..., :5], main[..., :5])
    np.testing.assert_array_equal(mp3[..., :5], main[..., :5])
    # Really built in worker processes, not in the subprocess's main thread.
    assert keras_run["pid"] not in set(mp3[..., 5].ravel().tolist())
    # Every RNG column varies over batches and rows, and the epochs differ.
    for col in range(1, 5):
        assert len(set(main[..., col].ravel().tolist())) == 24, col
    assert not np.isin(main[6:, :, 1:5], main[:6, :, 1:5]).any()


def test_stock_pydataset_repeats_user_generator_and_seed_changes_values(keras_run):
    # Without seedpool the user's Generator is copied unchanged into every worker: each
    # worker replays the head of default_rng(0)'s stream (which worker gets which batch
    # is up to the scheduler, so only the set is fixed).
    head = set(np.random.default_rng(0).random(12).tolist())
    stock = keras_run["stock2"][:6, :, 4].ravel().tolist()
    assert set(stock) <= head
    assert not set(keras_run["mp2"][..., 4].ravel().tolist()) & head
    other = keras_run["other_seed"]
    assert not np.isin(other[..., 1:5], keras_run["main"][..., 1:5]).any()


def test_batch_is_the_documented_node_and_main_stream_is_kept(keras_run):
    np.testing.assert_array_equal(keras_run["by_hand"][..., 1:5], keras_run["main"][7][..., 1:5])
    assert keras_run["main_stream_kept"] is True


def test_bad_input_errors(keras_run):
    type_err, value_err = keras_run["errors"]
    assert type_err.startswith("TypeError: dataset must be a keras.utils.PyDataset (got list)")
    assert value_err.startswith("ValueError: workers=2 with use_multiprocessing=False") and "use_multiprocessing=True" in value_err


def test_import_does_not_load_keras_or_tensorflow():
    out = run_python(
        "import sys, seedpool.keras\n"
        "print(any(m.split('.')[0] in ('keras', 'tensorflow') for m in sys.modules))\n"
        "print('SeededPyDataset' in dir(seedpool.keras))"
    )
    assert out.split() == ["False", "True"]
