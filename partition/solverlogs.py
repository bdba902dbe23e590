"""Whether the solvers (HiGHS, CP-SAT) print their logs: never, unless a caller asks.

HiGHS and CP-SAT write from C++ straight to the process's standard output, so their logs cannot be
caught or redirected from Python; they are switched off where each solver is made instead.
:func:`partition.solve.solve` turns them on for its search with ``verbose=True``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["solver_logs", "solver_logs_enabled"]

_ENABLED: ContextVar[bool] = ContextVar("solver_logs", default=False)


@contextmanager
def solver_logs(enabled: bool = True) -> Iterator[None]:
    """Within this block, the solvers made in this thread print their logs when ``enabled``."""
    token = _ENABLED.set(bool(enabled))
    try:
        yield
    finally:
        _ENABLED.reset(token)


def solver_logs_enabled() -> bool:
    """Whether a solver made now should print its log."""
    return _ENABLED.get()
