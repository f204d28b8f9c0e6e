"""Figure for the docs, drawn at build time: what four forked workers draw.

Left: a standard ``multiprocessing`` fork pool whose parent used ``np.random`` first;
every worker inherits the same state and draws the same numbers. Right: the same four
tasks through ``seedpool.Pool``; each task draws from its own keyed stream. Every value is
drawn in a real worker process. Run by ``docs/_ext/seedpool_docs.py`` on each build.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import numpy as np

WORKERS = 4
DRAWS = 12


def _draws(_task: int) -> list[float]:
    # Sleep-free but long enough that each of the 4 workers takes one task.
    return [float(x) for x in np.random.random(DRAWS)]


def _plain_fork() -> np.ndarray:
    ctx = multiprocessing.get_context("fork")
    np.random.random()  # the parent uses np.random before starting the pool
    with ctx.Pool(WORKERS, maxtasksperchild=1) as pool:
        rows = pool.map(_draws, range(WORKERS), chunksize=1)
    return np.array(rows)


def _seedpool() -> np.ndarray:
    import seedpool

    with seedpool.Pool(WORKERS, seed=2024, context=multiprocessing.get_context("fork")) as pool:
        rows = pool.map(_draws, range(WORKERS), chunksize=1)
    return np.array(rows)


def main(outdir: Path) -> Path:
    """Draw the figure into ``outdir/forked-draws.png`` and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plain, seeded = _plain_fork(), _seedpool()
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.8), sharey=True, constrained_layout=True)
    for ax, data, title in (
        (axes[0], plain, f"multiprocessing fork pool: {len(np.unique(plain[:, 0]))} distinct stream(s)"),
        (axes[1], seeded, f"seedpool.Pool: {len(np.unique(seeded[:, 0]))} distinct streams"),
    ):
        image = ax.imshow(data, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("draw number")
        ax.set_yticks(range(WORKERS), [f"task {i}" for i in range(WORKERS)])
    fig.colorbar(image, ax=axes, label="np.random.random()")
    out = Path(outdir) / "forked-draws.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


if __name__ == "__main__":
    print(main(Path(os.environ.get("OUT", "."))))
