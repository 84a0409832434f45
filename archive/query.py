"""Read-only questions to the archive: history, text as of a date, changes since a date, series.

Every function returns plain records (archive.records), never ORM rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from .errors import NotFoundError, UsageError
from .models import ChangeEventRow, DocumentRow, VersionRow
from .records import ChangeEvent, VersionRecord
from .store import Archive


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
    archive: Archive, since: datetime | None = None, *, source: str | None = None
) -> list[ChangeEvent]:
    """Change events detected at or after ``since``, oldest first."""
    with archive.session() as s:
        parent = aliased(DocumentRow)
        q = (
            select(ChangeEventRow, DocumentRow, parent.url)
            .join(DocumentRow, DocumentRow.id == ChangeEventRow.document_id)
            .outerjoin(parent, parent.id == DocumentRow.parent_id)
        )
        if since is not None:
            q = q.where(ChangeEventRow.detected_at >= since)
        if source is not None:
            q = q.where(DocumentRow.source_id == source)
        q = q.order_by(ChangeEventRow.detected_at, ChangeEventRow.id)
        return [
            ChangeEvent(
                id=e.id,
                url=d.url,
                source=d.source_id,
                title=d.title,
                kind=e.kind,
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
    archive: Archive, text: str, *, source: str | None = None, limit: int = 50
) -> list[tuple[VersionRecord, str]]:
    """Current versions whose title or text contains every term of ``text``, with a snippet.

    Chinese has no spaces between words, so a term is matched as a substring (LIKE): exact
    for 设施 or 40处, and needs no tokenizer. Terms are separated by spaces.
    """
    terms = [t for t in text.split() if t]
    if not terms:
        raise UsageError("search: give at least one term")
    with archive.session() as s:
        q = _latest_versions(s, source)
        for term in terms:
            pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            q = q.where(
                VersionRow.text.like(pattern, escape="\\")
                | VersionRow.title.like(pattern, escape="\\")
            )
        out = []
        for v, d in s.execute(q.order_by(DocumentRow.url).limit(limit)):
            pos = max(v.text.find(terms[0]), 0)
            snippet = v.text[max(0, pos - 30) : pos + len(terms[0]) + 30].replace("\n", " ")
            out.append((_version_record(d, v), snippet))
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
