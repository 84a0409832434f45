"""Item pipelines: extract the policy text, then record it in the archive (crawler stage).

Thin shells: the work is done by crawler.extract.extract and archive.api.Archive.record;
these only wire them into Scrapy and count outcomes under ``policywatch/…`` stats keys.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from scrapy.exceptions import NotConfigured

from archive.api import Archive
from archive.records import Capture, CrawlStatus, CrawlSummary, FetchKind, Outcome, RecordResult
from crawler.attachments import extract_document_text
from crawler.encoding import DecodeError
from crawler.extract import ExtractOptions, extract
from crawler.items import FetchedPage
from crawler.watchdog import ExtractionFailed, Watchdog

logger = logging.getLogger("policywatch.crawl")
SUMMARY_STAT = "policywatch/summary"  # the CrawlSummary of this crawl, set when it opens


def to_capture(page: FetchedPage, encoding: str | None, options: ExtractOptions) -> Capture:
    """Turn a fetched page into the archive's Capture, extracting the text of a 200."""
    headers = page.headers
    base = Capture(
        source_id=page.source_id,
        url=page.url,
        fetched_at=page.fetched_at,
        kind=FetchKind(page.kind),
        http_status=page.status,
        final_url=page.final_url,
        content_type=headers.get("content-type"),
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        error=page.error,
    )
    if base.kind is not FetchKind.CONTENT or page.body is None:
        return replace(base, parent_url=page.parent_url)
    if page.parent_url is not None:
        return _attachment_capture(base, page)
    try:
        doc = extract(
            page.body,
            url=page.final_url or page.url,
            content_type=base.content_type,
            encoding=encoding,
            options=options,
        )
    except DecodeError as exc:
        return replace(base, kind=FetchKind.ERROR, error=f"undecodable page: {exc}")
    except Exception as exc:
        # An extractor crash (e.g. lxml's "Document is empty" on a comment-only maintenance
        # page) would otherwise make Scrapy drop the item: the fetch would vanish without a
        # record. Recorded (and logged by ArchivePipeline) as an error with its reason instead;
        # never a version.
        reason = " ".join(str(exc).split()) or "no message"
        return replace(
            base,
            kind=FetchKind.ERROR,
            error=f"extraction failed: {type(exc).__name__}: {reason}"[:500],
        )
    return replace(
        base,
        body=page.body,
        encoding=doc.encoding,
        replaced_bytes=doc.replaced_bytes,
        title=doc.title,
        text=doc.text,
        published=doc.published,
        source_org=doc.source_org,
        doc_number=doc.doc_number,
        index_number=doc.index_number,
    )


def _attachment_capture(base: Capture, page: FetchedPage) -> Capture:
    """A PDF/DOCX attachment: its text, titled by its link text, pointing at its page."""
    try:
        text = extract_document_text(page.body or b"", page.url, base.content_type)
    except ValueError as exc:
        return replace(base, kind=FetchKind.ERROR, error=str(exc), parent_url=page.parent_url)
    title = page.name or page.url.rsplit("/", 1)[-1]
    return replace(base, body=page.body, title=title, text=text, parent_url=page.parent_url)


# A bureau page has a few thousand tags (the largest seen: 2,620); a page with more than
# this is refused before parsing, which would cost seconds and gigabytes (a 9 MB page: 92 s).
MAX_TAGS = 100_000


def bounded_capture(
    page: FetchedPage, encoding: str | None, options: ExtractOptions, watchdog: Watchdog | None
) -> Capture:
    """:func:`to_capture` within the bounds: DOM size, and time/memory through ``watchdog``;
    a bound hit is an error capture with its reason, never a crash."""
    if page.kind != "content" or page.body is None:
        # Nothing to read (a 304, a 404, an error): no bound to enforce, and no round trip
        # to the watchdog's worker, which would cost a 304 more than recording it.
        return to_capture(page, encoding, options)
    if page.parent_url is None:
        tags = page.body.count(b"<")
        if tags > MAX_TAGS:
            return _failed(page, f"page too large: about {tags} tags (the bound is {MAX_TAGS})")
    if watchdog is None:
        return to_capture(page, encoding, options)
    try:
        return watchdog.run(to_capture, page, encoding, options)
    except ExtractionFailed as exc:
        return _failed(page, f"extraction failed: {exc}")


def _failed(page: FetchedPage, reason: str) -> Capture:
    return replace(
        to_capture(replace(page, body=None), None, ExtractOptions()),
        kind=FetchKind.ERROR,
        error=reason,
    )


class ExtractPipeline:
    """FetchedPage → Capture, with the source's encoding override and prune XPaths."""

    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        self.crawler = crawler
        timeout = crawler.settings.getfloat("POLICYWATCH_EXTRACT_TIMEOUT", 0)
        self.watchdog = Watchdog(timeout) if timeout > 0 else None

    @classmethod
    def from_crawler(cls, crawler):  # type: ignore[no-untyped-def]
        return cls(crawler)

    def close_spider(self) -> None:
        if self.watchdog is not None:
            self.watchdog.close()

    def process_item(self, item: FetchedPage) -> Capture:
        source = self.crawler.spider.source
        options = ExtractOptions(prune_xpath=source.prune_xpath)
        capture = bounded_capture(item, source.encoding, options, self.watchdog)
        if capture.kind is FetchKind.ERROR and item.kind == "content":
            self.crawler.stats.inc_value("policywatch/bound_hit")
        if capture.kind is FetchKind.CONTENT and not capture.text.strip():
            self.crawler.stats.inc_value("policywatch/extract/empty")
        return capture


