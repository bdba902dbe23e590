"""Dask for sweeps and batches: a client of a new local cluster or of a running one, and tasks run with retries.

A local cluster has one worker process per core, each with one thread, so each solve has a core
of its own (the solver is asked for one process, ``jobs=1``, and Dask's workers start with one
thread for numpy's BLAS/OpenMP). ``--scheduler tcp://HOST:8786`` uses a cluster started with
``dask scheduler`` and ``dask worker``; the workers must see the same paths (input files, output
folder, cache) as the machine that submits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from distributed import Client, Future, LocalCluster, as_completed

from gis.errors import InputError
from partition.solve import available_cores

__all__ = ["dask_client", "run_tasks", "RETRIES", "FAILED"]

#: A task that raises is tried again this many times, and a task whose worker dies is given to
#: another worker this many times (local cluster; a running one keeps its own setting).
RETRIES = 1
#: ``status`` of a task that failed on every try.
FAILED = "failed"
#: Seconds to reach a running scheduler, and to wait for its first worker.
CONNECT_TIMEOUT_S = 30
#: Host the local cluster listens on: this machine only.
LOCAL_HOST = "127.0.0.1"


@contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None,
                timeout: float = CONNECT_TIMEOUT_S) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, or of a new local cluster of ``workers`` processes.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://HOST:8786``).
    workers : int, optional
        Worker processes of the local cluster, one thread each; default one per core.
    timeout : float
        Seconds to reach the scheduler, and again to wait for its first worker.

    Raises
    ------
    gis.errors.InputError
        When the scheduler cannot be reached or has no worker.
    """
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers or available_cores(), threads_per_worker=1, processes=True, host=LOCAL_HOST,
            dashboard_address=None, silence_logs=logging.ERROR, scheduler_kwargs={"allowed_failures": RETRIES},
        )
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with "
                         "`dask scheduler` and `dask worker`, or drop --scheduler for a local cluster") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise InputError(f"the Dask scheduler at {scheduler} has no worker; start one with "
                             f"`dask worker {scheduler}`") from None
        yield client


def run_tasks(client: Client, function: Callable[..., dict], calls: Sequence[tuple[tuple, dict]], *,
              on_done: Callable[[int, dict], None] | None = None) -> list[dict]:
    """Run ``function(*args, **kwargs)`` for every call on the cluster; the rows it returns, in call order.

    Each call is one task, tried :data:`RETRIES` more times when it raises or its worker dies. A
    call that fails every time gets the row ``{"status": "failed", "reason": ...}`` and the others
    go on. ``on_done(index, row)`` is called as each task ends, in the order they end.
    """
    futures = [client.submit(function, *args, retries=RETRIES, pure=False, **kwargs) for args, kwargs in calls]
    index = {future.key: k for k, future in enumerate(futures)}
    rows: list[dict | None] = [None] * len(futures)
    for future in as_completed(futures):
        k = index[future.key]
        rows[k] = future.result() if future.status == "finished" else _failure(future)
        if on_done is not None:
            on_done(k, rows[k])
    return rows


def _failure(future: Future) -> dict:
    """The row of a task that failed on every try: what went wrong."""
    tries = RETRIES + 1
    try:
        exc = future.exception()
    except Exception as cancelled:  # noqa: BLE001 - a cancelled future has no exception, it raises one
        exc = cancelled
    return {"status": FAILED, "reason": f"the task failed {tries} times; last: {type(exc).__name__}: {exc}"}
