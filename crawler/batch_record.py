"""Recording in batches, off the reactor: a writer thread, then a recorder process.

:class:`BatchArchivePipeline` buffers captures and commits them with ``Archive.record_many``,
one transaction per batch: on the process's one writer thread, and, once a fast crawl has
recorded :data:`RECORDER_AFTER` captures and the recorder process it then starts (in the
background) answers, in that process (the ORM work then no longer holds the GIL the reactor
needs). A batch is flushed when it holds
``POLICYWATCH_RECORD_BATCH`` captures or its oldest is ``POLICYWATCH_RECORD_MAX_AGE`` seconds
old, and when the crawl closes. A kill loses at most the uncommitted batches, never half a
version: those pages are fetched again by the next crawl.

The captures handed over and not yet committed are bounded (:data:`MAX_WAITING`, all crawlers
of the process together): past it, a capture waits in the pipeline, so Scrapy stops
downloading until the archive catches up. Unbounded, the queue grows with how far recording
lags behind the downloads: one first crawl had 1,131 captures (bodies, texts and index terms)
waiting.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from archive.api import Archive
from archive.records import Capture, RecordResult
from archive.text.search import release_dictionary
from crawler.extract_pool import POOL_MAX_DELAY
from crawler.lifetime import die_with_parent, name_process
from crawler.pipelines import ArchivePipeline

logger = logging.getLogger("policywatch.crawl")


_WRITER: ThreadPoolExecutor | None = None
_RECORDER: ProcessPoolExecutor | None = None
_ARCHIVE: Archive | None = None  # inside the recorder process
_recorded = 0  # captures this process has recorded, all crawlers together
_waiting = 0  # captures handed to the writer/recorder, not yet committed: all crawlers
_room: collections.deque[asyncio.Future[None]] = collections.deque()  # captures waiting
# Captures that may wait for the archive before a new one waits in the pipeline: a few
# batches, enough to keep the recorder busy while the next ones fill.
MAX_WAITING = 128
# Captures recorded on the writer thread before a fast crawl starts its recorder process: the
# ORM work then stops competing with the reactor for the GIL. In-process, beside a busy
# reactor, the writer thread recorded 16-44 unchanged pages a second (most likely waiting for
# the GIL after each SQLite call). A small crawl never pays the recorder's start-up.
RECORDER_AFTER = 100
_recorder_starting = False  # the recorder's start has been asked for (once per process)
_recorder_ready = False  # it answers: every batch decided from now on goes to it


def _writer() -> ThreadPoolExecutor:
    """The one writer thread of the process: every crawler's batches, in order.

    One per process, not per crawler: twenty sources crawled at once would otherwise be twenty
    threads queueing on SQLite's single write lock (and timing out on a busy machine).
    """
    global _WRITER
    if _WRITER is None:
        _WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="record")
    return _WRITER


def _recorder(db_url: str) -> ProcessPoolExecutor:
    """The one recorder process of this crawl process (started once, dies with it)."""
    global _RECORDER
    if _RECORDER is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["crawler.pipelines", "crawler._pool_guard"])
        _RECORDER = ProcessPoolExecutor(
            max_workers=1, mp_context=ctx, initializer=_open_recorder, initargs=(db_url,)
        )
        atexit.register(_RECORDER.shutdown, wait=True)
    return _RECORDER


def _start_recorder(db_url: str) -> None:
    """Start the recorder and wait until it answers: on an executor thread, never the
    reactor's (starting the fork server that spawns it blocks for seconds on a busy machine),
    and not the writer's, which goes on recording meanwhile (when it waited, every crawler of
    the process stood still for four seconds of an unchanged re-crawl).

    From then on the recorder indexes and the extraction workers cut words: this process's
    copy of the word dictionary (loaded for the first captures it recorded itself) is
    let go once the writer thread's last batch is done: 68 MB of a 3,000-page crawl's 372 MB
    peak. A polite source crawled in the same process, recorded here, would load it again.
    """
    global _recorder_ready
    try:
        _recorder(db_url).submit(_ready).result()
    except Exception:
        # Recording goes on in this process: slower for a fast crawl, never lost.
        logger.exception("the recorder process did not start; recording in the crawl process")
        return
    _recorder_ready = True
    _writer().submit(release_dictionary)  # after the batches already on the writer thread


def _begin_recorder(db_url: str) -> None:
    """Ask for the recorder once per process; batches go to the writer thread until it runs."""
    global _recorder_starting
    if not _recorder_starting:
        _recorder_starting = True
        # On the event loop's executor, whose threads live as long as the crawl: the fork
        # server dies with the thread that started it (crawler._pool_guard's parent-death
        # signal is per thread), so a short-lived thread of its own would take the recorder
        # with it when it ended.
        asyncio.get_running_loop().run_in_executor(None, _start_recorder, db_url)


def _ready() -> None:
    return None


def _open_recorder(db_url: str) -> None:
    global _ARCHIVE
    die_with_parent()
    name_process("pw-record")
    _ARCHIVE = Archive.open(db_url, create=False)


def _record_in_recorder(
    batch: list[Capture], crawl_id: int | None, withdraw_after: int
) -> list[RecordResult]:
    assert _ARCHIVE is not None
    return _ARCHIVE.record_many(batch, crawl_id=crawl_id, withdraw_after=withdraw_after)


class BatchArchivePipeline(ArchivePipeline):
    """ArchivePipeline, committing a batch of captures per transaction on a writer thread."""

    def __init__(self, crawler, db_url: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(crawler, db_url)
        self.batch_size = max(1, crawler.settings.getint("POLICYWATCH_RECORD_BATCH", 32))
        self.max_age = crawler.settings.getfloat("POLICYWATCH_RECORD_MAX_AGE", 0.25)
        self.buffer: list[Capture] = []
        self.oldest = 0.0
        self.use_recorder = crawler.settings.getbool("POLICYWATCH_RECORD_PROCESS", True)
        self.pending: set[asyncio.Future[list[RecordResult]]] = set()
        self.last: asyncio.Future[list[RecordResult]] | None = None
        self.timer: asyncio.TimerHandle | None = None

    def open_spider(self) -> None:
        super().open_spider()
        if self.crawler.spider.source.delay > POOL_MAX_DELAY:
            self.use_recorder = False  # a polite crawl leaves the reactor idle anyway

    async def process_item(self, item: Capture) -> Capture:  # type: ignore[override]
        while _waiting >= MAX_WAITING:
            # Woken by ``_done``, as many as there is room for: one future per waiting
            # capture, never every waiter re-checking every batch (that spun at full CPU).
            room = asyncio.get_running_loop().create_future()
            _room.append(room)
            await room
        self._add(item)
        return item

    def _add(self, item: Capture) -> None:
        if not self.buffer:
            self.oldest = time.monotonic()
            # A timer, not only the next capture's arrival: on a polite crawl the next page
            # may be seconds away, and a kill in between would lose a page already fetched.
            self.timer = asyncio.get_event_loop().call_later(self.max_age, self._flush)
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size or time.monotonic() - self.oldest >= self.max_age:
            self._flush()

    def _flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        global _waiting
        _waiting += len(batch)
        # Each crawler's batches are written one after another, so that a page always
        # commits before the attachments it links (they look their page up by URL).
        future = asyncio.ensure_future(self._write(self.last, batch))
        self.last = future
        self.pending.add(future)
        future.add_done_callback(lambda f: self._done(batch, f))

    async def _write(
        self, previous: asyncio.Future[list[RecordResult]] | None, batch: list[Capture]
    ) -> list[RecordResult]:
        global _recorded
        if previous is not None:
            await asyncio.wait([previous])
        assert self.archive is not None
        archive, crawl_id = self.archive, self.crawl_id
        n = self.crawler.spider.source.withdraw_after
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        if self.use_recorder and _recorded >= RECORDER_AFTER:
            _begin_recorder(self.db_url)
        if self.use_recorder and _recorder_ready:
            # For every crawler of the process: a batch decided after this one never goes to
            # the writer thread again (it would load the word dictionary back).
            results = await loop.run_in_executor(
                _recorder(self.db_url), _record_in_recorder, batch, crawl_id, n
            )
        else:
            results = await loop.run_in_executor(
                _writer(), lambda: archive.record_many(batch, crawl_id=crawl_id, withdraw_after=n)
            )
        _recorded += len(batch)
        # Milliseconds spent recording, so that a slow archive shows in the stats.
        ms = int(1000 * (time.perf_counter() - started))
        self.crawler.stats.inc_value("policywatch/record/ms", ms)
        return results

    def _done(self, batch: list[Capture], future: asyncio.Future[list[RecordResult]]) -> None:
        global _waiting
        _waiting -= len(batch)
        free = MAX_WAITING - _waiting
        while free > 0 and _room:
            room = _room.popleft()
            if not room.done():  # a cancelled wait (the crawl stopping) takes no room
                room.set_result(None)
                free -= 1
        self.pending.discard(future)
        try:
            results = future.result()
        except Exception as exc:
            # Not a database error (record_many answers those per capture): nothing of this
            # batch was committed; each page is counted as an error with the reason.
            reason = f"not recorded: {type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
            logger.exception("[%s] recording a batch failed", self.crawler.spider.source.id)
            for item in batch:
                assert self.summary is not None
                self.summary.errors += 1
                self._note_error(item.url, reason)
            return
        for item, result in zip(batch, results, strict=True):
            self._account(item, result)

    async def close_spider(self) -> None:  # type: ignore[override]
        if self.archive is not None:
            self._flush()
            while self.pending:
                await asyncio.gather(*self.pending, return_exceptions=True)
                await asyncio.sleep(0)  # let the done callbacks run
        super().close_spider()
