"""Work in the background: reading a study's inputs and solving its runs, never inside a request.

A :class:`Runner` has a few daemon worker threads and a queue. A run goes through :data:`STAGES`
(roads, travel times, solving, territories, files), each recorded in the database as it starts,
so the run's page can show a progress bar by stage; the solver's gap, when it reports one, is
recorded too. A run ends ``done`` (its plan's files in its folder), ``infeasible`` (the reasons and
the smallest travel limit that has a plan) or ``failed`` (a message naming the fix; an unexpected
error is logged on the server and the page only says it happened).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gis.errors import InputError
from maps.outputs import write_plan_files
from partition.explain import InfeasibleError
from partition.highs import SOLVER_GAP
from partition.pipeline import prepare
from partition.rules import Rules
from partition.solve import solve

from .i18n import DEFAULT_LANGUAGE
from .store import Store
from .studies import CACHE_FOLDER, UPLOADED_INPUTS, StudyInputs, plan_file_options

__all__ = ["Runner", "run_progress", "STAGES", "RUN_WORKERS", "run_folder", "INTERRUPTED", "INTERNAL_ERROR", "shown_message"]

logger = logging.getLogger(__name__)

#: The stages of a run, in order, as the progress bar shows them.
STAGES = ("roads", "times", "solve", "territories", "files")
#: The logger whose DEBUG records carry the solver's gap.
SOLVER_LOGGER = "partition.highs"
#: Runs (and study readings) that go on at the same time; more wait in the queue.
RUN_WORKERS = 2
#: The message of a run that a stopped server left unfinished.
INTERRUPTED = "interrupted: the server stopped during this run; start it again"
#: The gap of a run is written to the database at most this often, in seconds.
GAP_INTERVAL_S = 0.5
#: What a person is told of an error that is not theirs to fix.
INTERNAL_ERROR = "internal error; the server's log has the details"


def run_folder(study_id: int, run_id: int) -> str:
    """A run's plan folder, relative to the data folder."""
    return f"studies/{study_id}/runs/{run_id}"


