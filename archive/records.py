"""Plain records that cross package lines (archive stage).

The crawler builds a :class:`Capture` and hands it to :meth:`archive.api.Archive.record`;
queries, diffs and reports hand back the other records. ORM rows never leave ``archive/``.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from typing import Any


class FetchKind(enum.StrEnum):
    """What one fetch of a document URL said."""

    CONTENT = "content"  # 200 with a body we extracted
    NOT_MODIFIED = "not_modified"  # 304 to a conditional request
    GONE = "gone"  # a definite 404 or 410
    ERROR = "error"  # timeout, 5xx, 429, empty body, undecodable...: never a new version
    # A 200 whose raw body is byte-identical to the last one archived (``body_sha256`` says
    # which): neither extracted nor diffed, recorded like a 304. Stored as a content capture.
    SAME_BODY = "same_body"


class EventKind(enum.StrEnum):
    """What a change event says happened to a document (``changes``, reports, delivery)."""

    NEW = "new"
    CHANGED = "changed"
    WITHDRAWN = "withdrawn"
    RESTORED = "restored"


class CrawlStatus(enum.StrEnum):
    """How one crawl of one source ended."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    # stopped by a signal before it finished, or its process died (noticed at the next crawl)
    INTERRUPTED = "interrupted"


class Outcome(enum.StrEnum):
    """What recording a capture did to the archive."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    WITHDRAWN = "withdrawn"
    RESTORED = "restored"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Capture:
    """One fetch of one document URL, with the text extracted from it (the archive's input)."""

    source_id: str
    url: str
    fetched_at: datetime
    kind: FetchKind
    http_status: int | None = None
    final_url: str | None = None
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    encoding: str | None = None
    title: str = ""
    text: str = ""
    published: date | None = None
    source_org: str | None = None
    doc_number: str | None = None
    index_number: str | None = None
    error: str | None = None  # one line: why a fetch failed (kind ERROR)
    parent_url: str | None = None  # for an attachment: the page that links it
    replaced_bytes: int = 0  # undecodable bytes of a damaged page, decoded as U+FFFD
    body_sha256: str | None = None  # SAME_BODY: the SHA-256 of the body that was not sent
    # archive.text.search.index_terms(title, doc_number, text), when the crawler's extraction
    # workers computed it (jieba is the costliest part of recording a new version); ignored
    # when recording had to fix the title, text or 文号.
    search_terms: tuple[str, str, str, str] | None = None
    # archive.text.normalize.text_digest(title, text), computed beside the terms for the same
    # reason (in the one recording process it took 1.7 s of 600 new pages under cProfile);
    # ignored under the same condition.
    text_digest: str | None = None


@dataclass(frozen=True, slots=True)
class VersionRef:
    """A pointer to one archived version."""

    id: int
    document_id: int
    url: str
    seq: int
    title: str


@dataclass(frozen=True, slots=True)
class RecordResult:
    """The outcome of :meth:`archive.api.Archive.record`."""

    outcome: Outcome
    version: VersionRef | None = None
    previous: VersionRef | None = None
    previous_year: VersionRef | None = None  # last year's plan at another URL, for a NEW document
    error: str | None = None
    # What had to be fixed to store the capture ("etag: 600 characters cut", "text: NUL removed").
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KnownDocument:
    """What the crawler needs to revisit a document: its URL and conditional-request validators."""

    url: str
    etag: str | None
    last_modified: str | None
    withdrawn: bool
    parent_url: str | None = None  # set for attachments: they are re-fetched as attachments
    title: str = ""
    body_sha256: str | None = None  # the last 200's raw body: the same bytes skip extraction


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One archived version as queries return it."""

    id: int
    document_id: int
    url: str
    source_id: str
    seq: int
    title: str
    text: str
    first_seen: datetime
    last_seen: datetime
    previous_id: int | None
    published: date | None = None
    doc_number: str | None = None
    source_org: str | None = None
    index_number: str | None = None
    withdrawn_at: datetime | None = None  # the document's: withdrawn then and not restored since


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A detected change to a document: new, changed, withdrawn or restored."""

    id: int
    url: str
    source: str
    title: str
    kind: EventKind
    detected_at: datetime
    old_version_id: int | None
    new_version_id: int | None
    previous_year_version_id: int | None = None
    crawl_id: int | None = None
    attachment_of: str | None = None  # the page's URL, when the document is an attachment


@dataclass(slots=True)
class CrawlSummary:
    """Counts for one crawl of one source (an accumulator while the crawl runs)."""

    source_id: str
    crawl_id: int | None = None
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    restored: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    status: CrawlStatus = CrawlStatus.OK
    reason: str | None = None
    # The source's max_pages budget ran out: this many links were left for the next crawl.
    max_pages_reached: bool = False
    not_fetched: int = 0
    deadline_reached: bool = False  # the source's max_crawl_seconds passed mid-crawl

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrawlSummary:
        """Read back the JSON form a crawl process wrote (unknown keys are ignored)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["status"] = CrawlStatus(values.get("status", CrawlStatus.OK))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class CrawlRequest:
    """What one crawl process is asked to do: ``python -m crawler.run --request FILE`` reads it.

    The database URL is not part of it: it travels in the child's environment, because a
    password in a file or argv would be visible to other users.
    """

    sources: str | None = None  # a TOML file or directory; None: the bundled seeds
    source_ids: tuple[str, ...] = ()  # empty: every source
    delay: float | None = None  # overrides for every source
    concurrency: int | None = None
    origins: tuple[tuple[str, str], ...] = ()  # (real origin, mirror origin) for offline mirrors
    allow_private: bool = False
    verbose: bool = False
    timeout: float | None = None
    retry_backoff: float | None = None
    retry_backoff_max: float | None = None
    extract_timeout: float | None = None  # the extraction watchdog's limit per page

    def to_json(self) -> str:
        """The request as JSON (what the crawl process reads)."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CrawlRequest:
        """Parse :meth:`to_json`'s output."""
        data = json.loads(text)
        data["source_ids"] = tuple(data.get("source_ids", ()))
        data["origins"] = tuple(tuple(p) for p in data.get("origins", ()))
        return cls(**data)


@dataclass(frozen=True, slots=True)
class CrawlResult:
    """What a crawl process reports back: its exit status and one summary per source."""

    exit_status: int
    summaries: tuple[CrawlSummary, ...] = ()

    @property
    def ok(self) -> bool:
        return self.exit_status == 0 and all(s.status is CrawlStatus.OK for s in self.summaries)


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """One fetch of an archived document as the archive keeps it (content, 304 or 404/410)."""

    id: int
    url: str
    fetched_at: datetime
    kind: FetchKind
    http_status: int | None
    final_url: str | None
    content_type: str | None
    encoding: str | None
    body_sha256: str | None
    crawl_id: int | None
    # Identical re-fetches (a 304, or the same bytes) extend this capture: the last of them.
    last_seen_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FetchErrorRecord:
    """A failed fetch with its one-line reason (it never touched a version)."""

    id: int
    source_id: str
    url: str
    at: datetime
    http_status: int | None
    reason: str
    crawl_id: int | None


@dataclass(frozen=True, slots=True)
class CrawlRecord:
    """One crawl of one source as the archive remembers it."""

    id: int
    source_id: str
    started_at: datetime
    finished_at: datetime | None
    status: CrawlStatus
    stats: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """One archived URL: a page or an attachment, with its withdrawal state."""

    id: int
    source_id: str
    url: str
    title: str
    first_seen: datetime
    last_seen: datetime
    withdrawn_at: datetime | None
    parent_url: str | None
    previous_year_id: int | None
    versions: int
    doc_number: str | None = None  # the latest version's 文号


@dataclass(frozen=True, slots=True)
class SeriesEdition:
    """One year of a plan series: the year read from its title and its latest version."""

    year: int | None
    version: VersionRecord


@dataclass(frozen=True, slots=True)
class Series:
    """The same plan published each year at another URL, oldest edition first."""

    id: int  # the document id of its first edition
    editions: tuple[SeriesEdition, ...]

    @property
    def years(self) -> list[int]:
        return sorted(e.year for e in self.editions if e.year is not None)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search hit: the version, its rank, a snippet with the hits' spans, its state."""

    version: VersionRecord
    score: float
    snippet: str
    marks: tuple[tuple[int, int], ...]  # [start, end) character spans of the hits in snippet
    current: bool  # the document's latest version
    withdrawn_at: datetime | None = None  # the document was withdrawn then (and not restored)


# -- the service: outbox, leases, schedule state ----------------------------------------------


class ReportKind(enum.StrEnum):
    """What an outbox report tells its channels."""

    CHANGES = "changes"  # the change events of one source's crawl(s)
    FAILING = "failing"  # a source has failed N runs in a row
    RECOVERED = "recovered"  # ... and has run again
    DIGEST = "digest"  # one channel's daily digest of changes


class DeliveryStatus(enum.StrEnum):
    """Where one report × channel delivery stands."""

    PENDING = "pending"  # never tried
    SENDING = "sending"  # claimed by a dispatcher (a lease); reset when its service died
    RETRYING = "retrying"  # tried and failed; tried again at next_attempt_at
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up (after the retry window); shown by ``status``


@dataclass(frozen=True, slots=True)
class OutboxDelivery:
    """One claimed delivery with the report it carries (rendered once, re-sent byte for byte)."""

    id: int
    report_id: int
    channel: str
    key: str  # the idempotency key: the same on every re-send of this report to this channel
    attempts: int
    created_at: datetime
    report_created_at: datetime
    kind: ReportKind
    source_id: str | None
    subject: str
    text: str
    html: str
    json: str


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """Who holds a named lease (the service, or the crawl of one source)."""

    name: str
    holder: str
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime


@dataclass(frozen=True, slots=True)
class ScheduleState:
    """One source's schedule as the service keeps it across restarts."""

    source_id: str
    schedule: str
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_finished_at: datetime | None
    last_status: str | None
    last_stats: dict[str, Any]
    last_reason: str | None
    failure_streak: int
    failing_since: datetime | None
    failing_reported: bool


@dataclass(frozen=True, slots=True)
class ChannelCounts:
    """Deliveries of one channel by status."""

    channel: str
    pending: int = 0
    sending: int = 0
    retrying: int = 0
    delivered: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class SourceLease:
    """Who crawls a source right now (a worker), and until when unless renewed."""

    source_id: str
    holder: str
    acquired_at: datetime
    expires_at: datetime
