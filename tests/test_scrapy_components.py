"""The spider, the middlewares and the pipelines in process, through Scrapy's ``get_crawler()``.

The end-to-end crawls (tests/test_crawl.py, the fault suite) run them over real HTTP in a
child process; these tests build the same components from a crawler object, as Scrapy does,
and drive them with responses made from the mirror's own bytes, so a failure points at one
component. Bytes stay bytes: the GBK pages are decoded by our code, not by the test.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from archive.api import Archive
from archive.records import CrawlStatus, CrawlSummary, FetchKind, Outcome
from archive.text.normalize import text_digest
from archive.text.search import index_terms
from crawler import batch_record
from crawler.extract import ExtractOptions
from crawler.extract_pool import pooled_capture
from crawler.items import FetchedPage
from crawler.links import LinkRole, PageKind
from crawler.middlewares import BoundaryMiddleware
from crawler.pipelines import SUMMARY_STAT, ArchivePipeline, ExtractPipeline
from crawler.settings import BASE_SETTINGS
from crawler.spiders.bureau import BureauSpider
from seeds import load_sources
from seeds.mirror import read_generation
from seeds.source import Source

REPO = Path(__file__).resolve().parent.parent


def _source(source_id: str = "tj_binhai") -> Source:
    (source,) = [s for s in load_sources() if s.id == source_id]
    return source


def _crawler(source: Source, db_url: str | None = None):  # type: ignore[no-untyped-def]
    settings = dict(Settings(BASE_SETTINGS))
    # The engine never runs here: components are called directly, so no reactor is needed.
    settings["TWISTED_REACTOR_ENABLED"] = False
    if db_url:
        settings["POLICYWATCH_DB"] = db_url
    crawler = get_crawler(BureauSpider, settings)
    crawler.spider = crawler._create_spider(source=source, known=[])
    return crawler


_GENERATION = read_generation(REPO / "seeds" / "mirror", "2022")


def _mirror_bytes(url: str) -> bytes:
    """The bytes the mirror serves for ``url`` in generation 2022 (the real site's, saved)."""
    parts = urlsplit(url)
    path = parts.path if not parts.path.endswith("/") else parts.path + "index.html"
    file, _ctype = _GENERATION[parts.netloc][path or "/index.html"]
    return file.read_bytes()


def _response(url: str, body: bytes, request: Request | None = None) -> HtmlResponse:
    return HtmlResponse(
        url=url,
        body=body,
        headers={"Content-Type": "text/html"},
        request=request or Request(url),
    )


@pytest.fixture
def spider_and_listing() -> tuple[BureauSpider, HtmlResponse]:
    source = _source()
    crawler = _crawler(source)
    url = source.start_urls[0]
    return crawler.spider, _response(url, _mirror_bytes(url))


def test_listing_schedules_only_the_policy_pages_its_patterns_match(
    spider_and_listing: tuple[BureauSpider, HtmlResponse],
) -> None:
    spider, listing = spider_and_listing
    requests = list(spider.parse_listing(listing))
    docs = [r for r in requests if r.callback == spider.parse_document]
    assert docs, "the Binhai listing links policy pages"
    for r in docs:
        verdict = spider.rules.classify(r.url, PageKind.LISTING)
        assert verdict.role is LinkRole.DOCUMENT, (r.url, verdict)
    assert spider.documents_linked == len(docs)


def test_document_response_becomes_one_fetched_page_with_its_bytes(
    spider_and_listing: tuple[BureauSpider, HtmlResponse],
) -> None:
    spider, listing = spider_and_listing
    doc_request = next(
        r for r in spider.parse_listing(listing) if r.callback == spider.parse_document
    )
    body = _mirror_bytes(doc_request.url)
    out = list(spider.parse_document(_response(doc_request.url, body, doc_request)))
    page = out[0]
    assert isinstance(page, FetchedPage)
    assert page.kind is FetchKind.CONTENT and page.body == body and page.status == 200


@pytest.mark.parametrize(
    ("status", "kind"),
    [(304, FetchKind.NOT_MODIFIED), (404, FetchKind.GONE), (410, FetchKind.GONE),
     (503, FetchKind.ERROR)],
)  # fmt: skip
def test_status_codes_mean_what_the_archive_expects(status: int, kind: FetchKind) -> None:
    crawler = _crawler(_source())
    url = "https://jtj.tjbh.gov.cn/contents/9930/1.html"
    response = HtmlResponse(url=url, status=status, body=b"", request=Request(url))
    (page,) = list(crawler.spider.parse_document(response))
    assert page.kind is kind and page.body is None


def test_boundary_middleware_refuses_offsite_and_private_hosts() -> None:
    crawler = _crawler(_source())
    mw = BoundaryMiddleware.from_crawler(crawler)
    assert mw.process_request(Request("https://jtj.tjbh.gov.cn/contents/9930/1.html")) is None
    for url in ("https://evil.example/x.html", "http://127.0.0.1/x", "file:///etc/passwd"):
        with pytest.raises(IgnoreRequest):
            mw.process_request(Request(url))
    assert crawler.stats.get_value("policywatch/refused") == 3


def test_extract_pipeline_turns_a_page_into_a_capture() -> None:
    source = _source("xn_chengzhong")
    crawler = _crawler(source)
    url = source.start_urls[0]
    listing = _response(url, _mirror_bytes(url))
    req = next(r for r in crawler.spider.parse_listing(listing) if r.callback)
    body = _mirror_bytes(req.url)
    page = FetchedPage(source.id, req.url, datetime.now(UTC), FetchKind.CONTENT, 200,
                       body=body, headers={"content-type": "text/html"})  # fmt: skip
    capture = ExtractPipeline.from_crawler(crawler).process_item(page)
    assert capture.kind is FetchKind.CONTENT
    assert capture.title and len(capture.text) > 50
    assert capture.encoding, "the GBK mirror page was decoded by our encoding rules"


def test_pool_workers_hand_over_terms_and_digest_and_a_fixed_text_drops_them(
    sqlite_url: str,
) -> None:
    """What the extraction workers precompute is what the archive would compute; when
    recording has to fix the text (a NUL), the archive computes both again from what it
    stores, so the stored digest and index never describe another text."""
    url = "https://www.wuhai.gov.cn/jyj/x.html"
    html = "<title>通知</title><body><p>一、全市中小学开展课后服务，每周五天。</p></body>"
    page = FetchedPage("nm_wuhai", url, datetime.now(UTC), FetchKind.CONTENT, 200,
                       body=html.encode(), headers={"content-type": "text/html"})  # fmt: skip
    capture = pooled_capture(page, None, ExtractOptions())
    assert capture.text_digest == text_digest(capture.title, capture.text)
    assert capture.search_terms == index_terms(capture.title, capture.doc_number, capture.text)
    # A precomputed digest that does not describe the stored text (the NUL is removed on
    # recording) is dropped: were it trusted, the clean page would then count as changed.
    dirty = replace(capture, text=capture.text + "\x00", text_digest="0" * 64)
    with Archive.open(sqlite_url) as archive:
        result = archive.record(dirty)
        assert result.version is not None and result.notes == ("text: NUL removed",)
        assert archive.record(capture).outcome is Outcome.UNCHANGED


def test_recording_backlog_is_bounded_and_every_capture_is_recorded(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_WAITING captures handed to the writer, the next capture waits in the pipeline
    (Scrapy then stops downloading) instead of queueing without bound; none is lost."""
    Archive.open(sqlite_url).close()
    monkeypatch.setattr(batch_record, "MAX_WAITING", 3)
    crawler = _crawler(_source("nm_wuhai"), sqlite_url)
    crawler.settings.frozen = False
    crawler.settings.set("POLICYWATCH_RECORD_BATCH", 1)
    pipeline = batch_record.BatchArchivePipeline.from_crawler(crawler)
    seen: list[int] = []
    waited: list[int] = []

    async def one(i: int) -> None:
        url = f"https://www.wuhai.gov.cn/jyj/{i}.html"
        html = f"<title>通知{i}</title><p>一、第{i}所学校开展课后服务。</p>"
        page = FetchedPage("nm_wuhai", url, datetime.now(UTC), FetchKind.CONTENT, 200,
                           body=html.encode(), headers={"content-type": "text/html"})  # fmt: skip
        capture = pooled_capture(page, None, ExtractOptions())
        await pipeline.process_item(capture)
        seen.append(batch_record._waiting)
        waited.append(len(batch_record._room))

    async def crawl() -> None:
        pipeline.open_spider()
        await asyncio.gather(*(one(i) for i in range(40)))
        await pipeline.close_spider()

    asyncio.run(crawl())
    assert max(seen) <= 3, seen
    assert max(waited) > 0  # the bound was reached: captures did wait
    assert batch_record._waiting == 0 and not batch_record._room
    with Archive.open(sqlite_url, create=False) as archive:
        assert len(archive.documents()) == 40


def test_archive_pipeline_records_and_leaves_its_summary_in_the_stats(sqlite_url: str) -> None:
    Archive.open(sqlite_url).close()  # the crawl process creates the schema before Scrapy starts
    source = _source("nm_wuhai")
    crawler = _crawler(source, sqlite_url)
    pipeline = ArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    url = "https://www.wuhai.gov.cn/jyj/x.html"
    html = "<title>通知</title><body><p>一、全市中小学开展课后服务，每周五天。</p></body>"
    page = FetchedPage(source.id, url, datetime.now(UTC), FetchKind.CONTENT, 200,
                       body=html.encode(), headers={"content-type": "text/html"})  # fmt: skip
    capture = ExtractPipeline.from_crawler(crawler).process_item(page)
    pipeline.process_item(capture)
    crawler.spider.listing_ok = 1
    crawler.spider.documents_linked = 1
    pipeline.close_spider()
    summary = crawler.stats.get_value(SUMMARY_STAT)
    assert isinstance(summary, CrawlSummary)
    assert summary.status is CrawlStatus.OK and summary.fetched == 1
    with Archive.open(sqlite_url, create=False) as archive:
        (crawl,) = archive.crawls()
        assert crawl.status is CrawlStatus.OK and crawl.stats["fetched"] == 1
        (only,) = archive.captures(url)
        assert only.kind is FetchKind.CONTENT and only.crawl_id == crawl.id


@pytest.mark.parametrize(("status", "comes_down"), [(200, True), (304, True), (503, False)])
def test_throttle_lets_a_304_bring_the_delay_down_but_not_an_error_page(
    status: int, comes_down: bool
) -> None:
    from scrapy.core.downloader import Slot

    from crawler.throttle import Throttle

    crawler = _crawler(_source())
    crawler.settings.frozen = False
    crawler.settings.setdict(
        {"AUTOTHROTTLE_ENABLED": True, "AUTOTHROTTLE_TARGET_CONCURRENCY": 16.0}, "cmdline"
    )
    throttle = Throttle(crawler)
    throttle.mindelay, throttle.maxdelay = 0.0, 60.0
    # One slow answer (2 s) set the delay; quick ones follow.
    slot = Slot(16, 2.0 / 16)
    for _ in range(10):
        throttle._adjust_delay(slot, 0.01, HtmlResponse("http://x.test/a", status=status))
    assert (slot.delay < 0.01) is comes_down, slot.delay