class _GapListeners(logging.Handler):
    """Hands the solver's gap (the :data:`partition.highs.SOLVER_GAP` of its records) to the listener of the thread solving."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.listeners: dict[int, Callable[[float], None]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        listener = self.listeners.get(record.thread)
        gap = getattr(record, SOLVER_GAP, None)
        if listener is not None and gap is not None:
            listener(gap)


_gap_listeners = _GapListeners()
logging.getLogger(SOLVER_LOGGER).addHandler(_gap_listeners)


@contextmanager
def solver_gaps(listener: Callable[[float], None]) -> Iterator[None]:
    """Call ``listener(gap)`` with each gap the solver reports in this thread while the block runs."""
    solver_logger = logging.getLogger(SOLVER_LOGGER)
    solver_logger.setLevel(logging.DEBUG)
    thread = threading.get_ident()
    _gap_listeners.listeners[thread] = listener
    try:
        yield
    finally:
        del _gap_listeners.listeners[thread]


def _throttled(write: Callable[[float], None], interval: float) -> Callable[[float], None]:
    """``write``, skipping calls that come within ``interval`` seconds of the last one made."""
    last = -math.inf

    def call(value: float) -> None:
        nonlocal last
        if time.monotonic() - last >= interval:
            last = time.monotonic()
            write(value)
    return call


class Runner:
    """Daemon worker threads taking jobs from a queue (a stopped server does not wait for them)."""

    def __init__(self, store: Store, inputs: StudyInputs, *, workers: int = RUN_WORKERS, jobs: int = 1):
        self.store = store
        self.inputs = inputs
        self.jobs = jobs
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()
        self._threads = [threading.Thread(target=self._work, name=f"xuequ-worker-{k}", daemon=True) for k in range(workers)]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                job()
            except Exception:  # a job records its own failure; this only keeps the worker alive
                logger.exception("background job failed")
            finally:
                self._queue.task_done()

    def wait(self) -> None:
        """Block until every queued job has ended (for tests and scripts)."""
        self._queue.join()

    def read_study(self, study_id: int) -> None:
        """Read the study's inputs in the background; the study becomes ``ready`` or ``failed``."""
        self._queue.put(lambda: self._read(study_id))

    def start_run(self, run_id: int) -> None:
        """Solve a queued run in the background."""
        self._queue.put(lambda: self._run(run_id))

    @contextmanager
    def _failures(self, study: dict, fail: Callable[[str], None], what: str) -> Iterator[None]:
        """Record through ``fail`` why the block failed: the message of bad input, else only that an error happened."""
        try:
            yield
        except InputError as exc:
            fail(shown_message(str(exc), self.store, study))
        except Exception:
            logger.exception("%s failed", what)
            fail(INTERNAL_ERROR)

    def _read(self, study_id: int) -> None:
        study = self.store.study(study_id)
        with self._failures(study, lambda message: self.store.study_failed(study_id, message), f"reading study {study_id}"):
            _, summary = self.inputs.read(study)
            self.store.study_read(study_id, summary)

    def _run(self, run_id: int) -> None:
        run = self.store.run(run_id)
        study = self.store.study(run["study_id"])
        with self._failures(study, lambda message: self.store.run_failed(run_id, message), f"run {run_id}"):
            try:
                plan = self._solve(run, study)
            except InfeasibleError as exc:
                self.store.run_infeasible(run_id, exc.reasons, exc.smallest_limit)
                return
            self.store.run_done(run_id, plan["folder"], plan["status"], plan["gap"])

    def _solve(self, run: dict, study: dict) -> dict:
        """The run's stages; the plan's folder, status and gap."""
        store, run_id, settings = self.store, run["id"], run["settings"]
        store.run_stage(run_id, "roads")
        data = self.inputs.get(study)
        rules = Rules.from_dict(run["rules"])
        store.run_stage(run_id, "times")
        prepared = prepare(data.schools, data.roads, rules, cache_dir=store.path(CACHE_FOLDER))
        store.run_stage(run_id, "solve")
        started = time.monotonic()
        with solver_gaps(_throttled(lambda gap: store.run_gap(run_id, gap), GAP_INTERVAL_S)):
            plan = solve(prepared.problem, time_limit=settings["time_limit"], seed=settings["seed"], jobs=self.jobs,
                         all_times=prepared.all_times)
        logger.info("run %s solved in %.1f s: %s", run_id, time.monotonic() - started, plan.status)
        store.run_stage(run_id, "territories")
        result = prepared.result(plan)
        store.run_stage(run_id, "files")
        folder = run_folder(study["id"], run_id)
        write_plan_files(result, store.path(folder), **plan_file_options(study, settings.get("lang", DEFAULT_LANGUAGE)))
        return {"folder": folder, "status": plan.status, "gap": plan.gap}


def shown_message(message: str, store: Store, study: dict) -> str:
    """A reader's message as a person may see it: our stored files named as they were uploaded."""
    inputs = study["inputs"]
    for key in UPLOADED_INPUTS:
        if key in inputs:
            message = message.replace(str(store.path(inputs[key])), inputs[f"{key}_name"])
    return message


#: Share of the progress bar each stage fills (the solve is most of a run).
STAGE_SHARES = {"roads": 0.05, "times": 0.15, "solve": 0.65, "territories": 0.10, "files": 0.05}
#: The bar stops short of a stage's end until the next stage starts.
STAGE_FILL_CAP = 0.95
#: Seconds the territories and files stages are expected to take, to move the bar within them.
EXPECTED_STAGE_S = 5.0


def run_progress(run: dict, *, now: float | None = None) -> dict:
    """Where a run is: its state, stage (index and share of the bar), the solver's gap, seconds in the stage."""
    now = time.time() if now is None else now
    stage = run["stage"]
    finished = run["state"] not in ("queued", "running")
    if finished or stage not in STAGES:
        share = 1.0 if finished else 0.0
        return {"state": run["state"], "stage": stage, "stage_index": -1, "share": share, "gap": run["gap"], "seconds": 0.0}
    index = STAGES.index(stage)
    seconds = max(0.0, now - (run["stage_started"] or now))
    expected = run["settings"]["time_limit"] if stage == "solve" else EXPECTED_STAGE_S
    done = sum(STAGE_SHARES[s] for s in STAGES[:index])
    share = done + STAGE_SHARES[stage] * min(seconds / expected, STAGE_FILL_CAP)
    return {"state": run["state"], "stage": stage, "stage_index": index, "share": round(share, 4), "gap": run["gap"],
            "seconds": round(seconds, 1)}
