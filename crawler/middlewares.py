"""Downloader middlewares: crawl boundaries and retries with backoff (crawler stage)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.resolver import as_ip, is_private_ip

logger = logging.getLogger("policywatch.crawl")


def _is_private_host(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    # Every spelling of an address (127.1, 2130706433, 0x7f000001, 0): a name that is not an
    # address is checked on its DNS answer at connect time (crawler.resolver).
    ip = as_ip(host)
    return ip is not None and is_private_ip(ip)


def boundary_violation(
    url: str, allowed_netlocs: frozenset[str], allow_private: bool
) -> str | None:
    """Why ``url`` is outside the source's boundary, or None when it may be fetched."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"refused: scheme {parts.scheme!r} is not http(s)"
    host = (parts.hostname or "").lower()
    if _is_private_host(host) and not allow_private:
        return f"refused: {host} is a private or loopback address"
    # No exception for /robots.txt: this middleware runs before RobotsTxtMiddleware, so robots
    # files are only asked of hosts already inside the boundary, and an exception would let a
    # redirect to an offsite /robots.txt be archived as the document.
    if parts.netloc.lower() not in allowed_netlocs:
        return f"refused: {parts.netloc} is not one of the source's hosts"
    return None


class BoundaryMiddleware:
    """Refuse requests (redirect targets included) outside the source's hosts and schemes."""

    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):  # type: ignore[no-untyped-def]
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        source = getattr(spider, "source", None)
        if source is None:
            return
        reason = boundary_violation(request.url, spider.allowed_netlocs, source.allow_private)
        if not reason and time.monotonic() > spider.deadline:
            # Refused, not dropped: each page left unfetched is a recorded error.
            spider.past_deadline += 1
            reason = (
                f"deadline: the crawl passed max_crawl_seconds ({source.max_crawl_seconds:g} s) "
                "before this page was fetched"
            )
        if reason:
            self.crawler.stats.inc_value("policywatch/refused")
            raise IgnoreRequest(f"{reason}: {request.url}")


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, but each retry waits: exponential backoff, or the server's Retry-After."""

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.base = settings.getfloat("POLICYWATCH_RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("POLICYWATCH_RETRY_BACKOFF_MAX", 30.0)

    def _wait_for(self, retry: Request, response: Response | None) -> float:
        attempt = int(retry.meta.get("retry_times", 1))
        wait = min(self.cap, self.base * 2 ** (attempt - 1))
        if response is not None and (header := response.headers.get(b"Retry-After")):
            wait = min(self.cap, max(wait, _retry_after_seconds(header.decode("latin-1"))))
        return wait

    async def process_response(self, request: Request, response: Response):  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await asyncio.sleep(self._wait_for(result, response))
        return result

    async def process_exception(self, request: Request, exception: Exception):  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await asyncio.sleep(self._wait_for(result, None))
        return result


def _retry_after_seconds(value: str) -> float:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
