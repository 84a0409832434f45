"""Read-only questions to the archive: history, text as of a date, changes since a date, series.

Every function returns plain records (archive.records), never ORM rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from ..errors import NotFoundError, UsageError
from ..records import (
    CaptureRecord,
    ChangeEvent,
    CrawlRecord,
    CrawlStatus,
    DocumentRecord,
    EventKind,
    FetchErrorRecord,
    FetchKind,
    SearchHit,
    VersionRecord,
)
from ..text.search import plan_query
from ..text.search import snippet as make_snippet
from . import search as _search
from .models import (
    BlobRow,
    CaptureRow,
    ChangeEventRow,
    CrawlRow,
    DocumentRow,
    FetchErrorRow,
    SearchIndexRow,
    VersionRow,
)
from .store import Store as Archive
from .store import blob_bytes


def parse_when(value: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time as aware UTC (a bare date: its start, or its end)."""
    text = value.strip()
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime.combine(d, time.max if end_of_day else time.min, tzinfo=UTC)
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"date: not an ISO 8601 date or date-time: {value!r} "
            "(e.g. 2023-02-20 or 2023-02-20T08:00)"
        ) from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _version_record(doc: DocumentRow, v: VersionRow) -> VersionRecord:
    return VersionRecord(
        id=v.id,
        document_id=doc.id,
        url=doc.url,
        source_id=doc.source_id,
        seq=v.seq,
        title=v.title,
        text=v.text,
        first_seen=v.first_seen,
        last_seen=v.last_seen,
        previous_id=v.previous_id,
        published=v.published,
        doc_number=v.doc_number,
        source_org=v.source_org,
        index_number=v.index_number,
        withdrawn_at=doc.withdrawn_at,
    )


def _document(s: Session, url: str) -> DocumentRow:
    doc = s.scalar(select(DocumentRow).where(DocumentRow.url == url))
    if doc is None:
        raise NotFoundError(f"no archived document at {url}")
    return doc


def history(archive: Archive, url: str) -> list[VersionRecord]:
    """Every version of the document at ``url``, oldest first."""
    with archive.session() as s:
        doc = _document(s, url)
        rows = s.scalars(
            select(VersionRow).where(VersionRow.document_id == doc.id).order_by(VersionRow.seq)
        )
        return [_version_record(doc, v) for v in rows]


def as_of(archive: Archive, url: str, when: datetime | None = None) -> VersionRecord:
    """The version of ``url`` that was current at ``when`` (default: the latest)."""
    with archive.session() as s:
        doc = _document(s, url)
        q = select(VersionRow).where(VersionRow.document_id == doc.id)
        if when is not None:
            q = q.where(VersionRow.first_seen <= when)
        v = s.scalar(q.order_by(VersionRow.seq.desc()).limit(1))
        if v is None:
            raise NotFoundError(
                f"{url} was not archived yet at {when.isoformat() if when else '-'}"
            )
        return _version_record(doc, v)


def version(archive: Archive, ref: str) -> VersionRecord:
    """A version by id ("42") or by URL and date ("https://…/x.html@2023-02-20")."""
    ref = ref.strip()
    if ref.isdigit():
        with archive.session() as s:
            v = s.get(VersionRow, int(ref))
            if v is None:
                raise NotFoundError(f"no version with id {ref}")
            return _version_record(s.get_one(DocumentRow, v.document_id), v)
    url, sep, when = ref.rpartition("@")
    if not sep or not url.startswith(("http://", "https://")):
        raise UsageError(f"version: expected an id or URL@DATE, got {ref!r}")
    return as_of(archive, url, parse_when(when, end_of_day=True))


