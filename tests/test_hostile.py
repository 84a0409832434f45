"""Hostile pages: page text is untrusted data, never markup, code or query text.

A crawled page full of markup and script must come out of every HTML output escaped, with
only http(s) links, and nothing from it executed. Search terms are bound parameters, never
SQL. Property tests (hypothesis) feed random bytes and random HTML to decoding, extraction,
segmentation, diff and rendering: none may crash, and ``diff(a, a)`` is always empty.

There is no web UI in policywatch yet. The HTML outputs are the report (``archive.report``,
also the email body) and the diff renderer (``archive.render``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive.api import Archive
from archive.records import Capture, FetchKind
from archive.render import render_diff
from archive.report import render_report
from archive.text.diff import diff_texts
from archive.text.segment import segment
from crawler.encoding import DecodeError, decode_html
from crawler.extract import ExtractOptions, extract, extract_html
from crawler.items import FetchedPage
from crawler.pipelines import to_capture
from tests import reliability_figures as figures
from tests.faultsite import page_html, run_crawl, serve_faultsite, source_toml

T0 = datetime(2023, 2, 20, 8, 0, tzinfo=UTC)
SCRIPT = "<script>alert('pw')</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE_TITLE = f"关于{SCRIPT}做好{IMG}工作的通知"
HOSTILE_PARAGRAPHS = [
    "一、总体要求",
    f"1.各校要认真落实&lt;script&gt;要求，{IMG.replace('<', '&lt;')}，新建校舍40处。",
    "2.详见<a href='javascript:alert(1)'>附件</a>和<a href='data:text/html,x'>说明</a>。",
    "3.SQL 语句 '); DROP TABLE versions; -- 不应被执行，100% 完成 a_b 目标。",
    "<script>document.write('伪造的通知内容')</script>",
    "<style>body{display:none}</style>",
]


# -- the HTML outputs -----------------------------------------------------------------------------


class _Markup(HTMLParser):
    """Collects the tags, event-handler attributes and link targets of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(name)
            if name in ("href", "src", "action", "formaction") and value is not None:
                self.links.append(value)


def markup(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser


def assert_safe_html(html: str) -> None:
    found = markup(html)
    # <style> and <meta> are the renderer's own (its CSS and charset); nothing a page says may
    # add an element that runs or loads anything.
    assert not found.tags & {
        "script",
        "img",
        "iframe",
        "object",
        "embed",
        "form",
        "svg",
        "base",
        "link",
    }, found.tags
    assert found.handlers == []
    assert all(link == "#" or link.startswith(("http://", "https://")) for link in found.links), (
        found.links
    )


def _record(archive: Archive, url: str, title: str, text: str, hours: int) -> None:
    archive.record(
        Capture(
            source_id="evil",
            url=url,
            fetched_at=T0 + timedelta(hours=hours),
            kind=FetchKind.CONTENT,
            http_status=200,
            body=text.encode(),
            title=title,
            text=text,
        )
    )


@pytest.fixture
def hostile_archive(sqlite_url: str) -> Archive:
    """Hostile titles and texts, as a crawl would store them, in every kind of change event."""
    archive = Archive.open(sqlite_url)
    body = "\n".join(["一、总体要求", f"1.落实{SCRIPT}要求。", f"2.{IMG}新建校舍40处。"])
    _record(archive, "https://x.gov.cn/a.html", HOSTILE_TITLE, body, 0)
    _record(archive, "https://x.gov.cn/a.html", HOSTILE_TITLE, body.replace("40处", "50处"), 1)
    # A URL no crawl would archive (the boundary refuses it), to test the report's own guard.
    _record(archive, "javascript:alert(document.cookie)", f"{IMG}", "一、其他。", 2)
    archive.record(
        Capture(
            source_id="evil",
            url="https://x.gov.cn/a.html",
            fetched_at=T0 + timedelta(hours=3),
            kind=FetchKind.GONE,
            http_status=404,
        )
    )
    yield archive
    archive.close()


def test_report_html_escapes_page_text_and_links_only_http(hostile_archive: Archive) -> None:
    html = render_report(hostile_archive.report(), "html")
    assert_safe_html(html)
    assert "&lt;script&gt;alert(&#x27;pw&#x27;)&lt;/script&gt;" in html  # shown, as text
    assert 'href="#"' in html  # the javascript: document is listed without a link


def test_diff_html_escapes_page_text() -> None:
    old = f"一、总体要求\n1.{IMG}建设40处。\n2.保留条款。"
    new = f"一、总体要求\n1.{SCRIPT}建设50处。\n3.新增{IMG}条款。"
    html = render_diff(diff_texts(old, new), "html", old_label=SCRIPT, new_label=IMG)
    assert_safe_html(html)


def test_report_markdown_escapes_page_titles(hostile_archive: Archive) -> None:
    md = render_report(hostile_archive.report(), "markdown")
    assert "<img" not in md and "<script" not in md


def test_crawled_hostile_page_is_archived_as_text_and_reported_escaped(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    with serve_faultsite() as site:
        page = site.add("evil")
        page.custom = page_html(HOSTILE_TITLE.replace("<", "&lt;"), HOSTILE_PARAGRAPHS)
        sources = tmp_path / "s.toml"
        sources.write_text(source_toml(site), encoding="utf-8")
        run = run_crawl(sources, db, tmp_path)
        url = site.url("evil")
    assert run.summary["new"] == 1, run.stderr[-2000:]
    archive = Archive.open(db, create=False)
    try:
        (version,) = archive.history(url)
        html = render_report(archive.report(), "html")
        hits = archive.search("'); DROP TABLE versions; --")
        assert archive.count_versions() == 1  # the table is still there
    finally:
        archive.close()
    # Scripts and styles are not text, and were never run: what they would write is absent.
    assert "伪造的通知内容" not in version.text and "display:none" not in version.text
    assert "<img src=x onerror=alert(1)>" in version.text  # the page's text, kept verbatim
    assert_safe_html(html)
    assert [h.version.url for h in hits] == [url]


# -- queries are bound, never built from page text ------------------------------------------------


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("'); DROP TABLE versions; --", True),
        ("' OR '1'='1", False),
        ("%", True),  # a literal percent sign, which the page has ("100% 完成")
        ("_", True),  # a literal underscore ("a_b")
        ("%%%%", False),
        ("a%b", False),
        ("\\", False),
        ('"; SELECT 1; --', False),
    ],
)
def test_search_terms_are_literal(sqlite_url: str, term: str, found: bool) -> None:
    archive = Archive.open(sqlite_url)
    _record(archive, "https://x.gov.cn/sql.html", "通知", HOSTILE_PARAGRAPHS[3], 0)
    _record(archive, "https://x.gov.cn/other.html", "通知", "一、无关内容。", 0)
    hits = archive.search(term)
    assert [h.version.url for h in hits] == (["https://x.gov.cn/sql.html"] if found else [])
    assert archive.count_versions() == 2
    archive.close()


