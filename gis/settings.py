"""Defaults for loading roads, with the reasoning behind each number.

Like ``osmnx.settings``: module-level values that callers may override, never literals in code.
"""

from __future__ import annotations

__all__ = [
    "DRIVE_HIGHWAYS",
    "HIGHWAY_SPEEDS_KPH",
    "FALLBACK_SPEED_KPH",
    "MAIN_HIGHWAYS",
    "MAIN_ROAD_TOLERANCE_M",
    "MAX_SNAP_M",
    "WALK_HIGHWAYS",
    "WALK_SPEED_KPH",
]

#: ``highway=*`` values kept for the driving network (motor roads; paths, tracks and footways excluded).
DRIVE_HIGHWAYS = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street", "road",
    }
)

#: Free-flow speeds (km/h) assumed for a road without ``maxspeed``, by highway class.
#: Chinese OSM rarely tags ``maxspeed``. The values follow the speed limits of
#: 《道路交通安全法实施条例》 art. 45-46 and 《公路工程技术标准》 JTG B01 design speeds, discounted
#: for mixed traffic: expressways 100, national/provincial trunk roads 70, urban arterials and
#: county roads 50-60, township roads 40, village roads 30, streets without a centre line 20-30.
HIGHWAY_SPEEDS_KPH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 70.0,
    "trunk_link": 50.0,
    "primary": 55.0,
    "primary_link": 40.0,
    "secondary": 45.0,
    "secondary_link": 35.0,
    "tertiary": 35.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 20.0,
    "living_street": 10.0,
}

#: The main road classes a map draws for orientation, most important first (``*_link`` ramps
#: count as their road's class): the national, provincial and county roads a planner knows by name.
MAIN_HIGHWAYS = ("motorway", "trunk", "primary", "secondary", "tertiary")

#: Douglas-Peucker tolerance (m) for those roads: below what a county map can show.
MAIN_ROAD_TOLERANCE_M = 10.0

#: Speed for a highway class missing from :data:`HIGHWAY_SPEEDS_KPH`.
FALLBACK_SPEED_KPH = 30.0

#: A school farther than this from the nearest road node is flagged as off the network.
MAX_SNAP_M = 1000.0

#: ``highway=*`` values kept for the walking network: the motor roads pupils may walk along (not
#: motorways) plus service roads, footways, paths, steps and tracks, like osmnx's ``walk`` filter.
WALK_HIGHWAYS = (DRIVE_HIGHWAYS - {"motorway", "motorway_link"}) | frozenset(
    {"service", "pedestrian", "footway", "path", "steps", "track", "bridleway", "corridor"}
)

#: Walking speed (km/h) on every edge of the walking network, one-way streets walked both ways.
#: 4.5 km/h is a pupil's steady pace (and the figure osmnx's examples use for walking).
WALK_SPEED_KPH = 4.5
