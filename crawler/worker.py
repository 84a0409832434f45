"""Distributed crawling on Celery with a Redis broker: one task per source, any number of workers.

The scheduler (``policywatch serve --broker URL``) enqueues one ``crawl this source`` task per
due source with :func:`enqueue_crawl`; ``policywatch worker --broker URL`` runs them. Each task
carries a typed :class:`~archive.records.CrawlRequest` (as JSON) for exactly one source and runs
it in a child process (:func:`crawler.process.run_crawl`: Scrapy's reactor cannot restart),
against the shared archive named by the worker's own ``--db`` / ``POLICYWATCH_DB`` — the
database password never travels through the broker.

Safety, in layers:

- a lease per source in the database (``Archive.acquire_source_lease``) is held, and renewed, for
  the whole crawl: a site is crawled by one worker at a time even if the broker delivers a
  task twice; a task whose source is leased elsewhere is retried later, not dropped;
- tasks are acknowledged late, with a broker visibility timeout longer than the longest crawl:
  a worker killed mid-crawl never acknowledges, so the broker hands the task to another
  worker, which takes the lease once the dead worker's has expired;
- the crawl child dies with its worker (``POLICYWATCH_DIE_WITH_PARENT``), so a killed worker
  leaves no orphan crawling on under an expired lease.

Without a broker nothing here is imported: crawls run in-process as before. Celery and redis
are the optional ``[celery]`` extra. This module imports neither Scrapy nor Twisted.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import asdict, replace
from typing import Any

from archive.api import Archive
from archive.errors import UsageError
from archive.records import CrawlRequest, CrawlResult, CrawlStatus, CrawlSummary

log = logging.getLogger("policywatch.worker")

BROKER_ENV = "POLICYWATCH_BROKER"
TASK_NAME = "policywatch.crawl_source"
QUEUE = "policywatch"
# Longer than the longest crawl: an unacknowledged task is handed to another worker only
# after this long (seconds). A crawl of 500 pages at 1 s per page is ~10 minutes; 6 h is ample.
VISIBILITY_TIMEOUT = float(os.environ.get("POLICYWATCH_VISIBILITY_TIMEOUT", 6 * 3600))
# A lease outlives a renewal interval three times over: a busy machine may renew late.
LEASE_TTL = float(os.environ.get("POLICYWATCH_LEASE_TTL", 120))
# How soon a task whose source is leased elsewhere is tried again (seconds).
LEASE_RETRY = float(os.environ.get("POLICYWATCH_LEASE_RETRY", 30))
# How often the broker is swept for tasks of dead workers (seconds).
RESTORE_INTERVAL = float(os.environ.get("POLICYWATCH_RESTORE_INTERVAL", 10))


class SourceBusy(Exception):
    """The source's lease is held by another live worker."""


def broker_url(url: str | None = None) -> str | None:
    """The broker URL: the argument, else ``$POLICYWATCH_BROKER``, else None (no broker)."""
    return url or os.environ.get(BROKER_ENV) or None


def make_app(broker: str) -> Any:
    """The Celery app for ``broker`` (a redis:// URL); results go to the same Redis."""
    try:
        from celery import Celery
    except ImportError:
        raise UsageError(
            "--broker: Celery is not installed (pip install 'policywatch[celery]')"
        ) from None
    app = Celery("policywatch", broker=broker, backend=broker)
    app.conf.update(
        task_acks_late=True,
        # A worker process that dies mid-task: the task goes back to the queue.
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        # One crawl reserved at a time: a second worker gets the next source at once.
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "unacked_restore_interval": RESTORE_INTERVAL,
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        worker_hijack_root_logger=False,
    )
    app.task(name=TASK_NAME, bind=True, max_retries=None, acks_late=True)(_crawl_task)
    return app


def _crawl_task(task: Any, request_json: str) -> dict[str, Any]:
    request = CrawlRequest.from_json(request_json)
    holder = f"{socket.gethostname()}:{os.getpid()}:{task.request.id or uuid.uuid4().hex}"
    try:
        return crawl_leased(request, holder=holder)
    except SourceBusy as exc:
        log.info("%s; retrying in %.0f s", exc, LEASE_RETRY)
        raise task.retry(countdown=LEASE_RETRY, exc=exc) from None


def _one_source(request: CrawlRequest) -> str:
    if len(request.source_ids) != 1:
        raise UsageError(
            f"a crawl task is for exactly one source, got {len(request.source_ids)} "
            "(enqueue one per source)"
        )
    return request.source_ids[0]