class ArchivePipeline:
    """Record every Capture in one transaction and keep the crawl's counts."""

    def __init__(self, crawler, db_url: str) -> None:  # type: ignore[no-untyped-def]
        self.crawler = crawler
        self.db_url = db_url
        self.archive: Archive | None = None
        self.crawl_id: int | None = None
        self.summary: CrawlSummary | None = None

    @classmethod
    def from_crawler(cls, crawler):  # type: ignore[no-untyped-def]
        db_url = crawler.settings.get("POLICYWATCH_DB")
        if not db_url:
            raise NotConfigured("POLICYWATCH_DB is not set")
        return cls(crawler, db_url)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.archive = Archive.open(self.db_url, create=False)
        self.crawl_id = self.archive.start_crawl(spider.source.id)
        # RUNNING until close_spider decides: a stop that comes before the engine runs never
        # closes the spider, and crawler.run must not take that crawl for a finished one.
        self.summary = CrawlSummary(
            source_id=spider.source.id, crawl_id=self.crawl_id, status=CrawlStatus.RUNNING
        )
        # The crawl process reads it back from the stats (crawler.run), not from the spider.
        self.crawler.stats.set_value(SUMMARY_STAT, self.summary)

    def process_item(self, item: Capture) -> Capture:
        assert self.archive is not None
        source = self.crawler.spider.source
        result = self.archive.record(
            item, crawl_id=self.crawl_id, withdraw_after=source.withdraw_after
        )
        self._account(item, result)
        return item

    def _account(self, item: Capture, result: RecordResult) -> None:
        """Count and log what recording ``item`` did (once per capture, batched or not)."""
        assert self.summary is not None
        summary = self.summary
        source = self.crawler.spider.source
        if result.notes:
            logger.warning(
                "[%s] stored with fixes %s: %s", source.id, item.url, "; ".join(result.notes)
            )
        summary.fetched += item.kind is not FetchKind.ERROR
        stat = f"policywatch/outcome/{result.outcome.value}"
        self.crawler.stats.inc_value(stat)
        if result.outcome is Outcome.FAILED:
            summary.errors += 1
            self._note_error(item.url, result.error or "failed")
        else:
            name = {
                Outcome.NEW: "new",
                Outcome.CHANGED: "changed",
                Outcome.UNCHANGED: "unchanged",
                Outcome.WITHDRAWN: "withdrawn",
                Outcome.RESTORED: "restored",
            }[result.outcome]
            setattr(summary, name, getattr(summary, name) + 1)
            if result.outcome is not Outcome.UNCHANGED:
                title = result.version.title if result.version else ""
                logger.info("[%s] %s %s 《%s》", source.id, name, item.url, title)

    def _note_error(self, url: str, reason: str) -> None:
        assert self.summary is not None
        line = f"{url}: {reason}"
        logger.warning("[%s] error %s", self.summary.source_id, line)
        if len(self.summary.error_samples) < 20:
            self.summary.error_samples.append(line)

    def close_spider(self) -> None:
        if self.archive is None or self.summary is None or self.crawl_id is None:
            return
        spider = self.crawler.spider
        if spider.listing_ok and not spider.documents_linked:
            logger.warning(
                "[%s] the listing pages link no policy page: check the source's `documents` "
                "patterns (and `follow` for pagination)",
                self.summary.source_id,
            )
        if spider.not_scheduled:
            self.summary.max_pages_reached = True
            self.summary.not_fetched = spider.not_scheduled
            logger.warning(
                "[%s] max_pages (%d) reached: %d link(s) left for the next crawl",
                self.summary.source_id,
                spider.source.max_pages,
                spider.not_scheduled,
            )
        if spider.past_deadline:
            self.summary.deadline_reached = True
            logger.warning(
                "[%s] max_crawl_seconds (%g) passed: %d request(s) refused, "
                "left for the next crawl",
                self.summary.source_id,
                spider.source.max_crawl_seconds,
                spider.past_deadline,
            )
        self.summary.status = CrawlStatus.OK
        if spider.listing_ok == 0 and spider.listing_failed:
            self.summary.status = CrawlStatus.FAILED
            self.summary.reason = "no listing page could be fetched: " + spider.listing_failed[0]
        elif _stopped(self.crawler):
            # A stop (SIGTERM/SIGINT, the service's shutdown) clears the engine's `running`
            # before it closes the spider; a crawl that ran out of requests keeps it set. What
            # was fetched is recorded, but the crawl did not see the whole site.
            self.summary.status = CrawlStatus.INTERRUPTED
            self.summary.reason = "stopped by a signal before the crawl finished"
        self.archive.finish_crawl(self.crawl_id, self.summary)
        self.archive.close()


def _stopped(crawler) -> bool:  # type: ignore[no-untyped-def]
    """Whether the engine was told to stop (rather than running out of requests)."""
    try:
        return not crawler.engine.running
    except RuntimeError:  # the engine never started: components driven directly
        return False
