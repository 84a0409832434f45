"""Views of the web UI's screens that the CLI has no command for (same contract as
:mod:`archive.views`: each returns the dict that the page's ``?format=json`` serves).

Sources with their last crawl, a document's timeline, one version, a side-by-side diff of
two versions or two years of a series (the project's own diff, with word-level highlights),
and the entries of the Atom feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from . import views
from .api import Archive
from .compare import Comparison, series_pair, version_text
from .errors import UsageError
from .records import CrawlRecord, EventKind
from .text.diff import diff_texts
from .text.search import words

JSON = Any
_WORD_DIFF_MAX = 250_000  # words² worth a word-level alignment of one change


def sources(archive: Archive, names: Mapping[str, str] | None = None) -> JSON:
    """Every source seen in the archive (or configured): its last crawl, status, counts."""
    names = names or {}
    last: dict[str, CrawlRecord] = {}
    for c in archive.crawls():
        last[c.source_id] = c
    docs = archive.document_counts()
    out = []
    for sid in sorted(set(names) | set(last) | set(docs)):
        crawl = last.get(sid)
        out.append(
            {
                "id": sid,
                "name": names.get(sid, sid),
                "documents": docs.get(sid, (0, 0))[0],
                "withdrawn": docs.get(sid, (0, 0))[1],
                "last_crawl": asdict(crawl) if crawl else None,
            }
        )
    return out


def timeline(archive: Archive, url: str) -> JSON:
    """A document's versions, withdrawals and restorations, oldest first."""
    versions = views.history(archive, url)
    doc = archive.document(url)
    events = [asdict(e) for e in archive.changes(url=url)]
    return {"document": asdict(doc), "versions": versions, "events": events}


def version(archive: Archive, version_id: int) -> JSON:
    """One version with its text and the document's state."""
    v = archive.version(version_id)
    data = asdict(v)
    data["current"] = archive.history(v.url)[-1].id == v.id
    return data


def word_diff(old: str, new: str) -> tuple[list[list[str]], list[list[str]]]:
    """Both texts as ``[op, text]`` runs, op ``=`` / ``-`` / ``+``, aligned word by word."""
    a, b = words(old), words(new)
    if len(a) * len(b) > _WORD_DIFF_MAX:
        return [["-", old]] if old else [], [["+", new]] if new else []
    left: list[list[str]] = []
    right: list[list[str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        x, y = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            left.append(["=", x])
            right.append(["=", y])
            continue
        if x:
            left.append(["-", x])
        if y:
            right.append(["+", y])
    return left, right


def _compare(pair: Comparison, old: JSON, new: JSON) -> JSON:
    result = diff_texts(pair.old_text, pair.new_text)
    changes = []
    for c in result.changes:
        item: dict[str, Any] = c.to_dict()
        if c.type in ("moved", "noise", "script_only"):
            item["old_parts"] = [["=", c.old_text]] if c.old_text else []
            item["new_parts"] = [["=", c.new_text]] if c.new_text else []
        else:
            item["old_parts"], item["new_parts"] = word_diff(c.old_text, c.new_text)
        changes.append(item)
    return {
        "old": old,
        "new": new,
        "old_label": pair.old_label,
        "new_label": pair.new_label,
        "substantive": result.substantive,
        "similarity": round(result.similarity, 4),
        "changes": changes,
    }


def _brief(v: Any) -> JSON:
    return {"id": v.id, "url": v.url, "seq": v.seq, "title": v.title, "first_seen": v.first_seen}


def compare(archive: Archive, old_id: int, new_id: int) -> JSON:
    """The diff of two versions (any two, of any documents), change by change."""
    if old_id == new_id:
        raise UsageError("diff: old and new are the same version")
    a, b = archive.version(old_id), archive.version(new_id)
    pair = Comparison(version_text(a), version_text(b), f"v{a.id}", f"v{b.id}")
    return _compare(pair, _brief(a), _brief(b))


def compare_series(
    archive: Archive, series_id: int, old_year: int | None = None, new_year: int | None = None
) -> JSON:
    """The diff of two years of a plan series (default: its latest two)."""
    a, b = archive.series_pair(series_id, old_year, new_year)
    pair = series_pair(archive, series_id, a.year, b.year)
    return _compare(
        pair, _brief(a.version) | {"year": a.year}, _brief(b.version) | {"year": b.year}
    )


def feed(archive: Archive, since: datetime | None = None, limit: int = 100) -> JSON:
    """The latest change events, newest first (the Atom feed's entries)."""
    return views.changes(archive, since, limit=limit, newest_first=True)


KIND_LABELS = {
    EventKind.NEW: "新增",
    EventKind.CHANGED: "修改",
    EventKind.WITHDRAWN: "撤下",
    EventKind.RESTORED: "恢复",
}
