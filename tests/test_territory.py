"""Territory polygons: a partition of the region, each district holding its own points."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point, box

from partition.territory import territory_polygons, voronoi_territories


def test_territories_partition_the_boundary_and_hold_their_points():
    rng = np.random.default_rng(5)
    points = np.column_stack([117.0 + rng.uniform(0, 0.3, 2000), 36.0 + rng.uniform(0, 0.3, 2000)])
    labels = np.where(points[:, 0] < 117.1, "D01", np.where(points[:, 1] < 36.15, "D02", "D03"))
    boundary = box(116.99, 35.99, 117.31, 36.31)
    districts = territory_polygons(points, labels, boundary=boundary)
    assert list(districts["district"]) == ["D01", "D02", "D03"]
    assert districts.is_valid.all()
    assert set(districts.geom_type) <= {"Polygon", "MultiPolygon"}
    metric = districts.to_crs(districts.estimate_utm_crs())
    for a, b in itertools.combinations(metric.geometry, 2):
        assert a.intersection(b).area < 1.0
    covered = shapely.union_all(metric.geometry.to_numpy()).area
    whole = gpd.GeoSeries([boundary], crs=4326).to_crs(metric.crs).area.iloc[0]
    assert abs(covered - whole) / whole < 1e-6
    for (x, y), label in zip(points[::50], labels[::50]):
        assert districts.set_index("district").geometry[label].intersects(Point(x, y))


def test_coincident_points_keep_the_first_label():
    points = np.array([[117.0, 36.0], [117.0, 36.0], [117.1, 36.1], [117.05, 36.2]])
    districts = territory_polygons(points, np.array(["A", "B", "B", "B"]))
    a = districts.set_index("district").geometry["A"]
    assert a.contains(Point(117.0, 36.0))


def test_merged_school_territories_are_the_district_territories():
    rng = np.random.default_rng(7)
    points = np.column_stack([117.0 + rng.uniform(0, 0.3, 1500), 36.0 + rng.uniform(0, 0.3, 1500)])
    school_of_point = rng.integers(0, 40, len(points))
    school_of_point[:40] = np.arange(40)  # every school has a point
    district_of_school = np.array([f"D{k % 7:02d}" for k in range(40)])
    boundary = box(116.99, 35.99, 117.31, 36.31)
    schools = voronoi_territories(points, school_of_point, boundary=boundary)
    merged = schools.merged(district_of_school[schools.labels])
    direct = territory_polygons(points, district_of_school[school_of_point], boundary=boundary)
    assert list(merged["district"]) == list(direct["district"]) == sorted(set(district_of_school))
    metric = merged.estimate_utm_crs()
    for a, b in zip(merged.to_crs(metric).geometry, direct.to_crs(metric).geometry):
        assert a.is_valid and a.symmetric_difference(b).area < 1e-3
