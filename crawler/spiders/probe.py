"""The probe spider behind ``policywatch sources test``: a BureauSpider that records, not archives.

It classifies every link of the listing pages with the crawl's own rules
(:meth:`BureauSpider.page_links`) and extracts one policy page through the crawl's own
extraction (:func:`crawler.pipelines.to_capture`); :mod:`crawler.probe` runs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.items import FetchedPage
from crawler.links import LinkRole, PageKind, listing_size
from crawler.process import ProbeDocument, ProbeLink, ProbeListing, ProbeRequest
from crawler.spiders.bureau import _HANDLED, BureauSpider, _one_line, _requested_url, _swap_origin
from seeds.source import Source

FIRST_LINES = 5


class ProbeSpider(BureauSpider):
    """A BureauSpider that records what it would do instead of doing it."""

    name = "probe"

    def __init__(self, source: Source, request: ProbeRequest, **kw: Any) -> None:
        if request.urls:  # the tested pages become the start pages, hosts included
            source = replace(source, start_urls=request.urls)
        super().__init__(source, known=[], origin_map=dict(request.origins), **kw)
        self.max_listings = request.max_listings
        self.listings: dict[str, ProbeListing] = {}  # keyed by real URL, in request order
        self.document: ProbeDocument | None = None
        self._listing_requests = 0
        self._sample_requested = False

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_list[: self.max_listings]:
            self._listing_requests += 1
            self.listings[self._real(url)] = ProbeListing(url=self._real(url))
            yield scrapy.Request(
                url, callback=self.parse_listing, errback=self.listing_error, dont_filter=True
            )

    def _real(self, url: str) -> str:
        return _swap_origin(url, self._to_real)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        """Record every link of the listing page; follow listings and sample one policy page."""
        real = self._real(_requested_url(response.request) if response.request else response.url)
        if not isinstance(response, TextResponse):
            self.listings[real] = ProbeListing(real, response.status, "not an HTML page")
            return
        links = []
        for url, text, verdict in self.page_links(response, PageKind.LISTING):
            links.append(ProbeLink(self._real(url), text, verdict.role.value, verdict.reason))
            if verdict.role is LinkRole.DOCUMENT and not self._sample_requested:
                self._sample_requested = True
                yield scrapy.Request(
                    url,
                    callback=self.parse_document,
                    errback=self.document_error,
                    meta={"handle_httpstatus_list": _HANDLED},
                )
            elif (
                verdict.role is LinkRole.LISTING
                and self._listing_requests < self.max_listings
                and self._real(url) not in self.listings
            ):
                self._listing_requests += 1
                self.listings[self._real(url)] = ProbeListing(url=self._real(url))
                yield scrapy.Request(url, callback=self.parse_listing, errback=self.listing_error)
        self.listings[real] = ProbeListing(
            real, response.status, None, listing_size(response.text), tuple(links)
        )

    def listing_error(self, failure: Failure) -> Iterator[FetchedPage]:
        real = self._real(_requested_url(failure.request))  # type: ignore[attr-defined]
        self.listings[real] = ProbeListing(real, error=_one_line(failure))
        return iter(())

    def parse_document(self, response: Response) -> Iterator[Any]:
        """Extract the sample policy page exactly as a crawl would, and list its attachments."""
        from crawler.extract import ExtractOptions
        from crawler.pipelines import to_capture

        real = self._real(_requested_url(response.request) if response.request else response.url)
        page = next(i for i in super().parse_document(response) if isinstance(i, FetchedPage))
        if page.kind != "content":
            error = page.error or f"HTTP {page.status}"
            self.document = ProbeDocument(real, response.status, error)
            return iter(())
        options = ExtractOptions(prune_xpath=self.source.prune_xpath)
        capture = to_capture(page, self.source.encoding, options)
        attachments = (
            tuple(
                ProbeLink(self._real(url), text, verdict.role.value, verdict.reason)
                for url, text, verdict in self.page_links(response, PageKind.DOCUMENT)
                if verdict.role is LinkRole.ATTACHMENT
            )
            if isinstance(response, TextResponse)
            else ()
        )
        lines = [line for line in capture.text.splitlines() if line.strip()]
        self.document = ProbeDocument(
            url=real,
            status=response.status,
            error=capture.error,
            title=capture.title,
            published=capture.published.isoformat() if capture.published else None,
            doc_number=capture.doc_number,
            chars=len(capture.text),
            first_lines=tuple(lines[:FIRST_LINES]),
            attachments=attachments,
        )
        return iter(())

    def document_error(self, failure: Failure) -> Iterator[FetchedPage]:
        real = self._real(_requested_url(failure.request))  # type: ignore[attr-defined]
        self.document = ProbeDocument(real, error=_one_line(failure))
        return iter(())
