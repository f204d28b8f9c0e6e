"""seedpool.dask.sample / random_split: the same rows for any partitioning (issue 24).

Rows are keyed by label through ``seedpool.array.uniform_at``; Dask frames are computed
on a real (threaded) scheduler and compared with the selection made on the whole pandas
frame at once.
"""

from __future__ import annotations

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")

import seedpool.array as spa  # noqa: E402
import seedpool.dask as sdask  # noqa: E402
from conftest import run_python  # noqa: E402
from seedpool import SeedTree  # noqa: E402

SEED = 11
PARTITIONS = (1, 3, 7)


def frame(n: int = 2000, labels: str = "int") -> pd.DataFrame:
    rng = np.random.default_rng(0)
    index = rng.permutation(10 * n)[:n] if labels == "int" else [f"user-{i:05d}" for i in rng.permutation(n)]
    return pd.DataFrame({"x": np.arange(n), "y": rng.normal(size=n)}, index=index)


def expected(pdf: pd.DataFrame, lo: float, hi: float, seed=SEED, labels=None) -> set:
    u = spa.uniform_at(seed, pdf.index if labels is None else labels)
    return set(pdf.index[(u >= lo) & (u < hi)])


@pytest.mark.parametrize("labels", ["int", "str"])
def test_sample_picks_the_same_rows_for_any_partitioning(labels):
    pdf = frame(labels=labels)
    want = expected(pdf, 0.0, 0.3)
    assert 0.25 * len(pdf) < len(want) < 0.35 * len(pdf)
    assert set(sdask.sample(pdf, 0.3, SEED).index) == want  # pandas, unpartitioned
    assert set(sdask.sample(pdf.sample(frac=1.0, random_state=1), 0.3, SEED).index) == want  # any row order
    for n in PARTITIONS:
        ddf = dd.from_pandas(pdf, npartitions=n)
        assert ddf.npartitions == n
        got = sdask.sample(ddf, 0.3, SEED).compute(scheduler="threads")
        assert set(got.index) == want, n
        assert got.sort_index().equals(pdf.loc[sorted(want)].sort_index())  # whole rows, columns intact
    # Dask's own sample is keyed by partition: its rows change with the partitioning.
    theirs = [set(dd.from_pandas(pdf, npartitions=n).sample(frac=0.3, random_state=SEED).compute().index)
              for n in PARTITIONS]
    assert len({frozenset(t) for t in theirs}) > 1


def test_series_and_nested_fractions():
    pdf = frame()
    s = pdf["y"]
    want = expected(pdf, 0.0, 0.5)
    for n in PARTITIONS:
        assert set(sdask.sample(dd.from_pandas(s, npartitions=n), 0.5, SEED).compute().index) == want
    # a larger fraction keeps a superset; 0 keeps nothing and 1 everything
    assert set(sdask.sample(pdf, 0.2, SEED).index) <= want
    assert len(sdask.sample(pdf, 0.0, SEED)) == 0 and len(sdask.sample(pdf, 1.0, SEED)) == len(pdf)
    # another seed (or node) picks other rows
    other = set(sdask.sample(pdf, 0.5, SeedTree(SEED).child("validation")).index)
    assert other != want and other == expected(pdf, 0.0, 0.5, seed=SeedTree(SEED).child("validation"))


def test_random_split_is_a_partition_of_the_rows_independent_of_partitioning():
    pdf = frame(labels="str")
    fracs = [0.6, 0.25, 0.15]
    edges = [0.0, 0.6, 0.85, 1.0]
    want = [expected(pdf, edges[k], edges[k + 1]) for k in range(3)]
    assert set().union(*want) == set(pdf.index) and sum(map(len, want)) == len(pdf)
    assert [set(p.index) for p in sdask.random_split(pdf, fracs, SEED)] == want
    for n in PARTITIONS:
        parts = sdask.random_split(dd.from_pandas(pdf, npartitions=n), fracs, SEED)
        assert [set(p.compute(scheduler="threads").index) for p in parts] == want, n
    # the first part of a split equals a sample of that fraction
    assert set(sdask.sample(pdf, 0.6, SEED).index) == want[0]


def test_on_a_column_when_each_partition_restarts_its_index():
    # As after dd.read_csv: every partition's index starts at 0, so index labels depend on
    # the partitioning -- an id column does not.
    pdf = frame().reset_index(names="id")
    want = set(pdf["id"][spa.uniform_at(SEED, pdf["id"]) < 0.4])
    picked = []
    for n in PARTITIONS:
        ddf = dd.from_pandas(pdf, npartitions=n).map_partitions(lambda p: p.reset_index(drop=True))
        picked.append(set(sdask.sample(ddf, 0.4, SEED, on="id").compute()["id"]))
        assert picked[-1] == want, n
        train, test = sdask.random_split(ddf, [0.5, 0.5], SEED, on="id")
        ids = [set(train.compute()["id"]), set(test.compute()["id"])]
        assert not ids[0] & ids[1] and ids[0] | ids[1] == set(pdf["id"])
    by_index = [set(sdask.sample(dd.from_pandas(pdf, npartitions=n).map_partitions(
        lambda p: p.reset_index(drop=True)), 0.4, SEED).compute()["id"]) for n in PARTITIONS]
    assert len({frozenset(b) for b in by_index}) > 1  # why on= exists


@pytest.mark.parametrize("call, error, match", [
    (lambda pdf: sdask.sample([1, 2], 0.5, SEED), TypeError, r"df must be a Dask or pandas DataFrame or Series \(got \[1, 2\]"),
    (lambda pdf: sdask.sample(pdf, 1.5, SEED), ValueError, r"frac must lie in \[0, 1\] \(got 1.5\)"),
    (lambda pdf: sdask.sample(pdf, "half", SEED), TypeError, r"frac must be a number in \[0, 1\] \(got 'half'"),
    (lambda pdf: sdask.sample(pdf, True, SEED), TypeError, r"frac must be a number"),
    (lambda pdf: sdask.sample(pdf, 0.5, -1), ValueError, r"seed must be non-negative"),
    (lambda pdf: sdask.sample(pdf, 0.5, SEED, on="nope"), ValueError, r"on must name a column of df \(got 'nope'"),
    (lambda pdf: sdask.sample(pdf["x"], 0.5, SEED, on="x"), TypeError, r"df is a Series"),
    (lambda pdf: sdask.random_split(pdf, [0.5, 0.4], SEED), ValueError, r"fracs must sum to 1 \(got \[0.5, 0.4\]"),
    (lambda pdf: sdask.random_split(pdf, [], SEED), ValueError, r"fracs must not be empty"),
    (lambda pdf: sdask.random_split(pdf, [1.2, -0.2], SEED), ValueError, r"fracs\[0\] must lie in \[0, 1\]"),
    (lambda pdf: sdask.random_split(pdf, 0.5, SEED), TypeError, r"fracs must be a sequence of numbers"),
    (lambda pdf: sdask.sample(pdf.set_index("y"), 0.5, SEED), TypeError, r"labels must be ints or strings"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call(frame(50))


def test_frames_need_pandas_only_when_called():
    out = run_python("import sys, seedpool.dask\nprint('pandas' in sys.modules, 'dask.dataframe' in sys.modules)")
    assert out.split() == ["False", "False"]
