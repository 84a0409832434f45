"""Sending what the outbox holds: one thread per channel, so a slow or failing channel never
holds up another. Each delivery is claimed (a lease), sent with its stable key, then marked;
a failure waits an exponentially growing, jittered time and is tried again — across restarts,
since the wait is a column — until ``give_up_after`` has passed, then it is marked failed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from ..api import Archive
from ..delivery import DeliveryError, RenderedReport, Reporter, one_line
from ..records import OutboxDelivery
from . import ServiceConfig

log = logging.getLogger("policywatch.serve")
_POLL = 5.0  # seconds: a channel looks at the outbox at least this often


def backoff(attempts: int, config: ServiceConfig) -> float:
    """Seconds before attempt ``attempts + 1``: doubling from retry_first, capped, half-jittered."""
    delay = min(config.retry_first * 2 ** max(attempts - 1, 0), config.retry_max)
    return random.uniform(delay / 2, delay)


class Dispatcher:
    """The channel threads of one service."""

    def __init__(
        self, archive: Archive, reporters: Mapping[str, Reporter], config: ServiceConfig
    ) -> None:
        self.archive = archive
        self.reporters = dict(reporters)
        self.config = config
        self._stop = threading.Event()
        self._wake: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        self.sent = 0
        self.failed_attempts = 0

    def start(self) -> None:
        """One thread per channel."""
        for name in self.reporters:
            if name in self._threads:
                continue
            self._wake[name] = threading.Event()
            t = threading.Thread(target=self._run, args=(name,), name=f"send-{name}", daemon=True)
            self._threads[name] = t
            t.start()

    def wake(self) -> None:
        """Something was planned: look now."""
        for event in self._wake.values():
            event.set()

    def stop(self) -> None:
        """No new claims; a send in progress finishes (bounded by its channel's timeout)."""
        self._stop.set()
        self.wake()

    def join(self, timeout: float) -> bool:
        """Wait for the channel threads; True when all have ended."""
        deadline = time.monotonic() + timeout
        for t in self._threads.values():
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads.values())

    def drain(self, window: float) -> None:
        """``serve --once``: send what is due on every channel, and the retries that fall due
        within ``window`` seconds; later ones wait for the next run."""
        deadline = datetime.now(UTC) + timedelta(seconds=window)
        threads = [
            threading.Thread(target=self._drain_channel, args=(n, deadline), daemon=True)
            for n in self.reporters
        ]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():  # short joins: the main thread keeps taking signals
                t.join(0.1)

    def _drain_channel(self, name: str, deadline: datetime) -> None:
        while not self._stop.is_set():
            if self.send_one(name):
                continue
            due = self.archive.next_due(name)
            if due is None or due > deadline:
                return
            self._stop.wait(max(0.0, (due - datetime.now(UTC)).total_seconds()))

    def _run(self, name: str) -> None:
        wake = self._wake[name]
        while not self._stop.is_set():
            try:
                if self.send_one(name):
                    continue
                due = self.archive.next_due(name)
            except Exception as exc:  # the database is away: try again shortly
                log.warning("[%s] outbox unavailable: %s", name, one_line(str(exc))[:200])
                due = None
            wait = _POLL
            if due is not None:
                wait = min(_POLL, max(0.05, (due - datetime.now(UTC)).total_seconds()))
            wake.wait(wait)
            wake.clear()

    def send_one(self, name: str) -> bool:
        """Claim and send one due delivery of channel ``name``; False when none was due."""
        claimed = self.archive.claim_delivery(name, datetime.now(UTC), self.config.lease)
        if claimed is None:
            return False
        self._send(claimed)
        return True

    def _send(self, d: OutboxDelivery) -> None:
        reporter = self.reporters[d.channel]
        report = RenderedReport(
            subject=d.subject,
            text=d.text,
            html=d.html,
            json=d.json,
            key=d.key,
            created_at=d.report_created_at,
        )
        try:
            reporter.deliver(report)
        except DeliveryError as exc:
            problem = one_line(str(exc))
        except Exception as exc:  # a channel bug must not stop the channel thread
            problem = f'{reporter.kind} "{d.channel}": unexpected {type(exc).__name__}'
        else:
            self.archive.mark_delivered(d.id, datetime.now(UTC))
            self.sent += 1
            log.info("[%s] delivered %s (%s, attempt %d)", d.channel, d.key, d.subject, d.attempts)
            return
        self.failed_attempts += 1
        now = datetime.now(UTC)
        if now - d.created_at >= timedelta(seconds=self.config.give_up_after):
            self.archive.mark_attempt_failed(d.id, problem, None)
            log.warning(
                "[%s] gave up on %s after %d attempts: %s", d.channel, d.key, d.attempts, problem
            )
            return
        wait = backoff(d.attempts, self.config)
        self.archive.mark_attempt_failed(d.id, problem, now + timedelta(seconds=wait))
        log.warning(
            "[%s] delivery failed for %s (attempt %d, next in %.0fs): %s",
            d.channel,
            d.key,
            d.attempts,
            wait,
            problem,
        )