def changes(
    archive: Archive,
    since: datetime | None = None,
    *,
    source: str | None = None,
    url: str | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[ChangeEvent]:
    """Change events detected at or after ``since``, oldest first."""
    with archive.session() as s:
        q = event_select()
        if since is not None:
            q = q.where(ChangeEventRow.detected_at >= since)
        if source is not None:
            q = q.where(DocumentRow.source_id == source)
        if url is not None:
            q = q.where(DocumentRow.url == url)
        if until is not None:
            q = q.where(ChangeEventRow.detected_at <= until)
        if newest_first:
            q = q.order_by(ChangeEventRow.detected_at.desc(), ChangeEventRow.id.desc())
        else:
            q = q.order_by(ChangeEventRow.detected_at, ChangeEventRow.id)
        if limit is not None:
            q = q.limit(limit)
        return change_events(s, q)


def event_select() -> Select[ChangeEventRow, DocumentRow, str]:
    """The query behind every list of change events: each event with its document and, for
    an attachment, its page's URL (to be narrowed and ordered by the caller)."""
    parent = aliased(DocumentRow)
    return (
        select(ChangeEventRow, DocumentRow, parent.url)
        .join(DocumentRow, DocumentRow.id == ChangeEventRow.document_id)
        .outerjoin(parent, parent.id == DocumentRow.parent_id)
    )


def change_events(s: Session, q: Select[ChangeEventRow, DocumentRow, str]) -> list[ChangeEvent]:
    """The records of an :func:`event_select` query."""
    return [
        ChangeEvent(
            id=e.id,
            url=d.url,
            source=d.source_id,
            title=d.title,
            kind=EventKind(e.kind),
            detected_at=e.detected_at,
            old_version_id=e.old_version_id,
            new_version_id=e.new_version_id,
            previous_year_version_id=e.previous_year_version_id,
            crawl_id=e.crawl_id,
            attachment_of=parent_url,
        )
        for e, d, parent_url in s.execute(q)
    ]


def series(archive: Archive, source: str | None = None) -> list[list[VersionRecord]]:
    """Year-to-year series: per plan, the latest version of each edition, oldest first."""
    with archive.session() as s:
        prev = aliased(DocumentRow)
        q = select(DocumentRow).join(prev, prev.id == DocumentRow.previous_year_id)
        if source is not None:
            q = q.where(DocumentRow.source_id == source)
        linked = list(s.scalars(q))
        has_next = {d.previous_year_id for d in linked}
        chains: list[list[VersionRecord]] = []
        for head in (d for d in linked if d.id not in has_next):
            chain: list[DocumentRow] = []
            cur: DocumentRow | None = head
            while cur is not None and cur not in chain:
                chain.append(cur)
                cur = s.get(DocumentRow, cur.previous_year_id) if cur.previous_year_id else None
            records = []
            for d in reversed(chain):
                v = s.scalar(
                    select(VersionRow)
                    .where(VersionRow.document_id == d.id)
                    .order_by(VersionRow.seq.desc())
                    .limit(1)
                )
                if v is not None:
                    records.append(_version_record(d, v))
            chains.append(records)
        return chains


def _latest_versions(s: Session, source: str | None):  # type: ignore[no-untyped-def]
    latest = (
        select(VersionRow.document_id, func.max(VersionRow.seq).label("seq"))
        .group_by(VersionRow.document_id)
        .subquery()
    )
    q = (
        select(VersionRow, DocumentRow)
        .join(
            latest,
            (latest.c.document_id == VersionRow.document_id) & (latest.c.seq == VersionRow.seq),
        )
        .join(DocumentRow, DocumentRow.id == VersionRow.document_id)
    )
    if source is not None:
        q = q.where(DocumentRow.source_id == source)
    return q


def search(
    archive: Archive,
    text: str,
    *,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    all_versions: bool = False,
    limit: int = 50,
) -> list[SearchHit]:
    """Versions whose title, 文号 or text match ``text``, best first, each with a snippet.

    Words are matched through the jieba tokens of the index in either script; a part the
    segmenter would split into single characters, or a 文号, is matched as an exact substring
    (see :mod:`archive.text.search`). Every space-separated part must match.
    """
    plan = plan_query(text)
    if not plan.tokens and not plan.needles:
        raise UsageError("search: give at least one term")
    with archive.session() as s:
        hits = _search.search(
            s,
            plan,
            source=source,
            since=since,
            until=until,
            all_versions=all_versions,
            limit=limit,
        )
        if not hits:
            return []
        q = (
            select(
                VersionRow,
                DocumentRow,
                SearchIndexRow.is_current,
                SearchIndexRow.head,
                SearchIndexRow.body,
            )
            .join(DocumentRow, DocumentRow.id == VersionRow.document_id)
            .join(SearchIndexRow, SearchIndexRow.version_id == VersionRow.id)
            .where(VersionRow.id.in_([h.version_id for h in hits]))
        )
        found = {row[0].id: row for row in s.execute(q)}
        out = []
        for h in hits:
            v, d, current, folded_head, folded_body = found[h.version_id]
            snip = make_snippet(v.text, folded_body, plan.marks)
            if not snip.marks:  # only the title or the 文号 matched: show that
                head = f"{v.title}\n{v.doc_number}" if v.doc_number else v.title
                snip = make_snippet(head, folded_head, plan.marks)
            out.append(
                SearchHit(
                    version=_version_record(d, v),
                    score=round(h.score, 6),
                    snippet=snip.text,
                    marks=snip.marks,
                    current=bool(current),
                    withdrawn_at=d.withdrawn_at,
                )
            )
        return out


def export(archive: Archive, *, source: str | None = None, all_versions: bool = False):  # type: ignore[no-untyped-def]
    """Yield version records (current ones, or every version) for export, ordered by URL."""
    with archive.session() as s:
        if all_versions:
            q = select(VersionRow, DocumentRow).join(
                DocumentRow, DocumentRow.id == VersionRow.document_id
            )
            if source is not None:
                q = q.where(DocumentRow.source_id == source)
            q = q.order_by(DocumentRow.url, VersionRow.seq)
        else:
            q = _latest_versions(s, source).order_by(DocumentRow.url)
        rows = [_version_record(d, v) for v, d in s.execute(q)]
    yield from rows


def versions_by_id(archive: Archive, ids: Iterable[int]) -> dict[int, VersionRecord]:
    """The versions with these ids, in one query (reports would otherwise ask once per event)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with archive.session() as s:
        q = (
            select(VersionRow, DocumentRow)
            .join(DocumentRow, DocumentRow.id == VersionRow.document_id)
            .where(VersionRow.id.in_(wanted))
        )
        return {v.id: _version_record(d, v) for v, d in s.execute(q)}


def document_counts(archive: Archive) -> dict[str, tuple[int, int]]:
    """Per source: how many documents, how many of them withdrawn (one GROUP BY)."""
    with archive.session() as s:
        q = select(
            DocumentRow.source_id, func.count(), func.count(DocumentRow.withdrawn_at)
        ).group_by(DocumentRow.source_id)
        return {sid: (n, w) for sid, n, w in s.execute(q)}


def documents(
    archive: Archive,
    *,
    source: str | None = None,
    url: str | None = None,
    head_contains: str | None = None,
) -> list[DocumentRecord]:
    """Every archived document (pages and attachments), ordered by URL."""
    with archive.session() as s:
        parent = aliased(DocumentRow)
        counts = (
            select(VersionRow.document_id, func.count().label("n"))
            .group_by(VersionRow.document_id)
            .subquery()
        )
        q = (
            select(DocumentRow, parent.url, counts.c.n, VersionRow.doc_number)
            .outerjoin(parent, parent.id == DocumentRow.parent_id)
            .outerjoin(counts, counts.c.document_id == DocumentRow.id)
            .outerjoin(
                SearchIndexRow,
                (SearchIndexRow.document_id == DocumentRow.id) & SearchIndexRow.is_current,
            )
            .outerjoin(VersionRow, VersionRow.id == SearchIndexRow.version_id)
        )
        if source is not None:
            q = q.where(DocumentRow.source_id == source)
        if url is not None:
            q = q.where(DocumentRow.url == url)
        if head_contains is not None:  # folded title + 文号 of the current version
            q = q.where(SearchIndexRow.head.contains(head_contains, autoescape=True))
        return [
            DocumentRecord(
                id=d.id,
                source_id=d.source_id,
                url=d.url,
                title=d.title,
                first_seen=d.first_seen,
                last_seen=d.last_seen,
                withdrawn_at=d.withdrawn_at,
                parent_url=parent_url,
                previous_year_id=d.previous_year_id,
                versions=n or 0,
                doc_number=doc_number,
            )
            for d, parent_url, n, doc_number in s.execute(q.order_by(DocumentRow.url))
        ]


def captures(archive: Archive, url: str) -> list[CaptureRecord]:
    """Every fetch of the document at ``url`` that reached the server, oldest first."""
    with archive.session() as s:
        doc = _document(s, url)
        rows = s.scalars(
            select(CaptureRow).where(CaptureRow.document_id == doc.id).order_by(CaptureRow.id)
        )
        return [_capture_record(c, doc.url) for c in rows]


def fetch_errors(archive: Archive, *, source: str | None = None) -> list[FetchErrorRecord]:
    """Failed fetches with their reasons, oldest first."""
    with archive.session() as s:
        q = select(FetchErrorRow).order_by(FetchErrorRow.id)
        if source is not None:
            q = q.where(FetchErrorRow.source_id == source)
        return [
            FetchErrorRecord(
                id=e.id,
                source_id=e.source_id,
                url=e.url,
                at=e.at,
                http_status=e.http_status,
                reason=e.reason,
                crawl_id=e.crawl_id,
            )
            for e in s.scalars(q)
        ]


def crawls(archive: Archive, *, source: str | None = None) -> list[CrawlRecord]:
    """Every crawl, oldest first, with its counts."""
    with archive.session() as s:
        q = select(CrawlRow).order_by(CrawlRow.id)
        if source is not None:
            q = q.where(CrawlRow.source_id == source)
        return [
            CrawlRecord(
                id=c.id,
                source_id=c.source_id,
                started_at=c.started_at,
                finished_at=c.finished_at,
                status=CrawlStatus(c.status),
                stats=json.loads(c.stats or "{}"),
            )
            for c in s.scalars(q)
        ]


def source_ids(archive: Archive) -> set[str]:
    """Every source id the archive has seen: in a document or a crawl."""
    with archive.session() as s:
        docs = s.scalars(select(DocumentRow.source_id).distinct())
        crawled = s.scalars(select(CrawlRow.source_id).distinct())
        return set(docs) | set(crawled)


def capture_stream(archive: Archive, *, source: str | None = None):  # type: ignore[no-untyped-def]
    """Yield (capture, raw body or None, the version it made or None), by URL then time.

    For WARC export: a capture that made a version carries that version; bodies are read
    one at a time so an archive of any size streams in constant memory.
    """
    with archive.session() as s:
        # The version a capture made comes with it (one join), so memory stays flat: no map
        # of every version of the archive, and rows are fetched in slices.
        q = (
            select(CaptureRow, DocumentRow, VersionRow)
            .join(DocumentRow, DocumentRow.id == CaptureRow.document_id)
            .outerjoin(VersionRow, VersionRow.capture_id == CaptureRow.id)
            .order_by(DocumentRow.url, CaptureRow.fetched_at, CaptureRow.id)
            .execution_options(yield_per=200)
        )
        if source is not None:
            q = q.where(DocumentRow.source_id == source)
        for c, d, v in s.execute(q):
            body = None
            if c.body_sha256 is not None:
                blob = s.get(BlobRow, c.body_sha256)
                body = blob_bytes(blob) if blob is not None else None
            yield _capture_record(c, d.url), body, (_version_record(d, v) if v else None)


def _capture_record(c: CaptureRow, url: str) -> CaptureRecord:
    return CaptureRecord(
        id=c.id,
        url=url,
        fetched_at=c.fetched_at,
        kind=FetchKind(c.kind),
        http_status=c.http_status,
        final_url=c.final_url,
        content_type=c.content_type,
        encoding=c.encoding,
        body_sha256=c.body_sha256,
        crawl_id=c.crawl_id,
        last_seen_at=c.last_seen_at,
    )
