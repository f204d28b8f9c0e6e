"""Datasets for the data-loader tests, in an importable module so spawn workers find them.

torch is imported inside methods only: pytest's doctest collection imports this module,
and the rest of the suite must not find torch loaded because of it.
"""

from __future__ import annotations

import random

import numpy as np

import seedpool


class AugmentDataset:
    """Item i: a row of draws from every RNG a pipeline might use, plus i itself.

    Columns: [i, random.random(), np.random.random(), torch.rand(), seedpool.rng(),
    self.rng (a user-held numpy Generator), pid]. The pid column shows which process
    produced the item (it is dropped before comparing values).
    """

    def __init__(self, n: int = 24, user_seed: int = 0) -> None:
        self.n = n
        # A user-created Generator: stock PyTorch copies it unchanged into every worker.
        self.rng = np.random.default_rng(user_seed)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        import os

        import torch

        row = [
            float(i),
            random.random(),
            float(np.random.random()),
            float(torch.rand(())),
            float(seedpool.rng().random()),
            float(self.rng.random()),
            float(os.getpid()),
        ]
        return torch.tensor(row, dtype=torch.float64)


class Nested:
    """Holds an RNG one level down, found only by explicit registration."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)


class NestedDataset:
    def __init__(self, n: int = 8) -> None:
        self.n = n
        self.transform = Nested()

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        return float(self.transform.rng.random())


class WorkerProbe:
    """Item i: what the loading worker's RNGs give on first use (worker mode tests).

    Columns: [worker id, torch.initial_seed() low bits, random.random(), np.random.random(),
    torch.rand(), seedpool.rng().random(), self.rng.random()].
    """

    def __init__(self, n: int = 8) -> None:
        self.n = n
        self.rng = np.random.default_rng(0)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        import torch

        info = torch.utils.data.get_worker_info()
        return torch.tensor(
            [
                float(info.id if info else -1),
                random.random(),
                float(np.random.random()),
                float(torch.rand(())),
                float(seedpool.rng().random()),
                float(self.rng.random()),
            ],
            dtype=torch.float64,
        )
