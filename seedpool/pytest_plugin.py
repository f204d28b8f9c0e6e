"""seedpool's pytest plugin: the ``seedpool_fuzz`` fixture (see :mod:`seedpool.testing`).

Load it with ``pytest_plugins = ["seedpool.pytest_plugin"]`` in a ``conftest.py`` (or
``pytest -p seedpool.pytest_plugin``). It is not an installed ``pytest11`` entry point
on purpose: pytest rewrites the assertions of every module of a distribution that has
one, so every test session of every project with seedpool installed would import and
rewrite seedpool's modules (and warn about those already imported, as under
``seedpool run -- pytest``). Importing it loads ``seedpool`` itself (numpy) and nothing
else -- ``seedpool.testing``, the pools and the engines' packages only when a test asks
for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def seedpool_fuzz() -> Iterator[Any]:
    """A :class:`seedpool.testing.Fuzzer` for the whole test session.

    Its engines (pools, executors, joblib's workers; Dask's cluster and Ray, if a test
    asks for them) start once and are reused by every test; they are closed when the
    session ends. Use ``seedpool_fuzz.fuzz(fn, items, ...)`` as
    :func:`seedpool.testing.fuzz_schedules`, or ``seedpool_fuzz.check(fn, items,
    schedule)`` with schedules from :func:`seedpool.testing.schedules`.
    """
    from seedpool.testing import Fuzzer

    fuzzer = Fuzzer()
    try:
        yield fuzzer
    finally:
        fuzzer.close()
