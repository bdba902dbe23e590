"""Progress of long steps, through :mod:`logging`: each package logs to its own logger.

A step logs its message at INFO when it starts and again, with its duration, when it ends. The
command line turns these into a spinner and a tick; a notebook sees them once it configures
logging (``logging.basicConfig(level=logging.INFO)``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["logged_step", "STEP_STARTED", "STEP_SECONDS"]

#: Attribute set (True) on the log record of a step that starts.
STEP_STARTED = "step_started"
#: Attribute of the log record of a step that ended: its duration in seconds.
STEP_SECONDS = "step_seconds"


@contextmanager
def logged_step(logger: logging.Logger, message: str) -> Iterator[None]:
    """Log ``message`` when the block starts and, with the seconds it took, when it ends."""
    logger.info("%s ...", message, extra={STEP_STARTED: True})
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    logger.info("%s (%.1f s)", message, seconds, extra={STEP_SECONDS: seconds})
