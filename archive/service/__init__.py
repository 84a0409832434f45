"""The service behind ``policywatch serve``: scheduled crawls whose reports are never lost.

* :mod:`.runner` — the loop: schedule state kept in the archive, one job per due source,
  clean shutdown on SIGTERM/SIGINT, reload on SIGHUP;
* :mod:`.plan` — committed change events → outbox reports (one row per report × channel);
* :mod:`.dispatch` — one thread per channel sends what is due, with backoff and jitter;
* :mod:`.lock` — one service per archive, and one crawl per source at a time;
* :mod:`.status` — what ``policywatch status`` prints.

The archive never imports the crawler: the front end hands in a :class:`Crawler` ("crawl
this source now"), the one seam through which a worker queue can take over the crawling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from ..records import CrawlResult

__all__ = ["Crawler", "ServiceConfig", "ServiceSource", "check_routes", "run_service"]


@dataclass(frozen=True, slots=True)
class ServiceSource:
    """What the service needs to know about one source."""

    id: str
    name: str
    schedule: str  # a five-field crontab line, read in ServiceConfig.timezone
    reporters: tuple[str, ...] = ()  # empty: every configured reporter


class Crawler(Protocol):
    """How the service gets a source crawled (a child process today, a worker queue later)."""

    def crawl(self, source_id: str) -> CrawlResult:
        """Crawl one source now and say how it went; raise PolicywatchError if it could not run."""

    def signal(self, sig: int) -> int:
        """Forward ``sig`` to every crawl in progress; how many there were."""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """The service's knobs; the defaults suit months of unattended running."""

    timezone: str = "Asia/Shanghai"
    grace: float = 30.0  # seconds running crawls get after SIGTERM before they are killed
    jitter: float = 120.0  # at most this many seconds added to a source's cron time (by id)
    misfire_grace: float = 6 * 3600.0  # a run missed by at most this much runs once on start
    fail_after: int = 3  # failing runs in a row before the operator is told
    retry_first: float = 30.0  # first wait before a failed delivery is retried (doubles)
    retry_max: float = 3600.0  # longest wait between two attempts
    give_up_after: float = 24 * 3600.0  # a delivery still failing this long after it was due
    lease: float = 600.0  # a claimed delivery is someone else's for this long
    heartbeat: float = 10.0  # seconds between lock heartbeats
    stale_after: float = 60.0  # a lock not refreshed this long belongs to a dead service
    once_window: float = 10.0  # serve --once: retries due this soon are waited for


# () -> (sources, reporters, digest times by reporter name "HH:MM")
Reload = Callable[[], tuple[list[ServiceSource], Mapping[str, object], Mapping[str, str]]]


def run_service(*args: object, **kwargs: object) -> int:
    """Run the service (see :func:`archive.service.runner.run`)."""
    from .runner import run

    return run(*args, **kwargs)  # type: ignore[arg-type]


def check_routes(sources: list[ServiceSource], reporters: Mapping[str, object]) -> str | None:
    """None when every reporter a source names is configured, else the one-line problem."""
    for s in sources:
        unknown = [n for n in s.reporters if n not in reporters]
        if unknown:
            known = ", ".join(sorted(reporters)) or "none; give --reporters"
            return (
                f"source {s.id!r}: reporters: unknown reporter {unknown[0]!r} (configured: {known})"
            )
    return None
