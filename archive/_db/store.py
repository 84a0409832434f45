"""Writing to the archive: one transaction per fetch, a new version only when the substance changes.

:class:`Archive` is the one door to the database. ``record`` takes a :class:`Capture` and
writes its capture, version and change event together, or nothing at all: a crawl killed
half-way leaves the last committed state, and the next crawl picks the page up again.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..records import (
    Capture,
    CrawlStatus,
    CrawlSummary,
    EventKind,
    FetchKind,
    KnownDocument,
    Outcome,
    RecordResult,
    VersionRef,
)
from ..text import lineage
from ..text.clean import HEADER_LIMIT, storable
from ..text.normalize import text_digest
from ..text.search import MAX_WORD_INDEX_CHARS
from . import db
from . import search as _search
from .models import (
    BlobRow,
    CaptureRow,
    ChangeEventRow,
    CrawlRow,
    DocumentRow,
    FetchErrorRow,
    VersionRow,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ref(doc: DocumentRow, ver: VersionRow | None) -> VersionRef | None:
    if ver is None:
        return None
    return VersionRef(id=ver.id, document_id=doc.id, url=doc.url, seq=ver.seq, title=ver.title)


class Store:
    """The database behind an :class:`archive.api.Archive`: an engine plus the writes (private)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> Store:
        """Open the database at ``url`` (see ``db.resolve_url``), creating or upgrading it."""
        from ..errors import DatabaseURLError, NotFoundError, PolicywatchError

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
        try:
            if create:
                db.upgrade(engine)
                return cls(engine)
            try:
                ready = db.has_schema(engine)
            except SQLAlchemyError as exc:
                # Read-only commands reach the server here first: same one line as db.upgrade.
                reason = db.failure_reason(exc)
                raise DatabaseURLError(
                    f"database {db.safe_url(str(engine.url))}: {reason}"
                ) from None
            if not ready:
                raise NotFoundError(
                    f"database {db.safe_url(str(engine.url))}: no archive here yet "
                    "(run `policywatch crawl` or `policywatch demo` first)"
                )
            return cls(engine)
        except BaseException:
            # A refused archive still opened connections: closed here, not by the garbage
            # collector at some later moment (an unclosed-database warning in someone else's code).
            engine.dispose()
            raise

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
                .where(
                    CrawlRow.source_id == source_id, CrawlRow.status == CrawlStatus.RUNNING.value
                )
                .values(status=CrawlStatus.INTERRUPTED.value)
            )
            row = CrawlRow(
                source_id=source_id,
                started_at=utcnow(),
                status=CrawlStatus.RUNNING.value,
                stats="{}",
            )
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
        if summary.max_pages_reached:
            stats["max_pages_reached"] = True
            stats["not_fetched"] = summary.not_fetched
        if summary.deadline_reached:
            stats["deadline_reached"] = True
        with self.session() as s:
            row = s.get_one(CrawlRow, crawl_id)
            row.finished_at = utcnow()
            row.status = CrawlStatus(summary.status).value
            row.stats = json.dumps(stats, ensure_ascii=False)

    def known_documents(self, source_id: str) -> list[KnownDocument]:
        """Every document of a source, with the validators for a conditional re-fetch."""
        with self.session() as s:
            # Least recently seen first: when revisits exceed max_pages, each crawl takes the
            # ones the last crawls left out, so every document is revisited in turn.
            rows = list(
                s.scalars(
                    select(DocumentRow)
                    .where(DocumentRow.source_id == source_id)
                    .order_by(DocumentRow.last_seen, DocumentRow.id)
                )
            )
            urls = {d.id: d.url for d in rows}
            return [
                KnownDocument(
                    url=d.url,
                    etag=d.etag,
                    last_modified=d.last_modified,
                    withdrawn=d.withdrawn_at is not None,
                    parent_url=urls.get(d.parent_id) if d.parent_id else None,
                    title=d.title,
                    body_sha256=d.body_sha256,
                )
                for d in rows
            ]

    # -- recording ----------------------------------------------------------------------------

    def record(
        self, capture: Capture, *, crawl_id: int | None = None, withdraw_after: int = 1
    ) -> RecordResult:
        """Record one fetch in a single transaction and say what it did to the archive.

        Whatever the server sent is accepted: values the database cannot hold are fixed and
        noted (``RecordResult.notes``), and a fetch that still cannot be written is recorded
        as a fetch error ("recording failed: …") instead of raising, so it is counted.
        """
        try:
            with self.session() as s:
                return self.record_in(s, capture, crawl_id=crawl_id, withdraw_after=withdraw_after)
        except Exception as exc:
            return self._record_failure(_storable_capture(capture)[0], crawl_id, exc)

    def record_in(
        self, s: Session, capture: Capture, *, crawl_id: int | None = None, withdraw_after: int = 1
    ) -> RecordResult:
        """Record one fetch inside the caller's transaction (``record``, ``batch.record_batch``).

        A database error propagates: the caller's transaction is rolled back whole (the batch
        then replays its captures one by one through :meth:`record`).
        """
        capture, notes = _storable_capture(capture)
        if len(capture.url) > URL_LIMIT:
            capture = _as_error(
                capture, f"URL longer than {URL_LIMIT} characters: not archived as a document"
            )
            capture = replace(capture, url=storable(capture.url, limit=URL_LIMIT)[0])
        if capture.kind is FetchKind.CONTENT and not capture.text.strip():
            capture = _as_error(capture, "no policy text on the page (empty or chrome only)")
        if capture.kind is FetchKind.CONTENT and len(capture.text) > MAX_WORD_INDEX_CHARS:
            notes.append(
                f"search: words indexed in the first {MAX_WORD_INDEX_CHARS} of "
                f"{len(capture.text)} characters (the rest is archived, not searchable by word)"
            )
        result = self._record_prepared(s, capture, crawl_id, withdraw_after)
        return replace(result, notes=tuple(notes)) if notes else result

    def _record_failure(self, c: Capture, crawl_id: int | None, exc: Exception) -> RecordResult:
        """Record that ``c`` could not be written (its own transaction was rolled back)."""
        detail = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300] or "no message"
        reason = storable(f"recording failed: {type(exc).__name__}: {detail}")[0]
        status = c.http_status if c.http_status is not None and 0 < c.http_status < 1000 else None
        failed = replace(
            _as_error(c, reason), url=storable(c.url, limit=URL_LIMIT)[0], http_status=status
        )
        try:
            with self.session() as s:
                return self._record_error(s, failed, crawl_id)
        except Exception:
            return RecordResult(outcome=Outcome.FAILED, error=reason)

    def _record_prepared(
        self, s: Session, capture: Capture, crawl_id: int | None, withdraw_after: int
    ) -> RecordResult:
        if capture.kind is FetchKind.ERROR:
            return self._record_error(s, capture, crawl_id)
        doc = s.scalar(select(DocumentRow).where(DocumentRow.url == capture.url))
        if capture.kind is FetchKind.CONTENT:
            return self._record_content(s, doc, capture, crawl_id)
        if capture.kind is FetchKind.SAME_BODY and (
            doc is None or doc.body_sha256 != capture.body_sha256
        ):
            # The crawler skipped extraction on a body the archive no longer has as the
            # last one (another crawl changed it meanwhile): the next crawl fetches it whole.
            reason = "body unchanged since a capture that is no longer the last; re-fetch"
            return self._record_error(s, _as_error(capture, reason), crawl_id)
        if doc is None:
            # A 304 or 404 for a URL we never archived: nothing to version, but say why.
            return self._record_error(
                s,
                _as_error(capture, f"HTTP {capture.http_status} for an unarchived URL"),
                crawl_id,
            )
        if capture.kind in (FetchKind.NOT_MODIFIED, FetchKind.SAME_BODY):
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
        self,
        s: Session,
        doc: DocumentRow,
        c: Capture,
        crawl_id: int | None,
        same_text_as: VersionRow | None = None,
        first: bool = False,
    ) -> CaptureRow:
        sha = c.body_sha256 if c.kind is FetchKind.SAME_BODY else None
        kind = FetchKind.CONTENT if c.kind is FetchKind.SAME_BODY else c.kind
        body = c.body
        if same_text_as is not None:
            # Retention rule: one raw body per distinct text. A page whose bytes change on
            # every fetch (a random token, a clock) while its text does not would otherwise
            # add a blob per crawl for ever; such a capture points at the body its version
            # was read from (the first bytes with this text) instead.
            sha = s.scalar(
                select(CaptureRow.body_sha256).where(CaptureRow.id == same_text_as.capture_id)
            )
            body = None
        elif c.body is not None:
            sha = hashlib.sha256(c.body).hexdigest()
        last = (
            None  # a document created in this transaction has no capture to compare with
            if first
            else s.scalar(
                select(CaptureRow)
                .where(CaptureRow.document_id == doc.id)
                .order_by(CaptureRow.id.desc())
                .limit(1)
            )
        )
        same = last is not None and (
            (last.kind, last.body_sha256, last.http_status, last.final_url)
            == (kind.value, sha, c.http_status, c.final_url)
            # A 304 confirms the body of the last 200: the same answer, said more briefly.
            or (
                kind is FetchKind.NOT_MODIFIED
                and last.kind == FetchKind.CONTENT.value
                and last.body_sha256 is not None
                and last.body_sha256 == doc.body_sha256
                and doc.withdrawn_at is None
            )
        )
        if same and last is not None:
            # The same answer as last time: one row for the run of identical fetches.
            last.last_seen_at = c.fetched_at
            return last
        if body is not None and sha is not None:
            _insert_blob(s, sha, body)
        row = CaptureRow(
            document_id=doc.id,
            crawl_id=crawl_id,
            fetched_at=c.fetched_at,
            kind=kind.value,
            http_status=c.http_status,
            final_url=c.final_url,
            content_type=c.content_type,
            encoding=c.encoding,
            replaced_bytes=c.replaced_bytes,
            body_sha256=sha,
            # Set now, so that an identical re-fetch updates it in place (same size): an
            # unchanged re-crawl then grows no row.
            last_seen_at=c.fetched_at,
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
            _set_title(doc, c.title)
            s.add(doc)
            s.flush()
        restored = doc.withdrawn_at is not None
        doc.last_seen = now
        doc.missing_count = 0
        doc.withdrawn_at = None
        doc.etag = c.etag
        doc.last_modified = c.last_modified
        digest = c.text_digest or text_digest(c.title, c.text)
        latest = None if created else self._latest(s, doc.id)
        unchanged = latest is not None and latest.digest == digest
        capture_row = self._capture_row(
            s, doc, c, crawl_id, latest if unchanged else None, first=created
        )
        # The hash of the bytes received (not of the blob kept): an identical next fetch can
        # then skip extraction (crawler: FetchKind.SAME_BODY).
        doc.body_sha256 = hashlib.sha256(c.body).hexdigest() if c.body else capture_row.body_sha256

        if latest is not None and unchanged:
            latest.last_seen = now
            if restored:
                self._event(s, doc, EventKind.RESTORED, crawl_id, now, latest, latest)
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
        _set_title(doc, c.title)
        s.flush()
        _search.index_version(s, version, latest, c.search_terms)
        if latest is None:
            prev_year = self._link_previous_year(s, doc)
            self._event(s, doc, EventKind.NEW, crawl_id, now, None, version, prev_year)
            prev_ref = None
            if prev_year is not None:
                prev_ref = _ref(s.get_one(DocumentRow, prev_year.document_id), prev_year)
            return RecordResult(Outcome.NEW, _ref(doc, version), None, prev_ref)
        self._event(
            s,
            doc,
            EventKind.RESTORED if restored else EventKind.CHANGED,
            crawl_id,
            now,
            latest,
            version,
        )
        outcome = Outcome.RESTORED if restored else Outcome.CHANGED
        return RecordResult(outcome, _ref(doc, version), _ref(doc, latest))

    def _link_previous_year(self, s: Session, doc: DocumentRow) -> VersionRow | None:
        if doc.parent_id is not None:  # attachments follow their page, not a series of their own
            return None
        if doc.title_year is None:  # no year in the title: not part of a yearly series
            return None
        # Last year's edition has the previous year in its title: only those documents of the
        # source are candidates (an index on source and year), and an identical masked title
        # (another index) wins outright, as it would score 100 — no scan of every title.
        last_year = select(DocumentRow.id, DocumentRow.title).where(
            DocumentRow.source_id == doc.source_id,
            DocumentRow.title_year == doc.title_year - 1,
            DocumentRow.id != doc.id,
            DocumentRow.parent_id.is_(None),
        )
        candidates = (
            s.execute(last_year.where(DocumentRow.masked_title == doc.masked_title)).all()
            or s.execute(last_year.limit(YEAR_CANDIDATES)).all()
        )
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
        if c.kind is FetchKind.SAME_BODY:  # a 200: its validators are the current ones
            doc.etag = c.etag
            doc.last_modified = c.last_modified
        if latest is not None:
            latest.last_seen = c.fetched_at
        if doc.withdrawn_at is not None:  # a 304 after a 404: the page is back as it was
            doc.withdrawn_at = None
            self._event(s, doc, EventKind.RESTORED, crawl_id, c.fetched_at, latest, latest)
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
        self._event(s, doc, EventKind.WITHDRAWN, crawl_id, c.fetched_at, latest, None)
        return RecordResult(Outcome.WITHDRAWN, _ref(doc, latest), _ref(doc, latest))

    def _event(
        self,
        s: Session,
        doc: DocumentRow,
        kind: EventKind,
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
                kind=kind.value,
                detected_at=at,
                old_version_id=old.id if old else None,
                new_version_id=new.id if new else None,
                previous_year_version_id=previous_year.id if previous_year else None,
            )
        )

    def raw_body(self, sha256: str) -> bytes | None:
        """The raw bytes stored under ``sha256`` (decompressed), or None."""
        with self.session() as s:
            row = s.get(BlobRow, sha256)
            return blob_bytes(row) if row is not None else None

    def count_versions(self) -> int:
        """How many versions the archive holds (tests and summaries)."""
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(VersionRow)) or 0


