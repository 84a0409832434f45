"""Extraction stage: page bytes or text → ExtractedText (title, body, metadata, attachments).

Broken markup is repaired, then known chrome blocks, 信息公开 tables and link directories are
pruned (crawler.chrome words plus the source's own ``prune_xpath``). Our own reading of the
body (crawler.blocks: densest block, anchored on the printed headline, widened over split
containers) is compared with trafilatura's reading of the same column when the body is
short; trafilatura's lines win unless they are almost nothing, the whole page or merged
cells. On a long body our reading decides alone. Chrome lines are stripped from the result.
Pure: no Scrapy import.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, replace

from lxml import etree
from lxml import html as lxml_html

from crawler import chrome
from crawler.attachments import Attachment, find_attachments
from crawler.blocks import choose_block
from crawler.encoding import DecodeError, decode_html
from crawler.metadata import find_title, read_metadata, text_lines

__all__ = [
    "Attachment",
    "DecodeError",
    "ExtractOptions",
    "ExtractedText",
    "extract",
    "extract_html",
]


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """Per-source extraction settings; a site quirk is data here, never code."""

    prune_xpath: tuple[str, ...] = ()  # extra chrome blocks of one site, removed first
    # Equal figures either way on the gold set; recall mode because a lost sentence is worse
    # than a kept chrome line, which the layer after trafilatura strips anyway.
    favor_recall: bool = True
    include_tables: bool = True  # 名单/一览表 tables are policy text
    fallback: bool = True  # use our densest-block reading when trafilatura fails


@dataclass(frozen=True, slots=True)
class ExtractedText:
    """What a policy page says, without the site around it."""

    title: str
    text: str
    published: datetime.date | None
    source_org: str | None
    doc_number: str | None
    index_number: str | None
    attachments: tuple[Attachment, ...]
    encoding: str | None
    replaced_bytes: int = 0  # undecodable bytes shown as U+FFFD (crawler.encoding)


_DEFAULT = ExtractOptions()
# libxml2 ends the document at the first </html> or </body>; CMS headers included as
# separate files close them early, so every closing tag goes (the parser re-closes).
_EARLY_CLOSE = re.compile(r"</\s*(?:html|body)\s*>", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "select",
    "button",
    "input",
    "textarea",
)
_SENTENCE = re.compile(r"[。，；！？,;]")
_TABLE_ROW = re.compile(r"^\|(.*)\|$")
_WS = re.compile(r"\s+")
# trafilatura output shorter than this share of our densest block means it lost the body;
# longer than _WHOLE_PAGE times means it fell back to the whole page.
_MIN_SHARE = 0.6
_WHOLE_PAGE = 1.6
# A trafilatura line this many times longer than our longest paragraph is merged cells.
_MERGED = 1.5
_SCOPE_LEVELS = 2  # trafilatura reads our block's grandparent
_SECOND_OPINION_MAX = 3000  # characters of our reading above which trafilatura is not asked
# A 信息公开 label cell: the label alone ("文号：") or with its value in the same cell.
_INFO_LABEL = re.compile(
    "("
    + "|".join(sorted(chrome.both_scripts(chrome.INFO_TABLE_LABELS), key=len, reverse=True))
    + r")[:：]?(?:(?<=[:：])(.+))?"
)
# A label cell, or a list item holding label and value, is short (a value may be a title).
_LABEL_CELL_CHARS = 200


def repair_markup(html: str) -> str:
    """Remove what makes lxml drop the body: early </html></body>, an XML declaration, BOM."""
    return _EARLY_CLOSE.sub("", _XML_DECL.sub("", html.lstrip("\ufeff")))


def _parse(html: str) -> lxml_html.HtmlElement:
    try:
        return lxml_html.document_fromstring(repair_markup(html) or "<html></html>")
    except etree.ParserError:
        # "Document is empty": whitespace, a lone comment or a stray end tag (a maintenance
        # page). No element means no text: an empty page, which the archive records as such.
        return lxml_html.document_fromstring("<html></html>")


def _is_chrome_block(el: lxml_html.HtmlElement) -> bool:
    names = f"{el.get('class', '')} {el.get('id', '')}".lower()
    if not names.strip():
        return False
    words = set(re.split(r"[\s_\-]+", names))
    return bool(words & chrome.BLOCK_WORDS) or any(f in names for f in chrome.BLOCK_FRAGMENTS)


def _cell_text(cell: lxml_html.HtmlElement) -> str:
    """A label cell's text without spaces; "" for any other cell, read no further than needed."""
    # Layout tables nest the whole page in cells: reading each of them would cost O(n²).
    parts: list[str] = []
    size = 0
    for text in cell.itertext():
        if not parts and not (text := _WS.sub("", text)):
            continue
        if not parts and not _INFO_LABEL.match(text):  # a label opens its cell
            return ""
        parts.append(text)
        size += len(text)
        if size > _LABEL_CELL_CHARS:
            return ""
    return _WS.sub("", "".join(parts))


