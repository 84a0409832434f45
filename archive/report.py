"""Change reports: what changed in the archive since a moment, per source, with the diffs.

A changed page is diffed against its previous version; a new page that continues last
year's plan (another URL) is diffed against that plan; a withdrawn page is listed.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from .compare import version_text
from .records import ChangeEvent, EventKind, VersionRecord
from .render import change_lines, change_markdown, change_row, html_page, md_escape
from .text.diff import Change, ChangeType, DiffResult, diff_texts
from .timefmt import local_date, show_time

if TYPE_CHECKING:
    from .api import Archive

KIND_ORDER = (EventKind.NEW, EventKind.CHANGED, EventKind.RESTORED, EventKind.WITHDRAWN)
KIND_LABELS = {
    "zh": {"new": "新发布", "changed": "已修改", "restored": "重新上线", "withdrawn": "已撤下"},
    "en": {"new": "New", "changed": "Changed", "restored": "Back online", "withdrawn": "Withdrawn"},
}
KIND_LABEL = KIND_LABELS["en"]  # kept for callers of the English names

# The summary an analyst reads first, and the groups the changes are shown in: what
# matters first, boilerplate last. Keys are the JSON's machine names.
SUMMARY_KEYS = ("added", "removed", "targets", "moved", "reworded")
_SUMMARY_WORDS = {
    "zh": {"added": "新增 {n} 项", "removed": "删除 {n} 项", "targets": "指标变化 {n} 处",
           "moved": "移动 {n} 项", "reworded": "修改 {n} 处"},
    "en": {"added": "{n} added", "removed": "{n} removed", "targets": "{n} target change(s)",
           "moved": "{n} moved", "reworded": "{n} reworded"},
}  # fmt: skip
GROUP_ORDER = ("targets", "added", "removed", "moved", "reworded", "folded")
_GROUP_WORDS = {
    "zh": {"targets": "指标变化", "added": "新增事项", "removed": "删除事项",
           "moved": "移动、拆分、合并", "reworded": "修改", "folded": "例行变化"},
    "en": {"targets": "Targets changed", "added": "New items", "removed": "Dropped items",
           "moved": "Moved, split, merged", "reworded": "Reworded", "folded": "Boilerplate"},
}  # fmt: skip
_WORDS = {
    "zh": {"title": "政策变化报告", "period": "时段", "since": "自 {a} 至 {b}",
           "all": "截至 {b} 的全部记录", "none": "无变化。", "total": "总计",
           "documents": "文件", "doc_count": "{label} {n} 份", "compared": "对照",
           "previous": "上一版本", "last_year": "上年计划", "attachment": "附件,所属页面",
           "sep": ",", "colon": ":", "lparen": "("},
    "en": {"title": "policywatch change report", "period": "Period", "since": "{a} to {b}",
           "all": "everything up to {b}", "none": "No changes.", "total": "Total",
           "documents": "documents", "doc_count": "{n} {label}", "compared": "compared with",
           "previous": "previous version", "last_year": "last year's plan",
           "attachment": "attachment of", "sep": ", ", "colon": ": ", "lparen": " ("},
}  # fmt: skip


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def group_of(change: Change) -> str | None:
    """The report group of one change (None for noise, which the report leaves out)."""
    kind = ChangeType(change.type)
    inside = bool(change.old_section and change.new_section)
    if kind in (ChangeType.NUMBER_CHANGED, ChangeType.TARGET_ADDED, ChangeType.TARGET_REMOVED):
        return "targets"
    if kind is ChangeType.ADDED and not inside:
        return "added"
    if kind is ChangeType.REMOVED and not inside:
        return "removed"
    if kind in (ChangeType.MOVED, ChangeType.SPLIT, ChangeType.MERGED):
        return "moved"
    if kind in (ChangeType.MODIFIED, ChangeType.ADDED, ChangeType.REMOVED):
        return "reworded"
    if kind is ChangeType.YEAR_ROLLOVER:
        return "folded"
    return None


def summarize(diff: DiffResult | None) -> dict[str, int]:
    """Counts for the summary line: items added / removed / moved, targets and rewordings."""
    counts = dict.fromkeys(SUMMARY_KEYS, 0)
    for change in diff.changes if diff else ():
        group = group_of(change)
        if group in counts:
            counts[group] += 1
    return counts


def summary_line(counts: Mapping[str, int], lang: str = "zh") -> str:
    """新增 2 项,删除 2 项,指标变化 8 处,移动 1 项,修改 7 处 (or the English)."""
    words = _SUMMARY_WORDS[_lang(lang)]
    return _WORDS[_lang(lang)]["sep"].join(
        words[k].format(n=counts.get(k, 0)) for k in SUMMARY_KEYS
    )


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
    source_names: Mapping[str, str] = field(default_factory=dict)  # id → bureau name

    @property
    def until(self) -> datetime | None:
        """When the latest change in the report was detected."""
        return max((i.event.detected_at for i in self.items), default=None)

    def name_of(self, source: str) -> str:
        """The bureau's name when the caller gave it, else its id."""
        return self.source_names.get(source, source)

    def summary(self) -> dict[str, int]:
        """The summary counts over every document in the report."""
        total = dict.fromkeys(SUMMARY_KEYS, 0)
        for item in self.items:
            for key, n in summarize(item.diff).items():
                total[key] += n
        return total

    def by_source(self) -> dict[str, list[DocumentChange]]:
        out: dict[str, list[DocumentChange]] = {}
        for item in self.items:
            out.setdefault(item.event.source, []).append(item)
        return out

    @property
    def empty(self) -> bool:
        return not self.items