# documents.url is unique-indexed: a longer URL is refused (as a recorded error), not cut,
# since two cut URLs would become one document.
URL_LIMIT = 2048
_HEADER_FIELDS = frozenset({"content_type", "etag", "last_modified"})
_TEXT_FIELDS = (
    "url",
    "final_url",
    "content_type",
    "etag",
    "last_modified",
    "encoding",
    "title",
    "text",
    "source_org",
    "doc_number",
    "index_number",
    "error",
    "parent_url",
)


def _storable_capture(c: Capture) -> tuple[Capture, list[str]]:
    """``c`` with every string made storable (see archive.text.clean), and what was fixed."""
    changes: dict[str, Any] = {}
    notes: list[str] = []
    for name in _TEXT_FIELDS:
        value = getattr(c, name)
        if value is None:
            continue
        limit = HEADER_LIMIT if name in _HEADER_FIELDS else None
        if name == "final_url":
            limit = 4 * URL_LIMIT
        fixed, said = storable(value, limit=limit)
        if said:
            changes[name] = fixed
            notes.extend(f"{name}: {n}" for n in said)
    if changes.keys() & {"title", "text", "doc_number"}:
        # Computed from what is no longer the text stored.
        changes["search_terms"] = changes["text_digest"] = None
    if c.encoding is not None and len(changes.get("encoding", c.encoding)) > 32:
        changes["encoding"] = changes.get("encoding", c.encoding)[:32]
    return (replace(c, **changes) if changes else c), notes