def _label_pairs(row: lxml_html.HtmlElement) -> set[str]:
    """Known 信息公开 labels of a row that stand before a value ("文号：" | "县教〔2023〕9号")."""
    if row.tag == "li":  # a list item is one cell: "文号：县教〔2023〕9号"
        m = _INFO_LABEL.fullmatch(_cell_text(row))
        return {m.group(1)} if m and m.group(2) else set()
    cells = [_cell_text(c) for c in row if c.tag in ("td", "th")]
    found = set()
    for i, cell in enumerate(cells):
        if m := _INFO_LABEL.fullmatch(cell):
            # The next cell is the value; a header row of a body table is label after label.
            if m.group(2) or (i + 1 < len(cells) and not _INFO_LABEL.fullmatch(cells[i + 1])):
                found.add(m.group(1))
    return found


def _drop_info_tables(tree: lxml_html.HtmlElement) -> None:
    """Drop the label/value rows of 信息公开 tables and lists: metadata, never body.

    crawler.metadata has read them already. A table (or ul/ol) qualifies when most of its
    rows (items) pair known labels with values and it names at least two labels; only those
    rows go, so a body that shares the table survives.
    """
    for table in list(tree.iter("table", "ul", "ol")):
        if table.tag == "table":
            rows = [
                r
                for part in (table, *table.iterchildren("tbody", "thead", "tfoot"))
                for r in part.iterchildren("tr")
            ]
        else:
            rows = list(table.iterchildren("li"))
        labelled, names, misses = [], set(), 0
        for row in rows:
            if found := _label_pairs(row):
                labelled.append(row)
                names |= found
            else:
                misses += 1
                if misses * 2 >= len(rows):  # most rows can no longer be labelled
                    break
        else:
            if len(names) >= 2:
                for row in labelled:
                    row.drop_tree()


# A link directory ("中国政府网 / 国家部委网站 / 外交部 国防部 …"): a run of at least this many
# sibling lines that are nothing but short links, with this many links in all.
_DIRECTORY_LINES = 5
_DIRECTORY_LINKS = 8
_DIRECTORY_LINK_CHARS = 15  # average link text: ministry and city names, not headlines
_DIRECTORY_LINE_CHARS = 60


def _link_line(el: lxml_html.HtmlElement) -> int:
    """Links of a line that is nothing but short links; 0 for any other element."""
    chars = 0
    for text in el.itertext():  # stops early: a body paragraph is never read to its end
        chars += len("".join(text.split()))
        if chars > _DIRECTORY_LINE_CHARS:
            return 0
    anchors = [el] if el.tag == "a" else list(el.iter("a"))
    links = sum(len("".join(a.text_content().split())) for a in anchors)
    ok = anchors and chars and links == chars and links <= _DIRECTORY_LINK_CHARS * len(anchors)
    return len(anchors) if ok else 0


def _drop_link_directories(tree: lxml_html.HtmlElement) -> None:
    """Drop runs of link-only sibling lines: a portal's directory, even inside the body."""
    # A directory line is a link, or holds links one or two levels down (li > a, dt > h4 > a).
    bearing: set[lxml_html.HtmlElement] = set()  # links and their two nearest ancestors
    parents: dict[lxml_html.HtmlElement, None] = {}
    for a in tree.iter("a"):
        bearing.add(a)
        node = a
        for level in range(3):
            node = node.getparent()
            if node is None:
                break
            if level < 2:
                bearing.add(node)
            if len(node) >= _DIRECTORY_LINES:
                parents[node] = None
    doomed: list[lxml_html.HtmlElement] = []
    for parent in parents:
        if sum(1 for c in parent if c in bearing) < _DIRECTORY_LINES:
            continue  # too few lines with links to hold a directory
        run: list[lxml_html.HtmlElement] = []
        links = 0
        for child in [*parent, None]:
            if child is not None and child.tag == "br":
                if run:
                    run.append(child)  # a line break neither extends nor ends a run
                continue
            n = _link_line(child) if child in bearing else 0
            if n:
                run.append(child)  # type: ignore[arg-type]
                links += n
                continue
            lines = sum(1 for r in run if r.tag != "br")
            if lines >= _DIRECTORY_LINES and links >= _DIRECTORY_LINKS:
                doomed += run
            run, links = [], 0
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()


