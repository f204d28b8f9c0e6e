"""Augmentations that do not change with num_workers: seedpool.torch per-sample mode.

A small generated image set goes through random crops and flips (Python ``random`` and
numpy), noise (torch) and a brightness jitter (``seedpool.rng()``). The script prints a
hash of the first epoch's batches for num_workers 0, 2 and 4::

    python examples/torch_dataloader.py              # seedpool: one hash, three times
    python examples/torch_dataloader.py --seed 1     # another seed: another hash
    python examples/torch_dataloader.py --stock      # plain DataLoader: hash per num_workers

The seeded hashes are identical across num_workers and across runs; the stock ones
differ between num_workers 0, 2 and 4 (each worker replays ``base_seed + worker_id``).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import warnings

import numpy as np
import torch
from torch.utils.data import DataLoader

import seedpool
import seedpool.torch as spt


class Augmented:
    """N generated 3x40x40 images; item i is a random 32x32 crop, flipped, noised."""

    def __init__(self, n: int = 96, size: int = 40, crop: int = 32) -> None:
        # The images themselves are fixed data, independent of any seed.
        self.images = np.random.default_rng(2024).random((n, 3, size, size), dtype=np.float32)
        self.size, self.crop = size, crop

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        top = np.random.randint(0, self.size - self.crop + 1)  # numpy global state
        left = random.randint(0, self.size - self.crop)  # Python random
        img = torch.from_numpy(self.images[i, :, top : top + self.crop, left : left + self.crop].copy())
        if random.random() < 0.5:
            img = img.flip(-1)
        img = img + 0.05 * torch.randn_like(img)  # torch
        return img * float(seedpool.rng().uniform(0.8, 1.2))  # seedpool.rng()


def first_epoch_hash(num_workers: int, seed: int, stock: bool, batch_size: int) -> str:
    if stock:
        torch.manual_seed(seed)  # the usual recipe; torch seeds workers with base_seed + id
        loader = DataLoader(Augmented(), batch_size=batch_size, shuffle=True, num_workers=num_workers)
    else:
        dataset = spt.SeededDataset(Augmented(), seed=seed)
        sampler = spt.SeededSampler(dataset, seed=seed)
        loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=num_workers)
        spt.set_epoch(loader, 0)
    digest = hashlib.sha256()
    for batch in loader:
        digest.update(batch.numpy().tobytes())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> dict[int, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stock", action="store_true", help="plain DataLoader with torch.manual_seed")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2, 4])
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*worker processes in total.*")
    hashes = {}
    for w in args.workers:
        hashes[w] = first_epoch_hash(w, args.seed, args.stock, args.batch_size)
        print(f"{'stock' if args.stock else 'seedpool'} seed={args.seed} num_workers={w}: {hashes[w]}")
    print("identical across num_workers:", len(set(hashes.values())) == 1)
    return hashes


if __name__ == "__main__":
    main()
