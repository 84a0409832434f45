"""``policywatch status``: what the service is doing, from what the archive keeps.

Who holds the service lock (and whether it is alive), per source the last run and the next
one with the failure streak, and per channel the deliveries pending, retrying and failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from ..api import Archive
from . import ServiceSource
from .lock import SERVICE_LEASE, stale_check

STALE_AFTER = 60.0


def status(archive: Archive, sources: Sequence[ServiceSource] = ()) -> dict[str, Any]:
    """The data ``policywatch status --format json`` prints."""
    is_stale = stale_check(STALE_AFTER)
    lease = archive.lease(SERVICE_LEASE)
    if archive.backend == "postgresql":
        running = archive.advisory_lock_held()
    else:
        running = lease is not None and not is_stale(lease)
    service: dict[str, Any] = {"running": running}
    if lease is not None and running:
        service.update(
            pid=lease.pid, host=lease.host, since=lease.acquired_at, heartbeat_at=lease.heartbeat_at
        )
    crawling = {
        lz.name.partition(":")[2]: lz for lz in archive.leases("crawl:") if not is_stale(lz)
    }
    states = archive.schedule_states()
    configured = {s.id: s for s in sources}
    rows = []
    digests = [
        {"channel": sid.partition(":")[2], "schedule": st.schedule, "next_run_at": st.next_run_at}
        for sid, st in sorted(states.items())
        if sid.startswith("digest:")
    ]
    for sid in sorted(set(configured) | {k for k in states if not k.startswith("digest:")}):
        st = states.get(sid)
        last = None
        if st is not None and st.last_run_at is not None:
            last = {
                "started_at": st.last_run_at,
                "finished_at": st.last_finished_at,
                "status": st.last_status,
                "reason": st.last_reason,
                **st.last_stats,
            }
        rows.append(
            {
                "id": sid,
                "configured": sid in configured or not configured,
                "schedule": configured[sid].schedule if sid in configured else st and st.schedule,
                "last_run": last,
                "next_run_at": st.next_run_at if st else None,
                "failure_streak": st.failure_streak if st else 0,
                "failing_since": st.failing_since if st else None,
                "crawling": sid in crawling,
            }
        )
    return {
        "generated_at": datetime.now(UTC),
        "service": service,
        "sources": rows,
        "digests": digests,
        "deliveries": [asdict(c) for c in archive.channel_counts()],
        "failed_deliveries": archive.failed_deliveries(),
    }


def _when(value: datetime | None) -> str:
    return value.astimezone().isoformat(timespec="seconds") if value else "-"


def text(data: dict[str, Any]) -> str:
    """The status as terminal text."""
    svc = data["service"]
    if svc["running"]:
        head = f"service: running (pid {svc.get('pid', '?')} on {svc.get('host', '?')}"
        head += f", since {_when(svc.get('since'))})" if svc.get("since") else ")"
    else:
        head = "service: not running"
    lines = [head, "", "sources:"]
    for s in data["sources"]:
        last = s["last_run"]
        if last:
            ran = (
                f"last {_when(last['started_at'])} {last['status']}"
                f" ({last.get('duration_s', '?')}s, {last.get('fetched', 0)} pages,"
                f" {last.get('new', 0)} new, {last.get('changed', 0)} changed,"
                f" {last.get('errors', 0)} errors)"
            )
            if last["status"] != "ok" and last.get("reason"):
                ran += f": {last['reason']}"
        else:
            ran = "never run"
        streak = f"  FAILING x{s['failure_streak']}" if s["failure_streak"] else ""
        now = "  crawling now" if s["crawling"] else ""
        lines.append(f"  {s['id']:<16} {ran}; next {_when(s['next_run_at'])}{streak}{now}")
    for d in data["digests"]:
        lines.append(f"  digest for {d['channel']}: next {_when(d['next_run_at'])}")
    lines += ["", "deliveries:"]
    if not data["deliveries"]:
        lines.append("  none yet")
    for c in data["deliveries"]:
        lines.append(
            f"  {c['channel']:<16} {c['delivered']} delivered, {c['pending']} pending, "
            f"{c['sending']} sending, {c['retrying']} retrying, {c['failed']} failed"
        )
    for f in data["failed_deliveries"]:
        lines.append(f"  FAILED {f['channel']} {f['key']} ({f['subject']}): {f['last_error']}")
    return "\n".join(lines)
