"""Figure for the docs: one program under many schedules, plain pool vs ``seedpool.Pool``.

Every row is one run of ``pool.map(draw, range(24), chunksize=c)`` with ``p`` workers,
each task drawing one ``np.random.random()``; 3 runs of each of 9 (p, c) schedules.

Left: ``multiprocessing.Pool`` whose workers seed numpy the usual way, ``seed = 1234 +
worker number`` in the initializer. What a task draws depends on which worker ran it
and how many tasks that worker had run before: on the pool size, the chunk size and
the timing. These runs are real and recorded (the outcome varies from run to run, so
the build would not be reproducible if it ran them): ``schedule_dependence.json``
beside this file, written by ``python docs/figures/schedule_dependence.py --record``.

Right: the same schedules through ``seedpool.Pool(p, seed=1234)``, run on every build
(about a second): one result. The build fails if they ever disagree.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "schedule_dependence.json"
SEED = 1234
TASKS = 24
SCHEDULES = [(p, c) for p in (1, 2, 4) for c in (1, 3, None)]  # (processes, chunksize)
REPEATS = 3
PAUSE = 0.001  # each task takes ~1 ms, so the workers share the map

_worker: dict[str, int] = {}


def _seed_worker(base: int, counter) -> None:  # type: ignore[no-untyped-def]
    # "seed = base + worker_id": the per-worker seeding the getting-started page warns about.
    with counter.get_lock():
        worker_id = counter.value
        counter.value += 1
    np.random.seed(base + worker_id)


def _draw(_task: int) -> float:
    time.sleep(PAUSE)
    return round(float(np.random.random()), 6)


def plain_runs() -> list[dict]:
    """Run the plain pools now (for ``--record``)."""
    ctx = multiprocessing.get_context("fork")
    runs = []
    for _ in range(REPEATS):
        for processes, chunksize in SCHEDULES:
            counter = ctx.Value("i", 0)
            with ctx.Pool(processes, initializer=_seed_worker, initargs=(SEED, counter)) as pool:
                values = pool.map(_draw, range(TASKS), chunksize=chunksize)
            runs.append({"processes": processes, "chunksize": chunksize, "values": values})
    return runs


def seedpool_runs() -> list[dict]:
    import seedpool

    ctx = multiprocessing.get_context("fork")
    runs = []
    for _ in range(REPEATS):
        for processes, chunksize in SCHEDULES:
            with seedpool.Pool(processes, seed=SEED, context=ctx) as pool:
                values = pool.map(_draw, range(TASKS), chunksize=chunksize)
            runs.append({"processes": processes, "chunksize": chunksize, "values": values})
    return runs


def _sorted(runs: list[dict]) -> list[dict]:
    return sorted(runs, key=lambda r: (r["processes"], r["chunksize"] or TASKS))


def main(outdir: Path) -> Path:
    """Draw the figure into ``outdir/schedule-dependence.png`` and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recorded = json.loads(DATA.read_text())
    plain, seeded = _sorted(recorded["runs"]), _sorted(seedpool_runs())
    distinct_seeded = {tuple(r["values"]) for r in seeded}
    if len(distinct_seeded) != 1:
        raise RuntimeError(f"seedpool.Pool gave {len(distinct_seeded)} different results over the schedules "
                           "of docs/figures/schedule_dependence.py: the docs say one")
    distinct_plain = len({tuple(r["values"]) for r in plain})
    labels = [f"{r['processes']} worker{'s' * (r['processes'] > 1)}, "
              + (f"chunksize {r['chunksize']}" if r["chunksize"] else "default chunks") for r in plain]
    fig, axes = plt.subplots(1, 2, figsize=(10, 5.2), sharey=True, constrained_layout=True)
    for ax, runs, title in (
        (axes[0], plain, f"multiprocessing.Pool, seed = {SEED} + worker:\n"
                         f"{distinct_plain} different results in {len(plain)} runs"),
        (axes[1], seeded, f"seedpool.Pool(seed={SEED}):\n"
                          f"{len(distinct_seeded)} result in {len(seeded)} runs"),
    ):
        image = ax.imshow(np.array([r["values"] for r in runs]), cmap="viridis", vmin=0, vmax=1,
                          aspect="auto", interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("task")
        ax.set_xticks(range(0, TASKS, 4))
        for boundary in range(REPEATS, len(runs), REPEATS):  # between schedules
            ax.axhline(boundary - 0.5, color="white", linewidth=1.5)
    axes[0].set_yticks(range(1, len(plain), REPEATS), labels[1::REPEATS], fontsize=8)
    axes[0].set_ylabel(f"{REPEATS} runs of each schedule")
    fig.colorbar(image, ax=axes, label="np.random.random() drawn by the task", shrink=0.8)
    out = Path(outdir) / "schedule-dependence.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        raise SystemExit("usage: python docs/figures/schedule_dependence.py --record  (reruns the plain pools "
                         "and rewrites schedule_dependence.json)")
    data = {"what": "multiprocessing.Pool(p, initializer: np.random.seed(seed + worker number)), "
                    f"pool.map(draw, range({TASKS}), chunksize=c), fork",
            "python": sys.version.split()[0], "seed": SEED, "runs": plain_runs()}
    DATA.write_text(json.dumps(data, indent=1) + "\n")
    print(f"{DATA}: {len({tuple(r['values']) for r in data['runs']})} different results in {len(data['runs'])} runs")
