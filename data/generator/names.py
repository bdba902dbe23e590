"""Names in the invented county: townships, 街道, streets, villages, and the schools' principals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["name_pool", "person_name"]

TOWN_NAME_FIRST = "青柳石桃杏松梅双新古高龙凤金银铁白黄马杨王李张大小东西南北红花沙"
TOWN_NAME_SECOND = "山口林桥庄集店营屯寨湖坡岭沟泉埠堡峪河洼"
TOWN_SUFFIXES = ("镇", "乡")
TOWN_XIANG_SHARE = 0.25
SUBDISTRICT_NAMES = ("城关", "东城", "西城", "北城", "南城", "新华", "人民", "文化", "和平", "建设", "朝阳", "向阳")
SUBDISTRICT_SUFFIX = "街道"
SUBDISTRICT_DIRECTIONS = {"东城": 0.0, "北城": 90.0, "西城": 180.0, "南城": 270.0}  # bearing from the centre
SUBDISTRICT_DIRECTION_TOLERANCE = 60.0  # degrees
STREET_WORDS = (
    "人民", "建设", "解放", "文化", "和平", "胜利", "民主", "青年", "光明", "幸福", "新华", "黄河",
    "泰山", "府前", "工业", "商业", "育才", "团结", "友谊", "振兴", "兴华", "龙山", "凤凰", "金桥",
)  # fmt: skip
STREET_SUFFIXES = ("路", "街")  # east-west, north-south
VILLAGE_SURNAMES = (
    "李王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董"
    "程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭"
)
VILLAGE_SUFFIXES = ("家村", "庄村", "家庄村", "家洼村", "家屯村", "营村", "楼村", "官庄村")
#: Principals' given names: one or two characters from this pool after a surname of VILLAGE_SURNAMES.
GIVEN_NAME_CHARS = "建国华明丽军红平文伟芳秀英敏静志强磊洋艳勇杰娟涛超霞刚桂玉海燕云飞春林"
GIVEN_NAME_TWO_CHAR_SHARE = 0.7


def name_pool(rng: np.random.Generator, preset: Sequence[str], first: str, second: str, count: int) -> list[str]:
    """``count`` distinct names: the ``preset`` ones in order, then shuffled two-character combinations."""
    combos = [a + b for a in first for b in second if a != b and a + b not in preset]
    extra = [combos[i] for i in rng.permutation(len(combos))]
    names = [*preset, *extra][:count]
    if len(names) < count:
        raise ValueError(f"the name lists hold only {len(names)} names, {count} are needed: lower scale")
    return names


def person_name(rng: np.random.Generator) -> str:
    """A person's name: a surname of :data:`VILLAGE_SURNAMES` and one or two given characters."""
    length = 2 if rng.random() < GIVEN_NAME_TWO_CHAR_SHARE else 1
    surname = VILLAGE_SURNAMES[int(rng.integers(len(VILLAGE_SURNAMES)))]
    return surname + "".join(GIVEN_NAME_CHARS[int(i)] for i in rng.integers(len(GIVEN_NAME_CHARS), size=length))
