"""The service's tables on SQLite and PostgreSQL: one service per archive, claims never shared,
failed deliveries retried with backoff then given up, status from the archive alone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from archive.api import Archive, Rendered
from archive.records import ReportKind
from archive.service import ServiceConfig
from archive.service.dispatch import backoff
from archive.service.lock import Leases, LockHeld, holding_crawls
from archive.service.status import status

REPORT = Rendered(subject="s", text="t", html="<p>h</p>", json="{}")


def test_a_second_service_on_the_same_archive_is_refused(db_url: str) -> None:
    first, second = Archive.open(db_url), Archive.open(db_url)
    one, two = Leases(first), Leases(second)
    try:
        one.acquire_service()
        with pytest.raises(LockHeld, match=r"another policywatch service is running .*\(pid \d+"):
            two.acquire_service()
        assert status(second)["service"]["running"] is True
        one.close()
        two.acquire_service()  # released: the next one may start
        assert status(first)["service"]["running"] is True
    finally:
        one.close()
        two.close()
        first.close()
        second.close()
    with Archive.open(db_url) as archive:
        assert status(archive)["service"]["running"] is False


def test_a_crawl_lease_is_refused_while_held_and_free_after(db_url: str) -> None:
    with Archive.open(db_url) as a, Archive.open(db_url) as b:
        with holding_crawls(a, ["x"]):
            with (
                pytest.raises(LockHeld, match="source x is being crawled"),
                holding_crawls(b, ["x"]),
            ):
                pass
            with holding_crawls(b, ["y"]):
                pass
        with holding_crawls(b, ["x"]):
            pass


def _plan(archive: Archive, n: int, channels: tuple[str, ...] = ("a", "b")) -> None:
    now = datetime.now(UTC)
    for i in range(n):
        assert archive.plan_report(
            key=f"k{i}", kind=ReportKind.CHANGES, source_id="s", rendered=REPORT,
            channels=list(channels), now=now,
        )  # fmt: skip
    # The same key again plans nothing (a re-planning after a crash).
    assert not archive.plan_report(
        key="k0", kind=ReportKind.CHANGES, source_id="s", rendered=REPORT, channels=["a"], now=now
    )


def test_concurrent_claimers_never_get_the_same_delivery(db_url: str) -> None:
    with Archive.open(db_url) as archive:
        _plan(archive, 20, ("a",))
    got: list[int] = []
    lock = threading.Lock()

    def claimer() -> None:
        with Archive.open(db_url, create=False) as mine:
            while (d := mine.claim_delivery("a", datetime.now(UTC), 60)) is not None:
                with lock:
                    got.append(d.id)
                mine.mark_delivered(d.id, datetime.now(UTC))

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(got) == sorted(set(got)) and len(got) == 20


def test_a_lease_of_a_dead_sender_expires_and_keys_are_stable(db_url: str) -> None:
    with Archive.open(db_url) as archive:
        _plan(archive, 1)
        now = datetime.now(UTC)
        first = archive.claim_delivery("a", now, lease=30)
        assert first is not None and first.attempts == 1
        assert archive.claim_delivery("a", now, lease=30) is None  # leased
        later = archive.claim_delivery("a", now + timedelta(seconds=31), lease=30)
        assert later is not None and (later.id, later.key) == (first.id, first.key)
        assert later.attempts == 2
        other = archive.claim_delivery("b", now, lease=30)
        assert other is not None and other.key != first.key  # one key per report x channel
        assert archive.release_claims(now) == 2  # a restarted service takes them back


def test_failed_attempts_back_off_then_give_up_and_status_shows_it(db_url: str) -> None:
    config = ServiceConfig(retry_first=10, retry_max=100)
    waits = [backoff(n, config) for n in range(1, 8)]
    assert all(5 <= w <= 10 for w in waits[:1]) and all(w <= 100 for w in waits)
    assert 40 <= waits[3] <= 80  # 10 · 2³, jittered into its upper half
    with Archive.open(db_url) as archive:
        _plan(archive, 1, ("a",))
        now = datetime.now(UTC)
        d = archive.claim_delivery("a", now, 60)
        assert d is not None
        archive.mark_attempt_failed(d.id, "HTTP 503", now + timedelta(seconds=30))
        assert archive.claim_delivery("a", now, 60) is None
        assert archive.next_due("a") == now + timedelta(seconds=30)
        d = archive.claim_delivery("a", now + timedelta(seconds=31), 60)
        assert d is not None and d.attempts == 2
        archive.mark_attempt_failed(d.id, "HTTP 503 again", None)
        data = status(archive)
        (counts,) = data["deliveries"]
        assert (counts["failed"], counts["retrying"], counts["pending"]) == (1, 0, 0)
        (failed,) = data["failed_deliveries"]
        assert (failed["last_error"], failed["attempts"]) == ("HTTP 503 again", 2)