def test_a_long_page_is_word_indexed_up_to_a_bound_and_says_so(db_url: str) -> None:
    """Segmenting 3 M characters took 15-30 s: words are indexed up to a bound, noted on the
    record; the whole text is archived."""
    bound = 200_000
    text = "教育局关于做好工作的通知，" * (bound // 13 + 1) + "课后服务落实到位。"
    archive = Archive.open(db_url)
    result = archive.record(
        Capture(
            source_id="evil",
            url="https://x.gov.cn/long.html",
            fetched_at=T0,
            kind=FetchKind.CONTENT,
            http_status=200,
            body=text.encode(),
            title="通知",
            text=text,
        )
    )
    assert result.version is not None
    assert result.notes == (
        f"search: words indexed in the first {bound} of {len(text)} characters "
        "(the rest is archived, not searchable by word)",
    )
    assert archive.as_of("https://x.gov.cn/long.html").text == text
    assert [h.version.url for h in archive.search("工作")] == ["https://x.gov.cn/long.html"]
    archive.close()


# -- property tests -------------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Characters and words policy texts are made of, plus the ones that break parsers.
_PIECES = [
    *"一二三四五六七八九十、．.（）()〔〕[]第章条款项。，；：！？“”《》 \n\t0123456789%处名",
    "<",
    ">",
    "&",
    "&amp;",
    "&#x0;",
    "\x00",
    "\ufeff",
    "\u200b",
    "\r",
    "Ａ",
    "①",
    "教育",
    "学校",
    "通知",
    "上一篇",
    "下一篇",
    "主办单位",
    "ICP备",
    "浏览次数",
]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=120).map("".join)
_TAGS = [
    "p",
    "div",
    "span",
    "td",
    "tr",
    "table",
    "h1",
    "title",
    "a",
    "br",
    "script",
    "style",
    "meta",
    "iframe",
    "ul",
    "li",
    "font",
    "center",
    "body",
    "html",
    "head",
    "!--",
    "?xml",
]