def _prune(tree: lxml_html.HtmlElement, options: ExtractOptions) -> None:
    """Drop scripts, the source's prune_xpath blocks, 信息公开 tables and chrome blocks."""
    etree.strip_elements(tree, *_DROP_TAGS, etree.Comment, with_tail=False)
    for xpath in options.prune_xpath:
        for el in tree.xpath(xpath):
            el.drop_tree()
    _drop_info_tables(tree)
    total = len(tree.text_content())
    doomed = [
        el
        for el in tree.iter(
            "div",
            "ul",
            "ol",
            "p",
            "span",
            "table",
            "td",
            "nav",
            "header",
            "footer",
            "aside",
            "dl",
            "h2",
            "h3",
            "section",
        )
        if _is_chrome_block(el)
    ]
    for el in doomed:
        # A wrapper named "main-side" may hold the article: never prune most of the page.
        if el.getparent() is not None and len(el.text_content()) < max(400, total * 0.3):
            el.drop_tree()
    _drop_link_directories(tree)  # last: menus and footers named as such are gone already


@functools.lru_cache(maxsize=8)
def _trafilatura_options(favor_recall: bool, include_tables: bool):  # type: ignore[no-untyped-def]
    """trafilatura's settings object, built once: building it per page re-reads its config."""
    from trafilatura.settings import Extractor

    return Extractor(
        output_format="txt",
        # Its fallback comparison (readability/justext) re-reads the page we already read
        # ourselves: _choose compares with our densest-block reading instead.
        fast=True,
        recall=favor_recall,
        tables=include_tables,
        comments=False,
        with_metadata=False,
        dedup=False,
    )


def _trafilatura_lines(
    tree: lxml_html.HtmlElement, url: str | None, options: ExtractOptions
) -> list[str]:
    import trafilatura  # lazy: importing it costs ~0.5 s and pure helpers need none of it

    # The URL only resolves links and feeds metadata, neither of which plain text uses.
    settings = _trafilatura_options(options.favor_recall, options.include_tables)
    out = trafilatura.extract(tree, options=settings) or ""
    lines = []
    for raw in out.splitlines():
        line = raw.strip()
        if m := _TABLE_ROW.match(line):  # trafilatura prints table rows as "| a | b |"
            line = " ".join(c.strip() for c in m.group(1).split("|") if c.strip())
        if line and set(line) - set("|-: "):
            lines.append(line)
    return lines


def _scope(
    tree: lxml_html.HtmlElement, block: lxml_html.HtmlElement | None
) -> lxml_html.HtmlElement:
    """What trafilatura reads: the column around our block, not the whole portal page.

    It re-reads every node it is given (its cost grows with the page, and heavy portals
    carry five times more markup than article); it is our second opinion on the body, which
    lies in our block or next to it, so two levels up is as much as it needs.
    """
    if block is None:
        return tree
    scope = block
    for _ in range(_SCOPE_LEVELS):
        if scope.getparent() is None or scope.getparent().tag in ("body", "html"):
            break
        scope = scope.getparent()
    page = lxml_html.document_fromstring("<html><body></body></html>")
    page.find("body").append(scope)  # moved, not copied: nothing reads the page after this
    return page


def _drop_title(lines: list[str], title: str) -> list[str]:
    """Drop the heading (possibly split over several lines) from the top of the body."""
    target = _WS.sub("", title)
    if not target:
        return lines
    # A heading repeated anywhere, or followed by its info bar ("…工作 来源于：东区办事处").
    lines = [
        ln
        for ln in lines
        if _WS.sub("", ln) != target
        and not (
            _WS.sub("", ln).startswith(target) and chrome.is_chrome_line(ln[len(title) :].strip())
        )
    ]
    # A headline block: "<title>强调" then centred sub-heads, up to the first sentence.
    if lines and _WS.sub("", lines[0]).startswith(target) and len(lines[0]) <= len(title) + 6:
        end = 1
        while end < len(lines) and len(lines[end]) <= 40 and not _SENTENCE.search(lines[end]):
            end += 1
        if end < len(lines):
            return lines[end:]
    acc = ""
    for i, line in enumerate(lines[:6]):
        acc += _WS.sub("", line)
        if acc == target:
            return lines[i + 1 :]
        if not target.startswith(acc):
            break
    return lines


def _chars(lines: list[str]) -> int:
    return sum(len(_WS.sub("", ln)) for ln in lines)


