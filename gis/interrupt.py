"""Ending a run at once on Ctrl-C (SIGINT) or SIGTERM, even while a solver's native code runs.

Python runs its signal handlers only between bytecodes, so a Ctrl-C during a long HiGHS or CP-SAT
call would wait for the call to return. Here the C-level handler writes the signal number to a
pipe (:func:`signal.set_wakeup_fd`) and a watcher thread, which runs while native code holds no
lock, removes everything half-written (:func:`gis.files.discard_partial_output`), stops the worker
processes this run started, says so and ends the process with ``128 + signal``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .files import discard_partial_output

__all__ = ["end_on_interrupt", "INTERRUPT_SIGNALS", "exit_code"]

#: The signals that end a run.
INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_STOP_WATCHING = b"\0"  # no signal has number 0


def exit_code(signum: int) -> int:
    """The shell's exit status of a process ended by ``signum``: 130 for Ctrl-C."""
    return 128 + signum


@contextmanager
def end_on_interrupt(say: Callable[[int], None]) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM clean up, call ``say(signum)`` and end the process.

    Outside the main thread (where Python cannot set signal handlers) the block runs unguarded.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    watcher = threading.Thread(target=_watch, args=(read_fd, say), name="interrupt-watcher", daemon=True)
    watcher.start()
    previous = {signum: signal.signal(signum, _noted) for signum in INTERRUPT_SIGNALS}
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        os.write(write_fd, _STOP_WATCHING)
        watcher.join()
        os.close(read_fd)
        os.close(write_fd)


def _noted(signum, frame) -> None:
    """The Python-level handler: nothing to do, the watcher has the signal already."""


def _watch(read_fd: int, say: Callable[[int], None]) -> None:
    while True:
        signum = os.read(read_fd, 1)[0]
        if signum == _STOP_WATCHING[0]:
            return
        if signum in INTERRUPT_SIGNALS:
            discard_partial_output()
            for child in multiprocessing.active_children():
                child.terminate()
            say(signum)
            os._exit(exit_code(signum))