def _as_error(c: Capture, reason: str) -> Capture:
    return replace(c, kind=FetchKind.ERROR, error=reason, body=None)


# The masked title is cut to fit an index; pick_previous_year compares the whole titles.
MASKED_MAX = 512
# Last year's documents of one source considered for a fuzzy title match (a bound, not a scan).
YEAR_CANDIDATES = 2000


def _set_title(doc: DocumentRow, title: str) -> None:
    """The title and its year-masked form, which indexes the year-to-year lookup."""
    doc.title = title
    if doc.parent_id is None:
        masked, year = lineage.mask_years(title)
        doc.masked_title, doc.title_year = masked[:MASKED_MAX], year


def blob_bytes(row: BlobRow) -> bytes:
    """A stored body as it was fetched (bodies stored since 0007 are zlib-compressed)."""
    return zlib.decompress(row.data) if row.compression == "zlib" else row.data


def _insert_blob(s: Session, sha: str, body: bytes) -> None:
    # Content-addressed: the same bytes fetched again are stored once. ON CONFLICT keeps two
    # concurrent crawls that fetch the same attachment from failing each other.
    dialect = s.get_bind().dialect.name
    # Compressed: bureau pages are repetitive markup and shrink about fivefold.
    values = {
        "sha256": sha,
        "size": len(body),
        "data": zlib.compress(body, 6),
        "compression": "zlib",
    }
    if dialect == "postgresql":
        s.execute(pg_insert(BlobRow).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        s.execute(sqlite_insert(BlobRow).values(**values).on_conflict_do_nothing())
    elif s.get(BlobRow, sha) is None:
        s.add(BlobRow(**values))
