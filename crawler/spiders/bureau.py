"""The one generic spider: listing pages → policy pages, configured entirely by a Source.

Each crawl also revisits every document the archive already knows, with If-None-Match /
If-Modified-Since, so in-place edits and withdrawals (a definite 404/410) are noticed even
when no listing links the page any more.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from twisted.python.failure import Failure

from archive.records import FetchKind, KnownDocument
from archive.text.urls import canonical_url
from crawler.attachments import EXTRACTABLE_SUFFIXES
from crawler.items import FetchedPage
from crawler.links import LinkRole, LinkRules, LinkVerdict, PageKind, listing_size
from crawler.resolver import allow_private_host, refusal
from seeds.source import Source

# Every non-redirect status reaches the callback, so that the spider (not Scrapy's
# HttpErrorMiddleware) decides what a 404 or a 503 means; 3xx stay with RedirectMiddleware.
_HANDLED = [304, *range(400, 600)]


def _swap_origin(url: str, origin_map: dict[str, str]) -> str:
    """``url`` with its scheme://host[:port] replaced through ``origin_map`` (if listed)."""
    if not origin_map:
        return url
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    new = origin_map.get(origin)
    return new + url[len(origin) :] if new else url


# Exceptions whose own text is empty or unhelpful, and what they mean for a bureau page.
_PLAIN_REASONS = {
    "ResponseDataLossError": "truncated body (connection closed before Content-Length bytes)",
    "DownloadCancelledError": "download cancelled (larger than the source's max_page_bytes)",
    "error": "undecodable body (bad Content-Encoding)",  # zlib.error from a broken gzip
}


def _one_line(failure: Failure) -> str:
    exc = failure.value
    name = type(exc).__name__
    response = getattr(exc, "response", None)
    if response is not None and 300 <= response.status < 400:
        # RedirectMiddleware hands back a 3xx it will not follow (a file:, ftp:, javascript:
        # target); HttpErrorMiddleware then calls it a "non-200 response", which hides why.
        target = response.headers.get(b"Location", b"").decode("latin-1")[:200]
        return f"refused: HTTP {response.status} redirect to a non-http(s) URL {target!r}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    request = getattr(failure, "request", None)
    if "DNS" in text or "Resolve" in name or "DNS" in name:
        host = urlsplit(request.url).hostname if request is not None else None
        if host and (refused := refusal(host)):
            return refused
    if name in _PLAIN_REASONS:
        return f"{_PLAIN_REASONS[name]}: {text}" if text else _PLAIN_REASONS[name]
    return f"{name}: {text}" if text else name


def _requested_url(request: scrapy.Request) -> str:
    """The URL the spider asked for, before any redirect: the document's identity."""
    return request.meta.get("redirect_urls", [request.url])[0]


