"""Schools and roads: reading them from tables and OpenStreetMap, and road travel times between them.

>>> import gis
>>> roads = gis.read_road_network("county.osm.pbf")          # doctest: +SKIP
>>> schools = gis.read_school_table("schools.xlsx")          # doctest: +SKIP
"""

from gis.admin import read_admin_areas
from gis.errors import InputError
from gis.match import match_schools
from gis.network import RoadNetwork, read_road_network, snap_schools
from gis.osm_schools import assign_townships, read_osm_schools
from gis.schools import read_school_table
from gis.traveltime import TravelTimeEngine

__all__ = [
    "InputError",
    "RoadNetwork",
    "TravelTimeEngine",
    "assign_townships",
    "match_schools",
    "read_admin_areas",
    "read_osm_schools",
    "read_road_network",
    "read_school_table",
    "snap_schools",
]
