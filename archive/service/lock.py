"""One service per archive, and one crawl per source at a time.

PostgreSQL: the service holds an advisory lock on a connection of its own (the server drops
it the moment the process dies). SQLite has no such thing: a lease row with a heartbeat,
taken over when its holder's heartbeat is stale or, on the same host, its process is gone.
The lease rows exist on both, so ``status`` can say who holds the service and what it crawls.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from ..api import Archive
from ..errors import PolicywatchError
from ..records import LeaseRecord

SERVICE_LEASE = "service"
log = logging.getLogger("policywatch.serve")


class LockHeld(PolicywatchError):
    """Another live process holds the lease."""

    def __init__(self, what: str, other: LeaseRecord) -> None:
        since = other.acquired_at.astimezone().isoformat(timespec="seconds")
        super().__init__(f"{what} (pid {other.pid} on {other.host}, since {since})")
        self.other = other


def crawl_lease(source_id: str) -> str:
    """The lease name for crawling ``source_id``."""
    return f"crawl:{source_id}"


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_check(stale_after: float) -> Callable[[LeaseRecord], bool]:
    """A lease is stale when its heartbeat is old or, on this host, its process is gone."""
    host = socket.gethostname()

    def is_stale(lease: LeaseRecord) -> bool:
        if lease.host == host and not pid_alive(lease.pid):
            return True
        return datetime.now(UTC) - lease.heartbeat_at > timedelta(seconds=stale_after)

    return is_stale


class Leases:
    """The leases one process holds, refreshed by a heartbeat thread while any is held."""

    def __init__(self, archive: Archive, *, heartbeat: float = 10.0, stale_after: float = 60.0):
        self.archive = archive
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.interval = heartbeat
        self.is_stale = stale_check(stale_after)
        self.held: set[str] = set()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._advisory: object | None = None

    def acquire(
        self, name: str, what: str, is_stale: Callable[[LeaseRecord], bool] | None = None
    ) -> None:
        """Take lease ``name`` or raise :class:`LockHeld` naming its holder."""
        other = self.archive.acquire_lease(
            name,
            holder=self.holder,
            host=self.host,
            pid=self.pid,
            now=datetime.now(UTC),
            is_stale=is_stale or self.is_stale,
        )
        if other is not None:
            raise LockHeld(what, other)
        self.held.add(name)
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
            self._thread.start()

    def acquire_service(self) -> None:
        """Become the archive's one service (PostgreSQL: advisory lock first)."""
        what = "another policywatch service is running on this archive"
        if self.archive.backend == "postgresql":
            self._advisory = self.archive.try_advisory_lock()
            if self._advisory is None:
                other = self.archive.lease(SERVICE_LEASE)
                if other is None:
                    raise PolicywatchError(what)
                raise LockHeld(what, other)
            # The advisory lock is the authority: a leftover row is a dead service's.
            self.acquire(SERVICE_LEASE, what, is_stale=lambda _lease: True)
            return
        self.acquire(SERVICE_LEASE, what)

    def release(self, name: str) -> None:
        """Give lease ``name`` back."""
        self.held.discard(name)
        try:
            self.archive.release_lease(name, self.holder)
        except Exception as exc:  # the database went away: the lease goes stale by itself
            log.warning("could not release lease %s: %s", name, " ".join(str(exc).split()))

    def close(self) -> None:
        """Release everything and stop the heartbeat."""
        self._stop.set()
        for name in list(self.held):
            self.release(name)
        if self._advisory is not None:
            handle, self._advisory = self._advisory, None
            try:
                self.archive.release_advisory_lock(handle)
            except Exception as exc:  # the server went away: so did the lock
                log.warning("could not release the advisory lock: %s", " ".join(str(exc).split()))

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            if not self.held:
                continue
            try:
                self.archive.heartbeat(self.holder, datetime.now(UTC))
                mine = self.archive.lease(SERVICE_LEASE)
            except Exception as exc:
                log.warning("lock heartbeat failed: %s", " ".join(str(exc).split())[:200])
                continue
            if SERVICE_LEASE in self.held and (mine is None or mine.holder != self.holder):
                log.error("lost the service lock to another process: stopping")
                self.lost.set()


@contextmanager
def holding_crawls(archive: Archive, source_ids: Iterable[str]) -> Iterator[Leases]:
    """Hold the crawl lease of every source for a manual crawl; LockHeld if one is taken.

    A manual ``crawl`` of a source the service is crawling is refused rather than started: the
    second crawl's start would mark the first one interrupted.
    """
    leases = Leases(archive)
    try:
        for sid in source_ids:
            leases.acquire(crawl_lease(sid), f"source {sid} is being crawled by another process")
        yield leases
    finally:
        leases.close()
