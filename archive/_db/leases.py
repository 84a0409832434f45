"""Source leases: one crawler per site at a time, across workers and machines (private).

A lease is a row per source naming its holder and an expiry. Taking it is one conditional
write (insert, or take over a lease that has expired or is already ours), so two workers
racing for a source cannot both win, on SQLite or PostgreSQL. The holder renews it while it
crawls; a holder that dies stops renewing, and the lease expires for the next worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..records import SourceLease
from .models import SourceLeaseRow
from .store import Store


def _now() -> datetime:
    return datetime.now(UTC)


def acquire(store: Store, source_id: str, holder: str, ttl: float) -> bool:
    """Take the lease on ``source_id`` for ``ttl`` seconds; False when someone else holds it."""
    now = _now()
    values = {
        "source_id": source_id,
        "holder": holder,
        "acquired_at": now,
        "expires_at": now + timedelta(seconds=ttl),
    }
    with store.session() as s:
        dialect = s.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        # RETURNING, not rowcount: a driver may answer -1 (truthy) for a skipped insert.
        ins = insert(SourceLeaseRow).values(**values).on_conflict_do_nothing()
        if s.execute(ins.returning(SourceLeaseRow.source_id)).first() is not None:
            return True
        taken = cast(
            CursorResult[Any],
            s.execute(
                update(SourceLeaseRow)
                .where(
                    SourceLeaseRow.source_id == source_id,
                    or_(SourceLeaseRow.expires_at < now, SourceLeaseRow.holder == holder),
                )
                .values(**values)
            ),
        )
        return taken.rowcount == 1


def renew(store: Store, source_id: str, holder: str, ttl: float) -> bool:
    """Extend our lease by ``ttl`` seconds from now; False when it is no longer ours."""
    with store.session() as s:
        done = cast(
            CursorResult[Any],
            s.execute(
                update(SourceLeaseRow)
                .where(SourceLeaseRow.source_id == source_id, SourceLeaseRow.holder == holder)
                .values(expires_at=_now() + timedelta(seconds=ttl))
            ),
        )
        return done.rowcount == 1


def release(store: Store, source_id: str, holder: str) -> None:
    """Give the lease back (only if it is still ours)."""
    with store.session() as s:
        s.execute(
            delete(SourceLeaseRow).where(
                SourceLeaseRow.source_id == source_id, SourceLeaseRow.holder == holder
            )
        )


def current(store: Store, source_id: str) -> SourceLease | None:
    """The lease on ``source_id`` as stored (it may have expired), or None."""
    with store.session() as s:
        row = s.scalar(select(SourceLeaseRow).where(SourceLeaseRow.source_id == source_id))
        if row is None:
            return None
        return SourceLease(row.source_id, row.holder, row.acquired_at, row.expires_at)
