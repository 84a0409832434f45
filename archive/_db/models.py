"""SQLAlchemy 2.x tables of the archive (archive stage). Never returned outside ``archive/``.

documents   one row per URL ever archived (pages and their attachments); conditional-request
            validators; withdrawal state; last year's edition; the page an attachment hangs on
blobs       raw page bytes, content-addressed (a re-fetch of the same bytes stores nothing new)
captures    every fetch that reached the server: content, 304 or 404/410, pointing at its blob
versions    the versioned text: a new row only when the normalised text changes
change_events  new / changed / withdrawn / restored, as the reports and ``changes`` see them
crawls      one row per crawl of one source, with its counts
fetch_errors   failed fetches with their one-line reason; they never touch versions
search_index   per version: folded title/文号/text and their tokens, for full-text search
outbox_reports     the service's reports (changes, a failing/recovered source, a digest), rendered
                   once with a stable key so that every re-send is the same message
outbox_report_events  which committed change event went into which report (planned once)
outbox_deliveries  one row per report x channel: pending, sending (leased), delivered, failed
leases         who runs the service, and who is crawling which source (heartbeat, pid, host)
schedule_state per source: schedule, last and next run, last outcome, failure streak
service_meta   the outbox baseline: events already in the archive before 0006 are not re-sent
source_leases  which worker crawls a source right now, until when (one crawler per site)
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite hands back naive values, so UTC is re-attached."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Named constraints so that Alembic batch mode on SQLite can find them again.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    # Header values are whatever a server sends: TEXT (store.py cuts absurd ones with a marker).
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    missing_count: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    previous_year_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # An attachment (PDF/DOCX under 附件) is versioned like a page and points at its page.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    # Year-to-year candidates are looked up by masked title (an index), never by scanning
    # every title of the source; the masked title is cut to fit an index.
    masked_title: Mapped[str | None] = mapped_column(String(512))
    title_year: Mapped[int | None] = mapped_column(Integer)
    # The raw body of the last 200: a re-fetch with the same bytes is neither extracted
    # nor diffed again.
    body_sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_documents_source_masked", "source_id", "masked_title"),
        Index("ix_documents_source_year", "source_id", "title_year"),
    )


class BlobRow(Base):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # None: ``data`` is the raw body (archives before 0007); "zlib": zlib-compressed.
    compression: Mapped[str | None] = mapped_column(String(16))


class CrawlRow(Base):
    __tablename__ = "crawls"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    stats: Mapped[str] = mapped_column(Text, default="{}")


class CaptureRow(Base):
    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    crawl_id: Mapped[int | None] = mapped_column(ForeignKey("crawls.id"))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(32))
    body_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    # Undecodable bytes of a damaged page, decoded as U+FFFD (0 for a clean page).
    replaced_bytes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Identical re-fetches (a 304, or a 200 with the same bytes) extend the last capture
    # instead of adding a row: an unchanged re-crawl rewrites this timestamp in place (no
    # counter: a growing number would grow the row) and adds nothing to the archive.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VersionRow(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("document_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    source_org: Mapped[str | None] = mapped_column(Text)
    doc_number: Mapped[str | None] = mapped_column(Text)
    index_number: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))


class ChangeEventRow(Base):
    __tablename__ = "change_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    crawl_id: Mapped[int | None] = mapped_column(ForeignKey("crawls.id"))
    kind: Mapped[str] = mapped_column(String(16))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    old_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    new_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    previous_year_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))


class FetchErrorRow(Base):
    __tablename__ = "fetch_errors"

    id: Mapped[int] = mapped_column(primary_key=True)
    crawl_id: Mapped[int | None] = mapped_column(ForeignKey("crawls.id"), index=True)
    source_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    http_status: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)


class SearchIndexRow(Base):
    """Full-text index of one version (see ``archive/_db/search.py``; FTS tables ride on it)."""

    __tablename__ = "search_index"

    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    # No index of its own: half the rows are current, and SQLite would pick it over
    # document_id for a join (a scan per document).
    is_current: Mapped[bool] = mapped_column(Boolean)
    head: Mapped[str] = mapped_column(Text)  # folded title + 文号
    body: Mapped[str] = mapped_column(Text)  # folded text
    head_tokens: Mapped[str] = mapped_column(Text)
    body_tokens: Mapped[str] = mapped_column(Text)


class OutboxReportRow(Base):
    __tablename__ = "outbox_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(128))  # set for a digest: one per channel
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    json: Mapped[str] = mapped_column(Text)


class OutboxReportEventRow(Base):
    __tablename__ = "outbox_report_events"
    # An event goes into one report per mode: planning twice fails instead of sending twice.
    __table_args__ = (UniqueConstraint("event_id", "mode"),)

    report_id: Mapped[int] = mapped_column(ForeignKey("outbox_reports.id"), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("change_events.id"), primary_key=True, index=True
    )
    mode: Mapped[str] = mapped_column(String(160))  # immediate | digest:<channel>


class OutboxDeliveryRow(Base):
    __tablename__ = "outbox_deliveries"
    __table_args__ = (UniqueConstraint("report_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("outbox_reports.id"), index=True)
    channel: Mapped[str] = mapped_column(String(128), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LeaseRow(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduleStateRow(Base):
    __tablename__ = "schedule_state"

    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    schedule: Mapped[str] = mapped_column(String(128))
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_stats: Mapped[str] = mapped_column(Text, default="{}")
    last_reason: Mapped[str | None] = mapped_column(Text)
    failure_streak: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_reported: Mapped[int] = mapped_column(Integer, default=0)


class ServiceMetaRow(Base):
    __tablename__ = "service_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SourceLeaseRow(Base):
    """One crawler per site at a time, across workers and machines (see archive.leases)."""

    __tablename__ = "source_leases"

    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