def _trim_to(theirs: list[str], ours: list[str]) -> list[str]:
    """Drop trafilatura's leading/trailing lines that lie outside our content block."""
    inside = _WS.sub("", "".join(ours))
    start, end = 0, len(theirs)
    while start < end and _WS.sub("", theirs[start]) not in inside:
        start += 1
    while end > start and _WS.sub("", theirs[end - 1]) not in inside:
        end -= 1
    return theirs[start:end]


def _regroup(theirs: list[str], ours: list[str]) -> list[str]:
    """trafilatura's lines, with our line breaks wherever both hold the same characters.

    Its fallbacks print a table's cells one per line, or a <br> body as one line; our
    reading keeps one line per row and per <br>, which the diff stage segments on. A run
    of its lines is replaced only by whole lines of ours with exactly its characters.
    """
    mine = [_WS.sub("", ln) for ln in ours]
    whole = "".join(mine)
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    offset = 0
    for i, mline in enumerate(mine):
        starts.setdefault(offset, i)
        offset += len(mline)
        ends[offset] = i
    exact = set(mine)
    out: list[str] = []
    run: list[str] = []
    for line in [*theirs, None]:
        if line is not None and _WS.sub("", line) not in exact:
            run.append(line)
            continue
        if run:
            joined = _WS.sub("", "".join(run))
            pos = whole.find(joined)
            while pos != -1 and not (pos in starts and pos + len(joined) in ends):
                pos = whole.find(joined, pos + 1)
            out += ours[starts[pos] : ends[pos + len(joined)] + 1] if pos != -1 and joined else run
            run = []
        if line is not None:
            out.append(line)
    return out


def _choose(ours: list[str], theirs: list[str], options: ExtractOptions) -> list[str]:
    """trafilatura's lines unless they are almost nothing, the whole page or merged cells."""
    if not options.fallback or not ours:
        return theirs
    mine, its = _chars(ours), _chars(theirs)
    if its < mine * _MIN_SHARE or its > mine * _WHOLE_PAGE:
        return ours
    # Old table layouts make trafilatura print a whole cell (many paragraphs) as one line.
    longest = max(map(len, ours))
    if max(map(len, theirs), default=0) > max(_MERGED * longest, 300):
        return ours
    trimmed = _trim_to(theirs, ours)
    return _regroup(trimmed if _chars(trimmed) >= mine * _MIN_SHARE else theirs, ours)


def _clean(lines: list[str], title: str, attachment_names: set[str]) -> list[str]:
    lines = chrome.strip_chrome(lines)
    lines = _drop_title(lines, title)
    # The 附件 list is reported as attachments; its link lines are not body sentences.
    return [
        ln
        for ln in lines
        if _WS.sub("", re.sub(r"^附件\s*\d*\s*[:：.、]?", "", ln)) not in attachment_names
        and ln not in ("附件：", "附件:", "附件")
    ]


def extract_html(
    html: str, url: str | None = None, options: ExtractOptions | None = None
) -> ExtractedText:
    """Extract title, body text, metadata and attachments from decoded page text."""
    options = options or _DEFAULT
    tree = _parse(html)
    page_lines = text_lines(tree)  # once: title and metadata both read the whole page
    title = find_title(tree, page_lines)
    meta = read_metadata(tree, url, page_lines)
    attachments = find_attachments(tree, url)
    _prune(tree, options)
    block = choose_block(tree, title) if options.fallback else None
    ours = text_lines(block) if block is not None else []
    # trafilatura's cost grows with the text, and on a long body our reading decides anyway
    # (on every gold page over this size both readings gave the same text): it is asked
    # only about short or missing bodies, where a second opinion changes the result.
    long_body = _chars(ours) >= _SECOND_OPINION_MAX
    theirs = [] if long_body else _trafilatura_lines(_scope(tree, block), url, options)
    # Only the link text as shown: a body heading may equal a file's name without suffix.
    names = {_WS.sub("", a.name) for a in attachments}
    lines = _clean(
        _choose(_clean(ours, title, names), _clean(theirs, title, names), options), title, names
    )
    return ExtractedText(
        title=title,
        text="\n".join(lines),
        published=meta.published,
        source_org=meta.source_org,
        doc_number=meta.doc_number,
        index_number=meta.index_number,
        attachments=attachments,
        encoding=None,
    )


def extract(
    body: bytes,
    url: str | None = None,
    content_type: str | None = None,
    encoding: str | None = None,
    options: ExtractOptions | None = None,
) -> ExtractedText:
    """Decode page bytes (DecodeError when impossible) and extract them."""
    decoded = decode_html(body, content_type, override=encoding)
    return replace(
        extract_html(decoded.text, url, options),
        encoding=decoded.encoding,
        replaced_bytes=decoded.replaced_bytes,
    )
