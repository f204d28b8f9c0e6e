"""Figure for the docs: every benchmark figure that has a target, against it and its floor.

Read from ``benchmarks/results.json``, which ``make bench`` writes (each table a
benchmark prints is recorded there by ``benchmarks/_common.py``) and which is committed
with the code: the site shows the last run that was committed, never runs a benchmark.
One panel per kind of figure (ratios to the plain engine, overhead per task, share of
the engine's own cost, derivation rate); in each, a row per figure with its median
(filled, green when the target is met), its best round (hollow: the minimum, the
maximum for a rate), the target
(a bar) and, where the benchmark measured one, the floor no implementation can go below
(a grey diamond: e.g. reseeding the generators by hand in a plain pool).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results.json"
MET, NOT_MET, FLOOR = "#2a9d8f", "#d1495b", "#8d99ae"
PANELS = [  # (units, title)
    (("x",), "ratio to the plain engine (x)"),
    (("us", "us/task"), "seedpool's overhead per task (\u00b5s)"),
    (("%",), "overhead / the engine's own per-task cost (%)"),
    (("/s",), "seed derivation rate (children/s)"),
]


def _fmt(value: float) -> str:
    if abs(value) >= 1e5:
        return f"{value:.2g}"
    return f"{value:.2f}"


def targeted_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row with a target, each with its script (``pool`` for bench_pool.py)."""
    rows = []
    for script, entry in sorted(results.items()):
        short = script.removeprefix("bench_").removesuffix(".py")
        for table in entry["tables"]:
            for row in table["rows"]:
                if row["target"] is not None and row["median"] is not None:
                    rows.append({**row, "script": short})
    return rows


def main(outdir: Path) -> Path:
    """Draw the figure into ``outdir/bench-ratios.png`` and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    # Entries of benchmarks that no longer exist are left out.
    results = {script: entry for script, entry in json.loads(RESULTS.read_text()).items()
               if (RESULTS.parent / script).exists()}
    rows = targeted_rows(results)
    panels = [(title, [r for r in rows if r["unit"] in units]) for units, title in PANELS]
    panels = [(title, members) for title, members in panels if members]
    heights = [len(members) + 1.2 for _, members in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 0.3 * sum(heights) + 1.3), squeeze=False,
                             gridspec_kw={"height_ratios": heights}, constrained_layout=True)
    for ax, (title, members) in zip(axes[:, 0], panels):
        for y, row in enumerate(members):
            colour = MET if row["met"] else NOT_MET
            if row["min"] is not None:
                ax.plot([row["min"], row["median"]], [y, y], color=colour, linewidth=1.2, zorder=2)
                ax.plot(row["min"], y, "o", markerfacecolor="white", markeredgecolor=colour, zorder=3)
            ax.plot(row["median"], y, "o", color=colour, markersize=7, zorder=4)
            ax.plot(row["target"], y, "|", color="black", markersize=16, markeredgewidth=2, zorder=5)
            if row["floor"] is not None:
                ax.plot(row["floor"], y, "D", color=FLOOR, markersize=6, zorder=3)
        op = lambda r: "\u2265" if r["higher_is_better"] else "\u2264"  # noqa: E731
        ax.set_yticks(range(len(members)), [
            f"{r['script']}: {r['name'].strip()}   {_fmt(r['median'])} ({op(r)} {_fmt(r['target'])})"
            for r in members], fontsize=8)
        ax.set_ylim(len(members) - 0.4, -0.6)
        ax.set_title(title, fontsize=10, loc="left")
        ax.grid(axis="x", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        if members[0]["unit"] == "x":
            ax.axvline(1.0, color="#999999", linewidth=0.8, linestyle="--")
        if members[0]["unit"] == "/s":
            ax.set_xscale("log")
    dates = sorted(entry["date"][:10] for entry in results.values())
    when = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    python = sorted({entry["python"] for entry in results.values()})
    short = any(entry["argv"] for entry in results.values())  # run with other than the default counts
    fig.suptitle(f"benchmarks/results.json: make bench, {when}, Python {', '.join(python)}, "
                 f"{max(entry['cpus'] for entry in results.values())} CPUs"
                 + ("; shorter runs (each entry's argv)" if short else ""), fontsize=10)
    legend = [Line2D([], [], marker="o", linestyle="", color=MET, label="median, target met"),
              Line2D([], [], marker="o", linestyle="", color=NOT_MET, label="median, target not met"),
              Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="#555555",
                     label="best round"),
              Line2D([], [], marker="|", linestyle="", color="black", markersize=12, markeredgewidth=2,
                     label="target"),
              Line2D([], [], marker="D", linestyle="", color=FLOOR, label="floor (plain engine, reseeding by hand)")]
    fig.legend(handles=legend, loc="outside lower center", ncol=5, fontsize=8, frameon=False)
    out = Path(outdir) / "bench-ratios.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


if __name__ == "__main__":
    print(main(Path(os.environ.get("OUT", "."))))
