"""Where the article body lies on a pruned page: our own reading, beside trafilatura's.

Three steps, each a general rule seen on real pages:

1. *Density*: the container whose own paragraphs carry the most sentence punctuation.
2. *Anchor*: density alone prefers a long sidebar, a recommended-article summary or an
   author-badge tooltip over a 100-character brief. When the headline is printed on the page,
   the body is the densest container that follows it in the headline's own column, outside
   the date line's block and outside link-headed teaser items.
3. *Widen*: old templates split one body over sibling containers (a <div> then a <table>,
   items in nested <div>s); the block grows to its parent while every sibling is prose or a
   short line (signature, date) and none holds the headline, the date line or a link list.

Pure: lxml trees in, an element out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import html as lxml_html

from crawler import chrome
from crawler.metadata import LABEL_WORDS, is_info_bar

__all__ = ["choose_block", "find_headline"]

_PUNCT = re.compile(r"[，。；：、！？,;]")
_CONTAINERS = ("div", "td", "article", "section", "main", "table", "tbody", "body", "center")
_LABEL_COLON = re.compile(
    "(?:"
    + "|".join(
        sorted(
            {*chrome.both_scripts(chrome.INFO_TABLE_LABELS), *LABEL_WORDS}, key=len, reverse=True
        )
    )
    + r")\s*[:：]"
)
_WS = re.compile(r"\s+")
_HEADLINE_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "div", "p", "td", "span", "strong", "b")
# The date line is looked for among this many elements after the headline.
_DATE_LINE_REACH = 30
# How far up from the headline its column may lie, and how far the body may widen.
_ANCHOR_LEVELS = 6
_WIDEN_LEVELS = 4
# A sibling with more link text than this share is a link list, never body.
_LINK_SHARE = 0.3
# A sibling this short without punctuation is a signature or date line, neither for nor
# against widening.
_SHORT_LINE = 40
# A teaser item opens with a link to another article at least this long.
_TEASER_LINK = 6
# A box with this many link-headed list items is a list of other articles, not an article.
_LIST_ITEMS = 3
_BOX_HEADING = 8  # characters of a sidebar box's heading ("要闻推荐", "相关文章")
_NUMBERED = re.compile(
    r"^(?:[一二三四五六七八九十]+[、．.]|第[一二三四五六七八九十\d]+[章节条部分]|[（(\d])"
)


def _squash(text: str) -> str:
    return _WS.sub("", text)


def _scores(tree: lxml_html.HtmlElement) -> dict[lxml_html.HtmlElement, float]:
    """Sentence punctuation of each container's own paragraphs (children weigh less)."""
    scores: dict[lxml_html.HtmlElement, float] = {}
    for el in tree.iter("p", "div", "td", "span", "font", "li", "br"):
        own = (el.text or "") + "".join(c.tail or "" for c in el)
        if el.tag == "br":
            own = el.tail or ""
        punct = len(_PUNCT.findall(own))
        if punct and ("：" in own or ":" in own):  # "文号：" is a label, not a sentence
            punct -= len(_LABEL_COLON.findall(own))
        if punct <= 0:
            continue
        parent = el.getparent()
        for weight, node in (
            (1.0, parent if el.tag in ("br", "span", "font") else el),
            (0.5, parent),
            (0.25, parent.getparent() if parent is not None else None),
        ):
            while node is not None and node.tag not in _CONTAINERS and node.tag != "p":
                node = node.getparent()
            if node is not None:
                scores[node] = scores.get(node, 0.0) + weight * punct
    return scores


def _text_upto(node: lxml_html.HtmlElement, limit: int) -> str:
    """node's text without spaces, read no further than just past limit characters."""
    parts, size = [], 0
    for text in node.itertext():
        squashed = _squash(text)
        parts.append(squashed)
        size += len(squashed)
        if size > limit:
            break
    return "".join(parts)


def find_headline(tree: lxml_html.HtmlElement, title: str) -> lxml_html.HtmlElement | None:
    """The element printing exactly the title (joined over <br>), outside links and lists."""
    key = _squash(title)
    body = tree.find("body")
    if len(key) < 4 or body is None:
        return None
    for el in body.iter(_HEADLINE_TAGS):
        start = _squash(el.text or "")
        if not start or not key.startswith(start):
            continue
        node = el
        for _ in range(3):
            if node is None or node.tag in ("a", "li", "body"):
                break
            text = _text_upto(node, len(key))
            if text == key:
                if not any(a.tag in ("a", "li") for a in node.iterancestors()):
                    return node
                break
            if len(text) > len(key):
                break
            node = node.getparent()
    return None


def _following(el: lxml_html.HtmlElement) -> Iterator[lxml_html.HtmlElement]:
    """Elements after el in document order (not its descendants)."""
    node = el
    while node is not None:
        for sib in node.itersiblings():
            if isinstance(sib.tag, str):
                yield from (d for d in sib.iter() if isinstance(d.tag, str))
        node = node.getparent()


