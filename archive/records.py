"""Plain records that cross package lines (archive stage).

The crawler builds a :class:`Capture` and hands it to :func:`archive.store.record`;
queries, diffs and reports hand back the other records. ORM rows never leave ``archive/``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class FetchKind(enum.StrEnum):
    """What one fetch of a document URL said."""

    CONTENT = "content"  # 200 with a body we extracted
    NOT_MODIFIED = "not_modified"  # 304 to a conditional request
    GONE = "gone"  # a definite 404 or 410
    ERROR = "error"  # timeout, 5xx, 429, empty body, undecodable...: never a new version


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
    """The outcome of :func:`archive.store.record`."""

    outcome: Outcome
    version: VersionRef | None = None
    previous: VersionRef | None = None
    previous_year: VersionRef | None = None  # last year's plan at another URL, for a NEW document
    error: str | None = None


@dataclass(frozen=True, slots=True)
class KnownDocument:
    """What the crawler needs to revisit a document: its URL and conditional-request validators."""

    url: str
    etag: str | None
    last_modified: str | None
    withdrawn: bool
    parent_url: str | None = None  # set for attachments: they are re-fetched as attachments
    title: str = ""


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


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A detected change to a document: new, changed, withdrawn or restored."""

    id: int
    url: str
    source: str
    title: str
    kind: str
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
    status: str = "ok"  # ok | failed
    reason: str | None = None