def crawl_leased(
    request: CrawlRequest, *, holder: str, db: str | None = None, ttl: float | None = None
) -> dict[str, Any]:
    """Crawl ``request``'s source under its lease, in a child process; the result as a dict.

    Raises :class:`SourceBusy` when another holder's lease on the source is live.
    """
    from crawler.process import run_crawl

    ttl = LEASE_TTL if ttl is None else ttl
    source_id = _one_source(request)
    archive = Archive.open(db)
    try:
        if not archive.acquire_source_lease(source_id, holder, ttl):
            lease = archive.source_lease(source_id)
            raise SourceBusy(
                f"[{source_id}] being crawled by {lease.holder if lease else 'another worker'}"
            )
        stop = threading.Event()
        renewer = threading.Thread(
            target=_renew, args=(archive, source_id, holder, ttl, stop), daemon=True
        )
        renewer.start()
        log.info("[%s] crawl started by %s", source_id, holder)
        try:
            # The child dies with this process (crawler.run reads this), so a killed worker
            # cannot leave a crawl running under a lease it no longer renews.
            os.environ["POLICYWATCH_DIE_WITH_PARENT"] = "1"
            result = run_crawl(request, db=archive.connection_url())
        finally:
            stop.set()
            renewer.join()
            archive.release_source_lease(source_id, holder)
        log.info("[%s] crawl finished (exit status %d)", source_id, result.exit_status)
        return {
            "holder": holder,
            "exit_status": result.exit_status,
            "summaries": [asdict(s) for s in result.summaries],
        }
    finally:
        archive.close()


def _renew(
    archive: Archive, source_id: str, holder: str, ttl: float, stop: threading.Event
) -> None:
    while not stop.wait(ttl / 3):
        try:
            if not archive.renew_source_lease(source_id, holder, ttl):
                log.error("[%s] lease lost by %s (renewed too late?)", source_id, holder)
        except Exception as exc:  # a database hiccup: the next renewal tries again
            log.warning("[%s] lease renewal failed: %s", source_id, exc)


def enqueue_crawl(request: CrawlRequest, *, broker: str | None = None) -> str:
    """Enqueue one ``crawl this source`` task per source of ``request``; the last task id.

    ``request.source_ids`` must name the sources (one task each). The service calls this
    instead of crawling in-process when a broker URL is configured.
    """
    url = broker_url(broker)
    if url is None:
        raise UsageError(f"no broker: give --broker URL or set {BROKER_ENV}")
    if not request.source_ids:
        raise UsageError("enqueue_crawl: name the sources (one task per source)")
    app = make_app(url)
    task_id = ""
    for source_id in request.source_ids:
        one = replace(request, source_ids=(source_id,))
        task_id = app.send_task(TASK_NAME, args=[one.to_json()], queue=QUEUE).id
    return task_id


def crawl_via_broker(
    request: CrawlRequest, *, broker: str | None = None, timeout: float | None = None
) -> CrawlResult:
    """Enqueue one task per source of ``request`` and wait for them all: what a local crawl
    would have returned (exit status 1 when a source failed, its reason in its summary)."""
    url = broker_url(broker)
    if url is None:
        raise UsageError(f"no broker: give --broker URL or set {BROKER_ENV}")
    app = make_app(url)
    pending = [
        (
            source_id,
            app.send_task(
                TASK_NAME, args=[replace(request, source_ids=(source_id,)).to_json()], queue=QUEUE
            ),
        )
        for source_id in request.source_ids
    ]
    summaries: list[CrawlSummary] = []
    status = 0
    for source_id, result in pending:
        try:
            data = result.get(timeout=timeout or VISIBILITY_TIMEOUT, propagate=True)
        except Exception as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            summaries.append(
                CrawlSummary(
                    source_id=source_id, status=CrawlStatus.FAILED, reason=f"worker: {reason}"
                )
            )
            status = 1
            continue
        status = max(status, int(data.get("exit_status", 1)))
        summaries += [CrawlSummary.from_dict(d) for d in data.get("summaries", [])]
    return CrawlResult(status, tuple(summaries))


def run_worker(*, broker: str | None, concurrency: int = 1, hostname: str | None = None) -> None:
    """Run a Celery worker for crawl tasks until stopped (``policywatch worker``)."""
    url = broker_url(broker)
    if url is None:
        raise UsageError(f"no broker: give --broker URL or set {BROKER_ENV}")
    app = make_app(url)
    argv = [
        "worker",
        "--loglevel=INFO",
        f"--queues={QUEUE}",
        f"--concurrency={concurrency}",
        # One crawl at a time per worker needs no pool: a crash of the task's process is then
        # the worker's, and the broker redelivers its unacknowledged task.
        f"--pool={'solo' if concurrency == 1 else 'prefork'}",
        "--without-gossip",
        "--without-mingle",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)
