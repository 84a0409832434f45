"""Item pipelines: extract the policy text, then record it in the archive (crawler stage).

Thin shells: the work is done by crawler.extract.extract and archive.store.Archive.record;
these only wire them into Scrapy and count outcomes under ``policywatch/…`` stats keys.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from scrapy.exceptions import NotConfigured

from archive.records import Capture, CrawlSummary, FetchKind, Outcome
from archive.store import Archive
from crawler.attachments import extract_document_text
from crawler.encoding import DecodeError
from crawler.extract import ExtractOptions, extract
from crawler.items import FetchedPage

logger = logging.getLogger("policywatch.crawl")


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


class ExtractPipeline:
    """FetchedPage → Capture, with the source's encoding override and prune XPaths."""

    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):  # type: ignore[no-untyped-def]
        return cls(crawler)

    def process_item(self, item: FetchedPage) -> Capture:
        source = self.crawler.spider.source
        capture = to_capture(item, source.encoding, ExtractOptions(prune_xpath=source.prune_xpath))
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
        self.summary = CrawlSummary(source_id=spider.source.id, crawl_id=self.crawl_id)
        spider.archive_summary = self.summary

    def process_item(self, item: Capture) -> Capture:
        assert self.archive is not None
        assert self.summary is not None
        summary = self.summary
        source = self.crawler.spider.source
        result = self.archive.record(
            item, crawl_id=self.crawl_id, withdraw_after=source.withdraw_after
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
        return item

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
        if spider.listing_ok == 0 and spider.listing_failed:
            self.summary.status = "failed"
            self.summary.reason = "no listing page could be fetched: " + spider.listing_failed[0]
        self.archive.finish_crawl(self.crawl_id, self.summary)
        self.archive.close()
