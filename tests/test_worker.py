"""Distributed crawling: Celery workers on a Redis broker, one shared PostgreSQL archive.

Real parts only: a generated mirror of bureau sites on 127.0.0.1 (each site crawled politely,
0.2 s between requests, one request at a time), real ``policywatch worker`` processes, the
Redis at $POLICYWATCH_TEST_REDIS and the PostgreSQL at $POLICYWATCH_TEST_PG.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from archive.api import Archive
from archive.records import CrawlRequest, CrawlStatus
from seeds.synthetic_mirror import Served, build, sources_toml

from .conftest import PG_ENV, REPO, _reset_postgres

REDIS_ENV = "POLICYWATCH_TEST_REDIS"
SITES, PAGES = 4, 30

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def services() -> Iterator[tuple[str, str]]:
    """(broker URL, database URL), both emptied first; skips without either."""
    broker, db = os.environ.get(REDIS_ENV), os.environ.get(PG_ENV)
    if not broker:
        pytest.skip(f"Redis not configured: set {REDIS_ENV} (e.g. redis://127.0.0.1:6379/12)")
    if not db:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV}")
    pytest.importorskip("celery", reason="the [celery] extra is not installed")
    import redis

    client = redis.Redis.from_url(broker)
    client.flushdb()
    _reset_postgres(db)
    Archive.open(db).close()  # the schema, before two workers race to create it
    yield broker, db
    client.flushdb()


@pytest.fixture
def mirror() -> Iterator[Served]:
    served = Served(build(SITES, PAGES))
    yield served
    served.close()


def _request(served: Served, sources: Path, source_ids: tuple[str, ...]) -> CrawlRequest:
    return CrawlRequest(
        sources=str(sources),
        source_ids=source_ids,
        origins=tuple(served.origins.items()),
        allow_private=True,
    )


@contextmanager
def workers(
    n: int, broker: str, db: str, tmp: Path, *, visibility: float = 300
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``n`` real ``policywatch worker`` processes, each in its own session, once ready.

    ``visibility`` (the broker's visibility timeout) must exceed the longest crawl, as in
    production; the kill test shortens it so that a dead worker's task comes back soon.
    """
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "POLICYWATCH_VISIBILITY_TIMEOUT": str(visibility),
        "POLICYWATCH_LEASE_TTL": "3",
        "POLICYWATCH_LEASE_RETRY": "2",
        "POLICYWATCH_RESTORE_INTERVAL": "1",
    }
    procs, logs = [], []
    for i in range(n):
        log = tmp / f"worker{i}.log"
        logs.append(log)
        cmd = [sys.executable, "-c", "import sys, scheduler; sys.exit(scheduler.main())"]
        cmd += ["worker", "--broker", broker, "--db", db, "--name", f"w{i}@test"]
        with log.open("wb") as out:  # the child keeps its own copy of the descriptor
            procs.append(
                subprocess.Popen(
                    cmd,
                    cwd=REPO,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    try:
        deadline = time.monotonic() + 60
        while not all(" ready." in log.read_text(errors="replace") for log in logs):
            assert time.monotonic() < deadline, [log.read_text()[-2000:] for log in logs]
            assert all(p.poll() is None for p in procs), [log.read_text()[-2000:] for log in logs]
            time.sleep(0.2)
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def _every_page_once(db: str, expected: int) -> None:
    with Archive.open(db, create=False) as archive:
        docs = archive.documents()
        assert len(docs) == expected, len(docs)
        assert {d.versions for d in docs} == {1}, [d.url for d in docs if d.versions != 1]
        report = archive.check()
        assert report.ok, report.problems
        by_source: dict[str, list[tuple]] = {}
        for c in archive.crawls():
            assert c.finished_at is not None or c.status is CrawlStatus.INTERRUPTED, c
            by_source.setdefault(c.source_id, []).append((c.started_at, c.finished_at))
    for source, spans in by_source.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            # A site never crawled by two workers at once (an interrupted crawl has no end;
            # its successor only starts after the dead worker's lease ran out).
            assert end is None or end <= start, (source, spans)


def _crawl_all(broker: str, request: CrawlRequest) -> float:
    from crawler.worker import crawl_via_broker

    t = time.monotonic()
    result = crawl_via_broker(request, broker=broker, timeout=300)
    took = time.monotonic() - t
    assert result.exit_status == 0, result
    assert len(result.summaries) == SITES
    assert sum(s.new for s in result.summaries) == SITES * PAGES
    return took


def test_two_workers_archive_every_page_once_in_about_half_the_time(
    services: tuple[str, str], mirror: Served, tmp_path: Path
) -> None:
    broker, db = services
    sources = sources_toml(mirror.mirror, tmp_path / "sources.toml", delay=0.2, concurrency=1)
    request = _request(mirror, sources, tuple(f"bench{i:02d}" for i in range(SITES)))
    with workers(1, broker, db, tmp_path):
        one = _crawl_all(broker, request)
    _every_page_once(db, SITES * PAGES)

    _reset_postgres(db)
    Archive.open(db).close()
    with workers(2, broker, db, tmp_path):
        two = _crawl_all(broker, request)
    _every_page_once(db, SITES * PAGES)
    print(f"\n{SITES}×{PAGES} pages, 0.2 s delay: 1 worker {one:.1f} s, 2 workers {two:.1f} s")
    assert two < 0.7 * one, (one, two)


def test_a_killed_workers_source_is_crawled_again_by_the_other(
    services: tuple[str, str], mirror: Served, tmp_path: Path
) -> None:
    from crawler.worker import enqueue_crawl, make_app

    broker, db = services
    sources = sources_toml(mirror.mirror, tmp_path / "sources.toml", delay=0.3, concurrency=1)
    request = _request(mirror, sources, ("bench00",))
    with workers(2, broker, db, tmp_path, visibility=8) as procs:
        task_id = enqueue_crawl(request, broker=broker)
        deadline = time.monotonic() + 60
        with Archive.open(db, create=False) as archive:
            while (lease := archive.source_lease("bench00")) is None or not archive.crawls():
                assert time.monotonic() < deadline, "no worker took the task"
                time.sleep(0.1)
            # Let it archive part of the site, then kill the worker and its crawl with it.
            while len(archive.documents()) < 5:
                assert time.monotonic() < deadline, "the crawl archived nothing"
                time.sleep(0.1)
        victim = next(p for p in procs if f":{p.pid}:" in lease.holder)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        with Archive.open(db, create=False) as archive:
            partial = len(archive.documents())
        assert partial < PAGES, "the kill came after the crawl had finished"

        result = make_app(broker).AsyncResult(task_id).get(timeout=120)
        assert result["exit_status"] == 0, result
        assert result["holder"] != lease.holder
    _every_page_once(db, PAGES)
    with Archive.open(db, create=False) as archive:
        crawls = archive.crawls(source="bench00")
        statuses = [c.status for c in crawls]
        # The killed crawl, then the other worker's (and, should that one outlast the short
        # visibility timeout of this test, an unchanged re-crawl of the redelivered task).
        assert statuses[0] is CrawlStatus.INTERRUPTED, crawls
        assert set(statuses[1:]) == {CrawlStatus.OK}, crawls
        # The second crawl began only once the dead worker's lease had expired.
        assert crawls[1].started_at >= lease.expires_at - timedelta(seconds=0.5), crawls
