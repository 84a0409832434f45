"""Times as people read them: shown in a configured zone, and relative forms for --since/--until.

The archive stores and JSON carries aware UTC; text output shows the display zone (default
Asia/Shanghai, where the bureaus and the schedules are) with its offset, so a time is never
ambiguous. Bare dates typed by a user are days in the display zone too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import UsageError

DEFAULT_ZONE = "Asia/Shanghai"
_zone: ZoneInfo = ZoneInfo(DEFAULT_ZONE)
_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def set_zone(name: str) -> None:
    """Use ``name`` (an IANA zone such as Asia/Shanghai or UTC) for display and bare dates."""
    global _zone
    try:
        _zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz: unknown time zone {name!r} (e.g. Asia/Shanghai, UTC)") from None


def zone() -> ZoneInfo:
    """The display zone."""
    return _zone


def local_date(value: datetime) -> date:
    """The calendar day of a UTC time in the display zone (a report's period, a version's day)."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(_zone).date()


def show_time(value: datetime | str | None, *, seconds: bool = False) -> str:
    """``2023-02-20 16:00 +08:00``: a UTC time shown in the display zone, labelled."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(_zone)
    offset = local.strftime("%z")
    label = "UTC" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}"
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" {label}"


def resolve_when(
    value: str,
    *,
    end_of_day: bool = False,
    crawl_times: Callable[[], tuple[datetime | None, datetime | None]] | None = None,
    now: datetime | None = None,
) -> datetime:
    """A --since/--until/--at value as aware UTC.

    ``7d``, ``12h``, ``2w``, ``30m``: that long before now. ``last-crawl``: when the latest
    crawl started (so ``--since last-crawl`` is what it found). ``last-report``: when the
    latest crawl finished (a report is made after each crawl: what came in since).
    ``crawl_times`` returns (latest start, latest finish). Anything else is an ISO 8601 date
    or date-time; without an offset it is read in the display zone.
    """
    text = value.strip().lower()
    if m := _RELATIVE.match(text):
        delta = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
        return (now or datetime.now(UTC)) - delta
    if text in ("last-crawl", "last-report"):
        started, finished = crawl_times() if crawl_times else (None, None)
        found = started if text == "last-crawl" else finished
        if found is None:
            raise UsageError(f"{value}: no crawl has finished in this archive yet")
        return found
    raw = value.strip()
    try:
        if len(raw) == 10:
            d = date.fromisoformat(raw)
            local = datetime.combine(d, time.max if end_of_day else time.min, tzinfo=_zone)
            return local.astimezone(UTC)
        dt = datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(
            f"date: not an ISO 8601 date or date-time: {value!r} "
            "(e.g. 2023-02-20, 2023-02-20T08:00, 7d, last-crawl or last-report)"
        ) from None
    return (dt.replace(tzinfo=_zone) if dt.tzinfo is None else dt).astimezone(UTC)
