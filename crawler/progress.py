"""A progress line per source while a crawl runs (crawler stage): a small Scrapy extension.

A first crawl of a big bureau takes minutes and logs nothing for pages that did not change, so
it would look hung. Every ``POLICYWATCH_PROGRESS`` seconds (0: off) each source's crawl prints
what it has done: pages fetched, new, changed, errors, the rate, and an ETA when the listing
says how many pages it has ("共12页"). On a terminal the line is short and frequent; in a log
(stderr not a tty) it is a plain log line, less often. The counts come from the crawl's stats:
the live :class:`~archive.records.CrawlSummary` the archive pipeline keeps, plus the spider's
``policywatch/listing/…`` and ``policywatch/scheduled`` counters.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from archive.records import CrawlSummary
from crawler.pipelines import SUMMARY_STAT

logger = logging.getLogger("policywatch.progress")

TTY_INTERVAL_S = 5.0
LOG_INTERVAL_S = 60.0


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot of one source's crawl."""

    source_id: str
    elapsed: float
    fetched: int = 0
    new: int = 0
    changed: int = 0
    errors: int = 0
    scheduled: int = 0  # page requests the spider has scheduled so far
    listing_ok: int = 0  # listing pages fetched
    listing_total: int = 0  # the listing's own page count ("共12页"), 0 when it does not say
    documents_linked: int = 0  # policy-page links seen on the fetched listing pages
    max_pages: int = 0  # the source's budget, 0: none

    @property
    def done(self) -> int:
        """Fetches finished, successful or not."""
        return self.fetched + self.errors

    @property
    def rate(self) -> float:
        """Fetches finished per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def expected(self) -> int | None:
        """Pages this crawl will fetch, estimated from the listing's size; None when unknown."""
        if not self.listing_total or not self.listing_ok:
            return None
        per_listing = self.documents_linked / self.listing_ok
        unseen = max(0, self.listing_total - self.listing_ok)
        estimate = self.scheduled + round(unseen * per_listing)
        return min(estimate, self.max_pages) if self.max_pages else estimate

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, when the size is known."""
        expected = self.expected
        if expected is None or self.rate <= 0:
            return None
        return max(0, expected - self.done) / self.rate


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def progress_line(p: Progress, *, tty: bool) -> str:
    """The line to print: human on a terminal, key=value in a log."""
    expected, eta = p.expected, p.eta
    if tty:
        size = f" of ~{expected}" if expected is not None else ""
        tail = f", ETA {_duration(eta)}" if eta is not None else ""
        return (
            f"[{p.source_id}] {p.done}{size} pages: {p.new} new, {p.changed} changed, "
            f"{p.errors} errors; {p.rate:.1f} pages/s{tail}"
        )
    fields = [
        f"fetched={p.fetched}",
        f"new={p.new}",
        f"changed={p.changed}",
        f"errors={p.errors}",
        f"rate={p.rate:.2f}/s",
        f"elapsed={p.elapsed:.0f}s",
    ]
    if expected is not None:
        fields.append(f"expected={expected}")
    if eta is not None:
        fields.append(f"eta={eta:.0f}s")
    return f"[{p.source_id}] progress " + " ".join(fields)


class ProgressExtension:
    """Prints :func:`progress_line` for its crawler's source every interval."""

    def __init__(self, crawler: Any, interval: float, tty: bool) -> None:
        self.crawler = crawler
        self.interval = interval
        self.tty = tty
        self.started = time.monotonic()
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressExtension:
        tty = sys.stderr.isatty()
        setting = crawler.settings.get("POLICYWATCH_PROGRESS")
        interval = float(setting) if setting not in (None, "") else 0.0
        if setting in (None, ""):
            interval = TTY_INTERVAL_S if tty else LOG_INTERVAL_S
        if interval <= 0:
            raise NotConfigured  # without a message: Scrapy would log one as a warning
        ext = cls(crawler, interval, tty)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.task = create_looping_call(self.report)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def snapshot(self) -> Progress | None:
        """The crawl's progress now (None before the archive pipeline opened)."""
        stats = self.crawler.stats
        summary = stats.get_value(SUMMARY_STAT)
        if not isinstance(summary, CrawlSummary):
            return None
        source = getattr(self.crawler.spider, "source", None)
        return Progress(
            source_id=summary.source_id,
            elapsed=time.monotonic() - self.started,
            fetched=summary.fetched,
            new=summary.new,
            changed=summary.changed,
            errors=summary.errors,
            scheduled=stats.get_value("policywatch/scheduled", 0),
            listing_ok=stats.get_value("policywatch/listing/ok", 0),
            listing_total=stats.get_value("policywatch/listing/total_pages", 0),
            documents_linked=stats.get_value("policywatch/listing/documents_linked", 0),
            max_pages=source.max_pages if source is not None else 0,
        )

    def report(self) -> None:
        progress = self.snapshot()
        if progress is None:
            return
        line = progress_line(progress, tty=self.tty)
        if self.tty:  # straight to the terminal: no timestamp, no level
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        else:
            logger.info("%s", line)
