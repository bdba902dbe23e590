"""GCJ-02 and BD-09 conversions on published pairs, and round trips under a metre."""

from __future__ import annotations

import numpy as np
import pytest

from gis.coords import bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, to_wgs84, wgs84_to_gcj02
from gis.network import great_circle_m

# Published reference pairs for (116.404, 39.915), as printed by the widely used coordtransform library.
POINT = (116.404, 39.915)
KNOWN = {
    wgs84_to_gcj02: (116.41024449916938, 39.91640428150164),
    gcj02_to_bd09: (116.41036949371029, 39.92133699351021),
    bd09_to_gcj02: (116.39762729119315, 39.90865673957631),
}


@pytest.mark.parametrize("convert", list(KNOWN), ids=lambda f: f.__name__)
def test_known_pairs(convert):
    lon, lat = convert(*POINT)
    assert great_circle_m(lon, lat, *KNOWN[convert]) < 0.05


def test_gcj02_inverse_is_better_than_the_one_step_formula():
    # The one-step inverse gives (116.39775550083061, 39.91359571849836), about a metre off;
    # ours must land within a metre of it and map back onto the input within a millimetre.
    lon, lat = gcj02_to_wgs84(*POINT)
    assert great_circle_m(lon, lat, 116.39775550083061, 39.91359571849836) < 2.0
    assert great_circle_m(*wgs84_to_gcj02(lon, lat), *POINT) < 1e-3


def test_round_trips_under_a_metre_across_china():
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(75, 134, 500), rng.uniform(18, 53, 500)
    gcj = wgs84_to_gcj02(lon, lat)
    assert great_circle_m(*gcj02_to_wgs84(*gcj), lon, lat).max() < 1.0
    bd = gcj02_to_bd09(*gcj)
    assert great_circle_m(*to_wgs84(*bd, "bd09"), lon, lat).max() < 1.0
    assert great_circle_m(*gcj, lon, lat).min() > 1.0  # the shift is real


def test_outside_china_is_unchanged():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_unknown_system():
    with pytest.raises(ValueError, match="use one of wgs84"):
        to_wgs84(1.0, 2.0, "utm")
