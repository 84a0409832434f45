"""Change reports: what changed in the archive since a moment, per source, with the diffs.

A changed page is diffed against its previous version; a new page that continues last
year's plan (another URL) is diffed against that plan; a withdrawn page is listed.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import query
from .diff import DiffResult, diff_texts
from .records import ChangeEvent, VersionRecord
from .render import html_fragment, html_page, md_escape, render_diff
from .store import Archive

KIND_ORDER = ("new", "changed", "restored", "withdrawn")
KIND_LABEL = {
    "new": "New",
    "changed": "Changed",
    "restored": "Back online",
    "withdrawn": "Withdrawn",
}


@dataclass(frozen=True, slots=True)
class DocumentChange:
    """One change event with the versions it compares and their diff (None when not diffable)."""

    event: ChangeEvent
    old: VersionRecord | None
    new: VersionRecord | None
    compared_with: str | None
    diff: DiffResult | None


@dataclass(frozen=True, slots=True)
class ChangeReport:
    """Everything that changed since ``since``, ordered by source then kind."""

    generated_at: datetime
    since: datetime | None
    items: list[DocumentChange] = field(default_factory=list)

    def by_source(self) -> dict[str, list[DocumentChange]]:
        out: dict[str, list[DocumentChange]] = {}
        for item in self.items:
            out.setdefault(item.event.source, []).append(item)
        return out

    @property
    def empty(self) -> bool:
        return not self.items


def version_text(v: VersionRecord) -> str:
    """The text a diff compares: the title line, then the body."""
    return f"{v.title}\n{v.text}"


def build_report(
    archive: Archive, since: datetime | None = None, *, source: str | None = None
) -> ChangeReport:
    """Collect the change events since ``since`` and diff each against what it replaced."""
    items: list[DocumentChange] = []
    for ev in query.changes(archive, since, source=source):
        old_id, compared = ev.old_version_id, "previous version"
        if ev.kind == "new" and ev.previous_year_version_id:
            old_id, compared = ev.previous_year_version_id, "last year's plan"
        old = query.version(archive, str(old_id)) if old_id else None
        new = query.version(archive, str(ev.new_version_id)) if ev.new_version_id else None
        diff = None
        if old is not None and new is not None and old.id != new.id:
            diff = diff_texts(version_text(old), version_text(new))
            if compared == "last year's plan":
                compared = f"last year's plan: {old.title} <{old.url}>"
        items.append(DocumentChange(ev, old, new, compared if diff else None, diff))
    items.sort(key=lambda i: (i.event.source, KIND_ORDER.index(i.event.kind), i.event.url))
    return ChangeReport(generated_at=datetime.now(UTC), since=since, items=items)


def report_to_dict(report: ChangeReport) -> dict[str, object]:
    """The JSON form: per source, per kind, each document with its diff."""
    sources: dict[str, dict[str, list[dict[str, object]]]] = {}
    for src, items in report.by_source().items():
        bucket = sources.setdefault(src, {k: [] for k in KIND_ORDER})
        for it in items:
            ev = it.event
            bucket[ev.kind].append(
                {
                    "url": ev.url,
                    "title": it.new.title if it.new else ev.title,
                    "kind": ev.kind,
                    "detected_at": ev.detected_at.isoformat(),
                    "old_version_id": it.old.id if it.old else ev.old_version_id,
                    "new_version_id": ev.new_version_id,
                    "compared_with": it.compared_with,
                    "attachment_of": ev.attachment_of,
                    "diff": it.diff.to_dict() if it.diff else None,
                }
            )
    return {
        "generated_at": report.generated_at.isoformat(),
        "since": report.since.isoformat() if report.since else None,
        "sources": sources,
    }


def _heading(it: DocumentChange, *, markdown: bool = False) -> str:
    title = it.new.title if it.new else it.event.title
    url = it.event.url
    if it.event.attachment_of:
        title = f"{title} (attachment of {it.event.attachment_of})"
    if not markdown:
        return f"{KIND_LABEL[it.event.kind]}: {title}  <{url}>"
    # Page text is untrusted: escaped like the diff text; only http(s) links become links.
    link = f"<{url}>" if url.startswith(("http://", "https://")) else md_escape(url)
    return f"{KIND_LABEL[it.event.kind]}: {md_escape(title)}  {link}"


def render_text(report: ChangeReport, *, color: bool = False, markdown: bool = False) -> str:
    """The report as terminal text (or Markdown): per source, each change with its diff."""
    fmt = "markdown" if markdown else "text"
    if report.empty:
        return "No changes.\n"
    out: list[str] = []
    for src, items in report.by_source().items():
        counts = ", ".join(
            f"{sum(i.event.kind == k for i in items)} {k}"
            for k in KIND_ORDER
            if any(i.event.kind == k for i in items)
        )
        out.append(f"## {src} ({counts})" if markdown else f"=== {src}: {counts}")
        for it in items:
            out.append(("### " if markdown else "* ") + _heading(it, markdown=markdown))
            if it.diff is not None:
                compared = it.compared_with or ""
                out.append(f"  compared with {md_escape(compared) if markdown else compared}")
                out.append(
                    render_diff(
                        it.diff,
                        fmt,
                        old_label=f"v{it.old.id}" if it.old else "old",
                        new_label=f"v{it.new.id}" if it.new else "new",
                        color=color,
                    ).rstrip()
                )
        out.append("")
    return "\n".join(out) + "\n"


def render_html(report: ChangeReport) -> str:
    """A self-contained HTML report; every piece of page text is escaped, links are http(s) only."""
    parts = []
    if report.empty:
        parts.append("<p>No changes.</p>")
    for src, items in report.by_source().items():
        parts.append(f"<h2>{html.escape(src)}</h2>")
        for it in items:
            url = it.event.url
            href = html.escape(url, quote=True) if url.startswith(("http://", "https://")) else "#"
            title = it.new.title if it.new else it.event.title
            parts.append(
                f"<h3>{html.escape(KIND_LABEL[it.event.kind])}: "
                f'<a href="{href}">{html.escape(title)}</a></h3>'
            )
            if it.diff is not None:
                parts.append(f"<p>compared with {html.escape(it.compared_with or '')}</p>")
                parts.append(html_fragment(it.diff, old_label="old", new_label="new"))
    return html_page(
        f"policywatch change report {report.generated_at:%Y-%m-%d %H:%M} UTC", "\n".join(parts)
    )


RENDERERS = {
    "text": lambda r, color=False: render_text(r, color=color),
    "markdown": lambda r, color=False: render_text(r, markdown=True),
    "html": lambda r, color=False: render_html(r),
    "json": lambda r, color=False: (
        json.dumps(report_to_dict(r), ensure_ascii=False, indent=2) + "\n"
    ),
}


def render_report(report: ChangeReport, fmt: str = "text", *, color: bool = False) -> str:
    """Render a change report by renderer name: text, markdown, html or json."""
    return RENDERERS[fmt](report, color=color)