class BureauSpider(scrapy.Spider):
    """Crawls one bureau site described by a :class:`seeds.source.Source`."""

    name = "bureau"

    def __init__(
        self,
        source: Source,
        known: list[KnownDocument] | None = None,
        origin_map: dict[str, str] | None = None,
        **kw: Any,
    ):
        super().__init__(name=source.id, **kw)
        self.source = source
        self.known = known or []
        # An offline mirror serves a real origin from elsewhere: fetch from the mirror,
        # archive under the real URL, so the archive does not depend on where it was served.
        self._to_mirror = dict(origin_map or {})
        self._to_real = {v: k for k, v in self._to_mirror.items()}
        self.start_list = [_swap_origin(u, self._to_mirror) for u in source.start_urls]
        # The start URLs' hosts (with their ports), plus the source's extra_hosts (any path).
        self.allowed_netlocs = frozenset(
            [urlsplit(u).netloc.lower() for u in self.start_list]
            + [h.lower() for h in source.extra_hosts]
        )
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in self.start_list})
        if source.allow_private:
            for netloc in self.allowed_netlocs:
                allow_private_host(urlsplit(f"//{netloc}").hostname or netloc)
        # Operator patterns run under a time limit per link (seeds.patterns, crawler.links).
        self.rules = LinkRules(source, self.allowed_netlocs)
        self._links = LinkExtractor(tags=("a", "area"), attrs=("href",), unique=True)
        # Scrapy's extractor skips .pdf/.docx links by default: attachments need their own.
        self._file_links = LinkExtractor(
            tags=("a",), attrs=("href",), unique=True, deny_extensions=[]
        )
        # Two budgets of max_pages each: revisits of known documents, and discovery (listings,
        # new policy pages, attachments). One shared budget let an archive at max_pages spend
        # every crawl on revisits and never fetch a new policy.
        self.deadline = time.monotonic() + source.max_crawl_seconds
        self.past_deadline = 0  # requests refused because max_crawl_seconds had passed
        self._scheduled = 0
        self._revisits = 0
        self.not_scheduled = 0  # links left unfetched because a budget was spent
        self._requested: set[str] = set()
        self.listing_ok = 0
        self.listing_failed: list[str] = []
        self.documents_linked = 0  # policy-page links seen on listings (0: patterns to check)

    # -- requests -----------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Known documents first: their conditional request must win over the plain one a
        # listing would schedule for the same URL (the dupefilter keeps the first).
        for doc in self.known:  # least recently seen first (Archive.known_documents)
            if req := self._document_request(
                doc.url, doc, parent_url=doc.parent_url, name=doc.title
            ):
                yield req
        for url in self.start_list:
            yield scrapy.Request(
                url, callback=self.parse_listing, errback=self.listing_error, dont_filter=True
            )

    def _budget(self, revisit: bool = False) -> bool:
        used = self._revisits if revisit else self._scheduled
        if used >= self.source.max_pages:
            self.crawler.stats.inc_value("policywatch/max_pages_reached")
            self.not_scheduled += 1
            return False
        if revisit:
            self._revisits += 1
        else:
            self._scheduled += 1
        return True

    def _document_request(
        self,
        url: str,
        known: KnownDocument | None = None,
        *,
        parent_url: str | None = None,
        name: str = "",
    ) -> scrapy.Request | None:
        """A request for a policy page, or for an attachment of one (``parent_url`` set)."""
        # One spelling per document: case, default port, %-escapes and query order variants
        # of a URL would each become a document and eat max_pages.
        url = canonical_url(url, sort_query=self.source.sort_query)
        target = _swap_origin(url, self._to_mirror)
        # Deduplicated here, not by Scrapy's dupefilter: that one would also drop a redirect
        # hop back to an already-requested URL without a trace, so a redirect loop would
        # never be recorded. With dont_filter, REDIRECT_MAX_TIMES ends it as an error.
        if target in self._requested or not self._budget(revisit=known is not None):
            return None
        self._requested.add(target)
        self.crawler.stats.inc_value("policywatch/scheduled")  # for the progress lines' ETA
        headers = {}
        if known is not None and not known.withdrawn:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        return scrapy.Request(
            target,
            headers=headers,
            callback=self.parse_document,
            errback=self.document_error,
            meta={
                "handle_httpstatus_list": _HANDLED,
                "policywatch_parent": parent_url,
                "policywatch_name": name,
            },
            dont_filter=True,
        )

    def page_links(
        self, response: TextResponse, on: PageKind
    ) -> Iterator[tuple[str, str, LinkVerdict]]:
        """Every link of a page (URL, link text) with what the crawl does with it, and why.

        The crawl acts on these; ``sources test`` (crawler.probe) prints them.
        """
        # Scrapy's default extractor skips .pdf/.docx links: a policy page's attachments need
        # the other one; on a listing page the crawl never sees such links at all.
        extractor = self._links if on is PageKind.LISTING else self._file_links
        for link in extractor.extract_links(response):
            url = urldefrag(link.url).url
            yield url, " ".join(link.text.split()), self.rules.classify(url, on)

    # -- callbacks ----------------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        """A listing page: schedule the policy pages and the next listing pages it links."""
        if not isinstance(response, TextResponse):  # a listing URL that serves a binary
            url = _swap_origin(response.url, self._to_real)
            self.listing_failed.append(f"{url}: not an HTML page")
            self.crawler.stats.inc_value("policywatch/listing/not_html")
            return
        self.listing_ok += 1
        stats = self.crawler.stats
        stats.inc_value("policywatch/listing/ok")
        if size := listing_size(response.text):
            stats.max_value("policywatch/listing/total_pages", size)
        for url, _text, verdict in self.page_links(response, PageKind.LISTING):
            role = verdict.role
            if role is LinkRole.DOCUMENT:
                self.documents_linked += 1
                stats.inc_value("policywatch/listing/documents_linked")
                if req := self._document_request(url):
                    yield req
            elif role is LinkRole.LISTING and self._budget():
                yield scrapy.Request(url, callback=self.parse_listing, errback=self.listing_error)

    def parse_document(self, response: Response) -> Iterator[FetchedPage | scrapy.Request]:
        """A policy page: hand its bytes (or what its status means) to the pipelines."""
        status = response.status
        if status == 200:
            kind, error = FetchKind.CONTENT, None
            if not response.body.strip():
                kind, error = FetchKind.ERROR, "empty body (HTTP 200 with no content)"
        elif status == 304:
            kind, error = FetchKind.NOT_MODIFIED, None
        elif status in (404, 410):
            kind, error = FetchKind.GONE, None
        else:
            kind, error = FetchKind.ERROR, f"HTTP {status}"
        yield FetchedPage(
            source_id=self.source.id,
            url=_swap_origin(
                _requested_url(response.request) if response.request else response.url,
                self._to_real,
            ),
            fetched_at=datetime.now(UTC),
            kind=kind,
            status=status,
            final_url=_swap_origin(response.url, self._to_real),
            headers={
                k.decode("latin-1").lower(): v[0].decode("latin-1")
                for k, v in response.headers.items()
                if v
            },
            body=response.body if kind is FetchKind.CONTENT else None,
            error=error,
            parent_url=response.meta.get("policywatch_parent"),
            name=response.meta.get("policywatch_name") or "",
        )
        if kind is FetchKind.CONTENT and response.meta.get("policywatch_parent") is None:
            yield from self._attachment_requests(response)

    def _attachment_requests(self, response: Response) -> Iterator[scrapy.Request]:
        """The PDF/DOCX attachments a policy page links (附件), fetched and versioned too."""
        if not isinstance(response, TextResponse):
            return
        # Most policy pages link no attachment: a byte search is far cheaper than extracting
        # every link of the page (the extensions are ASCII in any encoding a page may use).
        lowered = response.body.lower()
        if not any(ext.encode() in lowered for ext in EXTRACTABLE_SUFFIXES):
            return
        page_url = _swap_origin(
            _requested_url(response.request) if response.request else response.url, self._to_real
        )
        for url, text, verdict in self.page_links(response, PageKind.DOCUMENT):
            if verdict.role is LinkRole.ATTACHMENT:
                real = _swap_origin(url, self._to_real)
                name = text or real.rsplit("/", 1)[-1]
                if req := self._document_request(real, parent_url=page_url, name=name):
                    yield req

    def document_error(self, failure: Failure) -> Iterator[FetchedPage]:
        """A fetch that never produced a usable response: recorded, never a version."""
        request = failure.request  # type: ignore[attr-defined]
        yield FetchedPage(
            source_id=self.source.id,
            url=_swap_origin(_requested_url(request), self._to_real),
            fetched_at=datetime.now(UTC),
            kind=FetchKind.ERROR,
            error=_one_line(failure),
        )

    def listing_error(self, failure: Failure) -> Iterator[FetchedPage]:
        request = failure.request  # type: ignore[attr-defined]
        url = _swap_origin(_requested_url(request), self._to_real)
        self.listing_failed.append(f"{url}: {_one_line(failure)}")
        yield FetchedPage(
            source_id=self.source.id,
            url=url,
            fetched_at=datetime.now(UTC),
            kind=FetchKind.ERROR,
            error=_one_line(failure),
        )
