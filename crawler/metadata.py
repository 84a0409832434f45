"""Metadata stage: title, publish date, source organisation, 文号 and 索引号 of a policy page.

Read from the whole parsed page before chrome is pruned, because the info bar and the
信息公开 table that carry these values are themselves chrome. Every field is None when the
page does not state it: a wrong date or 文号 is worse than none for an analyst.
"""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass

from lxml import html as lxml_html

from crawler.chrome import both_scripts

__all__ = [
    "LABEL_WORDS",
    "PageMeta",
    "find_title",
    "labelled_fields",
    "read_metadata",
    "text_lines",
]


@dataclass(frozen=True, slots=True)
class PageMeta:
    """The metadata fields of ExtractedText, read before the text is cleaned."""

    published: datetime.date | None
    source_org: str | None
    doc_number: str | None
    index_number: str | None


# Labels as published, grouped by the field they fill, strongest label first.
# Traditional-script variants are derived (crawler.chrome.both_scripts).
LABELS: dict[str, tuple[str, ...]] = {
    name: both_scripts(labels)
    for name, labels in {
        "published": (
            "发布日期",
            "发布时间",
            "公开日期",
            "发文日期",
            "发表时间",
            "印发日期",
            "成文日期",
        ),
        # When the page was last edited: the publish date only when nothing else states one
        # (old CMSs print no other date), so it is read after meta tags and the URL.
        "updated": ("更新时间", "更新日期"),
        "source_org": (
            "发布机构",
            "发文机关",
            "发布单位",
            "信息来源",
            "文章来源",
            "来源于",
            "来源",
        ),
        "doc_number": ("发文字号", "文号", "发文号"),
        "index_number": ("索引号",),
    }.items()
}
# Bare 日期/时间 name the page's date only in an info bar: standing alone (line start or
# after a separator) on a line that also carries another info-bar label. Anywhere else
# they name something in the text ("时间：7月10日 地点：礼堂", "报名时间：…"): never a guess.
BAR_DATE_LABELS = both_scripts(("日期", "时间"))
# Info-bar words that are not labels of a field but show that a line is the info bar.
_BAR_WORDS = both_scripts(("作者", "浏览", "点击", "阅读", "访问", "字号", "字体"))
_ALL_LABELS = sorted({lab for labs in LABELS.values() for lab in labs}, key=len, reverse=True)
# Every word that labels a value on a page ("来源：", "作者：", "日期："): the extractor does
# not count the colon after one as sentence punctuation.
LABEL_WORDS = (*_ALL_LABELS, *BAR_DATE_LABELS, *_BAR_WORDS)
# Info-bar values run until the next label, a separator or a toolbar bracket.
# Values are single tokens (an organisation, a date, a number): whitespace ends them too.
_VALUE_END = re.compile(
    "|".join(re.escape(lab) for lab in _ALL_LABELS) + "|" + "|".join(_BAR_WORDS) + r"|【|\||｜|\s|$"
)
_LABEL_RE = re.compile("(" + "|".join(re.escape(lab) for lab in _ALL_LABELS) + r")\s*[:：]\s*")
_BAR_DATE_RE = re.compile(r"(?:^|(?<=[\s|｜】]))(" + "|".join(BAR_DATE_LABELS) + r")\s*[:：]\s*")
_BAR_MATE = re.compile("(?:" + "|".join((*_ALL_LABELS, *_BAR_WORDS)) + r")\s*[:：]")
# Meta tags that CMSs fill with the article's own fields.
META_TITLE = ("articletitle", "og:title", "twitter:title", "dc.title")
META_DATE = (
    "pubdate",
    "publishdate",
    "firstpublishedtime",
    "article:published_time",
    "og:release_date",
    "dc.date",
    "dc.date.issued",
    "date",
)
META_SOURCE = ("contentsource", "source", "dc.publisher")
# 〔2022〕 brackets vary: 〔〕 is correct, [] ［］ () （） 【】 are typed by hurried clerks.
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［(（【]\d{4}[〕\]］)）】]第?\d{1,5}号")
_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
# URL paths: /t20220225_123.html (TRS), /2016/11/22/, /art/2016/11/22/, /202202/25/.
_URL_DATE = (
    re.compile(r"/t(\d{4})(\d{2})(\d{2})_"),
    re.compile(r"/(\d{4})/(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/(\d{4})-(\d{2})/(\d{2})/"),
    re.compile(r"/(\d{4})(\d{2})/(\d{2})/"),
)
# <title> separators between article title, column and site name. A bare "-" only
# separates when a site-like name follows, so "1-10月…" stays whole.
_TITLE_SEP = re.compile(
    r"\s*(?:_{1,2}|\||｜|--|——|—|\s-\s|\s–\s|-(?=[^-]{2,30}(?:网|網|网站|官网|官方网站|门户网站)\s*$))\s*"
)
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "br",
        "tr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "section",
        "article",
        "ul",
        "ol",
        "dd",
        "dt",
        "dl",
        "header",
        "footer",
        "center",
        "blockquote",
        "pre",
        "form",
        "tbody",
    }
)
_TITLE_CLASS = re.compile(r"title|biaoti|bt\b|tit\b|heading|headline", re.I)
_NOT_TITLE_AREA = re.compile(r"header|logo|nav|menu|top|banner|foot|side|list|related|xg", re.I)
_WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _WS.sub("", text)


