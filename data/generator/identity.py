"""What the demo county is called and how every file it writes says that it is invented."""

from __future__ import annotations

__all__ = ["COUNTY_NAME", "GENERATOR_VERSION", "NOTE_TAG", "DEMO_NOTICE", "PROVENANCE_TAGS", "OSM_GENERATOR"]

COUNTY_NAME = "示范县"
#: Version of the generator, in the OSM header and the stamp ``data.demo.ensure_demo`` checks (which also
#: holds a hash of the generator's source, so any edit regenerates the cached demo).
GENERATOR_VERSION = "2"
SOURCE_TAG = "synthetic demo data"
NOTE_TAG = "示例数据（虚构）"  # noqa: RUF001 - Chinese full-width brackets
DEMO_NOTICE = f"{NOTE_TAG} / {SOURCE_TAG}"
PROVENANCE_TAGS = {"source": SOURCE_TAG, "note": NOTE_TAG}
OSM_GENERATOR = f"xuequ demo generator {GENERATOR_VERSION}"
