"""archive.text.normalize: what counts as the same substance (width, spacing, script, chrome)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.text.chrome import is_chrome_line
from archive.text.normalize import (
    comparison_key,
    fold_punct,
    normalize,
    split_chrome,
    text_digest,
)

NORMALIZE_CASES = {
    "trims and collapses spaces": ("  一、总则 \t 要求  \n", "一、总则 要求"),
    "drops blank lines": ("甲\n\n\n乙", "甲\n乙"),
    "full-width to half-width": ("（一）入学率９７％，", "(一)入学率97%,"),
    "ideographic space": ("\u3000\u3000现将通知印发", "现将通知印发"),
}


@pytest.mark.parametrize(("raw", "want"), NORMALIZE_CASES.values(), ids=NORMALIZE_CASES.keys())
def test_normalize(raw: str, want: str) -> None:
    assert normalize(raw) == want


SAME_KEY = {
    "width": ("建设设施40处,满足需求:", "建设设施４０处，满足需求："),
    "spacing": ("加强师德师风建设。", "加强 师德师风  建设。"),
    "script": ("加强师德师风建设,促进教育公平。", "加強師德師風建設,促進教育公平。"),
    "quotes": ("“双减”工作", '"双减"工作'),
    "corner quotes": ("“双减”工作", "「双减」工作"),
    "dashes": ("3—5个", "3-5个"),
    "counter line": ("正文一段。", "正文一段。\n浏览次数:1234"),
    "footer date": (
        "正文一段。\n主办单位:某区教育局\n2022年3月1日",
        "正文一段。\n主办单位:某区教育局\n2022年3月5日",
    ),
    "footer contact": (
        "正文一段。\n网站标识码:1201160007\n联系方式:022-66896693",
        "正文一段。\n网站标识码:1201160007\n联系方式:022-66896000",
    ),
}


@pytest.mark.parametrize(("a", "b"), SAME_KEY.values(), ids=SAME_KEY.keys())
def test_noise_does_not_change_the_key(a: str, b: str) -> None:
    assert comparison_key(a) == comparison_key(b)
    assert text_digest("标题", a) == text_digest("标題", b)


DIFFERENT_KEY = {
    "a digit": ("设施40处", "设施50处"),
    "a word": ("加强师德师风建设", "加强师风建设"),
    "a date inside the text": ("2022年2月25日\n正文。", "2022年2月26日\n正文。"),
    # Decided in archive.text.chrome: the 落款 date and a contact phone are a notice's substance.
    "the 落款 date": (
        "特此通知。\n滨海新区教育体育局\n2022年3月1日",
        "特此通知。\n滨海新区教育体育局\n2022年3月5日",
    ),
    "a contact phone": (
        "请于3月1日前报名。\n联系电话:022-28123456",
        "请于3月1日前报名。\n联系电话:022-99999999",
    ),
}


@pytest.mark.parametrize(("a", "b"), DIFFERENT_KEY.values(), ids=DIFFERENT_KEY.keys())
def test_substance_changes_the_key(a: str, b: str) -> None:
    assert comparison_key(a) != comparison_key(b)
    assert text_digest("", a) != text_digest("", b)


CHROME = [
    "主办单位:天津市滨海新区教育体育局",
    "網站標識碼:1201160007",
    "推荐使用IE8及以上版本浏览器浏览",
    "发布时间:2022-02-28 09:30 来源:区教育体育局 浏览次数:1024",
    "【字体:大 中 小】 【打印本页】 【关闭窗口】",
    "阅读量:56",
    "上一条:",
    "下一篇:抽筋未必都是缺钙",
]
NOT_CHROME = [
    "1.加强体育协会业务指导。",
    "组织开展35项次群众喜闻乐见的群体赛事活动。",
    "来源于群众、服务于群众" * 20,
    "(此件主动公开)",
    "联系电话:022-28123456",
    "2022年3月1日",
]


@pytest.mark.parametrize("line", CHROME)
def test_chrome_lines(line: str) -> None:
    body, chrome = split_chrome([normalize(line)])
    assert body == []
    assert chrome


@pytest.mark.parametrize("line", NOT_CHROME)
def test_body_lines_are_not_chrome(line: str) -> None:
    assert not is_chrome_line(normalize(line))


def test_a_signature_date_is_body_but_a_footer_date_is_chrome() -> None:
    body, chrome = split_chrome(["通知", "2022年2月25日", "正文。", "2022-03-01"])
    assert body == ["通知", "2022年2月25日", "正文。", "2022-03-01"]
    assert chrome == []
    footer = ["正文。", "联系电话:022-28123456", "网站标识码:1201160007", "2022-03-01"]
    body, chrome = split_chrome(footer)
    assert body == ["正文。"]
    assert chrome == footer[1:]


def test_fold_punct_keeps_length() -> None:
    text = "“双减”—「一」【二】～"
    assert len(fold_punct(text)) == len(text)


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@given(st.text(), st.text())
def test_digest_equal_iff_keys_equal(a: str, b: str) -> None:
    assert (text_digest("", a) == text_digest("", b)) == (
        comparison_key(f"\n{a}") == comparison_key(f"\n{b}")
    )
