"""Views: one function per command or screen, returning the data that ``--format json`` prints.

Front ends are thin: the CLI parses its arguments, calls a view, and prints the view's data
as JSON or through the view's text renderer (:data:`TEXT`); the web UI serves the same dicts
at ``?format=json``. A view never prints and never parses user input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from .api import Archive
from .records import CrawlResult, EventKind, VersionRecord
from .timefmt import show_time

JSON = Any  # what json.dumps accepts (dicts, lists, str, numbers, None; dates as ISO 8601)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dump_json(data: JSON) -> str:
    """JSON for ``--format json``: UTF-8 text as is, dates as ISO 8601, indented."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def _version(v: VersionRecord, *, text: bool = True) -> dict[str, Any]:
    data = asdict(v)
    if not text:
        data["chars"] = len(data.pop("text"))
    return data


SUMMARY_COLUMNS = ("fetched", "new", "changed", "unchanged", "withdrawn", "errors")


def crawl(result: CrawlResult) -> JSON:
    """A crawl's per-source summaries."""
    return [asdict(s) for s in result.summaries]


def history(archive: Archive, url: str) -> JSON:
    """Every version of a page, without the texts; withdrawals and restorations in between."""
    versions = [_version(v, text=False) for v in archive.history(url)]
    states = [
        {"kind": e.kind, "detected_at": e.detected_at, "version_id": e.old_version_id}
        for e in archive.changes(url=url)
        if e.kind in (EventKind.WITHDRAWN, EventKind.RESTORED)
    ]
    for v in versions:
        v["events"] = [e for e in states if e["version_id"] == v["id"]]
    return versions


def show(archive: Archive, url: str, at: datetime | None = None) -> JSON:
    """One version with its text: the latest, or the one current at ``at``."""
    v = archive.as_of(url, at)
    data = _version(v)
    data["current"] = archive.history(url)[-1].id == v.id
    return data


def documents(
    archive: Archive,
    *,
    source: str | None = None,
    doc_number: str | None = None,
    withdrawn: bool | None = None,
    title: str | None = None,
) -> JSON:
    """Archived documents with their 文号 parsed (issuer, year, sequence) and withdrawal state."""
    from .text.search import fold, parse_doc_number

    docs = (
        archive.documents_by_number(doc_number, source=source)
        if doc_number
        else archive.documents(source=source)
    )
    if withdrawn is not None:
        docs = [d for d in docs if (d.withdrawn_at is not None) == withdrawn]
    if title:
        docs = [d for d in docs if fold(title) in fold(d.title)]
    out = []
    for d in docs:
        parsed = parse_doc_number(d.doc_number)
        out.append(
            asdict(d)
            | {
                "doc_number_parts": (
                    {"issuer": parsed.issuer, "year": parsed.year, "sequence": parsed.sequence}
                    if parsed
                    else None
                )
            }
        )
    return out


def changes(
    archive: Archive,
    since: datetime | None = None,
    source: str | None = None,
    *,
    limit: int | None = None,
    newest_first: bool = False,
) -> JSON:
    """Change events, oldest first (or the ``limit`` newest, newest first)."""
    events = archive.changes(since, source=source, limit=limit, newest_first=newest_first)
    return [asdict(e) for e in events]


def series(archive: Archive, source: str | None = None) -> JSON:
    """Year-to-year series with their editions."""
    return [
        {
            "id": s.id,
            "editions": [
                {
                    "year": e.year,
                    "version_id": e.version.id,
                    "url": e.version.url,
                    "title": e.version.title,
                }
                for e in s.editions
            ],
        }
        for s in archive.series(source)
    ]


def search(
    archive: Archive,
    text: str,
    *,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    all_versions: bool = False,
    limit: int = 50,
) -> JSON:
    """Ranked search hits, each with its version's dates, state and a highlighted snippet."""
    from .text.search import Snippet, highlight

    return [
        {
            "url": h.version.url,
            "title": h.version.title,
            "version_id": h.version.id,
            "seq": h.version.seq,
            "source": h.version.source_id,
            "doc_number": h.version.doc_number,
            "first_seen": h.version.first_seen,
            "last_seen": h.version.last_seen,
            "current": h.current,
            "withdrawn_at": h.withdrawn_at,
            "score": h.score,
            "snippet": h.snippet,
            "marks": [list(m) for m in h.marks],
            "highlighted": highlight(Snippet(h.snippet, h.marks)),
        }
        for h in archive.search(
            text,
            source=source,
            since=since,
            until=until,
            all_versions=all_versions,
            limit=limit,
        )
    ]


