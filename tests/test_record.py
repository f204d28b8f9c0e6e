"""Seed records: round trip, replay, concurrent appends, and refusal of bad files."""

from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest

from conftest import run_python
from seedpool import SeedTree, seed_everything
from seedpool._state.record import (
    ENV_RECORD,
    Consumer,
    Recorder,
    RecordError,
    SeedRecord,
    record_consumer,
    record_root,
)


def test_round_trip(tmp_path):
    root = SeedTree(2**100 + 7).child("exp", 3)
    rec = SeedRecord.capture(root, argv=["train.py", "--lr", "0.1"])
    rec.consumers.append(Consumer(("tasks", 0, 5), "task", 123, 1, 5, "numpy"))
    path = tmp_path / "run.seeds"
    rec.save(path)
    back = SeedRecord.load(path)
    assert back == rec
    assert back.tree() == root
    assert back.libraries["numpy"] == np.__version__
    # 128-bit entropy is kept exact as a decimal string, not a JSON float
    assert json.loads(path.read_text().splitlines()[0])["root"]["entropy"] == str(2**100 + 7)


def test_tuple_entropy_round_trips():
    rec = SeedRecord.capture(SeedTree([1, 2, 3]))
    assert SeedRecord.from_json(rec.to_json()).tree() == SeedTree([1, 2, 3])


def test_replay_gives_the_same_numbers(tmp_path):
    root = seed_everything(None)  # fresh entropy, as in a run nobody planned to replay
    first = (random.random(), np.random.random())
    SeedRecord.capture(root).save(tmp_path / "r")
    seed_everything(SeedRecord.load(tmp_path / "r").tree())
    assert (random.random(), np.random.random()) == first


def test_recorder_appends_from_forked_processes(tmp_path):
    path = tmp_path / "r"
    rec = Recorder(path)
    root = SeedTree(1)
    rec.start(root)
    pids = []
    for worker in range(3):
        pid = os.fork()
        if pid == 0:
            for task in range(20):
                rec.add(root.child("tasks", task), worker=worker, task=task)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    loaded = SeedRecord.load(path)
    assert len(loaded.consumers) == 60
    assert sorted((c.worker, c.task) for c in loaded.consumers) == [(w, t) for w in range(3) for t in range(20)]
    assert {c.pid for c in loaded.consumers} == set(pids)


def test_record_root_hook_and_env(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_RECORD, raising=False)
    assert record_root(SeedTree(5)) is None  # off without a path or SEEDPOOL_RECORD
    record_consumer(SeedTree(5))  # no-op, must not fail
    path = tmp_path / "r"
    monkeypatch.setenv(ENV_RECORD, str(path))
    record_root(SeedTree(5))
    record_root(SeedTree(5).child("child", 0))  # same run, a child: appended
    record_consumer(SeedTree(5).child("tasks", 2), worker=0, task=2)
    loaded = SeedRecord.load(path)
    assert loaded.tree() == SeedTree(5)
    assert [(c.kind, c.path) for c in loaded.consumers] == [
        ("seed_everything", ("child", 0)), ("task", ("tasks", 2))]
    record_root(SeedTree(6))  # another root: a new record
    assert SeedRecord.load(path).tree() == SeedTree(6)
    assert SeedRecord.load(path).consumers == []


BAD = {
    "empty": (b"", "empty file"),
    "not json": (b"hello\n", "not JSON"),
    "foreign": (b'{"format": "something-else", "version": 1}\n', "not a seedpool record"),
    "newer": (b'{"format": "seedpool-record", "version": 2, "root": {"entropy": "1", "path": []}}\n',
              "version 2 is not supported"),
    "float entropy": (b'{"format": "seedpool-record", "version": 1, "root": {"entropy": 1.5, "path": []}}\n',
                      "decimal string"),
    "bad key": (b'{"format": "seedpool-record", "version": 1, "root": {"entropy": "1", "path": [-1]}}\n',
                "bad key -1"),
    "truncated": (b'{"format": "seedpool-record", "version": 1, "root": {"entropy": "1", "path": []}}\n'
                  b'{"consumer": {"path": [0], "kind": "task"}}\n{"consumer": {"pa', "line 3: not JSON"),
    "binary": (b"\xff\xfe\x00", "not UTF-8"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_are_refused(tmp_path, name):
    data, message = BAD[name]
    path = tmp_path / "bad.seeds"
    path.write_bytes(data)
    with pytest.raises(RecordError, match=message) as info:
        SeedRecord.load(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value)


def test_capture_does_not_import_frameworks():
    out = run_python(
        "import sys, json, seedpool\n"
        "from seedpool._state.record import SeedRecord\n"
        "rec = SeedRecord.capture(seedpool.SeedTree(1))\n"
        "print(json.dumps([sorted(rec.libraries), 'torch' in sys.modules, 'tensorflow' in sys.modules]))\n"
    )
    assert json.loads(out) == [["numpy", "seedpool"], False, False]
