"""The substance vocabulary: government-site chrome as data, and the rules that apply it.

Chrome is what a bureau's CMS prints around every article: breadcrumbs, prev/next links,
info bars, counters, print/close buttons, share bars and the site footer. Each family below
is a tuple of patterns with the reason it exists. This one module decides what is chrome for
both sides, so they can never disagree: the extractor (``crawler.extract`` through
``strip_chrome``) drops these lines from a page, and the normaliser
(``archive.text.normalize.split_chrome``, hence every digest and diff) ignores the same lines
in a text that reached the archive some other way. Patterns match simplified and
traditional script alike: pages are kept as published.

Decided once, each with its test (tests/test_chrome.py, tests/test_normalize.py):
- a contact line (联系电话：…) is substance unless it sits in the site footer next to a strong
  footer line: a notice may end with the number applicants must call, and when it changes
  that is a change;
- a bare date line (2022年3月1日) is a notice's 落款 date, substance, unless it sits in that
  same footer run; a date with a clock time (2022-03-01 16:05) is a publication stamp, chrome.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import opencc

__all__ = [
    "CHROME_LINE",
    "CLOCK",
    "DATE",
    "DATE_LINE",
    "FOOTER_STRONG",
    "FOOTER_WEAK",
    "INFO_TABLE_LABELS",
    "INLINE_CHROME",
    "both_scripts",
    "chrome_flags",
    "is_chrome_line",
    "strip_chrome",
]

_C = "[:：]"  # both colon widths occur, often on the same site
# Dates as bureau pages print them (2022年3月1日, 2022-03-01, 2022/3/1, 2022.3.1) and a clock
# time; metadata, the info bar and the footer rule below all read dates with these two.
DATE = r"\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}日?"
CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?"
# A line that is only a date: a notice's 落款 date, or the date a footer prints.
DATE_LINE = re.compile(rf"^\s*{DATE}\s*$")

# "您现在的位置:首页>教育": the breadcrumb trail above the article.
BREADCRUMB = (
    rf"^(?:您现在的位置|您的位置|您的当前位置|当前位置|现在位置|所在位置|當前位置|您現在的位置){_C}?",
)
# 上一篇/下一篇 links, including the empty "上一条:" a CMS prints on the first/last article.
PREV_NEXT = (
    rf"^(?:上一篇|下一篇|上一条|下一条|上一頁|下一頁|上一页|下一页|上篇|下篇|上一則|下一則){_C}?",
    r"^(?:首页|首頁)\s*[|｜]?\s*上一[页頁]",  # the list pager some CMSs print under articles
)
# Visit counters change on every fetch, so they would also fake a new version daily.
COUNTERS = (
    r"(?:浏览次数|瀏覽次數|访问量|訪問量|访问次数|点击数|點擊數|点击量|點擊量|阅读次数|閱讀次數|阅读量|閱讀量)",
)
# The font-size switcher and print/close/favourite buttons of the article toolbar.
TOOLBAR = (
    r"【?\s*字[体號号體]\s*[:：]?\s*[\[【]?\s*大\s*[\]】]?\s*[\[【]?\s*中\s*[\]】]?\s*[\[【]?\s*小",
    r"^字[号號][:：]?\s*默认",
    r"[【\[](?:打印本页|打印本頁|打印|关闭窗口|關閉窗口|关闭|關閉|收藏本页|返回顶部|返回頂部)[】\]]",
    # The button words are separator-free, so each run between bars has one reading: with
    # \S the words could swallow bars and "打印" + 100 × "|" + " a" tried every partition.
    r"^(?:打印本页|打印本頁|关闭窗口|關閉窗口|打印|关闭|關閉|收藏|返回顶部)(?:\s*[|｜]\s*[^\s|｜]{2,4})*$",
    r"返回首页|设为首页|加入收藏|添加收藏夹|无障碍浏览",
)
# Share bars and the QR code box.
SHARE = (
    r"^分享到",
    r"扫一扫在手机打开当前页|掃一掃在手機打開當前頁|微信扫一扫|用手机扫描二维码|扫描二维码分享",
)
# Editor credits: "(责任编辑:admin)", "【编辑：姚昊】" close the article but are not policy text.
EDITOR = (
    rf"^[（(【\[]?\s*(?:责任编辑|責任編輯|责编|責編|编辑|編輯|校对|校對|审核|審核|录入|錄入){_C}",
)
# The info bar under the heading: 发布时间/来源/作者 … as one short line. Its values are
# read as metadata before the text is cleaned (crawler.metadata), so nothing is lost.
INFO_BAR = (
    rf"^(?:发布时间|發布時間|发布日期|發布日期|发表时间|来源|來源|信息来源|文章来源|作者|"
    rf"来源于|字号|打印){_C}.{{0,60}}$",
    # the 信息公开 table above the text, when an extractor prints it as rows
    rf"^(?:索引号|发布机构|发文字号|成文日期|主题分类|公开方式|有效性|发文机关){_C}",
    rf"(?:发布时间|發布時間|发布日期|發布日期){_C}\s*\d{{4}}.{{0,80}}(?:来源|來源|作者|浏览|点击){_C}?",
    # a bare timestamp with clock time ("2020-01-02 17:11"); a 落款 date has no clock time
    rf"^{DATE}\s*{CLOCK}(?:\s+(?:来源|來源){_C}.{{0,40}})?$",
)
# Boilerplate headings of the related-articles box.
RELATED = (r"^(?:相关稿件|相关阅读|相关链接|相关文章|相關文章|相关新闻|推荐阅读|热点推荐)$",)
# Disclaimers printed under every article of news-style portals.
DISCLAIMER = (
    r"^[-•·\s]*凡本网注明",
    r"^[-•·\s]*本网转载",
    r"^[-•·\s]*如涉及作品内容、版权",
    r"^[-•·\s]*免责声明",
    r"推荐使用IE\d*及以上版本浏览器|建议使用.{0,20}浏览器|分辨率.{0,10}浏览",
)
# Site footer lines that never occur in policy text.
FOOTER_STRONG = (
    r"版权所有|版權所有|Copyright|©",
    rf"主办单位{_C}|主辦單位{_C}|承办单位{_C}|承辦單位{_C}|主办{_C}|承办{_C}|技术支持{_C}|技術支持{_C}",
    r"网站标识码|網站標識碼|ICP备|ICP證|ICP证|公网安备|公網安備|政府网站标识码|政府网站找错",
    r"^(?:网站地图|網站地圖|联系我们|關於我們|关于我们|网站声明|隐私声明)(?:\s*[|｜]|$)",
)
# Contact lines and a bare date are footer only next to a strong footer line: a notice may
# legitimately end with "联系电话：…" for applicants and with its 落款 date, and a change to
# either is a change, so these alone never make a line chrome.
FOOTER_WEAK = (
    rf"^(?:联系方式|联系电话|联系地址|地址|邮编|邮政编码|电话|传真|E-?mail|电子邮箱|聯繫電話|地址){_C}",
    rf"^{DATE}$",
)

# Label cells of the 信息公开 table printed above the article (label cell, value cell). A
# table of these pairs is metadata: crawler.metadata reads it before pruning, and the
# extractor drops it so it is never returned as body. Exact cell texts, so a body table's
# "项目名称" or "学校名称" column is not one of them.
INFO_TABLE_LABELS = (
    "索引号",
    "统一编号",
    "名称",
    "标题",
    "文件名称",
    "发布机构",
    "发文机关",
    "发文单位",
    "发布单位",
    "所属机构",
    "信息来源",
    "来源",
    "文号",
    "发文字号",
    "发文号",
    "成文日期",
    "发布日期",
    "发文日期",
    "公开日期",
    "生效日期",
    "实施日期",
    "废止日期",
    "失效日期",
    "主题分类",
    "信息分类",
    "组配分类",
    "体裁分类",
    "服务对象分类",
    "主题词",
    "关键词",
    "公开方式",
    "公开范围",
    "公开时限",
    "有效性",
    "时效性",
    "效力状态",
)

# Traditional-script pages print the same chrome converted by their CMS; deriving the
# variants keeps one list of data instead of two drifting ones.
_CONVERTERS = tuple(opencc.OpenCC(c) for c in ("s2t", "s2tw", "s2hk"))


def both_scripts(patterns: Iterable[str]) -> tuple[str, ...]:
    """The patterns plus their traditional-script variants, deduplicated, order kept."""
    out: dict[str, None] = {}
    for pattern in patterns:
        out[pattern] = None
        for conv in _CONVERTERS:
            out[conv.convert(pattern)] = None
            # OpenCC's phrase table knows only one form of a word (发布 → 發佈), but Taiwan
            # writes 發布 (the Ministry of Education standard): converting character by
            # character adds the form without the phrase table's choice.
            out["".join(map(conv.convert, pattern))] = None
    return tuple(out)


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in both_scripts(patterns)), re.I)


CHROME_LINE = _compile(
    (
        *BREADCRUMB,
        *PREV_NEXT,
        *COUNTERS,
        *TOOLBAR,
        *SHARE,
        *EDITOR,
        *INFO_BAR,
        *RELATED,
        *DISCLAIMER,
        *FOOTER_STRONG,
    )
)
_FOOTER_STRONG = _compile(FOOTER_STRONG)
_FOOTER_WEAK = _compile(FOOTER_WEAK)
# Chrome glued to the end of a body line: "…成为现实。 (责任编辑:admin) |".
INLINE_CHROME = _compile(
    (
        rf"\s*[（(]\s*(?:责任编辑|责编|编辑){_C}[^）)]*[）)]\s*[|｜]?\s*$",
        rf"\s*[【\[](?:编辑|责任编辑){_C}[^】\]]*[】\]]\s*$",
    )
)
# A chrome line is short; a long line that merely mentions 点击数 is body text.
_MAX_CHROME_LEN = 120


# Cached: the extractor cleans its own and trafilatura's lines, and a site repeats its footer
# on every page, so most lines are asked about more than once.
@functools.lru_cache(maxsize=8192)
def is_chrome_line(line: str) -> bool:
    """True when a whole line is government-site chrome (strong families only)."""
    text = line.strip()
    if not text:
        return False
    if len(text) > _MAX_CHROME_LEN:
        return False
    return CHROME_LINE.search(text) is not None


# Every credit INLINE_CHROME knows names an editor (编辑, 责编), in either script.
_EDITOR_CHARS = tuple(dict.fromkeys(both_scripts(["编"])))
# Inline chrome is a short credit at the very end of a line: matching only the tail keeps a
# 100 KB line of unclosed "(编辑:" from costing a scan to the end per occurrence.
_INLINE_TAIL = 200


def _strip_inline(line: str) -> str:
    head, tail = line[:-_INLINE_TAIL], line[-_INLINE_TAIL:]
    if not any(c in tail for c in _EDITOR_CHARS):  # the common case, at a glance
        return line.rstrip(" |｜")
    return (head + INLINE_CHROME.sub("", tail)).rstrip(" |｜")


def _is_footer_run_line(line: str) -> bool:
    return len(line) <= _MAX_CHROME_LEN and (
        _FOOTER_WEAK.search(line) is not None or is_chrome_line(line)
    )


def chrome_flags(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it is chrome: a strong-family line anywhere, and every line of
    the trailing footer run when that run holds a strong footer line (weak lines — contacts,
    a bare date — count as chrome only there)."""
    flags = [is_chrome_line(line) for line in lines]
    end = len(lines)
    while end and _is_footer_run_line(lines[end - 1].strip()):
        end -= 1
    tail = [t.strip() for t in lines[end:]]
    if tail and (any(_FOOTER_STRONG.search(t) for t in tail) or all(flags[end:])):
        flags[end:] = [True] * len(tail)
    return flags


def strip_chrome(lines: Iterable[str]) -> list[str]:
    """Remove chrome lines and trailing chrome fragments; keep every other line as is."""
    kept = [s for s in (_strip_inline(raw.strip()) for raw in lines) if s]
    return [s for s, chrome in zip(kept, chrome_flags(kept), strict=True) if not chrome]
