"""A 12-combination sweep on Dask: one worker against all cores, in the same run.

Sweeps ``--max-minutes 20,25,30,40 --balance 0.15,0.25,0.5`` on the demo county (at ``--scale``)
twice: on a local cluster of one worker, then of one worker per core (each worker one thread, each
solve one core). Prints the wall time of each sweep (the cluster's start apart), the ratio, and
checks that both runs gave the same plans (plan.csv of every combination byte for byte; a run the
time limit stops may differ, and is reported). It asserts nothing about time.

    python bench/sweep.py [--scale 1] [--time-limit 60] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from a checkout

from batch import dask_client, rule_grid, run_sweep
from data.demo import generate_demo
from gis.inputs import CountyFiles
from partition.solve import available_cores

__all__ = ["GRID", "timed_sweep", "main"]

#: The 12 combinations.
GRID = {"max_minutes": (20, 25, 30, 40), "balance": (0.15, 0.25, 0.5)}


def timed_sweep(files: CountyFiles, out: Path, *, workers: int, time_limit: float):
    """The sweep on a new local cluster of ``workers``: (seconds to start the cluster, seconds of the sweep, its table)."""
    start = time.perf_counter()
    with dask_client(workers=workers) as client:
        started = time.perf_counter()
        found = run_sweep(client, files, rule_grid(GRID), out, time_limit=time_limit)
        return started - start, time.perf_counter() - started, found.table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="demo county scale (default %(default)s)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve (default %(default)s)")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the county and the plans here")
    args = parser.parse_args(argv)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    county = generate_demo(work / "county", scale=args.scale)
    files = CountyFiles(osm=county.osm, schools=county.schools)
    cores = available_cores()
    runs = {}
    for workers in (1, cores):
        startup, seconds, table = timed_sweep(files, work / f"workers-{workers}", workers=workers, time_limit=args.time_limit)
        runs[workers] = seconds, table
        statuses = table["status"].value_counts().to_dict()
        print(f"{workers} worker(s): {seconds:7.1f} s for {len(table)} combinations ({statuses}); cluster start {startup:.1f} s")
    (one, table), (many, _) = runs[1], runs[cores]
    print(f"ratio one worker / {cores} workers: {one / many:.2f}")
    differ = [folder for folder in table["folder"].dropna()
              if (work / "workers-1" / folder / "plan.csv").read_bytes() != (work / f"workers-{cores}" / folder / "plan.csv").read_bytes()]
    stopped = int((table["status"] == "feasible").sum())
    print(f"plans that differ between the runs: {len(differ)} {differ or ''}"
          + (f" ({stopped} stopped by the time limit may differ)" if stopped else ""))
    return 1 if differ and not stopped else 0


if __name__ == "__main__":
    sys.exit(main())