def check(archive: Archive) -> JSON:
    """The integrity check's counts, problems and verdict."""
    rep = archive.check()
    return asdict(rep) | {"ok": rep.ok}


# -- exports -------------------------------------------------------------------------------------


def export_rows(records: Iterable[VersionRecord], fmt: str) -> tuple[str, int]:
    """Export records as ``jsonl`` or ``csv`` text (see :mod:`archive.export`)."""
    from .export import export_rows as rows

    return rows(records, fmt)


# -- text renderers, keyed by view name ----------------------------------------------------------


def _text_crawl(data: JSON) -> str:
    width = max([len("source"), *(len(s["source_id"]) for s in data)])
    lines = ["source".ljust(width) + "".join(f"{c:>10}" for c in SUMMARY_COLUMNS)]
    for s in data:
        lines.append(s["source_id"].ljust(width) + "".join(f"{s[c]:>10}" for c in SUMMARY_COLUMNS))
    for s in data:
        if s["status"] != "ok":
            lines.append(f"{s['source_id']}: FAILED: {s['reason']}")
        if s.get("max_pages_reached"):
            lines.append(
                f"{s['source_id']}: max_pages reached: {s['not_fetched']} link(s) left for "
                "the next crawl (raise max_pages?)"
            )
        if s.get("deadline_reached"):
            lines.append(
                f"{s['source_id']}: max_crawl_seconds passed: the rest is left for the next crawl"
            )
        lines.extend(f"{s['source_id']}: error: {err}" for err in s["error_samples"][:5])
    return "\n".join(lines)


def _state(data: JSON) -> str:
    return (
        f"  [已撤下 withdrawn {show_time(data['withdrawn_at'])}]"
        if data.get("withdrawn_at")
        else ""
    )


def _text_history(data: JSON) -> str:
    lines = []
    for v in data:
        lines.append(
            f"v{v['id']}  #{v['seq']}  first seen {show_time(v['first_seen'])}  "
            f"last seen {show_time(v['last_seen'])}  {v.get('chars', 0)} chars  {v['title']}"
        )
        lines.extend(
            f"    {'已撤下 withdrawn' if e['kind'] == EventKind.WITHDRAWN else '已恢复 restored'} "
            f"{show_time(e['detected_at'])}"
            for e in v.get("events", ())
        )
    return "\n".join(lines)


def _text_show(data: JSON) -> str:
    head = f"{data['title']}{_state(data)}"
    if not data.get("current", True):
        head += f"  (as of {show_time(data['first_seen'])}; a newer version exists)"
    return f"{head}\n{data['text']}"


def _text_documents(data: JSON) -> str:
    if not data:
        return "No documents."
    return "\n".join(
        f"{d['source_id']:<14} {d['doc_number'] or '-':<22} {d['versions']:>3}v  "
        f"{d['title']}  {d['url']}{_state(d)}"
        for d in data
    )


def _text_changes(data: JSON) -> str:
    if not data:
        return "No changes."

    def width(key: str, fill: str = "") -> int:
        return max(len(str(e[key] or fill)) for e in data)

    # Every column is padded to its widest cell, and the title (CJK, of varying display width)
    # comes last, so ids of any length and titles of any length never shift the columns.
    kind, src, old, new, url = (
        width("kind"),
        width("source"),
        width("old_version_id", "-"),
        width("new_version_id", "-"),
        width("url"),
    )
    return "\n".join(
        f"{show_time(e['detected_at'])}  {e['kind']:<{kind}}  {e['source']:<{src}}  "
        f"v{e['old_version_id'] or '-'!s:<{old}} → v{e['new_version_id'] or '-'!s:<{new}}  "
        f"{e['url']:<{url}}  {e['title']}".rstrip()
        for e in data
    )


