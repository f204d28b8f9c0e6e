"""Figure for the docs: one random array under two chunkings, Dask's own vs ``seedpool.array``.

Top row: ``dask.array.random.default_rng(42).random((48, 48), chunks=c)`` for two
chunkings -- Dask keys each *chunk*, so the same seed gives another array when the chunks
change (dask/dask#1684). Bottom row: ``seedpool.array.random(42, (48, 48)).to_dask(c)``
for the same chunkings -- every *element* is keyed, so both are the same array, and equal
to ``np.asarray`` of it. The white lines are the chunk boundaries. Computed on every
build with Dask's synchronous scheduler (well under a second); the build fails if the
seedpool arrays ever differ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SHAPE = (48, 48)
SEED = 42
CHUNKINGS = [(16, 16), (24, 48)]


def arrays() -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    import dask
    import dask.array as da

    import seedpool.array as spa

    with dask.config.set(scheduler="synchronous"):
        theirs = [da.random.default_rng(SEED).random(SHAPE, chunks=c).compute() for c in CHUNKINGS]
        ours = [spa.random(SEED, SHAPE).to_dask(c).compute() for c in CHUNKINGS]
    return theirs, ours, np.asarray(spa.random(SEED, SHAPE))


def main(outdir: Path) -> Path:
    """Draw the figure into ``outdir/array-chunks.png`` and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    theirs, ours, whole = arrays()
    if not all(np.array_equal(a, whole) for a in ours):
        raise RuntimeError("seedpool.array gave other values for another chunking: the docs say the same")
    fig, axes = plt.subplots(2, 2, figsize=(7.2, 7.4), constrained_layout=True)
    rows = [(theirs, "dask.array.random.default_rng(42)"), (ours, "seedpool.array.random(42, ...)")]
    for r, (images, name) in enumerate(rows):
        for c, (image, chunks) in enumerate(zip(images, CHUNKINGS)):
            ax = axes[r][c]
            ax.imshow(image, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
            for y in range(chunks[0], SHAPE[0], chunks[0]):
                ax.axhline(y - 0.5, color="white", linewidth=1.2)
            for x in range(chunks[1], SHAPE[1], chunks[1]):
                ax.axvline(x - 0.5, color="white", linewidth=1.2)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name}\nchunks={chunks}", fontsize=9)
    same_dask = np.array_equal(theirs[0], theirs[1])
    fig.suptitle(f"Dask's arrays: {'the same' if same_dask else 'two different arrays'} for one seed; "
                 "seedpool's: one array", fontsize=10)
    out = Path(outdir) / "array-chunks.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


if __name__ == "__main__":
    import sys

    print(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