def _compared_id(ev: ChangeEvent) -> int | None:
    # A new plan that continues last year's (at another URL) is compared with that plan.
    if ev.kind is EventKind.NEW and ev.previous_year_version_id:
        return ev.previous_year_version_id
    return ev.old_version_id


def build_report(
    archive: Archive,
    since: datetime | None = None,
    *,
    source: str | None = None,
    source_names: Mapping[str, str] | None = None,
    events: list[ChangeEvent] | None = None,
) -> ChangeReport:
    """Collect the change events since ``since`` and diff each against what it replaced.

    ``source_names`` maps source ids to the bureaus' names (the caller knows them; the
    archive does not), so the report names 天津市滨海新区教育体育局, not tj_binhai.
    ``events``: report exactly these instead of the events since ``since``.
    """
    items: list[DocumentChange] = []
    if events is None:
        events = archive.changes(since, source=source)
    versions = archive.versions(
        i for ev in events for i in (_compared_id(ev), ev.new_version_id) if i is not None
    )
    for ev in events:
        old_id = _compared_id(ev)
        compared = "last year's plan" if old_id != ev.old_version_id else "previous version"
        old = versions.get(old_id) if old_id else None
        new = versions.get(ev.new_version_id) if ev.new_version_id else None
        diff = None
        if old is not None and new is not None and old.id != new.id:
            diff = diff_texts(version_text(old), version_text(new))
            if compared == "last year's plan":
                compared = f"last year's plan: {old.title} <{old.url}>"
        items.append(DocumentChange(ev, old, new, compared if diff else None, diff))
    items.sort(key=lambda i: (i.event.source, KIND_ORDER.index(i.event.kind), i.event.url))
    return ChangeReport(
        generated_at=datetime.now(UTC),
        since=since,
        items=items,
        source_names=dict(source_names or {}),
    )


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
                    "old_date": _day(it.old).isoformat() if it.old else None,
                    "new_date": _day(it.new).isoformat() if it.new else None,
                    "summary": summarize(it.diff),
                    "diff": it.diff.to_dict() if it.diff else None,
                }
            )
    return {
        "generated_at": report.generated_at.isoformat(),
        "since": report.since.isoformat() if report.since else None,
        "until": report.until.isoformat() if report.until else None,
        "summary": report.summary(),
        "source_names": {src: report.name_of(src) for src in sources},
        "sources": sources,
    }


def _day(v: VersionRecord) -> date:
    """The date a version stands for: its publication date, else when it was first seen."""
    return v.published or local_date(v.first_seen)


def _period(report: ChangeReport, lang: str) -> str:
    words = _WORDS[_lang(lang)]
    until = local_date(report.until).isoformat() if report.until else "-"
    if report.since is None:
        return words["all"].format(b=until)
    return words["since"].format(a=local_date(report.since).isoformat(), b=until)


def _doc_counts(items: list[DocumentChange], lang: str) -> str:
    words = _WORDS[_lang(lang)]
    labels = KIND_LABELS[_lang(lang)]
    return words["sep"].join(
        words["doc_count"].format(label=labels[k], n=sum(i.event.kind == k for i in items))
        for k in KIND_ORDER
        if any(i.event.kind == k for i in items)
    )


def _compared(it: DocumentChange, lang: str) -> str:
    """对照上年计划:《title》<url>(2022-02-25 → 2023-02-20), or the previous version's date."""
    words = _WORDS[_lang(lang)]
    if it.old is None or it.new is None:
        return ""
    if it.event.kind is EventKind.NEW:
        dates = f"{_day(it.old).isoformat()} → {_day(it.new).isoformat()}"
        plan = f"{it.old.title} <{it.old.url}>"
        return f"{words['compared']}{words['last_year']}{words['colon']}{plan} ({dates})"
    # An edit in place keeps its publication date: when each version was seen tells them apart.
    seen = f"{show_time(it.old.first_seen)} → {show_time(it.new.first_seen)}"
    return f"{words['compared']}{words['previous']} ({seen})"


def _grouped(diff: DiffResult) -> list[tuple[str, list[Change]]]:
    groups: dict[str, list[Change]] = {g: [] for g in GROUP_ORDER}
    for change in diff.changes:
        group = group_of(change)
        if group:
            groups[group].append(change)
    return [(g, groups[g]) for g in GROUP_ORDER if groups[g]]


