"""Dask's ``distributed.cfexecutor.ClientExecutor``: the private attributes its subclass uses.

Checked on distributed 2023.9 to 2026.11 (``distributed/cfexecutor.py``):
``ClientExecutor._allowed_kwargs`` (the ``submit``/``map`` keywords it passes to the
client), and the instance attributes ``_client``, ``_futures`` (a set of every future it
made), ``_shutdown`` and ``_kwargs`` (the executor-wide client keywords).
"""

from __future__ import annotations

from typing import Any

from distributed.cfexecutor import ClientExecutor

__all__ = ["ALLOWED_KWARGS", "client_of", "futures_of", "is_shut_down", "submit_kwargs"]

ALLOWED_KWARGS: frozenset[str] = frozenset(ClientExecutor._allowed_kwargs)


def client_of(executor: Any) -> Any:
    """The ``distributed.Client`` the executor submits to."""
    return executor._client


def futures_of(executor: Any) -> set:
    """The set of every future the executor made (``shutdown`` waits on it)."""
    return executor._futures  # type: ignore[no-any-return]


def is_shut_down(executor: Any) -> bool:
    """Whether ``shutdown`` was called."""
    return bool(executor._shutdown)


def submit_kwargs(executor: Any) -> dict:
    """The keywords the executor passes to every ``client.submit`` / ``client.map``."""
    return executor._kwargs  # type: ignore[no-any-return]
