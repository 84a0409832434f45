"""The service loop: due sources are crawled, their committed changes planned into the outbox,
the dispatcher sends; schedule state, streaks and deliveries all live in the archive.

Signals: SIGTERM or SIGINT stops new work, forwards the signal to running crawls, waits up
to ``grace`` seconds, kills what is left and exits 0; a second one kills the crawls at once
(exit 1). SIGHUP re-reads the sources and reporters.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import FrameType

from ..api import Archive
from ..delivery import Reporter, one_line
from ..errors import PolicywatchError
from ..records import CrawlStatus, ScheduleState
from . import Crawler, Reload, ServiceConfig, ServiceSource
from .dispatch import Dispatcher
from .lock import Leases, LockHeld, crawl_lease
from .plan import channels_for, failure_report, plan_changes, plan_digest
from .schedule import next_run

log = logging.getLogger("policywatch.serve")
_PLAN_EVERY = 60.0  # seconds between looks for changes committed by others


class Service:
    """One running service on one archive."""

    def __init__(
        self,
        archive: Archive,
        sources: list[ServiceSource],
        reporters: Mapping[str, Reporter],
        crawler: Crawler,
        config: ServiceConfig,
        reload: Reload | None = None,
        digests: Mapping[str, str] | None = None,
    ) -> None:
        self.archive = archive
        self.crawler = crawler
        self.config = config
        self._reload = reload
        self.leases = Leases(archive, heartbeat=config.heartbeat, stale_after=config.stale_after)
        self.dispatcher = Dispatcher(archive, reporters, config)
        self._set_config(sources, reporters, digests or {})
        self.stopping = threading.Event()
        self._tick = threading.Event()
        self._force = False
        self._reload_asked = False
        self._signals = 0
        self.running: dict[str, threading.Thread] = {}
        self.next_runs: dict[str, datetime] = {}
        self.failed_runs = 0

    def _set_config(
        self,
        sources: list[ServiceSource],
        reporters: Mapping[str, Reporter],
        digests: Mapping[str, str],
    ) -> None:
        self.sources = {s.id: s for s in sources}
        self.reporters = dict(reporters)
        self.dispatcher.reporters = dict(reporters)
        # A digest is scheduled like a source: a daily cron line, its state in the archive.
        self.digests = {
            f"digest:{name}": ServiceSource(
                f"digest:{name}", name, f"{int(t[3:])} {int(t[:2])} * * *"
            )
            for name, t in digests.items()
            if name in reporters
        }

    # -- start and stop ---------------------------------------------------------------------

    def start(self) -> None:
        """Take the service lock and pick up what a previous service left."""
        self.leases.acquire_service()
        released = self.archive.release_claims(datetime.now(UTC))
        if released:
            log.warning(
                "%d delivery(ies) were being sent when the last service died: resending", released
            )
        self.plan()

    def install_signals(self) -> None:
        """SIGTERM/SIGINT: stop cleanly (a second: at once); SIGHUP: reload."""
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        if self._reload is not None:
            signal.signal(signal.SIGHUP, self._on_hup)

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        self._signals += 1
        name = signal.Signals(signum).name
        if self._signals == 1:
            n = self.crawler.signal(signum)
            log.info(
                "%s: stopping; %d crawl(s) told to stop, waiting up to %gs",
                name,
                n,
                self.config.grace,
            )
            self.stopping.set()
        else:
            log.warning(
                "%s again: killing %d crawl(s) now", name, self.crawler.signal(signal.SIGKILL)
            )
            self._force = True
            self.stopping.set()
        self._tick.set()

    def _on_hup(self, _signum: int, _frame: FrameType | None) -> None:
        self._reload_asked = True
        self._tick.set()

    def shutdown(self) -> int:
        """Wait for running crawls (grace, then kill), stop the dispatcher, release the lock."""
        deadline = time.monotonic() + self.config.grace
        self.dispatcher.stop()
        while self._alive() and time.monotonic() < deadline and not self._force:
            time.sleep(0.05)
        if self._alive():
            log.warning(
                "grace period over: killing %d crawl(s)", self.crawler.signal(signal.SIGKILL)
            )
            end = time.monotonic() + 10
            while self._alive() and time.monotonic() < end:
                time.sleep(0.05)
        self.dispatcher.join(max(0.5, deadline - time.monotonic()))
        self.leases.close()
        # A late signal while the interpreter winds down must not turn exit 0 into a -2.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        log.info("stopped")
        return 1 if self._force else 0

    def _alive(self) -> bool:
        return any(t.is_alive() for t in self.running.values())

    # -- the loop ---------------------------------------------------------------------------

    def serve_forever(self) -> int:
        """Run until a signal (or the loss of the lock); the exit status."""
        self.dispatcher.start()
        self._load_schedule(datetime.now(UTC))
        for sid, when in sorted(self.next_runs.items(), key=lambda kv: kv[1]):
            log.info("[%s] next run %s", sid, when.astimezone().isoformat(timespec="seconds"))
        last_plan = time.monotonic()
        while not self.stopping.is_set():
            if time.monotonic() - last_plan > _PLAN_EVERY:
                # Changes a manual `crawl` committed meanwhile are reported without waiting
                # for this service's next crawl of that source.
                last_plan = time.monotonic()
                self._safely(self.plan)
            if self.leases.lost.is_set():
                self.stopping.set()
                break
            if self._reload_asked:
                self._reload_asked = False
                self.reload()
            now = datetime.now(UTC)
            self._safely(self._fire_due)
            idle = [w for s, w in self.next_runs.items() if not self._busy(s)]
            wait = min([(w - now).total_seconds() for w in idle] + [self.config.heartbeat])
            self._tick.wait(max(0.05, wait))
            self._tick.clear()
        return self.shutdown()

    def _fire_due(self) -> None:
        now = datetime.now(UTC)
        for sid, when in list(self.next_runs.items()):
            if when <= now and sid in self.digests:
                self._digest(sid, scheduled=True)
            elif when <= now and not self._busy(sid):
                self._start_job(sid)

    def run_once(self) -> int:
        """Every source once now, then send what is due; 1 when a crawl failed."""
        for sid in list(self.sources):
            if self.stopping.is_set():
                break
            self._start_job(sid, scheduled=False)
            while self.running[sid].is_alive():  # short joins: signals are taken meanwhile
                self.running[sid].join(0.1)
        self._due_digests(datetime.now(UTC))
        if not self.stopping.is_set():
            self.dispatcher.drain(self.config.once_window)
        status = self.shutdown()
        return status or (1 if self.failed_runs else 0)

    @property
    def digests_by_name(self) -> set[str]:
        """The reporters that take a daily digest."""
        return {d.name for d in self.digests.values()}

    def _busy(self, sid: str) -> bool:
        t = self.running.get(sid)
        return t is not None and t.is_alive()

    def _load_schedule(self, now: datetime) -> None:
        """Next runs from the archive; a run missed within the misfire grace runs now, once."""
        states = self.archive.schedule_states()
        grace = timedelta(seconds=self.config.misfire_grace)
        self.next_runs = {}
        for s in [*self.sources.values(), *self.digests.values()]:
            state = states.get(s.id)
            fresh = self._next(s, now)
            if state is None or state.schedule != s.schedule or state.next_run_at is None:
                self.next_runs[s.id] = fresh
                self.archive.set_next_run(s.id, s.schedule, fresh)
            elif state.next_run_at > now:
                self.next_runs[s.id] = state.next_run_at
            elif now - state.next_run_at <= grace or s.id.startswith("digest:"):
                log.warning(
                    "[%s] missed its run at %s while the service was down: running it now",
                    s.id,
                    state.next_run_at.astimezone().isoformat(timespec="seconds"),
                )
                self.next_runs[s.id] = now
            else:
                log.warning(
                    "[%s] missed its run at %s, longer ago than the misfire grace: skipped; "
                    "next run %s",
                    s.id,
                    state.next_run_at.astimezone().isoformat(timespec="seconds"),
                    fresh.astimezone().isoformat(timespec="seconds"),
                )
                self.next_runs[s.id] = fresh
                self.archive.set_next_run(s.id, s.schedule, fresh)

    def _next(self, s: ServiceSource, after: datetime) -> datetime:
        jitter = 0.0 if s.id in self.digests else self.config.jitter
        return next_run(s.schedule, self.config.timezone, after, s.id, jitter)

    def _due_digests(self, now: datetime) -> None:
        """``serve --once``: plan the digests whose time has come (first run: schedule them)."""
        states = self.archive.schedule_states()
        for sid, d in self.digests.items():
            state = states.get(sid)
            if state is None or state.next_run_at is None or state.schedule != d.schedule:
                self.archive.set_next_run(sid, d.schedule, self._next(d, now))
            elif state.next_run_at <= now:
                self._digest(sid, scheduled=True)

    def _digest(self, sid: str, *, scheduled: bool) -> None:
        d = self.digests[sid]
        if scheduled:
            nxt = self._next(d, datetime.now(UTC))
            self.next_runs[sid] = nxt
            self.archive.set_next_run(sid, d.schedule, nxt)
        key = plan_digest(self.archive, d.name, self.sources)
        log.info("[%s] digest %s", d.name, f"planned {key}" if key else "has nothing new")
        self.dispatcher.wake()

    def reload(self) -> None:
        """Re-read sources and reporters (SIGHUP); a bad file keeps the old configuration."""
        assert self._reload is not None
        try:
            sources, reporters, digests = self._reload()
        except PolicywatchError as exc:
            log.warning("reload failed, keeping the old configuration: %s", one_line(str(exc)))
            return
        before = set(self.sources)
        self._set_config(sources, reporters, digests)  # type: ignore[arg-type]
        self.dispatcher.start()
        self._load_schedule(datetime.now(UTC))
        log.info(
            "reloaded: %d source(s) (%d added, %d removed), %d reporter(s)",
            len(self.sources),
            len(set(self.sources) - before),
            len(before - set(self.sources)),
            len(self.reporters),
        )

    # -- one job ----------------------------------------------------------------------------

    def _start_job(self, sid: str, *, scheduled: bool = True) -> None:
        source = self.sources[sid]
        if scheduled:
            # Kept before the crawl: a service killed mid-crawl does not re-run it at once.
            nxt = self._next(source, datetime.now(UTC))
            self.next_runs[sid] = nxt
            self.archive.set_next_run(sid, source.schedule, nxt)
        t = threading.Thread(target=self._job, args=(source,), name=f"crawl-{sid}", daemon=True)
        self.running[sid] = t
        t.start()

    def _safely(self, work) -> None:  # type: ignore[no-untyped-def]
        try:
            work()
        except Exception as exc:  # the database is away for a moment: try again later
            log.warning("%s failed: %s", work.__name__, one_line(str(exc))[:300])

    def _job(self, source: ServiceSource) -> None:
        try:
            self.run_job(source)
        except Exception as exc:  # a job must never take the service down
            log.error("[%s] job failed: %s: %s", source.id, type(exc).__name__, one_line(str(exc)))

    def run_job(self, source: ServiceSource) -> ScheduleState | None:
        """Crawl one source, keep the outcome, plan the reports, wake the dispatcher."""
        try:
            self.leases.acquire(crawl_lease(source.id), f"source {source.id} is being crawled")
        except LockHeld as exc:
            log.warning("[%s] skipped this run: %s", source.id, exc)
            return None
        started = datetime.now(UTC)
        stats: dict[str, object] = {}
        samples: list[str] = []
        reason: str | None
        try:
            result = self.crawler.crawl(source.id)
        except PolicywatchError as exc:
            ok, reason = False, one_line(str(exc))
        else:
            summary = next((s for s in result.summaries if s.source_id == source.id), None)
            if summary is None:
                ok, reason = False, f"the crawl reported nothing (exit status {result.exit_status})"
            else:
                ok = summary.status is CrawlStatus.OK
                reason = summary.reason
                stats = {
                    k: getattr(summary, k)
                    for k in (
                        "fetched",
                        "new",
                        "changed",
                        "unchanged",
                        "withdrawn",
                        "restored",
                        "errors",
                    )
                }
                stats["crawl_id"] = summary.crawl_id
                stats["status"] = summary.status.value
                samples = summary.error_samples
        finally:
            self.leases.release(crawl_lease(source.id))
        finished = datetime.now(UTC)
        stats["duration_s"] = round((finished - started).total_seconds(), 3)
        interrupted = self.stopping.is_set()
        if interrupted:
            reason = "stopped by the service's shutdown"
        # The operator hears of a failing source at once, digest channels included.
        channels = channels_for(source.id, self.sources, self.reporters)
        state = self.archive.record_run(
            source.id,
            schedule=source.schedule,
            started_at=started,
            finished_at=finished,
            ok=None if interrupted else ok,
            stats=stats,
            reason=reason,
            fail_after=self.config.fail_after,
            signal=lambda kind, st, since: failure_report(kind, st, since, source.name, channels),
        )
        if interrupted:
            log.info(
                "[%s] crawl stopped by the shutdown after %.1fs", source.id, stats["duration_s"]
            )
        elif ok:
            log.info(
                "[%s] crawl ok in %.1fs: %s fetched, %s new, %s changed, %s withdrawn, %s errors",
                source.id,
                stats["duration_s"],
                *(stats.get(k, 0) for k in ("fetched", "new", "changed", "withdrawn", "errors")),
            )
            for line in samples[:3]:  # the rest are in `policywatch` fetch errors
                log.warning("[%s] page error: %s", source.id, one_line(line)[:300])
        else:
            self.failed_runs += 1
            log.warning(
                "[%s] crawl failed (%d in a row): %s",
                source.id,
                state.failure_streak,
                reason or "no reason given",
            )
            if state.failure_streak == self.config.fail_after:
                log.warning("[%s] reported as failing to %d channel(s)", source.id, len(channels))
        self.plan()
        return state

    def plan(self) -> None:
        """Plan reports for every source not being crawled right now, then wake the senders."""
        busy = {
            lease.name.partition(":")[2]
            for lease in self.archive.leases("crawl:")
            if not self.leases.is_stale(lease)
        }
        for key in plan_changes(
            self.archive, self.sources, self.reporters, busy=busy, digests=self.digests_by_name
        ):
            log.info("planned %s", key)
        self.dispatcher.wake()


def run(
    archive: Archive,
    sources: list[ServiceSource],
    reporters: Mapping[str, Reporter],
    crawler: Crawler,
    config: ServiceConfig,
    *,
    once: bool = False,
    reload: Reload | None = None,
    digests: Mapping[str, str] | None = None,
) -> int:
    """Run the service until stopped (or once); raises LockHeld when another one runs."""
    service = Service(archive, sources, reporters, crawler, config, reload, digests)
    service.install_signals()
    service.start()
    if once:
        return service.run_once()
    return service.serve_forever()
