"""Writing to the archive: one transaction per fetch, a new version only when the substance changes.

:class:`Archive` is the one door to the database. ``record`` takes a :class:`Capture` and
writes its capture, version and change event together, or nothing at all: a crawl killed
half-way leaves the last committed state, and the next crawl picks the page up again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from . import db, lineage
from .models import (
    BlobRow,
    CaptureRow,
    ChangeEventRow,
    CrawlRow,
    DocumentRow,
    FetchErrorRow,
    VersionRow,
)
from .normalize import text_digest
from .records import (
    Capture,
    CrawlSummary,
    FetchKind,
    KnownDocument,
    Outcome,
    RecordResult,
    VersionRef,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ref(doc: DocumentRow, ver: VersionRow | None) -> VersionRef | None:
    if ver is None:
        return None
    return VersionRef(id=ver.id, document_id=doc.id, url=doc.url, seq=ver.seq, title=ver.title)


class Archive:
    """An open archive: an engine plus the operations that write to it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> Archive:
        """Open the archive at ``url`` (see archive.db.resolve_url), creating or upgrading it."""
        from .errors import DatabaseURLError, NotFoundError, PolicywatchError

        try:
            engine = db.make_engine(url)
        except PolicywatchError:
            raise
        except ValueError:
            # make_url raises a bare ValueError for e.g. a non-numeric port; its text and any
            # echo of the URL could carry the password, so neither is shown.
            raise DatabaseURLError(
                "database URL: not a valid URL (check the port, and %-escape special "
                "characters in the password)"
            ) from None
        if create:
            db.upgrade(engine)
            return cls(engine)
        try:
            ready = db.has_schema(engine)
        except SQLAlchemyError as exc:
            # Read-only commands reach the server here first: same one line as db.upgrade.
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise DatabaseURLError(f"database {db.safe_url(str(engine.url))}: {reason}") from None
        if not ready:
            raise NotFoundError(
                f"database {db.safe_url(str(engine.url))}: no archive here yet "
                "(run `policywatch crawl` or `policywatch demo` first)"
            )
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    # -- crawls -------------------------------------------------------------------------------

    def start_crawl(self, source_id: str) -> int:
        """Open a crawl row and return its id; mark the source's killed crawls interrupted."""
        with self.session() as s:
            # One crawl per source at a time (the scheduler never overlaps them), so a crawl
            # still marked running is one whose process died; say so instead of leaving it open.
            s.execute(
                update(CrawlRow)
                .where(CrawlRow.source_id == source_id, CrawlRow.status == "running")
                .values(status="interrupted")
            )
            row = CrawlRow(source_id=source_id, started_at=utcnow(), status="running", stats="{}")
            s.add(row)
            s.flush()
            return row.id

    def finish_crawl(self, crawl_id: int, summary: CrawlSummary) -> None:
        """Close a crawl with its counts and status."""
        stats = {
            k: getattr(summary, k)
            for k in ("fetched", "new", "changed", "unchanged", "withdrawn", "restored", "errors")
        }
        if summary.reason:
            stats["reason"] = summary.reason
        with self.session() as s:
            row = s.get_one(CrawlRow, crawl_id)
            row.finished_at = utcnow()
            row.status = summary.status
            row.stats = json.dumps(stats, ensure_ascii=False)

    def known_documents(self, source_id: str) -> list[KnownDocument]:
        """Every document of a source, with the validators for a conditional re-fetch."""
        with self.session() as s:
            rows = list(s.scalars(select(DocumentRow).where(DocumentRow.source_id == source_id)))
            urls = {d.id: d.url for d in rows}
            return [
                KnownDocument(
                    url=d.url,
                    etag=d.etag,
                    last_modified=d.last_modified,
                    withdrawn=d.withdrawn_at is not None,
                    parent_url=urls.get(d.parent_id) if d.parent_id else None,
                    title=d.title,
                )
                for d in rows
            ]

    # -- recording ----------------------------------------------------------------------------

    def record(
        self, capture: Capture, *, crawl_id: int | None = None, withdraw_after: int = 1
    ) -> RecordResult:
        """Record one fetch in a single transaction and say what it did to the archive."""
        if "\x00" in capture.text or "\x00" in capture.title:
            # PostgreSQL text cannot hold NUL; it is never part of a policy's wording.
            capture = replace(
                capture,
                text=capture.text.replace("\x00", ""),
                title=capture.title.replace("\x00", ""),
            )
        if capture.kind is FetchKind.CONTENT and not capture.text.strip():
            capture = _as_error(capture, "no policy text on the page (empty or chrome only)")
        with self.session() as s:
            if capture.kind is FetchKind.ERROR:
                return self._record_error(s, capture, crawl_id)
            doc = s.scalar(select(DocumentRow).where(DocumentRow.url == capture.url))
            if capture.kind is FetchKind.CONTENT:
                return self._record_content(s, doc, capture, crawl_id)
            if doc is None:
                # A 304 or 404 for a URL we never archived: nothing to version, but say why.
                return self._record_error(
                    s,
                    _as_error(capture, f"HTTP {capture.http_status} for an unarchived URL"),
                    crawl_id,
                )
            if capture.kind is FetchKind.NOT_MODIFIED:
                return self._record_seen(s, doc, capture, crawl_id)
            return self._record_gone(s, doc, capture, crawl_id, withdraw_after)

    def _record_error(self, s: Session, c: Capture, crawl_id: int | None) -> RecordResult:
        s.add(
            FetchErrorRow(
                crawl_id=crawl_id,
                source_id=c.source_id,
                url=c.url,
                at=c.fetched_at,
                http_status=c.http_status,
                reason=c.error or "unknown error",
            )
        )
        return RecordResult(outcome=Outcome.FAILED, error=c.error)

    def _capture_row(
        self, s: Session, doc: DocumentRow, c: Capture, crawl_id: int | None
    ) -> CaptureRow:
        sha = None
        if c.body is not None:
            sha = hashlib.sha256(c.body).hexdigest()
            _insert_blob(s, sha, c.body)
        row = CaptureRow(
            document_id=doc.id,
            crawl_id=crawl_id,
            fetched_at=c.fetched_at,
            kind=c.kind.value,
            http_status=c.http_status,
            final_url=c.final_url,
            content_type=c.content_type,
            encoding=c.encoding,
            body_sha256=sha,
        )
        s.add(row)
        s.flush()
        return row

    def _latest(self, s: Session, doc_id: int) -> VersionRow | None:
        return s.scalar(
            select(VersionRow)
            .where(VersionRow.document_id == doc_id)
            .order_by(VersionRow.seq.desc())
            .limit(1)
        )

    def _record_content(
        self, s: Session, doc: DocumentRow | None, c: Capture, crawl_id: int | None
    ) -> RecordResult:
        now = c.fetched_at
        created = doc is None
        if doc is None:
            parent_id = None
            if c.parent_url is not None:
                parent_id = s.scalar(select(DocumentRow.id).where(DocumentRow.url == c.parent_url))
            doc = DocumentRow(
                source_id=c.source_id,
                url=c.url,
                title=c.title,
                first_seen=now,
                last_seen=now,
                missing_count=0,
                parent_id=parent_id,
            )
            s.add(doc)
            s.flush()
        restored = doc.withdrawn_at is not None
        doc.last_seen = now
        doc.missing_count = 0
        doc.withdrawn_at = None
        doc.etag = c.etag
        doc.last_modified = c.last_modified
        capture_row = self._capture_row(s, doc, c, crawl_id)

        digest = text_digest(c.title, c.text)
        latest = None if created else self._latest(s, doc.id)
        if latest is not None and latest.digest == digest:
            latest.last_seen = now
            if restored:
                self._event(s, doc, "restored", crawl_id, now, latest, latest)
                return RecordResult(Outcome.RESTORED, _ref(doc, latest), _ref(doc, latest))
            return RecordResult(Outcome.UNCHANGED, _ref(doc, latest), _ref(doc, latest))

        version = VersionRow(
            document_id=doc.id,
            seq=(latest.seq + 1) if latest else 1,
            digest=digest,
            title=c.title,
            text=c.text,
            published=c.published,
            source_org=c.source_org,
            doc_number=c.doc_number,
            index_number=c.index_number,
            first_seen=now,
            last_seen=now,
            previous_id=latest.id if latest else None,
            capture_id=capture_row.id,
        )
        s.add(version)
        doc.title = c.title
        s.flush()
        if latest is None:
            prev_year = self._link_previous_year(s, doc)
            self._event(s, doc, "new", crawl_id, now, None, version, prev_year)
            prev_ref = None
            if prev_year is not None:
                prev_ref = _ref(s.get_one(DocumentRow, prev_year.document_id), prev_year)
            return RecordResult(Outcome.NEW, _ref(doc, version), None, prev_ref)
        self._event(s, doc, "restored" if restored else "changed", crawl_id, now, latest, version)
        outcome = Outcome.RESTORED if restored else Outcome.CHANGED
        return RecordResult(outcome, _ref(doc, version), _ref(doc, latest))

    def _link_previous_year(self, s: Session, doc: DocumentRow) -> VersionRow | None:
        if doc.parent_id is not None:  # attachments follow their page, not a series of their own
            return None
        candidates = s.execute(
            select(DocumentRow.id, DocumentRow.title).where(
                DocumentRow.source_id == doc.source_id,
                DocumentRow.id != doc.id,
                DocumentRow.parent_id.is_(None),
            )
        ).all()
        prev_id = lineage.pick_previous_year(doc.title, [(i, t) for i, t in candidates])
        if prev_id is None:
            return None
        doc.previous_year_id = prev_id
        return self._latest(s, prev_id)

    def _record_seen(
        self, s: Session, doc: DocumentRow, c: Capture, crawl_id: int | None
    ) -> RecordResult:
        self._capture_row(s, doc, c, crawl_id)
        latest = self._latest(s, doc.id)
        doc.last_seen = c.fetched_at
        doc.missing_count = 0
        if latest is not None:
            latest.last_seen = c.fetched_at
        if doc.withdrawn_at is not None:  # a 304 after a 404: the page is back as it was
            doc.withdrawn_at = None
            self._event(s, doc, "restored", crawl_id, c.fetched_at, latest, latest)
            return RecordResult(Outcome.RESTORED, _ref(doc, latest), _ref(doc, latest))
        return RecordResult(Outcome.UNCHANGED, _ref(doc, latest), _ref(doc, latest))

    def _record_gone(
        self, s: Session, doc: DocumentRow, c: Capture, crawl_id: int | None, withdraw_after: int
    ) -> RecordResult:
        self._capture_row(s, doc, c, crawl_id)
        latest = self._latest(s, doc.id)
        if doc.withdrawn_at is not None:
            return RecordResult(Outcome.UNCHANGED, _ref(doc, latest))
        doc.missing_count += 1
        if doc.missing_count < withdraw_after:
            return RecordResult(Outcome.UNCHANGED, _ref(doc, latest))
        doc.withdrawn_at = c.fetched_at
        self._event(s, doc, "withdrawn", crawl_id, c.fetched_at, latest, None)
        return RecordResult(Outcome.WITHDRAWN, _ref(doc, latest), _ref(doc, latest))

    def _event(
        self,
        s: Session,
        doc: DocumentRow,
        kind: str,
        crawl_id: int | None,
        at: datetime,
        old: VersionRow | None,
        new: VersionRow | None,
        previous_year: VersionRow | None = None,
    ) -> None:
        s.add(
            ChangeEventRow(
                document_id=doc.id,
                crawl_id=crawl_id,
                kind=kind,
                detected_at=at,
                old_version_id=old.id if old else None,
                new_version_id=new.id if new else None,
                previous_year_version_id=previous_year.id if previous_year else None,
            )
        )

    def count_versions(self) -> int:
        """How many versions the archive holds (tests and summaries)."""
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(VersionRow)) or 0


def _as_error(c: Capture, reason: str) -> Capture:
    return replace(c, kind=FetchKind.ERROR, error=reason, body=None)


def _insert_blob(s: Session, sha: str, body: bytes) -> None:
    # Content-addressed: the same bytes fetched again are stored once. ON CONFLICT keeps two
    # concurrent crawls that fetch the same attachment from failing each other.
    dialect = s.get_bind().dialect.name
    values = {"sha256": sha, "size": len(body), "data": body}
    if dialect == "postgresql":
        s.execute(pg_insert(BlobRow).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        s.execute(sqlite_insert(BlobRow).values(**values).on_conflict_do_nothing())
    elif s.get(BlobRow, sha) is None:
        s.add(BlobRow(**values))
