"""When each source runs next: its cron line (APScheduler's arithmetic), plus a jitter of a
few seconds to minutes derived from the source id, so sources that share a schedule do not
all hit the network in the same millisecond, and every restart computes the same times.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta


def jitter_offset(source_id: str, jitter: float) -> float:
    """A stable offset in [0, jitter) seconds for ``source_id``."""
    h = int.from_bytes(hashlib.sha256(source_id.encode()).digest()[:4], "big")
    return jitter * h / 2**32


def next_run(
    schedule: str, timezone: str, after: datetime, source_id: str, jitter: float
) -> datetime:
    """The first run of ``schedule`` (a crontab line in ``timezone``) strictly after ``after``."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(schedule, timezone=timezone)
    offset = timedelta(seconds=jitter_offset(source_id, jitter))
    # The nominal fire time whose jittered time is still ahead.
    probe = after - offset + timedelta(seconds=1)
    fire = trigger.get_next_fire_time(None, probe)
    return fire + offset


def valid_schedule(schedule: str, timezone: str) -> str | None:
    """None when APScheduler reads ``schedule``, else why not (one line)."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(schedule, timezone=timezone)
    except ValueError as exc:
        return str(exc)
    return None
