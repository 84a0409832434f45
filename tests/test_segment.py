"""archive.text.segment: structure and paths of a policy text."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.text.segment import clause_span, segment, split_sentences

GOLD = Path(__file__).parent / "gold" / "diff"

SAMPLE = """关于印发工作要点的通知
各单位:
一、总体要求
以习近平新时代中国特色社会主义思想为指导。
二、重点任务
(一)加强党的建设
1.学习宣传。内容一。
第二段,属于第1项。
2、加强班子建设。
(1)细化一。
(2)细化二。
(二)促进均衡
3.推进学前教育。
三、保障措施
1.强化经费保障。"""

EXPECTED_PATHS = [
    ("title", "title", "关于印发工作要点的通知"),
    ("preamble.1", "preamble", "各单位:"),
    ("一", "section", "总体要求\n以习近平新时代中国特色社会主义思想为指导。"),
    ("二", "section", "重点任务"),
    ("二.(一)", "subsection", "加强党的建设"),
    ("二.(一).1", "item", "学习宣传。内容一。\n第二段,属于第1项。"),
    ("二.(一).2", "item", "加强班子建设。"),
    ("二.(一).2.(1)", "subitem", "细化一。"),
    ("二.(一).2.(2)", "subitem", "细化二。"),
    ("二.(二)", "subsection", "促进均衡"),
    ("二.(二).3", "item", "推进学前教育。"),
    ("三", "section", "保障措施"),
    ("三.1", "item", "强化经费保障。"),
]


def test_paths_kinds_and_bodies() -> None:
    got = [(s.path, s.kind, s.body) for s in segment(SAMPLE)]
    assert got == EXPECTED_PATHS


def test_parents_point_at_enclosing_headings() -> None:
    segs = segment(SAMPLE)
    by_path = {s.path: s for s in segs}
    assert by_path["二.(一).2.(1)"].parent == by_path["二.(一).2"].index
    assert by_path["二.(一)"].parent == by_path["二"].index
    assert by_path["一"].parent is None


def test_full_width_markers_and_paths_stay_unique() -> None:
    segs = segment("一、甲\n（一）乙\n1．丙\n1．丁")
    assert [s.path for s in segs] == ["一", "一.(一)", "一.(一).1", "一.(一).1#2"]


NOT_MARKERS = {
    "decimal": "1.5亿元投入教育。",
    "year": "2022年全区教育工作要求。",
    "grades": "一、二年级学生不布置书面作业。",
    "yi shi": "一是更新观念。",
}


@pytest.mark.parametrize("line", NOT_MARKERS.values(), ids=NOT_MARKERS.keys())
def test_lines_that_are_not_markers(line: str) -> None:
    segs = segment(f"标题\n{line}")
    assert segs[-1].kind == "preamble"


def test_annual_plan_has_32_items_in_8_sections() -> None:
    segs = segment((GOLD / "annual_plan" / "old.txt").read_text(encoding="utf-8"))
    assert sum(s.kind == "section" for s in segs) == 8
    items = [s for s in segs if s.kind == "item"]
    assert len(items) == 32
    assert items[6].path == "二.7"
    assert "\n" in next(s for s in items if s.path == "二.10").text  # follow-on paragraph


SENTENCES = {
    "full stops": ("甲。乙!丙?", ["甲。", "乙!", "丙?"]),
    "closing quote stays": ("他说“好。”然后", ["他说“好。”", "然后"]),
    "semicolon": ("甲;乙。", ["甲;", "乙。"]),
    "newline": ("甲\n乙", ["甲\n", "乙"]),
    "spaces never split": ("甲 乙 丙", ["甲 乙 丙"]),
}


@pytest.mark.parametrize(("text", "want"), SENTENCES.values(), ids=SENTENCES.keys())
def test_split_sentences(text: str, want: list[str]) -> None:
    assert split_sentences(text) == want
    assert "".join(split_sentences(text)) == text


def test_clause_span_widens_to_punctuation() -> None:
    text = "加强管理,建设设施40处,满足需求。"
    start = text.index("40")
    lo, hi = clause_span(text, start, start + 3)
    assert text[lo:hi] == "建设设施40处,"
