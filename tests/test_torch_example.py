"""The torch example's claims, run as a user would run it (separate processes)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import run_python  # noqa: E402

pytest.importorskip("torch")

_RUN = (
    "import sys, runpy; sys.argv = ['torch_dataloader.py'] + {args!r}\n"
    "runpy.run_path('examples/torch_dataloader.py', run_name='__main__')\n"
)


def _hashes(*args: str) -> dict[int, str]:
    out = run_python(_RUN.format(args=list(args)))
    return {int(line.split("num_workers=")[1].split(":")[0]): line.rsplit(" ", 1)[1]
            for line in out.splitlines() if "num_workers=" in line}


def test_example_hash_independent_of_num_workers_and_runs_but_not_seed():
    first = _hashes("--workers", "0", "2")
    assert len(set(first.values())) == 1
    assert _hashes("--workers", "2") == {2: first[0]}  # another run, another process
    assert _hashes("--workers", "0", "--seed", "1")[0] != first[0]


def test_example_stock_hash_changes_with_num_workers():
    stock = _hashes("--stock", "--workers", "0", "2")
    assert stock[0] != stock[2]
