"""archive.text.numbers: quantities with units, and which of them changed."""

from __future__ import annotations

import pytest

from archive.text.numbers import changed_quantities, find_quantities, mask, pair_unique_units

FIND = {
    "count": ("建设体育设施40处", [("40处", "处")]),
    "percent with qualifier": ("入学率达到97%以上", [("97%以上", "%")]),
    "range": ("组建3-5个集团", [("3-5个", "个")]),
    "ordinal": ("第十五届市运会和第25届推普周", [("第十五届", "届"), ("第25届", "届")]),
    "date": ("2022年2月25日印发", [("2022年2月25日", "date")]),
    "year": ("力争2022年优良率提高", [("2022年", "年")]),
    "compound units": (
        "35项次活动,3000人次,2.4亿元",
        [("35项次", "项次"), ("3000人次", "人次"), ("2.4亿元", "亿元")],
    ),
    "class hours": ("不少于2课时", [("2课时", "课时")]),
    "bare numbers": ("提升工程2.0", [("2.0", "#")]),
    "chinese numeral needs a unit": ("两项普查,千家万户,一体推进", [("两项", "项")]),
}


@pytest.mark.parametrize(("text", "want"), FIND.values(), ids=FIND.keys())
def test_find_quantities(text: str, want: list[tuple[str, str]]) -> None:
    assert [(q.text, q.unit) for q in find_quantities(text)] == want


CHANGED = {
    "one target": ("设施40处,满足需求", "设施50处,满足需求", [("40处", "50处")]),
    "two targets": (
        "培训200名,开展35项次",
        "培训300名,开展40项次",
        [("200名", "300名"), ("35项次", "40项次")],
    ),
    "percent": ("达到97%以上。", "达到98%以上。", [("97%以上", "98%以上")]),
    "range": ("组建3-5个", "组建4-6个", [("3-5个", "4-6个")]),
    "inside a reworded clause": ("建设设施40处", "新建改建设施50处", [("40处", "50处")]),
    "unchanged": ("设施40处", "设施40处", []),
    "new quantity has no partner": ("开展活动。", "开展活动10次。", []),
}


@pytest.mark.parametrize(("old", "new", "want"), CHANGED.values(), ids=CHANGED.keys())
def test_changed_quantities(old: str, new: str, want: list[tuple[str, str]]) -> None:
    assert [(a.text, b.text) for a, b in changed_quantities(old, new)] == want


def test_mask_keeps_wording_and_hides_values() -> None:
    a, _ = mask("设施40处", find_quantities("设施40处"))
    b, _ = mask("设施50处", find_quantities("设施50处"))
    c, _ = mask("设施50个", find_quantities("设施50个"))
    assert a == b != c
    assert a.startswith("设施")
    assert len(a) == 3


def test_pair_unique_units_for_rewritten_text() -> None:
    pairs = pair_unique_units("组织开展35项次赛事,2所学校", "全年举办赛事40项次,另有3所和5所")
    assert [(a.text, b.text) for a, b in pairs] == [("35项次", "40项次")]
