"""Many plans at once on Dask: sweeps over the rules of one county, and batches of counties.

>>> from batch import dask_client, rule_grid, run_sweep                       # doctest: +SKIP
>>> cells = rule_grid({"max_minutes": [20, 25, 30, 40], "balance": [0.15, 0.25, 0.5]})  # doctest: +SKIP
>>> with dask_client() as client:                                              # doctest: +SKIP
...     sweep = run_sweep(client, gis.CountyFiles(osm=...), cells, "out/sweep")
"""

from batch.cluster import RETRIES, dask_client, run_tasks
from batch.counties import County, read_counties, run_counties
from batch.grid import SWEEPABLE, Cell, rule_grid
from batch.sweep import run_sweep
from batch.tables import Summary, is_batch_folder, pareto_efficient

__all__ = [
    "RETRIES", "SWEEPABLE", "Cell", "County", "Summary", "dask_client", "is_batch_folder", "pareto_efficient", "read_counties",
    "rule_grid", "run_counties", "run_sweep", "run_tasks",
]