def _date_line(headline: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    """The info bar after the headline ("2023-09-02 08:30 来源：…"): its smallest block."""
    for i, el in enumerate(_following(headline)):
        if i >= _DATE_LINE_REACH:
            return None
        text = _WS.sub(" ", el.text or "").strip()
        if text and is_info_bar(text):
            return el
    return None


def _inside(node: lxml_html.HtmlElement, ancestor: lxml_html.HtmlElement) -> bool:
    return node is ancestor or any(a is ancestor for a in node.iterancestors())


def _link_first(el: lxml_html.HtmlElement) -> bool:
    """True when the first text inside el is a link of headline length."""
    for d in el.iter():
        if isinstance(d.tag, str) and (d.text or "").strip():
            node = d
            while node is not None and node.tag != "a" and node is not el:
                node = node.getparent()
            return node is not None and node.tag == "a" and len(d.text.strip()) >= _TEASER_LINK
    return False


def _is_teaser(node: lxml_html.HtmlElement, stop: lxml_html.HtmlElement) -> bool:
    """Inside a list item or a link-headed item below stop: a summary of another article."""
    el: lxml_html.HtmlElement | None = node
    while el is not None and el is not stop:
        if el.tag in ("li", "dd", "dt") or _link_first(el):
            return True
        el = el.getparent()
    return False


def _is_box(node: lxml_html.HtmlElement) -> bool:
    """A sidebar box: a list of link-headed items, or a block opened by a box heading.

    A box heading is short and unnumbered ("要闻推荐", "推荐阅读"); a body may open with a
    numbered heading ("一、总体要求", "第一章 总则"), which does not make it a box.
    """
    if sum(1 for li in node.iter("li") if _link_first(li)) >= _LIST_ITEMS:
        return True
    for d in node.iter():
        if isinstance(d.tag, str) and (text := (d.text or "").strip()):
            heading = d.tag in ("h2", "h3", "h4", "h5", "h6")
            return heading and len(text) <= _BOX_HEADING and not _NUMBERED.match(text)
    return False


def _anchored(
    best: lxml_html.HtmlElement,
    scores: dict[lxml_html.HtmlElement, float],
    headline: lxml_html.HtmlElement,
    date: lxml_html.HtmlElement | None,
) -> lxml_html.HtmlElement:
    """The densest container after the headline in its column, when best is not one."""
    order = {el: i for i, el in enumerate(headline.getroottree().iter())}
    after = order[headline]
    # How many levels above the headline each later container joins its ancestors.
    levels = {a: i for i, a in enumerate(headline.iterancestors(), start=1)}
    joins: dict[lxml_html.HtmlElement, int] = {}
    for c in scores:
        if order.get(c, -1) <= after or (date is not None and _inside(c, date)):
            continue
        for a in c.iterancestors():
            if a in levels:
                joins[c] = levels[a]
                break
            if a is headline:
                break
    if not joins:
        return best
    best_level = min((lv for a, lv in levels.items() if _inside(best, a)), default=None)
    column_level = min(joins.values())
    if column_level > _ANCHOR_LEVELS:
        return best
    column = next(a for a, lv in levels.items() if lv == column_level)
    if best in joins and joins[best] == column_level and not _is_teaser(best, column):
        return best
    teaser = best.tag in ("li", "dd", "dt") or _link_first(best)
    if best_level is None or (best_level > column_level and not _is_box(best) and not teaser):
        return best  # a body below a summary box: density was right
    found = sorted((c for c, lv in joins.items() if lv == column_level), key=scores.__getitem__)
    return next((c for c in reversed(found) if not _is_teaser(c, column)), best)


def _sibling_kind(el: lxml_html.HtmlElement) -> str:
    """ "prose", "neutral" (empty or a short line) or "stop" for a sibling of the block."""
    text = _squash(el.text_content())
    if not text:
        return "neutral"
    links = sum(len(_squash(a.text_content())) for a in el.iter("a"))
    if links > _LINK_SHARE * len(text):
        return "stop"
    if _PUNCT.search(text) and not _link_first(el):
        return "prose"
    return "neutral" if len(text) <= _SHORT_LINE else "stop"


def _widen(
    block: lxml_html.HtmlElement,
    fences: tuple[lxml_html.HtmlElement, ...],
) -> lxml_html.HtmlElement:
    """Grow the block over sibling containers that continue the same body."""
    fenced = {a for f in fences for a in (f, *f.iterancestors())}
    for _ in range(_WIDEN_LEVELS):
        parent = block.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        siblings = [c for c in parent if c is not block and isinstance(c.tag, str)]
        if any(s in fenced for s in siblings):
            break  # the headline or the date line: the body lies below them
        kinds = [_sibling_kind(s) for s in siblings]
        if "stop" in kinds or "prose" not in kinds:
            break
        block = parent
    return block


def choose_block(tree: lxml_html.HtmlElement, title: str = "") -> lxml_html.HtmlElement | None:
    """The container of the article body, or None when the page has no sentence at all."""
    scores = _scores(tree)
    if not scores:
        return None
    best = max(scores, key=scores.__getitem__)
    headline = find_headline(tree, title) if title else None
    date = _date_line(headline) if headline is not None else None
    if headline is not None:
        best = _anchored(best, scores, headline, date)
    while best.tag == "p" and best.getparent() is not None:
        best = best.getparent()
    return _widen(best, tuple(f for f in (headline, date) if f is not None))