@st.composite
def _html(draw: st.DrawFn, depth: int = 0) -> str:
    """Random, often broken, HTML: nested tags, stray closers, attributes, entities."""
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        choice = draw(st.integers(0, 4))
        if choice == 0 or depth > 3:
            parts.append(draw(_TEXT))
        elif choice == 1:
            parts.append(f"</{draw(st.sampled_from(_TAGS))}>")
        elif choice == 2:
            parts.append(f"<meta charset='{draw(st.sampled_from(['gbk', 'utf-8', 'x', '']))}'>")
        else:
            tag = draw(st.sampled_from(_TAGS))
            attr = draw(
                st.sampled_from(
                    [
                        "",
                        " class='footer'",
                        " id=content",
                        " href='#'",
                        " style='display:none'",
                        ' onclick="x()"',
                    ]
                )
            )
            parts.append(f"<{tag}{attr}>{draw(_html(depth + 1))}</{tag}>")
    return "".join(parts)


@PROPERTY
@given(
    st.binary(max_size=3000),
    st.sampled_from(
        [
            None,
            "text/html",
            "text/html; charset=gbk",
            "text/html; charset=utf-8",
            "text/html; charset=",
            "text/html; charset=x-unknown",
        ]
    ),
)
def test_decoding_random_bytes_never_crashes(body: bytes, content_type: str | None) -> None:
    figures.add("hostile_examples")
    try:
        decoded = decode_html(body, content_type)
    except DecodeError as exc:
        message = str(exc)
    else:
        message = ""
        # U+FFFD only as decoded UTF-8 text, or for the few damaged bytes of a page, counted.
        assert (
            "\ufffd" not in decoded.text
            or decoded.encoding == "utf-8"
            or (0 < decoded.replaced_bytes <= len(body) * 0.005)
        )
    assert "\n" not in message


@PROPERTY
@given(st.binary(max_size=3000))
def test_extracting_random_bytes_never_crashes(body: bytes) -> None:
    figures.add("hostile_examples")
    try:
        extract(body, url="https://x.gov.cn/a.html", content_type="text/html")
    except DecodeError:
        pass


@PROPERTY
@example("</p>")
@given(_html())
def test_extracting_random_html_never_crashes(html: str) -> None:
    figures.add("hostile_examples")
    doc = extract_html(html, url="https://x.gov.cn/a.html")
    assert isinstance(doc.text, str) and isinstance(doc.title, str)


@PROPERTY
@example("</p>")
@example("<!-- 系统维护中 -->")
@given(_html())
def test_pipeline_turns_any_page_into_a_capture(html: str) -> None:
    """Whatever the extractor does, the crawl records the fetch (content or a reasoned error)."""
    figures.add("hostile_examples")
    for encoding in ("utf-8", "gb18030"):
        try:
            body = html.encode(encoding)
        except UnicodeEncodeError:
            continue
        capture = to_capture(
            FetchedPage(
                source_id="s",
                url="https://x.gov.cn/a.html",
                kind="content",
                fetched_at=T0,
                status=200,
                body=body,
                headers={"content-type": "text/html"},
            ),
            None,
            ExtractOptions(),
        )
        assert capture.kind is FetchKind.CONTENT or capture.error


@PROPERTY
@given(_TEXT)
def test_segmenting_random_text_never_crashes(text: str) -> None:
    figures.add("hostile_examples")
    for seg in segment(text):
        assert isinstance(seg.path, str)


@PROPERTY
@given(_TEXT)
def test_diff_of_a_text_with_itself_is_empty(text: str) -> None:
    figures.add("hostile_examples")
    result = diff_texts(text, text)
    assert result.changes == () and not result.substantive


@PROPERTY
@given(st.text(max_size=300))
def test_diff_of_any_text_with_itself_is_empty(text: str) -> None:
    figures.add("hostile_examples")
    result = diff_texts(text, text)
    assert result.changes == () and not result.substantive


@PROPERTY
@given(_TEXT, _TEXT)
def test_diff_and_every_renderer_survive_random_texts(old: str, new: str) -> None:
    figures.add("hostile_examples")
    result = diff_texts(old, new)
    for fmt in ("text", "markdown", "html", "json"):
        out = render_diff(result, fmt, old_label=old[:20], new_label=new[:20])
        assert isinstance(out, str)
    assert_safe_html(render_diff(result, "html", old_label=old[:20], new_label=new[:20]))


@PROPERTY
@given(_html())
def test_random_html_as_page_text_is_always_escaped(html: str) -> None:
    figures.add("hostile_examples")
    result = diff_texts("一、总则\n1.保留。", f"一、总则\n1.保留。\n2.{html}")
    rendered = render_diff(result, "html", old_label=html[:30], new_label="new")
    assert_safe_html(rendered)
    assert not re.search(r"<(script|iframe)\b", rendered)