def _heading(it: DocumentChange, *, markdown: bool = False, lang: str = "zh") -> str:
    words = _WORDS[_lang(lang)]
    title = it.new.title if it.new else it.event.title
    url = it.event.url
    if it.event.attachment_of:
        title = f"{title} ({words['attachment']} {it.event.attachment_of})"
    kind = KIND_LABELS[_lang(lang)][it.event.kind]
    if it.event.kind in (EventKind.WITHDRAWN, EventKind.RESTORED):
        from .timefmt import show_time

        # A withdrawal says when: the reader must not take the page for current.
        title = f"{title} ({kind} {show_time(it.event.detected_at)})"
    if not markdown:
        return f"{kind}{words['colon']}{title}  <{url}>"
    # Page text is untrusted: escaped like the diff text; only http(s) links become links.
    link = f"<{url}>" if url.startswith(("http://", "https://")) else md_escape(url)
    return f"{kind}{words['colon']}{md_escape(title)}  {link}"


def render_text(
    report: ChangeReport, *, color: bool = False, markdown: bool = False, lang: str = "zh"
) -> str:
    """The report as terminal text (or Markdown): the period and a summary first, then per
    bureau each document with its changes grouped (targets, new, dropped, moved, reworded,
    boilerplate)."""
    words = _WORDS[_lang(lang)]
    groups = _GROUP_WORDS[_lang(lang)]
    esc = md_escape if markdown else (lambda t: t)
    if report.empty:
        return words["none"] + "\n"
    out = [
        f"# {words['title']}" if markdown else f"{words['title']}",
        f"{words['period']}{words['colon']}{_period(report, lang)}",
        f"{words['total']}{words['colon']}{summary_line(report.summary(), lang)}"
        f"{words['lparen']}{words['documents']}{words['colon']}{_doc_counts(report.items, lang)})",
        "",
    ]
    for src, items in report.by_source().items():
        name = esc(report.name_of(src))
        counts = _doc_counts(items, lang)
        out.append(f"## {name} ({counts})" if markdown else f"=== {name}{words['colon']}{counts}")
        for it in items:
            out.append(("### " if markdown else "* ") + _heading(it, markdown=markdown, lang=lang))
            if it.diff is None:
                continue
            out.append(f"  {esc(_compared(it, lang))}")
            out.append(f"  {summary_line(summarize(it.diff), lang)}")
            for group, changes in _grouped(it.diff):
                out.append(f"  **{groups[group]}**" if markdown else f"  【{groups[group]}】")
                for change in changes:
                    if markdown:
                        out.extend(f"  {line}" for line in change_markdown(change, lang=lang))
                    else:
                        out.extend(change_lines(change, lang=lang, color=color, indent="    "))
        out.append("")
    return "\n".join(out) + "\n"


def render_html(report: ChangeReport, *, lang: str = "zh") -> str:
    """A self-contained HTML report; every piece of page text is escaped, links are http(s) only."""
    words = _WORDS[_lang(lang)]
    groups = _GROUP_WORDS[_lang(lang)]
    esc = html.escape
    parts = [
        f"<p>{esc(words['period'])}{esc(words['colon'])}{esc(_period(report, lang))}</p>",
        f'<p class="summary">{esc(summary_line(report.summary(), lang))}</p>',
    ]
    if report.empty:
        parts = [f"<p>{esc(words['none'])}</p>"]
    for src, items in report.by_source().items():
        parts.append(f"<h2>{esc(report.name_of(src))} ({esc(_doc_counts(items, lang))})</h2>")
        for it in items:
            url = it.event.url
            href = esc(url, quote=True) if url.startswith(("http://", "https://")) else "#"
            title = it.new.title if it.new else it.event.title
            kind = KIND_LABELS[_lang(lang)][it.event.kind]
            when = ""
            if it.event.kind in (EventKind.WITHDRAWN, EventKind.RESTORED):
                from .timefmt import show_time

                when = f" ({esc(kind)} {esc(show_time(it.event.detected_at))})"
            parts.append(
                f'<h3>{esc(kind)}{esc(words["colon"])}<a href="{href}">{esc(title)}</a>{when}</h3>'
            )
            if it.diff is None:
                continue
            parts.append(f"<p>{esc(_compared(it, lang))}</p>")
            parts.append(f'<p class="summary">{esc(summary_line(summarize(it.diff), lang))}</p>')
            for group, changes in _grouped(it.diff):
                rows = "".join(change_row(c, lang=lang) for c in changes)
                parts.append(f"<h4>{esc(groups[group])}</h4><table>{rows}</table>")
    return html_page(f"{words['title']} {_period(report, lang)}", "\n".join(parts), lang=lang)


RENDERERS = {
    "text": lambda r, color=False, lang="zh": render_text(r, color=color, lang=lang),
    "markdown": lambda r, color=False, lang="zh": render_text(r, markdown=True, lang=lang),
    "html": lambda r, color=False, lang="zh": render_html(r, lang=lang),
    "json": lambda r, color=False, lang="zh": (
        json.dumps(report_to_dict(r), ensure_ascii=False, indent=2) + "\n"
    ),
}


def render_report(
    report: ChangeReport, fmt: str = "text", *, color: bool = False, lang: str = "zh"
) -> str:
    """Render a change report by renderer name (text, markdown, html, json); labels in
    Chinese unless ``lang="en"``; the JSON keeps the machine names."""
    return RENDERERS[fmt](report, color=color, lang=lang)
