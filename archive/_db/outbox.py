"""The service's tables: the outbox (reports × channels), leases and schedule state (private).

Reports are derived from committed change events: an event not yet in a report of its mode is
work to do, whoever committed it (a service crawl, a manual crawl, a child that died right
after its commit). Planning a report writes the report, its events and one delivery row per
channel in one transaction, so a report is either wholly due or not planned at all.

Claims are leases: PostgreSQL picks a row ``FOR UPDATE SKIP LOCKED``; SQLite serialises
claimers with ``BEGIN IMMEDIATE`` (the engine's own transaction start, see ``_claim_sqlite``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..records import (
    ChangeEvent,
    ChannelCounts,
    DeliveryStatus,
    LeaseRecord,
    OutboxDelivery,
    ReportKind,
    ScheduleState,
)
from .models import (
    ChangeEventRow,
    DocumentRow,
    LeaseRow,
    OutboxDeliveryRow,
    OutboxReportEventRow,
    OutboxReportRow,
    ScheduleStateRow,
    ServiceMetaRow,
)
from .query import change_events, event_select
from .store import Store

BASELINE_KEY = "outbox_after_event_id"
# pg_advisory_lock key for "one service per archive" ("pw" + 10: below 2**31, so pg_locks
# shows it as objid with classid 0).
ADVISORY_KEY = 0x7077_0010


@dataclass(frozen=True, slots=True)
class Rendered:
    """A report's four renderings, as planned into the outbox."""

    subject: str
    text: str
    html: str
    json: str


# -- planning -------------------------------------------------------------------------------


def _baseline(s: Session) -> int:
    value = s.scalar(select(ServiceMetaRow.value).where(ServiceMetaRow.key == BASELINE_KEY))
    return int(value) if value else 0


def unplanned_events(
    store: Store, mode: str, sources: Iterable[str] | None = None, *, since_baseline: bool = True
) -> list[ChangeEvent]:
    """Committed change events not yet in a report of ``mode``, oldest first.

    ``since_baseline``: only events after the outbox's baseline (the service does not re-send
    what an archive held before it had an outbox; a reader's first ``report`` shows it all).
    """
    with store.session() as s:
        planned = select(OutboxReportEventRow.event_id).where(OutboxReportEventRow.mode == mode)
        q = event_select().where(
            ChangeEventRow.id > (_baseline(s) if since_baseline else 0),
            ChangeEventRow.id.not_in(planned),
        )
        if sources is not None:
            q = q.where(DocumentRow.source_id.in_(list(sources)))
        return change_events(s, q.order_by(ChangeEventRow.id))


def plan_report(
    store: Store,
    *,
    key: str,
    kind: ReportKind,
    source_id: str | None,
    rendered: Rendered,
    channels: Sequence[str],
    now: datetime,
    event_ids: Sequence[int] = (),
    mode: str = "immediate",
    digest_channel: str | None = None,
) -> bool:
    """Write a report, its events and one pending delivery per channel in one transaction.

    False when a report with ``key`` (or one of the events, in this mode) was planned already.
    """
    try:
        with store.session() as s:
            _insert_report(
                s, key, kind, source_id, rendered, channels, now, event_ids, mode, digest_channel
            )
    except IntegrityError:
        return False
    return True