def _text_series(data: JSON) -> str:
    if not data:
        return "No series yet."
    from .text.lineage import mask_years

    lines = []
    for s in data:
        lines.append(f"series {s['id']}: {mask_years(s['editions'][-1]['title'])[0]}")
        lines.extend(f"  {e['year']}  v{e['version_id']}  {e['url']}" for e in s["editions"])
    return "\n".join(lines)


def _text_search(data: JSON) -> str:
    if not data:
        return "No matches."
    lines = []
    for h in data:
        state = "" if h["current"] else f"  (superseded; was current {show_time(h['first_seen'])})"
        if h["withdrawn_at"]:
            state += f"  [已撤下 withdrawn {show_time(h['withdrawn_at'])}]"
        lines.append(f"v{h['version_id']}  {h['title']}  {h['url']}{state}")
        lines.append(f"    …{h['highlighted']}…")
    return "\n".join(lines)


def _text_check(data: JSON) -> str:
    head = (
        f"{data['documents']} documents, {data['versions']} versions, {data['captures']} "
        f"captures, {data['events']} change events: {'ok' if data['ok'] else 'PROBLEMS'}"
    )
    return "\n".join([head, *(f"  {p}" for p in data["problems"])])


_ROLE_LABELS = {
    "listing": "listing",  # followed: a listing or pagination page
    "document": "POLICY",  # a policy page, archived: stands out among the ignored links
    "attachment": "attachment",
    "ignored": "ignored",
}


def _text_sources_test(data: JSON) -> str:
    """``sources test``: each listing's links with role and reason, the sample page, a verdict."""
    lines = [f"sources test {data['source_id']} ({data['name']})"]
    roles: dict[str, set[str]] = {}
    for page in data["listings"]:
        size = f", says 共{page['total_pages']}页" if page["total_pages"] else ""
        state = page["error"] or f"HTTP {page['status']}, {len(page['links'])} links{size}"
        lines.append(f"\nlisting {page['url']}  ({state})")
        for link in page["links"]:
            roles.setdefault(link["role"], set()).add(link["url"])
            lines.append(f"  {_ROLE_LABELS[link['role']]:<10} {link['url']}  [{link['reason']}]")
    doc = data["document"]
    if doc:
        lines.append(f"\nsample policy page {doc['url']}")
        if doc["error"]:
            lines.append(f"  error: {doc['error']}")
        else:
            fields = (("date", "published"), ("文号", "doc_number"))
            meta = "  ".join(f"{k}: {doc[f]}" for k, f in fields if doc[f])
            lines.append(f"  title: {doc['title'] or '(none found)'}")
            lines.append(f"  {meta or 'date: (none found)'}")
            lines.append(f"  text: {doc['chars']} chars; first lines:")
            lines.extend(f"    {line[:60]}" for line in doc["first_lines"])
            lines.extend(f"  attachment {a['url']}  [{a['reason']}]" for a in doc["attachments"])
    counts = ", ".join(f"{len(roles.get(r, ()))} {lab.lower()}" for r, lab in _ROLE_LABELS.items())
    lines.append(f"\nlinks: {counts} (distinct URLs)")
    lines.extend(f"problem: {p}" for p in data["problems"])
    lines.append(
        "ok: the crawl would archive the policy pages above"
        if not data["problems"]
        else "not ok: fix the source, then run this again"
    )
    return "\n".join(lines)


def status(archive: Archive, sources: Iterable[Any] = ()) -> JSON:
    """What the service is doing: lock holder, per-source runs, deliveries per channel."""
    from .service.status import status as service_status

    return service_status(archive, list(sources))


def _text_status(data: JSON) -> str:
    from .service.status import text

    return text(data)


TEXT: dict[str, Callable[[JSON], str]] = {
    "status": _text_status,
    "crawl": _text_crawl,
    "history": _text_history,
    "show": _text_show,
    "changes": _text_changes,
    "documents": _text_documents,
    "series": _text_series,
    "search": _text_search,
    "check": _text_check,
    "sources_test": _text_sources_test,
}


def render(view: str, data: JSON, fmt: str) -> str:
    """A view's data as ``json`` or as its ``text`` rendering."""
    if fmt == "json":
        return dump_json(data)
    return TEXT[view](data)
