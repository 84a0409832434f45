"""archive.text.quantities: what a number means, and which numbers may be paired."""

from __future__ import annotations

import pytest

from archive.text.diff import ChangeType, diff_texts
from archive.text.numbers import find_quantities
from archive.text.quantities import Kind, cn_number, same_measure, same_subject, subject_of


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


def test_a_subject_whose_word_is_gone_is_another_quantity() -> None:
    # six of seven characters recur (技 from 高技术), but the word 技改 does not
    assert not same_subject("制造业技改投资", "高技术制造业投资", 0.75)
    assert not same_subject("供水管网", "排水管网", 0.6)  # a compound's first character
    assert same_subject("城镇新增就业", "新增城镇就业", 0.8)  # reordered words
    assert same_subject("粮食产量", "粮食总产", 0.6)  # a reworded head after its first character
    assert same_subject("全省地区生产总值", "地区生产总值", 0.8)  # a scope word may be missing
    # a figure inside a subject is another quantity's, not a word of this one
    assert same_subject("校外培训机构压减至11家", "类校外培训机构压减至9家", 0.75)


def test_each_figure_of_a_distributive_list_has_its_own_noun() -> None:
    text = "改造老旧供热、燃气、排水管网800公里、600公里、300公里，完成"
    q = [x for x in find_quantities(text) if x.text.endswith("公里")]
    assert [subject_of(text, x.start) for x in q] == ["供热管网", "燃气管网", "排水管网"]
    text = "城乡居民收入分别增长5%、6.5%。"  # no list of nouns: the run has no subjects of its own
    q = find_quantities(text)
    assert subject_of(text, q[0].start) == "城乡居民收入"
    assert subject_of(text, q[1].start) == ""


def test_a_listed_target_pairs_with_the_same_noun_across_wordings() -> None:
    old = "标题\n一、建设\n改造燃气管网650公里、供热管网800公里、供水管网100公里。\n"
    new = "标题\n一、建设\n改造老旧供热、燃气、排水管网800公里、600公里、300公里。\n"
    pairs = {
        (c.old_value, c.new_value)
        for c in diff_texts(old, new).changes
        if c.type == ChangeType.NUMBER_CHANGED
    }
    assert ("650公里", "600公里") in pairs
    assert ("100公里", "300公里") not in pairs  # 供水 is not 排水


def test_a_target_of_a_merged_item_that_is_gone_is_reported() -> None:
    # The merged record shows only headings, so the dropped 能耗 target needs its own.
    old = (
        "标题\n一、总体要求\n今年主要预期目标是：地区生产总值增长5%左右，城镇新增就业30万人以上，"
        "单位地区生产总值能耗降低3.5%左右，生态环境质量持续改善。\n二、重点工作\n"
        "（一）推进科技创新。建设创新平台，培育高新技术企业，研发投入强度提高到2%以上。\n"
        "（二）扩大有效投资。实施重大项目，固定资产投资增长6%左右，加强要素保障。\n"
    )
    new = (
        "标题\n一、重点工作\n今年全省主要预期目标是：地区生产总值增长4.5%-5%，城镇新增就业30万人以上，"
        "单位地区生产总值二氧化碳排放降低3.8%左右，生态环境质量持续改善。\n"
        "（一）推进科技创新。建设创新平台，培育高新技术企业，研发投入强度提高到2%以上。\n"
        "（二）扩大有效投资。实施重大项目，固定资产投资增长6%左右，加强要素保障。\n"
    )
    changes = diff_texts(old, new).changes
    kinds = {(str(c.type), c.old_value, c.new_value) for c in changes}
    assert ("merged", None, None) in kinds
    assert ("target_removed", "3.5%左右", None) in kinds
    assert ("number_changed", "5%左右", "4.5%-5%") in kinds
    # 城镇新增就业30万人以上 stands unchanged in the new text: not dropped
    assert not [c for c in changes if c.old_value == "30万人以上"]
