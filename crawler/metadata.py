"""Metadata stage: title, publish date, source organisation, 文号 and 索引号 of a policy page.

Read from the whole parsed page before chrome is pruned, because the info bar and the
信息公开 table that carry these values are themselves chrome. Every field is None when the
page does not state it: a wrong date or 文号 is worse than none for an analyst.
"""

from __future__ import annotations

import datetime
import itertools
import re
import unicodedata
from dataclasses import dataclass

from lxml import html as lxml_html

from crawler.chrome import CLOCK, DATE, both_scripts

__all__ = [
    "LABEL_WORDS",
    "PageMeta",
    "find_title",
    "is_info_bar",
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
# A label may be padded with spaces between its characters ("索 引 号："); each gap is one
# bounded run of spaces between literal characters, so matching stays linear.
_LABEL_RE = re.compile(
    "("
    + "|".join("[ \u3000\xa0]{0,3}".join(map(re.escape, lab)) for lab in _ALL_LABELS)
    + r")\s*[:：]\s*"
)
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
# (?<!\s): a match starts where a whitespace run starts, so a run of n spaces is scanned once,
# not once per position (quadratic).
_TITLE_SEP = re.compile(
    r"(?<!\s)\s*(?:_{1,2}|\||｜|--|——|—|\s-\s|\s–\s|-(?=[^-]{2,30}(?:网|網|网站|官网|官方网站|门户网站)\s*$))\s*"
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
    # Most of the split pieces are empty (block boundaries): only the rest pay the regex.
    pieces = (p for p in "".join(parts).split("\n") if p and not p.isspace())
    lines = (_WS.sub(" ", ln.replace("\xa0", " ")).strip() for ln in pieces)
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


# Markup a CMS left in a title field ("<div style=…>标题</div>"): tags only, bounded.
_TAGS = re.compile(r"<[^<>]{0,300}>")
# A page address used as a title: tested as "one word that starts like a URL or names a page
# file" rather than with one pattern, whose \S+ … \S* would try every split of a long word.
_URL_START = ("http://", "https://", "www.")
_PAGE_EXT = re.compile(r"\.(?:html?|shtml|jsp|aspx?|php)", re.I)


def _urlish(text: str) -> bool:
    if not text or any(c.isspace() for c in text):
        return False
    return text.lower().startswith(_URL_START) or _PAGE_EXT.search(text) is not None


# A <title> part that names the site, not the article: an organisation or portal name ends
# with one of these and carries no sentence punctuation.
_SITE_SUFFIX = re.compile(
    r"(?:人民政府|政府网|门户网站|网站|网|官网|教育局|教育体育局|教体局|教育厅|教育委员会|教委|"
    r"日报|晚报|电视台|政府|人民政府办公室)$"
)
_SITE_MAX = 20
_TITLE_PUNCT = re.compile(r"[，。：:！？!?、《》“”\"]")
# Quotes differ between <title> and heading ("有解思维" vs “有解思维”): compared as one.
_QUOTES = str.maketrans(dict.fromkeys("“”„‟＂〝〞", '"') | dict.fromkeys("‘’‚‛＇", "'"))
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.I)
_CENTRE_STYLE = re.compile(r"text-align\s*:\s*center", re.I)
_FONT_PX = re.compile(r"font-size\s*:\s*(\d{1,3})(px|pt)", re.I)
# A column name in front of the headline ("新华视界｜…", "图说洛阳| …") is this short.
_COLUMN_MAX = 6


def _key(text: str) -> str:
    """A title as compared: no spaces, one form of width and of quotes."""
    return _squash(unicodedata.normalize("NFKC", text).translate(_QUOTES))


def _clean_title(text: str) -> str:
    """A title field as a reader sees it: no markup, no URL, one space at most."""
    text = _WS.sub(" ", _TAGS.sub("", text)).strip()
    return "" if _urlish(text) else text


def _site_like(text: str) -> bool:
    return (
        len(text) <= _SITE_MAX
        and _SITE_SUFFIX.search(text) is not None
        and not _TITLE_PUNCT.search(text)
    )


def _raw_title(tree: lxml_html.HtmlElement) -> str:
    node = tree.find(".//title")
    return _clean_title(node.text_content()) if node is not None else ""


def _title_segments(tree: lxml_html.HtmlElement) -> list[str]:
    raw = _raw_title(tree)
    return [seg for seg in _TITLE_SEP.split(raw) if seg and not _urlish(seg)]


def _is_prominent(el: lxml_html.HtmlElement) -> bool:
    """A bold centred block or a large-font one: how old CMSs print a headline."""
    style = el.get("style", "")
    bold = el.tag in ("b", "strong") or bool(_BOLD_STYLE.search(style))
    size = _FONT_PX.search(style)
    big = bool(size and int(size.group(1)) >= (18 if size.group(2).lower() == "px" else 14))
    if el.tag == "font":
        big = big or el.get("size", "").strip() in ("4", "5", "6", "7", "+2", "+3", "+4")
    if not (bold or big):
        return False
    node, hops = el, 0
    while node is not None and hops < 3:
        if (
            node.tag == "center"
            or node.get("align", "").lower() == "center"
            or _CENTRE_STYLE.search(node.get("style", ""))
        ):
            return True
        node, hops = node.getparent(), hops + 1
    return big and bold


def _longer_than(el: lxml_html.HtmlElement, limit: int) -> bool:
    """True when el's text passes limit characters; reads no further than that."""
    size = 0
    for text in el.itertext():
        size += len("".join(text.split()))
        if size > limit:
            return True
    return False


def _heading_candidates(tree: lxml_html.HtmlElement) -> list[tuple[str, bool]]:
    """(text, named_or_styled) of headings outside the page frame, in document order."""
    found: list[tuple[str, bool]] = []
    for el in tree.iter(
        "h1", "h2", "h3", "div", "td", "p", "span", "strong", "font", "b", "center"
    ):
        names = f"{el.get('class', '')} {el.get('id', '')}"
        titled = bool(_TITLE_CLASS.search(names))
        if el.tag not in ("h1", "h2", "h3") and not titled:
            titled = _is_prominent(el)
            if not titled:
                continue
        if any(
            _NOT_TITLE_AREA.search(f"{a.get('class', '')} {a.get('id', '')}")
            for a in el.iterancestors()
        ):
            continue
        if _longer_than(el, 400):  # a layout cell holding the page is no heading: skip it early
            continue
        text = _join_title(el)
        if 4 <= len(text) <= 200 and "。" not in text:
            found.append((text, titled))
    return found


def _info_bar_heading(lines: list[str]) -> str | None:
    """The line above the first info bar ("发布时间：… 来源：…"): where CMSs put the heading."""
    for i, line in enumerate(lines[1:], start=1):
        if _STAMP.match(line) or _LABEL_RE.match(line) or _LABEL_RE.search(line[:30] or " "):
            above = lines[i - 1]
            return above if 4 <= len(above) <= 120 and not _LABEL_RE.search(above) else None
    return None


def is_info_bar(line: str) -> bool:
    """True for an info-bar line: a timestamp, or labelled date/source/author values."""
    return bool(
        _STAMP.match(line)
        or _LABEL_RE.search(line[:30])
        or (_BAR_DATE_RE.search(line) and _BAR_MATE.search(line))
    )


def _pick_segment(segments: list[str], raw: str) -> str | None:
    """The headline among <title> parts: the first, unless it is a short column name.

    A column name stands before a bar ("新华视界｜…", "图说洛阳| …"); a short part before any
    other separator is more often a short headline ("开学通知 - 某县第一实验中学").
    """
    if not segments:
        return None
    first = segments[0]
    longest = max(segments, key=len)
    column = re.match(re.escape(first) + r"\s*[|｜]", raw) is not None
    if column and len(first) <= _COLUMN_MAX and len(longest) >= 2 * len(first):
        return longest
    return first


def find_title(tree: lxml_html.HtmlElement, lines: list[str] | None = None) -> str:
    """The policy's own title: meta ArticleTitle, a heading matching <title>, or <title>.

    A <title> part that names the site is never the title; the part the page repeats in a
    heading or a bold centred block is preferred over the others.
    """
    meta = _clean_title(_meta(tree, META_TITLE) or "")
    if meta:
        return meta
    lines = text_lines(tree) if lines is None else lines
    segments = _title_segments(tree)
    whole = _key("".join(segments))
    site = {_key(s) for s in (_meta(tree, ("sitename", "og:site_name")) or "",) if s}
    site |= {_key(s) for s in segments if _site_like(s)}
    content = [s for s in segments if _key(s) not in site]
    headings = _heading_candidates(tree)
    # The last part is the site's name unless every part before it is ("乌海市人民政府 - 标题").
    last = _key(segments[-1]) if len(segments) > 1 and len(content) > 1 else None
    # A heading that the <title> repeats is the article title (the rest is column/site);
    # the longest such heading, so a column name the page also prints does not win.
    repeated = [
        text
        for text, _ in headings
        if len(key := _key(text)) >= 4 and key in whole and key not in site and key != last
    ]
    if repeated:
        return max(repeated, key=lambda t: len(_key(t)))
    first = segments[0] if segments else ""
    if len(segments) > 1 and (pick := _pick_segment(content, _raw_title(tree))):
        return pick
    # "中华人民共和国监察法-纪检": a bare "-" separates when the left part is a page line.
    page_lines = {_squash(ln) for ln in lines}
    for left in re.split(r"-|－", first)[:-1]:
        if len(left) >= 4 and _squash(left) in page_lines:
            return left.strip()
    # A one-part <title> printed as a page line is the heading; one that is not printed is
    # usually the site name: then the heading above the info bar, then any heading.
    if first and _squash(first) in page_lines and _key(first) not in site:
        return first
    if (above := _info_bar_heading(lines)) and _key(above) != whole:
        # A headline split by <br> shows its last line above the info bar: the whole block.
        return next((t for t, _ in headings if _key(above) in _key(t)), above)
    for text, _ in sorted(headings, key=lambda h: not h[1]):
        if _key(text) not in site and _key(text) != whole:
            return text
    return content[0] if content else first


# The info bar's unlabelled timestamp ("2012-06-04 09:20:26"): a clock time marks it.
# Forums and blogs put a verb before the stamp, no colon: "发表于 2023-06-20 15:30".
_POSTED = re.compile(r"^(?:发表于|发布于|發表於|發佈於|發布於)\s*")
_STAMP = re.compile(rf"^{DATE}\s*{CLOCK}")  # a publication stamp: a date with its clock time


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
            # "索  引 号：", "标　　题：": templates pad labels to one width with spaces.
            label = _WS.sub("", label_cell).rstrip(":：")
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
                fields.setdefault(_squash(m.group(1)), value)
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
        if _STAMP.match(_POSTED.sub("", line, count=1)) and (date := _parse_date(line)):
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
