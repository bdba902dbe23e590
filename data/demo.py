"""A seeded generator of 示范县, an invented but realistic Chinese county, for demos, tests and benchmarks.

``generate_demo`` writes two files:

* ``demo_county.osm``: OSM XML with the road network (a gridded county town, townships with small street
  grids, villages on ``unclassified`` roads, ``trunk``/``primary`` roads to the town and
  ``secondary``/``tertiary`` roads between townships) and ``boundary=administrative`` relations for the
  county (``admin_level=6``) and its 乡镇/街道 (``admin_level=8``), which tile the county;
* ``demo_schools.csv``: the bureau-style school table (UTF-8 with BOM, the Chinese headers of
  :data:`gis.schema.TABLE_HEADERS_ZH`), with enrollment, staff, the principal (校长; a few left blank,
  as in real tables), the seven resource indicators and the designated quality (优质) schools.

Everything is built in metres in UTM zone 50N around a centre in Shandong and written in WGS-84. The same
seed and scale give byte-identical files; ``scale`` multiplies the county's area and the number of
townships, villages and schools (``scale=20`` is prefecture-sized, for benchmarks). All of it is fiction:
every file says so (:data:`DEMO_NOTICE`). The parts live in :mod:`data.generator`; this module puts them
together and keeps the generated county where :func:`ensure_demo` finds it again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gis.cache import default_cache_dir
from gis.files import write_text_atomic

from .generator.county import Unit, build_city, county_outline, make_subdistricts
from .generator.identity import COUNTY_NAME, DEMO_NOTICE, GENERATOR_VERSION, NOTE_TAG
from .generator.roads import Roads
from .generator.sampling import voronoi_cells
from .generator.schools import assign_principals, make_schools
from .generator.townships import build_town_grid, build_town_roads, build_villages, link_neighbour_villages, place_towns
from .generator.writing import local_to_wgs84, write_osm, write_schools

__all__ = [
    "COUNTY_NAME",
    "DEMO_NOTICE",
    "DEMO_SEED",
    "GENERATOR_VERSION",
    "NOTE_TAG",
    "DemoFiles",
    "demo_dir",
    "ensure_demo",
    "generate_demo",
]

DEMO_SEED = 20261123
OSM_FILENAME = "demo_county.osm"
SCHOOLS_FILENAME = "demo_schools.csv"
STAMP_FILENAME = "demo_stamp.json"
STAMP_HASH_CHARS = 16
#: The generator's source files, whose hash is in the stamp.
GENERATOR_SOURCES = (Path(__file__), *sorted((Path(__file__).parent / "generator").glob("*.py")))
#: Where :func:`ensure_demo` keeps the demo county when it can write there (a source checkout; git ignores it),
#: and the folder of that name in the user's cache folder otherwise (an installed package).
PACKAGE_DEMO_DIR = Path(__file__).parent / "demo"
CACHE_DEMO_DIR_NAME = "demo"
#: Smallest supported ``scale``: below it the town and the townships no longer fit in the county.
MIN_SCALE = 0.5
#: The principals are drawn from their own random stream, so adding them changed nothing else in the county.
PRINCIPAL_STREAM = 1


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the demo county's files."""

    osm: Path
    schools: Path


def generate_demo(out_dir: Path, *, seed: int = DEMO_SEED, scale: float = 1.0) -> DemoFiles:
    """Generate the demo county's OSM roads and boundaries and its school table.

    Parameters
    ----------
    out_dir
        Directory to write ``demo_county.osm`` and ``demo_schools.csv`` into (created if missing).
    seed
        Seed of ``numpy.random.default_rng``; the same seed and scale give byte-identical files.
    scale
        Multiplies the county's area and its numbers of townships, villages and schools
        (``scale=20`` gives 200,000+ road nodes). At least ``MIN_SCALE``.

    Returns
    -------
    DemoFiles
        Paths of the written files.
    """
    if not (math.isfinite(scale) and scale >= MIN_SCALE):
        raise ValueError(f"scale must be a number >= {MIN_SCALE}, got {scale!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    net = Roads()
    county = county_outline(rng, scale)
    city = build_city(net, rng, scale)
    subdistricts = make_subdistricts(rng, city.square, scale)
    towns = place_towns(rng, county, city.square, scale)
    cells = voronoi_cells(np.array([t.seed for t in towns]), county.difference(city.square))
    for town, cell in zip(towns, cells, strict=True):
        town.cell = cell
        build_town_grid(net, rng, town)
    build_town_roads(net, rng, county, city, towns)
    for town in towns:
        build_villages(net, rng, town)
    link_neighbour_villages(net, rng, towns)
    schools = make_schools(rng, net, city, subdistricts, towns, scale)
    assign_principals(np.random.default_rng([seed, PRINCIPAL_STREAM]), schools)

    to_wgs84 = local_to_wgs84()
    files = DemoFiles(osm=out_dir / OSM_FILENAME, schools=out_dir / SCHOOLS_FILENAME)
    units = subdistricts + [Unit(t.name, t.cell) for t in towns]
    write_osm(files.osm, net, county, units, to_wgs84)
    write_schools(files.schools, schools, to_wgs84)
    return files


def demo_dir(preferred: Path = PACKAGE_DEMO_DIR) -> Path:
    """The folder :func:`ensure_demo` keeps the demo county in.

    ``preferred`` (``data/demo`` next to this module) when files can be made there; otherwise, as for a
    package installed where its user cannot write, ``demo`` in the user's cache folder
    (:func:`gis.cache.default_cache_dir`, which follows ``$XDG_CACHE_HOME``).
    """
    try:
        preferred.mkdir(parents=True, exist_ok=True)
    except OSError:
        return default_cache_dir() / CACHE_DEMO_DIR_NAME
    return preferred if os.access(preferred, os.W_OK) else default_cache_dir() / CACHE_DEMO_DIR_NAME


def ensure_demo(out_dir: Path | None = None) -> DemoFiles:
    """Return the demo county's files, generating them (default seed and scale) if missing or stale.

    Parameters
    ----------
    out_dir
        Where the files live; :func:`demo_dir` by default.

    Returns
    -------
    DemoFiles
        Paths of the files, made by this version of the generator.
    """
    out_dir = demo_dir() if out_dir is None else Path(out_dir)
    files = DemoFiles(osm=out_dir / OSM_FILENAME, schools=out_dir / SCHOOLS_FILENAME)
    stamp_path = out_dir / STAMP_FILENAME
    expected = _stamp(DEMO_SEED, 1.0)
    current = stamp_path.read_text(encoding="utf-8") if stamp_path.exists() else ""
    if current != expected or not (files.osm.exists() and files.schools.exists()):
        generate_demo(out_dir, seed=DEMO_SEED, scale=1.0)
        write_text_atomic(stamp_path, expected)
    return files


def _stamp(seed: int, scale: float) -> str:
    """What made the files: the generator (its version and a hash of its source), seed and scale."""
    digest = hashlib.sha256()
    for path in GENERATOR_SOURCES:
        digest.update(path.read_bytes())
    record = {"generator_version": GENERATOR_VERSION, "source_sha256": digest.hexdigest()[:STAMP_HASH_CHARS],
              "seed": seed, "scale": scale}
    return json.dumps(record, sort_keys=True)
