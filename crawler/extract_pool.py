"""Extraction off Scrapy's reactor thread, and no extraction at all for byte-identical pages.

Extraction is CPU work (~8 ms a page) inside an async crawler: done inline it stalls every
download of every source in the process. :class:`PooledExtractPipeline` hands it to a process
pool shared by all the crawlers of the process (sized to the cores), so downloads and
recording go on meanwhile. Small or polite crawls never pay for the pool: it starts only once a
process's crawls without a politeness delay have extracted :data:`POOL_AFTER` pages inline.

A page whose raw body is byte-identical to the last one archived (its SHA-256 is in the
crawl's known documents) is not extracted: it becomes a ``SAME_BODY`` capture, which the
archive records like a 304.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import logging
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace

from archive.records import Capture, FetchKind
from archive.text.normalize import text_digest
from archive.text.search import index_terms
from crawler.extract import ExtractOptions
from crawler.items import FetchedPage
from crawler.lifetime import die_with_parent, name_process
from crawler.pipelines import ExtractPipeline, bounded_capture, to_capture

logger = logging.getLogger("policywatch.crawl")

# Pages extracted inline before a fast crawl moves to the pool: its start-up (~1 s of CPU,
# more on a busy machine) only pays off on a long crawl.
POOL_AFTER = 100
# A source slower than this between requests leaves the reactor idle anyway: inline.
POOL_MAX_DELAY = 0.25

_executor: Executor | None = None
# Pages this process may still extract inline before it starts the pool (shared by every
# crawler of the process: twenty sources of five pages each never start it).
_inline_left: int | None = None


def _executor_for(mode: str, workers: int) -> Executor:
    """The process-wide executor (one for every crawler of the process), started once."""
    global _executor
    if _executor is None:
        if mode == "thread":
            _executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="extract")
        else:
            # forkserver: forking the crawl process itself (a running reactor, threads, open
            # database connections) is unsafe; the server preloads the extractor once.
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["crawler.pipelines", "crawler._pool_guard"])
            # The server dies with the crawl process (crawler._pool_guard), each worker with
            # the server: a killed crawl leaves no orphan extractors behind.
            _executor = ProcessPoolExecutor(
                max_workers=workers, mp_context=ctx, initializer=_extract_worker
            )
        atexit.register(_executor.shutdown, wait=False, cancel_futures=True)
    return _executor


_starting: asyncio.Future[Executor] | None = None


async def _started(mode: str, workers: int) -> Executor:
    """The executor, started on a thread the first time: starting the fork server and its
    workers blocks for about a second, which in the reactor thread stalls every download."""
    global _starting
    if _executor is not None:
        return _executor
    if _starting is None:
        _starting = asyncio.get_running_loop().run_in_executor(None, _warm, mode, workers)
    return await _starting


def _warm(mode: str, workers: int) -> Executor:
    pool = _executor_for(mode, workers)
    for future in [pool.submit(_ready) for _ in range(workers)]:
        future.result()
    return pool


def _ready() -> None:
    return None


def _extract_worker() -> None:
    die_with_parent()
    name_process("pw-extract")


def pooled_capture(page: FetchedPage, encoding: str | None, options: ExtractOptions) -> Capture:
    """What a pool worker does with a page: bounded extraction, then the search index terms
    and the text's digest.

    Both are pure functions of the text, computed here, on every core, rather than in the one
    process that records: there they were over half of the recording time of a new page.
    """
    capture = bounded_capture(page, encoding, options, None)
    if capture.kind is FetchKind.CONTENT and capture.text.strip():
        terms = index_terms(capture.title, capture.doc_number, capture.text)
        digest = text_digest(capture.title, capture.text)
        capture = replace(capture, search_terms=terms, text_digest=digest)
    return capture


def same_body_capture(page: FetchedPage, known_sha: str | None) -> Capture | None:
    """A SAME_BODY capture when ``page``'s body is the last archived one, else None."""
    if page.kind != "content" or page.body is None or known_sha is None:
        return None
    sha = hashlib.sha256(page.body).hexdigest()
    if sha != known_sha:
        return None
    base = to_capture(replace(page, kind=FetchKind.NOT_MODIFIED, body=None), None, ExtractOptions())
    return replace(base, kind=FetchKind.SAME_BODY, body_sha256=sha)


class PooledExtractPipeline(ExtractPipeline):
    """ExtractPipeline, with identical bodies skipped and extraction in a worker pool."""

    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        super().__init__(crawler)
        settings = crawler.settings
        self.mode = settings.get("POLICYWATCH_EXTRACT_MODE", "process")
        self.workers = max(1, settings.getint("POLICYWATCH_EXTRACT_WORKERS", 1))
        global _inline_left
        if _inline_left is None:
            _inline_left = settings.getint("POLICYWATCH_EXTRACT_POOL_AFTER", POOL_AFTER)
        self.known_sha: dict[str, str] = {}

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.known_sha = {d.url: d.body_sha256 for d in spider.known if d.body_sha256}
        if spider.source.delay > POOL_MAX_DELAY:
            self.mode = "inline"

    async def process_item(self, item: FetchedPage) -> Capture:  # type: ignore[override]
        same = same_body_capture(item, self.known_sha.get(item.url))
        if same is not None:
            self.crawler.stats.inc_value("policywatch/extract/skipped_same_body")
            return same
        if item.kind != "content" or item.body is None or self.mode == "inline":
            return super().process_item(item)
        global _inline_left
        if _inline_left:
            _inline_left -= 1
            return super().process_item(item)
        source = self.crawler.spider.source
        options = ExtractOptions(prune_xpath=source.prune_xpath)
        loop = asyncio.get_running_loop()
        pool = await _started(self.mode, self.workers)
        capture = await loop.run_in_executor(pool, pooled_capture, item, source.encoding, options)
        if capture.kind is FetchKind.ERROR and item.kind == "content":
            self.crawler.stats.inc_value("policywatch/bound_hit")
        if capture.kind is FetchKind.CONTENT and not capture.text.strip():
            self.crawler.stats.inc_value("policywatch/extract/empty")
        return capture