def text_lines(node: lxml_html.HtmlElement) -> list[str]:
    """Visible text of node, one line per block element or <br>, stripped, non-empty."""
    parts: list[str] = []

    def walk(el: lxml_html.HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style", "noscript", "template", "head"):
            if el.tail:
                parts.append(el.tail)
            return
        block = tag in _BLOCKS
        if block:
            parts.append("\n")
        elif tag in ("td", "th"):  # cells of a row stay on the row's line
            parts.append(" ")
        if el.text and tag:
            parts.append(el.text)
        for child in el:
            walk(child)
        if block:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    walk(node)
    lines = (_WS.sub(" ", ln.replace("\xa0", " ")).strip() for ln in "".join(parts).split("\n"))
    return [ln for ln in lines if ln]


def _join_title(node: lxml_html.HtmlElement) -> str:
    """A heading's text with its <br>-split lines joined (Chinese needs no space)."""
    return "".join(text_lines(node)).strip()


def _meta(tree: lxml_html.HtmlElement, names: tuple[str, ...]) -> str | None:
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("name") or el.get("property") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key in names and value and key not in found:
            found[key] = value
    return next((found[n] for n in names if n in found), None)


def _title_segments(tree: lxml_html.HtmlElement) -> list[str]:
    node = tree.find(".//title")
    raw = _WS.sub(" ", node.text_content()).strip() if node is not None else ""
    return [seg for seg in _TITLE_SEP.split(raw) if seg]


def _heading_candidates(tree: lxml_html.HtmlElement) -> list[tuple[str, bool]]:
    """(text, has_title_class) of headings outside the page frame, in document order."""
    found: list[tuple[str, bool]] = []
    for el in tree.iter("h1", "h2", "h3", "div", "td", "p", "span", "strong", "font"):
        names = f"{el.get('class', '')} {el.get('id', '')}"
        titled = bool(_TITLE_CLASS.search(names))
        if el.tag not in ("h1", "h2", "h3") and not titled:
            continue
        if any(
            _NOT_TITLE_AREA.search(f"{a.get('class', '')} {a.get('id', '')}")
            for a in el.iterancestors()
        ):
            continue
        text = _join_title(el)
        if 4 <= len(text) <= 200:
            found.append((text, titled))
    return found


def _info_bar_heading(lines: list[str]) -> str | None:
    """The line above the first info bar ("发布时间：… 来源：…"): where CMSs put the heading."""
    for i, line in enumerate(lines[1:], start=1):
        if _STAMP.match(line) or _LABEL_RE.match(line) or _LABEL_RE.search(line[:30] or " "):
            above = lines[i - 1]
            return above if 4 <= len(above) <= 120 and not _LABEL_RE.search(above) else None
    return None


def find_title(tree: lxml_html.HtmlElement, lines: list[str] | None = None) -> str:
    """The policy's own title: meta ArticleTitle, a heading matching <title>, or <title>."""
    meta = _meta(tree, META_TITLE)
    if meta:
        return _WS.sub(" ", meta).strip()
    lines = text_lines(tree) if lines is None else lines
    segments = _title_segments(tree)
    whole = _squash("".join(segments))
    site = {_squash(s) for s in (_meta(tree, ("sitename", "og:site_name")) or "",) if s}
    headings = _heading_candidates(tree)
    # A heading that the <title> repeats is the article title (the rest is column/site).
    for text, _ in headings:
        squashed = _squash(text)
        if len(squashed) >= 4 and squashed in whole and squashed not in site:
            if len(segments) < 2 or squashed != _squash(segments[-1]):
                return text
    first = segments[0] if segments else ""
    if first and len(segments) > 1 and _squash(first) not in site:
        return first
    # "中华人民共和国监察法-纪检": a bare "-" separates when the left part is a page line.
    page_lines = {_squash(ln) for ln in lines}
    for left in re.split(r"-|－", first)[:-1]:
        if len(left) >= 4 and _squash(left) in page_lines:
            return left.strip()
    # A one-part <title> printed as a page line is the heading; one that is not printed is
    # usually the site name: then the heading above the info bar, then any heading.
    if first and _squash(first) in page_lines and _squash(first) not in site:
        return first
    if (above := _info_bar_heading(lines)) and _squash(above) != whole:
        return above
    for text, _ in sorted(headings, key=lambda h: not h[1]):
        if _squash(text) not in site and _squash(text) != whole:
            return text
    return first


# The info bar's unlabelled timestamp ("2012-06-04 09:20:26"): a clock time marks it.
_STAMP = re.compile(r"^\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}日?\s*\d{1,2}:\d{2}")


def _parse_date(text: str) -> datetime.date | None:
    m = _DATE.search(text)
    if not m:
        return None
    try:
        return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def labelled_fields(tree: lxml_html.HtmlElement, lines: list[str] | None = None) -> dict[str, str]:
    """Label → value pairs from 信息公开 tables (label cell, value cell) and info-bar text."""
    fields: dict[str, str] = {}
    # Label/value pairs come as table rows (td td) or as definition lists (dt dd).
    rows = [[c for c in row if c.tag in ("td", "th")] for row in tree.iter("tr")]
    rows += [[c for c in dl if c.tag in ("dt", "dd")] for dl in tree.iter("dl")]
    for row in rows:
        cells = [_WS.sub(" ", c.text_content()).strip() for c in row]
        for label_cell, value in itertools.pairwise(cells):
            label = label_cell.strip().rstrip(":：").strip()
            if label in _ALL_LABELS and value and not _LABEL_RE.match(value):
                fields.setdefault(label, value.strip())
    for line in text_lines(tree) if lines is None else lines:
        found = list(_LABEL_RE.finditer(line))
        if (bare := _BAR_DATE_RE.search(line)) and _BAR_MATE.search(line):
            found.append(bare)
        for m in found:
            rest = line[m.end() :]
            end = _VALUE_END.search(rest)
            value = rest[: end.start() if end else len(rest)].strip(" ,，;；")
            if value:
                fields.setdefault(m.group(1), value)
    return fields


def _first(fields: dict[str, str], field: str) -> str | None:
    return next((fields[lab] for lab in LABELS[field] if fields.get(lab)), None)


def _labelled_date(fields: dict[str, str], labels: tuple[str, ...]) -> datetime.date | None:
    for lab in labels:
        if lab in fields and (date := _parse_date(fields[lab])):
            return date
    return None


def _published(
    fields: dict[str, str], tree: lxml_html.HtmlElement, url: str | None, lines: list[str]
) -> datetime.date | None:
    if date := _labelled_date(fields, LABELS["published"] + BAR_DATE_LABELS):
        return date
    if (meta := _meta(tree, META_DATE)) and (date := _parse_date(meta)):
        return date
    for line in lines:
        if _STAMP.match(line) and (date := _parse_date(line)):
            return date
    for pattern in _URL_DATE if url else ():
        if m := pattern.search(url or ""):
            try:
                return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
    return _labelled_date(fields, LABELS["updated"])


def _doc_number(fields: dict[str, str], lines: list[str]) -> str | None:
    if (value := _first(fields, "doc_number")) and (m := DOC_NUMBER.search(value)):
        return m.group(0)
    # An official document prints its 文号 alone on a line under the heading; a number
    # quoted inside a sentence refers to another document and is not this page's.
    for line in lines:
        m = DOC_NUMBER.fullmatch(line.strip())
        if m:
            return m.group(0)
    return None


def _source_org(fields: dict[str, str], tree: lxml_html.HtmlElement) -> str | None:
    value = _first(fields, "source_org") or _meta(tree, META_SOURCE)
    if not value:
        return None
    value = re.sub(r"^(?:来源|來源|信息来源)[:：]\s*", "", value).strip()
    return value or None


def read_metadata(
    tree: lxml_html.HtmlElement, url: str | None, lines: list[str] | None = None
) -> PageMeta:
    """Read publish date, source organisation, 文号 and 索引号 from a parsed page."""
    lines = text_lines(tree) if lines is None else lines
    fields = labelled_fields(tree, lines)
    index = _first(fields, "index_number")
    return PageMeta(
        published=_published(fields, tree, url, lines),
        source_org=_source_org(fields, tree),
        doc_number=_doc_number(fields, lines),
        index_number=index.split()[0] if index else None,
    )