def _insert_report(
    s: Session,
    key: str,
    kind: ReportKind,
    source_id: str | None,
    rendered: Rendered,
    channels: Sequence[str],
    now: datetime,
    event_ids: Sequence[int],
    mode: str,
    digest_channel: str | None,
) -> None:
    row = OutboxReportRow(
        key=key,
        kind=kind.value,
        source_id=source_id,
        channel=digest_channel,
        created_at=now,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        json=rendered.json,
    )
    s.add(row)
    s.flush()
    s.add_all(OutboxReportEventRow(report_id=row.id, event_id=i, mode=mode) for i in event_ids)
    s.add_all(
        OutboxDeliveryRow(
            report_id=row.id,
            channel=c,
            key=delivery_key(key, c),
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for c in channels
    )
    s.flush()


def delivery_key(report_key: str, channel: str) -> str:
    """The idempotency key of one report on one channel (stable: derived, never random)."""
    import hashlib

    return "msg_" + hashlib.sha256(f"{report_key}\x00{channel}".encode()).hexdigest()[:32]


# -- claiming and marking -------------------------------------------------------------------


def _claimable(channel: str, now: datetime):  # type: ignore[no-untyped-def]
    due = OutboxDeliveryRow.status.in_(
        (DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value)
    ) & (OutboxDeliveryRow.next_attempt_at <= now)
    expired = (OutboxDeliveryRow.status == DeliveryStatus.SENDING.value) & (
        OutboxDeliveryRow.lease_until < now
    )
    return (
        select(OutboxDeliveryRow)
        .where(OutboxDeliveryRow.channel == channel, or_(due, expired))
        .order_by(OutboxDeliveryRow.next_attempt_at, OutboxDeliveryRow.id)
        .limit(1)
    )


def claim(store: Store, channel: str, now: datetime, lease: float) -> OutboxDelivery | None:
    """Lease the next due delivery of ``channel`` (attempts counted at the claim)."""
    postgres = store.engine.dialect.name == "postgresql"
    with store.engine.connect() as conn:
        if not postgres:
            # One claimer at a time: the write lock is taken before the row is read.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        with Session(bind=conn, expire_on_commit=False) as s:
            q = _claimable(channel, now)
            if postgres:
                q = q.with_for_update(skip_locked=True)
            row = s.scalar(q)
            if row is None:
                s.rollback()
                conn.rollback()
                return None
            row.status = DeliveryStatus.SENDING.value
            row.attempts += 1
            row.lease_until = now + timedelta(seconds=lease)
            report = s.get_one(OutboxReportRow, row.report_id)
            claimed = OutboxDelivery(
                id=row.id,
                report_id=row.report_id,
                channel=row.channel,
                key=row.key,
                attempts=row.attempts,
                created_at=row.created_at,
                report_created_at=report.created_at,
                kind=ReportKind(report.kind),
                source_id=report.source_id,
                subject=report.subject,
                text=report.text,
                html=report.html,
                json=report.json,
            )
            s.commit()
        conn.commit()
    return claimed


def mark_delivered(store: Store, delivery_id: int, now: datetime) -> None:
    """The channel took the report."""
    with store.session() as s:
        s.execute(
            update(OutboxDeliveryRow)
            .where(OutboxDeliveryRow.id == delivery_id)
            .values(
                status=DeliveryStatus.DELIVERED.value,
                delivered_at=now,
                lease_until=None,
                last_error=None,
            )
        )


def mark_attempt_failed(
    store: Store, delivery_id: int, error: str, next_attempt_at: datetime | None
) -> None:
    """One attempt failed: retry at ``next_attempt_at``, or give up when it is None."""
    status = DeliveryStatus.FAILED if next_attempt_at is None else DeliveryStatus.RETRYING
    values: dict[str, object] = {"status": status.value, "last_error": error, "lease_until": None}
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    with store.session() as s:
        s.execute(
            update(OutboxDeliveryRow).where(OutboxDeliveryRow.id == delivery_id).values(**values)
        )


def release_claims(store: Store, now: datetime) -> int:
    """Deliveries leased by a service that is gone become due now; how many there were."""
    with store.session() as s:
        result = s.execute(
            update(OutboxDeliveryRow)
            .where(OutboxDeliveryRow.status == DeliveryStatus.SENDING.value)
            .values(status=DeliveryStatus.RETRYING.value, next_attempt_at=now, lease_until=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def next_due(store: Store, channel: str) -> datetime | None:
    """When the next delivery of ``channel`` falls due (None: nothing waits)."""
    with store.session() as s:
        return s.scalar(
            select(func.min(OutboxDeliveryRow.next_attempt_at)).where(
                OutboxDeliveryRow.channel == channel,
                OutboxDeliveryRow.status.in_(
                    (DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value)
                ),
            )
        )


def channel_counts(store: Store) -> list[ChannelCounts]:
    """Deliveries per channel and status."""
    with store.session() as s:
        rows = s.execute(
            select(OutboxDeliveryRow.channel, OutboxDeliveryRow.status, func.count())
            .group_by(OutboxDeliveryRow.channel, OutboxDeliveryRow.status)
            .order_by(OutboxDeliveryRow.channel)
        ).all()
    counts: dict[str, dict[str, int]] = {}
    for channel, status, n in rows:
        counts.setdefault(channel, {})[status] = n
    return [ChannelCounts(channel=c, **v) for c, v in counts.items()]


def failed_deliveries(store: Store, limit: int = 20) -> list[dict[str, object]]:
    """The latest deliveries given up on, with their last error."""
    with store.session() as s:
        rows = s.execute(
            select(OutboxDeliveryRow, OutboxReportRow)
            .join(OutboxReportRow, OutboxReportRow.id == OutboxDeliveryRow.report_id)
            .where(OutboxDeliveryRow.status == DeliveryStatus.FAILED.value)
            .order_by(OutboxDeliveryRow.id.desc())
            .limit(limit)
        ).all()
        return [
            {
                "channel": d.channel,
                "key": d.key,
                "report": r.key,
                "subject": r.subject,
                "attempts": d.attempts,
                "created_at": d.created_at,
                "last_error": d.last_error,
            }
            for d, r in rows
        ]


def deliveries(store: Store) -> list[dict[str, object]]:
    """Every delivery with its report's key and kind, oldest first (tests, ``status``)."""
    with store.session() as s:
        rows = s.execute(
            select(OutboxDeliveryRow, OutboxReportRow)
            .join(OutboxReportRow, OutboxReportRow.id == OutboxDeliveryRow.report_id)
            .order_by(OutboxDeliveryRow.id)
        ).all()
        return [
            {
                "channel": d.channel,
                "key": d.key,
                "report": r.key,
                "kind": r.kind,
                "source_id": r.source_id,
                "status": d.status,
                "attempts": d.attempts,
                "last_error": d.last_error,
            }
            for d, r in rows
        ]


# -- leases -----------------------------------------------------------------------------------


def _lease(row: LeaseRow) -> LeaseRecord:
    return LeaseRecord(
        name=row.name,
        holder=row.holder,
        host=row.host,
        pid=row.pid,
        acquired_at=row.acquired_at,
        heartbeat_at=row.heartbeat_at,
    )


def acquire_lease(
    store: Store,
    name: str,
    *,
    holder: str,
    host: str,
    pid: int,
    now: datetime,
    is_stale: Callable[[LeaseRecord], bool],
) -> LeaseRecord | None:
    """Take lease ``name``; None on success, else the live holder that has it."""
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        with Session(bind=conn) as s:
            q = select(LeaseRow).where(LeaseRow.name == name)
            if store.engine.dialect.name == "postgresql":
                q = q.with_for_update()
            row = s.scalar(q)
            if row is not None and row.holder != holder and not is_stale(_lease(row)):
                other = _lease(row)
                s.rollback()
                conn.rollback()
                return other
            if row is None:
                s.add(
                    LeaseRow(
                        name=name,
                        holder=holder,
                        host=host,
                        pid=pid,
                        acquired_at=now,
                        heartbeat_at=now,
                    )
                )
            else:
                row.holder, row.host, row.pid = holder, host, pid
                row.acquired_at = row.heartbeat_at = now
            try:
                s.commit()
            except IntegrityError:  # another process inserted it in between (PostgreSQL)
                conn.rollback()
                got = store_lease(store, name)
                return got
        conn.commit()
    return None


def store_lease(store: Store, name: str) -> LeaseRecord | None:
    """The current holder of lease ``name``, live or stale (None: nobody)."""
    with store.session() as s:
        row = s.get(LeaseRow, name)
        return _lease(row) if row else None


def leases(store: Store, prefix: str = "") -> list[LeaseRecord]:
    """Every lease whose name starts with ``prefix``."""
    with store.session() as s:
        rows = s.scalars(select(LeaseRow).where(LeaseRow.name.startswith(prefix)))
        return [_lease(r) for r in rows]


def heartbeat(store: Store, holder: str, now: datetime) -> int:
    """Refresh every lease ``holder`` holds; how many it still holds."""
    with store.session() as s:
        result = s.execute(
            update(LeaseRow).where(LeaseRow.holder == holder).values(heartbeat_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_lease(store: Store, name: str, holder: str) -> None:
    """Give lease ``name`` back (only if ``holder`` still has it)."""
    with store.session() as s:
        s.execute(delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder))


def try_advisory_lock(store: Store):  # type: ignore[no-untyped-def]
    """PostgreSQL: a connection holding the service's advisory lock, or None if another has it."""
    conn = store.engine.connect()
    got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
    conn.commit()
    if not got:
        conn.close()
        return None
    return conn


def release_advisory_lock(conn) -> None:  # type: ignore[no-untyped-def]
    """Let go of the advisory lock: a pooled connection would otherwise keep holding it."""
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
        conn.commit()
    finally:
        conn.invalidate()  # never back into the pool with a session-level lock on it
        conn.close()


def advisory_lock_held(store: Store) -> bool:
    """PostgreSQL: whether some session holds the service's advisory lock."""
    with store.engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = 0 AND objid = :k"
            ),
            {"k": ADVISORY_KEY},
        ).scalar()
    return bool(n)


# -- schedule state ---------------------------------------------------------------------------


def _state(row: ScheduleStateRow) -> ScheduleState:
    return ScheduleState(
        source_id=row.source_id,
        schedule=row.schedule,
        next_run_at=row.next_run_at,
        last_run_at=row.last_run_at,
        last_finished_at=row.last_finished_at,
        last_status=row.last_status,
        last_stats=json.loads(row.last_stats or "{}"),
        last_reason=row.last_reason,
        failure_streak=row.failure_streak,
        failing_since=row.failing_since,
        failing_reported=bool(row.failing_reported),
    )


def schedule_states(store: Store) -> dict[str, ScheduleState]:
    """Every source's kept schedule state."""
    with store.session() as s:
        return {r.source_id: _state(r) for r in s.scalars(select(ScheduleStateRow))}


def _state_row(s: Session, source_id: str, schedule: str) -> ScheduleStateRow:
    """A source's schedule-state row, created on its first run."""
    row = s.get(ScheduleStateRow, source_id)
    if row is None:
        row = ScheduleStateRow(
            source_id=source_id,
            schedule=schedule,
            last_stats="{}",
            failure_streak=0,
            failing_reported=0,
        )
        s.add(row)
    return row


def set_next_run(store: Store, source_id: str, schedule: str, next_run_at: datetime | None) -> None:
    """Keep a source's schedule and its next run."""
    with store.session() as s:
        row = _state_row(s, source_id, schedule)
        row.schedule = schedule
        row.next_run_at = next_run_at


def record_run(
    store: Store,
    source_id: str,
    *,
    schedule: str,
    started_at: datetime,
    finished_at: datetime,
    ok: bool | None,
    stats: dict[str, object],
    reason: str | None,
    fail_after: int,
    signal: Callable[
        [ReportKind, ScheduleState, datetime], tuple[str, Rendered, Sequence[str]] | None
    ],
) -> ScheduleState:
    """Keep one run's outcome and streak; plan a failing/recovered report in the same transaction.

    ``ok`` None: the run was stopped by a shutdown (kept as "interrupted", the streak untouched).

    ``signal(kind, state, failing_since)`` returns (key, rendering, channels) for the report
    to plan, or None.
    """
    with store.session() as s:
        row = _state_row(s, source_id, schedule)
        row.last_run_at, row.last_finished_at = started_at, finished_at
        row.last_status = "interrupted" if ok is None else "ok" if ok else "failed"
        row.last_stats = json.dumps(stats, ensure_ascii=False, default=str)
        row.last_reason = reason
        kind = None
        since = row.failing_since or started_at
        if ok is None:  # stopped by the operator: says nothing about the source
            pass
        elif ok:
            if row.failing_reported:
                kind = ReportKind.RECOVERED
            row.failure_streak, row.failing_since, row.failing_reported = 0, None, 0
        else:
            if row.failure_streak == 0:
                row.failing_since = started_at
            row.failure_streak += 1
            since = row.failing_since or started_at
            if row.failure_streak >= fail_after and not row.failing_reported:
                kind = ReportKind.FAILING
                row.failing_reported = 1
        s.flush()
        state = _state(row)
        if kind is not None:
            planned = signal(kind, state, since)
            if planned is not None:
                key, rendered, channels = planned
                _insert_report(
                    s, key, kind, source_id, rendered, channels, finished_at, (), "", None
                )
        return state
