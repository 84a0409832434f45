"""Every Scrapy setting policywatch uses, in one place (crawler stage).

Polite by default: robots.txt obeyed, one request at a time per site with a delay (both
per source), AutoThrottle on top, bounded retries with backoff, timeouts, and a User-Agent
that names the project. Environment variables are read only here.
"""

from __future__ import annotations

import os

USER_AGENT = os.environ.get(
    "POLICYWATCH_USER_AGENT",
    "policywatch/0.1 (+policy-archive crawler; change tracking of public education policy)",
)

BASE_SETTINGS: dict[str, object] = {
    "BOT_NAME": "policywatch",
    "USER_AGENT": USER_AGENT,
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "DOWNLOAD_TIMEOUT": 30,
    "DOWNLOAD_DELAY": 1.0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 2,
    # 429 and 503 are the sites telling us to slow down: retried after a backoff.
    "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
    "POLICYWATCH_RETRY_BACKOFF_BASE": 1.0,
    "POLICYWATCH_RETRY_BACKOFF_MAX": 30.0,
    # Longest one page's extraction may take (crawler.watchdog); 0 runs it in-process.
    "POLICYWATCH_EXTRACT_TIMEOUT": 60.0,
    "REDIRECT_MAX_TIMES": 5,
    # allow_private = false is checked on the DNS answer too, at connect time.
    "TWISTED_DNS_RESOLVER": "crawler.resolver.GuardedResolver",
    "DOWNLOAD_MAXSIZE": 10_000_000,
    "DOWNLOAD_WARNSIZE": 0,
    "DOWNLOADER_MIDDLEWARES": {
        # Scrapy's own offsite filter drops a redirect to another host at scheduling time,
        # before any errback: the page would vanish from the crawl without a recorded reason.
        # BoundaryMiddleware refuses the same requests (and more) and the refusal is recorded.
        "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
        "crawler.middlewares.BoundaryMiddleware": 60,
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "crawler.middlewares.BackoffRetryMiddleware": 550,
    },
    # Scrapy's URL-length filter drops a long link with a log line only: the fetch would
    # vanish. The archive refuses an over-long document URL as a recorded error instead.
    "SPIDER_MIDDLEWARES": {"scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None},
    "ITEM_PIPELINES": {
        "crawler.extract_pool.PooledExtractPipeline": 300,
        "crawler.batch_record.BatchArchivePipeline": 800,
    },
    "EXTENSIONS": {
        "crawler.progress.ProgressExtension": 500,
        # AutoThrottle that trusts a 304's latency (crawler.throttle).
        "scrapy.extensions.throttle.AutoThrottle": None,
        "crawler.throttle.Throttle": 0,
    },
    # Seconds between progress lines per source; 0 turns them off. Unset: 5 s on a
    # terminal, 60 s in a log (crawler.progress).
    "POLICYWATCH_PROGRESS": os.environ.get("POLICYWATCH_PROGRESS"),
    # Extraction off the reactor (crawler.extract_pool): "process" (a pool sized to the
    # cores), "thread", or "inline" (in the reactor thread, as a polite crawl does anyway).
    "POLICYWATCH_EXTRACT_MODE": os.environ.get("POLICYWATCH_EXTRACT_MODE", "process"),
    "POLICYWATCH_EXTRACT_WORKERS": int(
        os.environ.get("POLICYWATCH_EXTRACT_WORKERS", 0) or os.cpu_count() or 1
    ),
    # Captures per transaction, and the longest a capture waits for its batch (seconds).
    "POLICYWATCH_RECORD_BATCH": int(os.environ.get("POLICYWATCH_RECORD_BATCH", 32)),
    "POLICYWATCH_RECORD_MAX_AGE": 0.25,
    # Scrapy starts this many worker tasks for every callback's output; a policy page yields
    # one item and a listing a few dozen requests, and at the default (100) the task churn
    # cost more reactor time than recording an unchanged page.
    "CONCURRENT_ITEMS": 8,
    # Scrapy re-reads a generator callback's source on every call when the callback is a
    # bound method (its cache is keyed weakly, so it misses): about 1 ms of the reactor's time
    # per response. Our callbacks return no value, which ruff's checks and the tests hold.
    "WARN_ON_GENERATOR_RETURN_VALUE": False,
    # Bytes of responses each crawler may hold while their items are processed (Scrapy's
    # default is 5 MB). A fast crawl's pages wait there for the extraction pool, each with its
    # decoded text and Scrapy's idle per-response item tasks: twenty sources at the default
    # held 3,446 of them (an object census), and the crawl process peaked at 607 MB over
    # 10,000 pages; at 250 KB, 302 MB (benchmarks/README.md, issue 12's fourth pass).
    "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 250_000,
    "LOG_LEVEL": "INFO",
    "LOG_VERSIONS": [],
    "LOG_FORMAT": "%(asctime)s %(levelname)s %(name)s: %(message)s",
    "LOG_DATEFORMAT": "%H:%M:%S",
}


def source_settings(delay: float, concurrency: int, max_page_bytes: int) -> dict[str, object]:
    """The per-source part of the settings: its politeness and size limits."""
    return {
        "DOWNLOAD_DELAY": delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "CONCURRENT_REQUESTS": max(concurrency, 1),
        # AutoThrottle may slow down below the source's pace, never speed up beyond it.
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay * 10),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(concurrency),
        "DOWNLOAD_MAXSIZE": max_page_bytes,
    }
