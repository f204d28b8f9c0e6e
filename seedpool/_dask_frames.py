"""Row sampling keyed by label: the same rows of a Dask or pandas DataFrame for any partitioning.

Dask's ``DataFrame.sample`` and ``random_split`` draw per partition (a seed per
partition, then numpy over its rows), so repartitioning a frame picks other rows. Here
each row gets the uniform :func:`seedpool.array.uniform_at` gives its label (the index
label, or a column's value with ``on=``); ``sample`` keeps the rows whose uniform is
below ``frac`` and ``random_split`` cuts ``[0, 1)`` at the cumulative fractions. Which
rows are picked depends on the seed and the labels only.

Imports pandas (and dask.dataframe, for a Dask frame) only when called; re-exported by
``seedpool.dask``.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Sequence
from typing import Any, Optional

import numpy as np

from ._derive.tree import SeedLike, SeedTree
from .array import uniform_at

__all__ = ["random_split", "sample"]


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} of type {type(value).__name__}"


def _frame_kind(df: Any) -> str:
    """``"dask"`` or ``"pandas"``; a frame's library is already imported if it is one."""
    dd = sys.modules.get("dask.dataframe")
    if dd is None and type(df).__module__.startswith("dask"):
        import dask.dataframe as dd
    if dd is not None and isinstance(df, (dd.DataFrame, dd.Series)):
        return "dask"
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(df, (pd.DataFrame, pd.Series)):
        return "pandas"
    raise TypeError(f"df must be a Dask or pandas DataFrame or Series (got {_describe(df)})")


def _fraction(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1] (got {_describe(value)})")
    x = float(value)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1] (got {value!r})")
    return x


def _check_on(df: Any, on: Optional[Any]) -> None:
    if on is None:
        return
    columns = getattr(df, "columns", None)
    if columns is None:
        raise TypeError(f"on= names a column, but df is a Series (got on={on!r}); a Series is keyed by its index")
    if on not in columns:
        raise ValueError(f"on must name a column of df (got {on!r}; columns: {list(columns)[:10]})")


def _uniforms(part: Any, node: SeedTree, on: Optional[Any]) -> np.ndarray:
    labels = part.index if on is None else part[on]
    return uniform_at(node, labels)


def _between(part: Any, lo: float, hi: float, node: SeedTree, on: Optional[Any]) -> Any:
    u = _uniforms(part, node, on)
    return part[(u >= lo) & (u < hi)]


def _apply(df: Any, kind: str, lo: float, hi: float, node: SeedTree, on: Optional[Any]) -> Any:
    if kind == "pandas":
        return _between(df, lo, hi, node, on)
    return df.map_partitions(_between, lo, hi, node, on, meta=df._meta)


def sample(df: Any, frac: float, seed: SeedLike, *, on: Optional[Any] = None) -> Any:
    """The rows of ``df`` whose label's uniform is below ``frac``: the same rows for any partitioning.

    A row is kept when ``seedpool.array.uniform_at(seed, [label])[0] < frac``, where
    the label is its index label (or its value in column ``on``). So the rows kept
    depend on the seed and the labels only -- not on the number of partitions, their
    order or the worker -- and about ``frac`` of the rows are kept (not exactly:
    each row is an independent coin). Rows with equal labels are kept or dropped
    together. A larger ``frac`` keeps a superset of the rows.

    Parameters
    ----------
    df : dask.dataframe.DataFrame, dask.dataframe.Series, pandas.DataFrame or pandas.Series
    frac : float
        In ``[0, 1]``.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root (a node names a sample: ``root.child("validation")``). ``None`` draws
        fresh entropy once, for this call.
    on : column label, optional
        Key rows by this column's values instead of the index (e.g. an id column,
        when each partition's index restarts at 0, as after ``dd.read_csv``). Labels
        must be ints or strings.

    Returns
    -------
    The same kind of frame as ``df``, lazily for Dask (``map_partitions``).

    Raises
    ------
    TypeError
        For a ``df`` that is not a pandas or Dask frame, a non-number ``frac``, or a
        label that is not an int or a str (raised when the partition is computed).
    ValueError
        For ``frac`` outside ``[0, 1]`` or an ``on`` that names no column.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd, seedpool.dask
    >>> pdf = pd.DataFrame({"x": range(100)})
    >>> a = seedpool.dask.sample(dd.from_pandas(pdf, npartitions=3), 0.2, seed=1).compute()
    >>> b = seedpool.dask.sample(dd.from_pandas(pdf, npartitions=7), 0.2, seed=1).compute()
    >>> a.equals(b)
    True
    """
    kind = _frame_kind(df)
    fraction = _fraction(frac, "frac")
    _check_on(df, on)
    node = seed if isinstance(seed, SeedTree) else SeedTree(seed)
    return _apply(df, kind, 0.0, fraction, node, on)


def random_split(df: Any, fracs: Sequence[float], seed: SeedLike, *, on: Optional[Any] = None) -> list[Any]:
    """Split ``df``'s rows into ``len(fracs)`` parts by their labels' uniforms: the same parts for any partitioning.

    Row ``r`` goes to part ``k`` when ``c[k] <= u(r) < c[k + 1]``, with ``c`` the
    cumulative sums of ``fracs`` (from 0, the last one set to 1) and ``u(r)`` the
    uniform :func:`seedpool.array.uniform_at` gives its label, as in :func:`sample`.
    Every row is in exactly one part; the parts do not depend on the partitioning.

    Parameters
    ----------
    df : dask.dataframe.DataFrame, dask.dataframe.Series, pandas.DataFrame or pandas.Series
    fracs : sequence of float
        Non-negative, summing to 1 (as for Dask's ``random_split``).
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        As for :func:`sample`.
    on : column label, optional
        As for :func:`sample`.

    Returns
    -------
    list
        One frame per fraction, of the same kind as ``df``.

    Examples
    --------
    >>> import pandas as pd, seedpool.dask
    >>> pdf = pd.DataFrame({"x": range(1000)})
    >>> train, test = seedpool.dask.random_split(pdf, [0.8, 0.2], seed=3)
    >>> len(train) + len(test), bool(train.index.intersection(test.index).empty)
    (1000, True)
    """
    kind = _frame_kind(df)
    if isinstance(fracs, (str, bytes)) or not isinstance(fracs, Sequence) and not isinstance(fracs, np.ndarray):
        raise TypeError(f"fracs must be a sequence of numbers (got {_describe(fracs)})")
    values = [_fraction(f, f"fracs[{i}]") for i, f in enumerate(fracs)]
    if not values:
        raise ValueError("fracs must not be empty (got []); e.g. [0.8, 0.2]")
    if not math.isclose(sum(values), 1.0, rel_tol=0.0, abs_tol=1e-8):
        raise ValueError(f"fracs must sum to 1 (got {list(fracs)!r}, sum {sum(values)!r})")
    _check_on(df, on)
    node = seed if isinstance(seed, SeedTree) else SeedTree(seed)
    edges = [0.0]
    for v in values[:-1]:
        edges.append(min(1.0, edges[-1] + v))
    edges.append(1.0)  # u < 1 always: the last part takes what rounding left
    return [_apply(df, kind, edges[k], edges[k + 1], node, on) for k in range(len(values))]
