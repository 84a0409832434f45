"""Committed change events → outbox reports: one per source and pass, keyed by its events.

A report's key is derived from what it carries (``changes:<source>:<first>-<last event id>``),
so planning again after a crash makes the same key, and the unique (event, mode) pair makes a
second planning of the same event fail instead of sending it twice.
"""

from __future__ import annotations

import html
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime

from ..api import Archive, Rendered
from ..records import ReportKind, ScheduleState
from ..report import render_report
from ..text.clean import for_terminal
from . import ServiceSource


def channels_for(
    source_id: str,
    sources: Mapping[str, ServiceSource],
    reporters: Collection[str],
    digests: Collection[str] = (),
) -> list[str]:
    """The channels a source's per-crawl reports go to: the ones it names, or every one, less
    those that take a daily digest instead."""
    src = sources.get(source_id)
    named = sorted(reporters) if src is None or not src.reporters else list(src.reporters)
    return [r for r in named if r in reporters and r not in digests]


def _routed_to(channel: str, source_id: str, sources: Mapping[str, ServiceSource]) -> bool:
    src = sources.get(source_id)
    return src is None or not src.reporters or channel in src.reporters


def plan_digest(
    archive: Archive,
    channel: str,
    sources: Mapping[str, ServiceSource],
    *,
    now: datetime | None = None,
) -> str | None:
    """Plan ``channel``'s digest: every event of its sources it has not had yet (None: none)."""
    now = now or datetime.now(UTC)
    mode = f"digest:{channel}"
    events = [e for e in archive.unplanned_events(mode) if _routed_to(channel, e.source, sources)]
    if not events:
        return None
    names = {s.id: s.name for s in sources.values()}
    report = archive.report_of(events, source_names=names)
    n_sources = len({e.source for e in events})
    rendered = Rendered(
        subject=f"policywatch digest: {len(report.items)} change(s) in {n_sources} source(s)",
        text=for_terminal(render_report(report, "text")),
        html=render_report(report, "html"),
        json=render_report(report, "json"),
    )
    key = f"digest:{channel}:{events[0].id}-{events[-1].id}"
    planned = archive.plan_report(
        key=key,
        kind=ReportKind.DIGEST,
        source_id=None,
        rendered=rendered,
        channels=[channel],
        now=now,
        event_ids=[e.id for e in events],
        mode=mode,
        digest_channel=channel,
    )
    return key if planned else None


def plan_changes(
    archive: Archive,
    sources: Mapping[str, ServiceSource],
    reporters: Collection[str],
    *,
    busy: Collection[str] = (),
    digests: Collection[str] = (),
    now: datetime | None = None,
) -> list[str]:
    """Plan a report per source for its unreported events (not for sources being crawled)."""
    now = now or datetime.now(UTC)
    by_source: dict[str, list] = {}
    for ev in archive.unplanned_events("immediate"):
        if ev.source not in busy:
            by_source.setdefault(ev.source, []).append(ev)
    names = {s.id: s.name for s in sources.values()}
    planned = []
    for source_id, events in by_source.items():
        report = archive.report_of(events, source_names=names)
        label = names.get(source_id, source_id)
        rendered = Rendered(
            subject=f"policywatch: {len(report.items)} change(s) in {label} ({source_id})",
            text=for_terminal(render_report(report, "text")),
            html=render_report(report, "html"),
            json=render_report(report, "json"),
        )
        key = f"changes:{source_id}:{events[0].id}-{events[-1].id}"
        if archive.plan_report(
            key=key,
            kind=ReportKind.CHANGES,
            source_id=source_id,
            rendered=rendered,
            channels=channels_for(source_id, sources, reporters, digests),
            now=now,
            event_ids=[e.id for e in events],
        ):
            planned.append(key)
    return planned


def failure_report(
    kind: ReportKind, state: ScheduleState, since: datetime, name: str, channels: Sequence[str]
) -> tuple[str, Rendered, Sequence[str]]:
    """The operator's report that a source started failing, or recovered."""
    when = since.astimezone().isoformat(timespec="seconds")
    if kind is ReportKind.FAILING:
        subject = (
            f"policywatch: {name} ({state.source_id}) failing: {state.failure_streak} runs in a row"
        )
        body = f"{subject}\nfailing since {when}\nlast reason: {state.last_reason or 'unknown'}\n"
    else:
        subject = f"policywatch: {name} ({state.source_id}) recovered"
        body = f"{subject}\nit had been failing since {when}; the last run was ok\n"
    data = {
        "kind": kind.value,
        "source": state.source_id,
        "failure_streak": state.failure_streak,
        "failing_since": since.isoformat(),
        "reason": state.last_reason,
    }
    page = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines())
    rendered = Rendered(
        subject=subject,
        text=body,
        html=f"<!doctype html><html><body>{page}</body></html>",
        json=json.dumps(data, ensure_ascii=False),
    )
    return f"{kind.value}:{state.source_id}:{since.isoformat()}", rendered, channels
