"""crawler.chrome: the chrome families as a case table (urlwatch filter_tests style)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler import chrome
from crawler.chrome import is_chrome_line, strip_chrome

CHROME = [
    "您现在的位置:首页>教育",
    "当前位置：首页 > 政务公开 > 通知公告",
    "您現在的位置：首頁 > 教育",
    "上一篇:关于开展2021年秋季学期开学检查的通知",
    "下一篇:抽筋未必都是缺钙“惹的祸”",
    "上一条:",
    "下一条:",
    "下一條：",
    "(责任编辑:admin) |",
    "【编辑：姚昊】",
    "(责编：郝帅、杨迪)",
    "浏览次数：1523",
    "點擊數：356",
    "【字体：大 中 小】",
    "【字體：大 中 小】",
    "【打印本页】【关闭窗口】",
    "【打印】【关闭】",
    "扫一扫在手机打开当前页",
    "分享到：微信 微博",
    "主办单位：天津市滨海新区教育体育局",
    "網站標識碼：1201160007",
    "津ICP备05012345号-1",
    "京公网安备11010502030000号",
    "推荐使用IE8及以上版本浏览器浏览",
    '- 凡本网注明"来源:的所有作品,版权均属于本网',
    "- - 本网转载并注明自其它来源的作品",
    "发布时间：2022-02-25 来源：滨海新区教育体育局 浏览次数：12",
    "2020-01-02 17:11",
    "2024年05月17日08:59 来源：北京青年报",
    "首页 | 上一页 1 下一页 | 尾页",
    "相关稿件",
    "索引号： 11120116MB1D5321X5/2022-00012 发布机构： 天津市滨海新区教育体育局",
    "Copyright © 2020 北方网 版权所有",
]
BODY = [
    "2022年2月25日",
    "(此件主动公开)",
    "一、坚持免试就近入学原则，公办学校不得以任何形式举行或变相举行与入学挂钩的考试。",
    "下一步，我区将在市委市政府的领导下，升级发展众创金融街。",
    "时间：2022年3月1日上午9:00",
    "联系电话：022-28123456",
    "第一条 为了深化国家监察体制改革，制定本法。",
    "（资料来源：参考消息、海外网等）",
    "各学校要统计学生点击数字资源的情况，" + "并按月报送。" * 30,  # long line: body
]


@pytest.mark.parametrize("line", CHROME)
def test_chrome_lines(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize("line", BODY)
def test_body_lines_are_kept(line: str) -> None:
    assert not is_chrome_line(line)


def test_inline_editor_credit_is_cut_from_the_last_paragraph() -> None:
    lines = ["积极打造中区教育生态文化品牌。 (责任编辑:admin) |"]
    assert strip_chrome(lines) == ["积极打造中区教育生态文化品牌。"]


def test_footer_run_with_contact_lines_goes_but_a_notice_contact_stays() -> None:
    body = ["各学校于3月15日前报送。", "联系电话：022-28123456", "河西区教育局"]
    footer = ["主办单位：某区教育局", "联系方式：022-66896693", "地址：某路1号"]
    assert strip_chrome(body) == body
    assert strip_chrome(body[:1] + footer) == body[:1]


def test_seed_page_tails_are_stripped() -> None:
    seeds = Path(__file__).parents[1].parent / "shared" / "seed-pages"
    if not seeds.exists():
        pytest.skip("shared seed pages absent")
    tails = {"000": "下一篇", "002": "主办单位", "004": "下一条"}
    for path in sorted(seeds.glob("*.txt")):
        kept = strip_chrome(path.read_text(encoding="utf-8").split("\n"))
        text = "\n".join(kept)
        for marker in (
            "您现在的位置",
            "(责任编辑",
            "网站标识码",
            "推荐使用IE8",
            "凡本网注明",
            "本网转载",
            "上一条:",
        ):
            assert marker not in text, (path.name, marker)
        if (marker := tails.get(path.name[:3])) is not None:
            assert marker not in text


def test_every_family_has_a_reason_comment() -> None:
    import archive.text.chrome as vocabulary

    source = Path(chrome.__file__).read_text(encoding="utf-8")
    source += Path(vocabulary.__file__).read_text(encoding="utf-8")
    for name in (
        "BREADCRUMB",
        "PREV_NEXT",
        "COUNTERS",
        "TOOLBAR",
        "SHARE",
        "EDITOR",
        "INFO_BAR",
        "RELATED",
        "DISCLAIMER",
        "FOOTER_STRONG",
        "FOOTER_WEAK",
        "BLOCK_WORDS",
    ):
        m = re.search(rf"\n(#[^\n]*\n)+{name} = ", source)
        assert m, f"{name} needs a comment saying why"
