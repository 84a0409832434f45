"""archive.text.quantities: what a number means, and which numbers may be paired."""

from __future__ import annotations

import pytest

from archive.text.numbers import find_quantities
from archive.text.quantities import Kind, cn_number, same_measure, subject_of


def _meaning(text: str, index: int = 0):  # type: ignore[no-untyped-def]
    return find_quantities(text)[index].meaning


READ = {
    "magnitude keeps the unit": ("新增债务1.6万亿元", Kind.TARGET, "money", 1.6e12),
    "亿 is a magnitude": ("安排资金1800亿元", Kind.TARGET, "money", 1.8e11),
    "range": ("增长4.5-5%", Kind.TARGET, "percent", 4.5),
    "points": ("提高3.4个百分点", Kind.TARGET, "points", 3.4),
    "weight with magnitude": ("粮食产量476亿斤以上", Kind.TARGET, "weight", 4.76e10),
    "people": ("城镇新增就业46万人以上", Kind.TARGET, "people", 4.6e5),
    "edition": ("第25届推普周", Kind.EDITION, "count:届", 25),
    "session counter": ("十届十二次、十三次全会", Kind.EDITION, "count:届", 10),
    "line number": ("地铁12号线", Kind.IDENTIFIER, "count:号线", 12),
    "programme name": ("“1269”行动计划", Kind.IDENTIFIER, "bare", 1269),
    "slogan": ("做到“两个维护”", Kind.IDENTIFIER, "count:个", 2),
    "a word, not a count": ("高效办成一件事", Kind.IDENTIFIER, "count:件", 1),
    "year": ("力争2022年优良率提高", Kind.YEAR, "year", 2022),
    "bare year": ("2030先锋工程", Kind.YEAR, "year", 2030),
}


@pytest.mark.parametrize(("text", "kind", "family", "value"), READ.values(), ids=READ.keys())
def test_reading(text: str, kind: Kind, family: str, value: float) -> None:
    m = _meaning(text)
    assert (m.kind, m.family, m.low) == (kind, family, value)


def test_second_session_counter_is_an_edition_too() -> None:
    assert _meaning("十届十二次、十三次全会", 2).kind is Kind.EDITION


def test_cn_numbers() -> None:
    assert [cn_number(t) for t in ("十二", "一百零五", "两千", "三万", "x")] == [
        12,
        105,
        2000,
        30000,
        None,
    ]


def test_same_measure_needs_the_same_family_and_a_target() -> None:
    four, pm = _meaning("四个中心"), _meaning("PM2.5浓度29微克")
    assert not same_measure(_meaning("增长5%"), _meaning("提高2个百分点"))
    assert not same_measure(_meaning("第25届"), _meaning("第26届"))
    assert not same_measure(_meaning("1万亿元"), _meaning("11.86万人"))
    assert four is not None and pm is not None and not same_measure(four, pm)
    assert same_measure(_meaning("增长6%左右"), _meaning("增长5.5%-6%"))


def test_subject_drops_the_verb() -> None:
    text = "地区生产总值增长6%左右;规模以上工业增加值增长8%左右"
    q = find_quantities(text)
    assert subject_of(text, q[0].start) == "地区生产总值"
    assert subject_of(text, q[1].start) == "规模以上工业增加值"
