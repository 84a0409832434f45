"""Source leases: one crawler per site, on SQLite and PostgreSQL, even when workers race."""

from __future__ import annotations

import threading
import time

from archive.api import Archive


def test_a_lease_is_exclusive_until_it_expires(db_url: str) -> None:
    with Archive.open(db_url) as archive:
        assert archive.acquire_source_lease("s", "worker-b", 60)
        assert archive.renew_source_lease("s", "worker-b", 60)
        assert not archive.acquire_source_lease("s", "worker-a", 60)
        assert archive.acquire_source_lease("s", "worker-b", 60)  # ours: taken again, extended
        assert archive.source_lease("s").holder == "worker-b"
        archive.release_source_lease("s", "worker-a")  # not ours: nothing happens
        assert archive.source_lease("s").holder == "worker-b"
        assert archive.acquire_source_lease("t", "worker-a", 60)  # another source is free


def test_an_expired_lease_goes_to_the_next_worker(db_url: str) -> None:
    with Archive.open(db_url) as archive:
        assert archive.acquire_source_lease("s", "dead", 0.3)
        time.sleep(0.5)  # the holder died: it renews no more
        assert archive.acquire_source_lease("s", "alive", 60)
        assert not archive.renew_source_lease("s", "dead", 60)  # it cannot take it back
        archive.release_source_lease("s", "dead")
        assert archive.source_lease("s").holder == "alive"
        archive.release_source_lease("s", "alive")
        assert archive.source_lease("s") is None


def test_racing_workers_never_both_win(db_url: str) -> None:
    Archive.open(db_url).close()
    for round_ in range(5):
        source = f"s{round_}"
        winners: list[str] = []
        barrier = threading.Barrier(6)

        def race(name: str, source: str, barrier: threading.Barrier, winners: list[str]) -> None:
            with Archive.open(db_url, create=False) as archive:
                barrier.wait()
                if archive.acquire_source_lease(source, name, 60):
                    winners.append(name)

        threads = [
            threading.Thread(target=race, args=(f"w{i}", source, barrier, winners))
            for i in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(winners) == 1, winners
