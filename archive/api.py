"""The one door into the archive: every front end (CLI, service, web, workers) goes through here.

:class:`Archive` records what a crawl fetched and answers every question the commands ask —
history, as-of, a version, changes, series, search, export, report, check — returning plain
records (:mod:`archive.records`) only. Sessions, engines and ORM rows stay inside
``archive/_db``, which nothing outside ``archive/`` imports.

    with Archive.open("sqlite:///policywatch.db") as archive:
        for v in archive.history("https://…/t20220114_2586431.html"):
            print(v.seq, v.title)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING

from ._db import batch as _batch
from ._db import check as _check
from ._db import db as _engine
from ._db import leases as _leases
from ._db import outbox as _outbox
from ._db import query as _query
from ._db.store import Store
from .errors import NotFoundError, UsageError
from .records import (
    Capture,
    CaptureRecord,
    ChangeEvent,
    ChannelCounts,
    CrawlRecord,
    CrawlSummary,
    DocumentRecord,
    FetchErrorRecord,
    KnownDocument,
    LeaseRecord,
    OutboxDelivery,
    RecordResult,
    ReportKind,
    ScheduleState,
    SearchHit,
    Series,
    SeriesEdition,
    SourceLease,
    VersionRecord,
)
from .text.lineage import mask_years

if TYPE_CHECKING:
    from ._db.check import CheckReport
    from .report import ChangeReport

__all__ = [
    "DEMO_DB",
    "Archive",
    "Rendered",
    "default_db_path",
    "demo_db_path",
    "parse_when",
    "safe_url",
]

Rendered = _outbox.Rendered

parse_when = _query.parse_when
default_db_path = _engine.default_db_path
demo_db_path = _engine.demo_db_path
DEMO_DB = _engine.DEMO_ALIAS  # `--db demo`: the demo's own archive
safe_url = _engine.safe_url


class Archive:
    """An open archive. Open with :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> Archive:
        """Open the archive at ``url`` (a database URL or a SQLite path; default: the user's).

        ``create`` makes or upgrades the schema; without it, an empty database is a
        :class:`~archive.errors.NotFoundError` (read-only commands need an archive).
        """
        return cls(Store.open(url, create=create))

    def close(self) -> None:
        """Release the database connections."""
        self._store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The database URL, password masked (for messages)."""
        return _engine.safe_url(str(self._store.engine.url))

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._store.engine.dialect.name

    def connection_url(self) -> str:
        """The full URL, password included: only for handing to a crawl process's environment."""
        return self._store.engine.url.render_as_string(hide_password=False)

    # -- crawls and recording -----------------------------------------------------------------

    def start_crawl(self, source_id: str) -> int:
        """Open a crawl of ``source_id`` and return its id."""
        return self._store.start_crawl(source_id)

    def finish_crawl(self, crawl_id: int, summary: CrawlSummary) -> None:
        """Close a crawl with its counts and status."""
        self._store.finish_crawl(crawl_id, summary)

    def known_documents(self, source_id: str) -> list[KnownDocument]:
        """What the crawler needs to revisit a source's documents conditionally."""
        return self._store.known_documents(source_id)

    def record(
        self, capture: Capture, *, crawl_id: int | None = None, withdraw_after: int = 1
    ) -> RecordResult:
        """Record one fetch in one transaction: a new version only when the substance changed."""
        return self._store.record(capture, crawl_id=crawl_id, withdraw_after=withdraw_after)

    def record_many(
        self, captures: Sequence[Capture], *, crawl_id: int | None = None, withdraw_after: int = 1
    ) -> list[RecordResult]:
        """Record several fetches in one transaction (one result each, in order).

        A kill leaves either the whole batch or none of it, never half a version; should one
        capture fail, each is recorded on its own so the others are not lost with it.
        """
        return _batch.record_batch(
            self._store, captures, crawl_id=crawl_id, withdraw_after=withdraw_after
        )

    def raw_body(self, sha256: str) -> bytes | None:
        """The raw bytes of a capture (``CaptureRecord.body_sha256``), or None if not stored."""
        return self._store.raw_body(sha256)

    # -- source leases (one crawler per site across workers) ----------------------------------

    def acquire_source_lease(self, source_id: str, holder: str, ttl: float) -> bool:
        """Take the lease on a source for ``ttl`` seconds; False while another holder has it."""
        return _leases.acquire(self._store, source_id, holder, ttl)

    def renew_source_lease(self, source_id: str, holder: str, ttl: float) -> bool:
        """Extend our lease by ``ttl`` seconds from now; False when it is no longer ours."""
        return _leases.renew(self._store, source_id, holder, ttl)

    def release_source_lease(self, source_id: str, holder: str) -> None:
        """Give the lease back (a no-op when it is no longer ours)."""
        _leases.release(self._store, source_id, holder)

    def source_lease(self, source_id: str) -> SourceLease | None:
        """The lease on a source as stored (possibly expired), or None."""
        return _leases.current(self._store, source_id)

    # -- questions ----------------------------------------------------------------------------

    def is_empty(self) -> bool:
        """True when nothing has been archived yet."""
        return self._store.count_versions() == 0 and not self.changes()

    def count_versions(self) -> int:
        """How many versions the archive holds."""
        return self._store.count_versions()

    def source_ids(self) -> set[str]:
        """Every source id this archive has documents or crawls of."""
        return _query.source_ids(self._store)

    def check_source(self, source: str | None, configured: Iterable[str] = ()) -> None:
        """Refuse a ``--source`` id that neither the archive nor the configuration knows."""
        if source is None:
            return
        known = self.source_ids() | set(configured)
        if source not in known:
            raise UsageError(
                f"--source: unknown source id {source!r} "
                f"(known: {', '.join(sorted(known)) or 'none yet'})"
            )

    def history(self, url: str) -> list[VersionRecord]:
        """Every version of the document at ``url``, oldest first."""
        return _query.history(self._store, url)

    def as_of(self, url: str, when: datetime | None = None) -> VersionRecord:
        """The version of ``url`` current at ``when`` (default: the latest)."""
        return _query.as_of(self._store, url, when)

    def version(self, ref: str | int) -> VersionRecord:
        """A version by id (``42``) or by ``URL@DATE``."""
        return _query.version(self._store, str(ref))

    def versions(self, ids: Iterable[int]) -> dict[int, VersionRecord]:
        """Several versions by id, in one query; ids not in the archive are left out."""
        return _query.versions_by_id(self._store, ids)

    def documents(self, *, source: str | None = None) -> list[DocumentRecord]:
        """Every archived document, ordered by URL."""
        return _query.documents(self._store, source=source)

    def document(self, url: str) -> DocumentRecord:
        """The archived document at ``url`` (NotFoundError when there is none)."""
        found = _query.documents(self._store, url=url)
        if not found:
            raise NotFoundError(f"no archived document at {url}")
        return found[0]

    def captures(self, url: str) -> list[CaptureRecord]:
        """Every fetch of the document at ``url`` that reached the server."""
        return _query.captures(self._store, url)

    def fetch_errors(self, *, source: str | None = None) -> list[FetchErrorRecord]:
        """Failed fetches with their one-line reasons."""
        return _query.fetch_errors(self._store, source=source)

    def crawls(self, *, source: str | None = None) -> list[CrawlRecord]:
        """Every crawl with its counts, oldest first."""
        return _query.crawls(self._store, source=source)

    def changes(
        self,
        since: datetime | None = None,
        *,
        source: str | None = None,
        url: str | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[ChangeEvent]:
        """Change events (new, changed, withdrawn, restored) at or after ``since``, oldest
        first (or the ``limit`` newest, newest first)."""
        return _query.changes(
            self._store,
            since,
            source=source,
            url=url,
            until=until,
            limit=limit,
            newest_first=newest_first,
        )

    def crawl_times(self) -> tuple[datetime | None, datetime | None]:
        """When the latest finished crawl started and finished (``last-crawl``/``last-report``)."""
        done = [c for c in self.crawls() if c.finished_at is not None]
        if not done:
            return None, None
        latest = max(done, key=lambda c: c.finished_at or c.started_at)
        return latest.started_at, latest.finished_at

    def documents_by_number(
        self, doc_number: str, *, source: str | None = None
    ) -> list[DocumentRecord]:
        """Documents whose latest 文号 is ``doc_number`` (full) or starts with an issuer."""
        from .text.search import doc_number_matches, fold

        # The issuer narrows the rows in SQL (it is in the folded head); the match is exact.
        issuer = fold(doc_number).split("[", 1)[0].strip()
        rows = _query.documents(self._store, source=source, head_contains=issuer or None)
        return [d for d in rows if doc_number_matches(doc_number, d.doc_number)]

    def document_counts(self) -> dict[str, tuple[int, int]]:
        """Per source: (documents, withdrawn documents)."""
        return _query.document_counts(self._store)

    def series(self, source: str | None = None) -> list[Series]:
        """Year-to-year series of the same plan, each edition with its year."""
        return [
            Series(
                id=chain[0].document_id,
                editions=tuple(SeriesEdition(mask_years(v.title)[1], v) for v in chain),
            )
            for chain in _query.series(self._store, source)
            if chain
        ]

    def series_pair(
        self, series_id: int, old_year: int | None = None, new_year: int | None = None
    ) -> tuple[SeriesEdition, SeriesEdition]:
        """Two editions of a series: the given years, or by default the latest two."""
        found = next((s for s in self.series() if s.id == series_id), None)
        if found is None:
            raise NotFoundError(f"--series: no series {series_id} (see `policywatch series`)")
        by_year = {e.year: e for e in found.editions if e.year is not None}
        years = sorted(by_year)
        if new_year is None and years:
            new_year = years[-1]
        if old_year is None:  # the latest year before the newer one
            older = [y for y in years if new_year is not None and y < new_year]
            old_year = older[-1] if older else None
        if old_year not in by_year or new_year not in by_year:
            raise NotFoundError(
                f"--series {series_id}: years available: {', '.join(map(str, years)) or 'none'}"
            )
        if old_year == new_year:
            raise UsageError(f"--series {series_id}: --from and --to are the same year")
        return by_year[old_year], by_year[new_year]

    def search(
        self,
        text: str,
        *,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        all_versions: bool = False,
        limit: int = 50,
    ) -> list[SearchHit]:
        """Ranked hits for ``text`` (either script; 文号 and short words as substrings), each
        with a highlighted snippet; current versions only unless ``all_versions``."""
        return _query.search(
            self._store,
            text,
            source=source,
            since=since,
            until=until,
            all_versions=all_versions,
            limit=limit,
        )

    def export(
        self, *, source: str | None = None, all_versions: bool = False
    ) -> Iterator[VersionRecord]:
        """Version records (current ones, or every version) ordered by URL."""
        yield from _query.export(self._store, source=source, all_versions=all_versions)

    def capture_stream(
        self, *, source: str | None = None
    ) -> Iterator[tuple[CaptureRecord, bytes | None, VersionRecord | None]]:
        """Every capture with its raw body and the version it made (WARC export)."""
        yield from _query.capture_stream(self._store, source=source)

    def report(
        self,
        since: datetime | None = None,
        *,
        source: str | None = None,
        source_names: Mapping[str, str] | None = None,
    ) -> ChangeReport:
        """The change report since ``since``: each event diffed against what it replaced."""
        from .report import build_report

        return build_report(self, since, source=source, source_names=source_names)

    def unreported(
        self, *, source: str | None = None, source_names: Mapping[str, str] | None = None
    ) -> ChangeReport:
        """The change report of every event that no earlier ``report`` of this scope showed.

        The scope is one source or all of them; what was shown is remembered per event (see
        ``mark_reported``), so a crawl committing while a report is read is neither lost nor
        shown twice.
        """
        from .report import build_report

        events = _outbox.unplanned_events(
            self._store,
            _report_mode(source),
            None if source is None else [source],
            since_baseline=False,
        )
        since = min((ev.detected_at for ev in events), default=None)
        return build_report(self, since, source_names=source_names, events=events)

    def mark_reported(
        self, report: ChangeReport, *, source: str | None = None, text: str, json: str
    ) -> None:
        """Remember that ``report`` was shown (its text and JSON kept, as the outbox keeps a
        delivered report's), so the next ``unreported`` of this scope starts after it."""
        ids = [i.event.id for i in report.items]
        if not ids:
            return
        now = datetime.now(UTC)
        _outbox.plan_report(
            self._store,
            key=f"{_report_mode(source)}:{ids[0]}-{max(ids)}:{now.timestamp():.6f}",
            kind=ReportKind.CHANGES,
            source_id=source,
            rendered=_outbox.Rendered(subject="", text=text, html="", json=json),
            channels=(),
            now=now,
            event_ids=ids,
            mode=_report_mode(source),
        )

    def merge_url_variants(self) -> int:
        """Merge documents whose URLs are spellings of one canonical URL; return how many.

        Migration 0004 does this once for an archive made before URLs were canonicalised;
        this runs the same merge again (after importing old data, say).
        """
        from ._db.urlmerge import merge_url_variants

        with self._store.engine.begin() as conn:
            return merge_url_variants(conn)

    def report_of(
        self, events: Iterable[ChangeEvent], *, source_names: Mapping[str, str] | None = None
    ) -> ChangeReport:
        """The change report of exactly these events (what the outbox plans)."""
        from .report import build_report

        return build_report(self, None, source_names=source_names, events=list(events))

    def check(self) -> CheckReport:
        """Verify captures, version chains, digests and events; never modifies anything."""
        return _check.check_archive(self._store)

    # -- the service: outbox, leases, schedule state ---------------------------------------

    def unplanned_events(
        self, mode: str = "immediate", sources: Iterable[str] | None = None
    ) -> list[ChangeEvent]:
        """Committed change events that no report of ``mode`` carries yet, oldest first."""
        return _outbox.unplanned_events(self._store, mode, sources)

    def plan_report(self, **kwargs: object) -> bool:
        """Plan a report and its deliveries in one transaction (see ``_db.outbox.plan_report``)."""
        return _outbox.plan_report(self._store, **kwargs)  # type: ignore[arg-type]

    def claim_delivery(self, channel: str, now: datetime, lease: float) -> OutboxDelivery | None:
        """Lease the next due delivery of ``channel``."""
        return _outbox.claim(self._store, channel, now, lease)

    def mark_delivered(self, delivery_id: int, now: datetime) -> None:
        """A channel took its report."""
        _outbox.mark_delivered(self._store, delivery_id, now)

    def mark_attempt_failed(
        self, delivery_id: int, error: str, next_attempt_at: datetime | None
    ) -> None:
        """An attempt failed: retry at ``next_attempt_at``, or give up (None)."""
        _outbox.mark_attempt_failed(self._store, delivery_id, error, next_attempt_at)

    def release_claims(self, now: datetime) -> int:
        """Deliveries a dead service had leased fall due again now."""
        return _outbox.release_claims(self._store, now)

    def next_due(self, channel: str) -> datetime | None:
        """When the next delivery of ``channel`` falls due."""
        return _outbox.next_due(self._store, channel)

    def channel_counts(self) -> list[ChannelCounts]:
        """Deliveries per channel by status."""
        return _outbox.channel_counts(self._store)

    def failed_deliveries(self, limit: int = 20) -> list[dict[str, object]]:
        """Deliveries given up on, newest first."""
        return _outbox.failed_deliveries(self._store, limit)

    def deliveries(self) -> list[dict[str, object]]:
        """Every outbox delivery with its report key, kind and status, oldest first."""
        return _outbox.deliveries(self._store)

    def acquire_lease(self, name: str, **kwargs: object) -> LeaseRecord | None:
        """Take a named lease; None on success, else who holds it."""
        return _outbox.acquire_lease(self._store, name, **kwargs)  # type: ignore[arg-type]

    def lease(self, name: str) -> LeaseRecord | None:
        """Who holds lease ``name`` (live or stale)."""
        return _outbox.store_lease(self._store, name)

    def leases(self, prefix: str = "") -> list[LeaseRecord]:
        """Every lease whose name starts with ``prefix``."""
        return _outbox.leases(self._store, prefix)

    def heartbeat(self, holder: str, now: datetime) -> int:
        """Refresh the leases ``holder`` holds; how many it still holds."""
        return _outbox.heartbeat(self._store, holder, now)

    def release_lease(self, name: str, holder: str) -> None:
        """Give a lease back."""
        _outbox.release_lease(self._store, name, holder)

    def try_advisory_lock(self) -> object | None:
        """PostgreSQL: hold the service's advisory lock on a connection of its own (or None)."""
        return _outbox.try_advisory_lock(self._store)

    def release_advisory_lock(self, handle: object) -> None:
        """PostgreSQL: let go of the lock :meth:`try_advisory_lock` took."""
        _outbox.release_advisory_lock(handle)

    def advisory_lock_held(self) -> bool:
        """PostgreSQL: whether some session holds the service's advisory lock."""
        return _outbox.advisory_lock_held(self._store)

    def schedule_states(self) -> dict[str, ScheduleState]:
        """Every source's schedule state, as the service keeps it."""
        return _outbox.schedule_states(self._store)

    def set_next_run(self, source_id: str, schedule: str, next_run_at: datetime | None) -> None:
        """Keep a source's schedule and next run."""
        _outbox.set_next_run(self._store, source_id, schedule, next_run_at)

    def record_run(self, source_id: str, **kwargs: object) -> ScheduleState:
        """Keep a run's outcome and failure streak (and plan a failing/recovered report)."""
        return _outbox.record_run(self._store, source_id, **kwargs)  # type: ignore[arg-type]


def _report_mode(source: str | None) -> str:
    """The outbox mode under which ``report`` remembers what it showed, per scope."""
    return f"report:{source or '*'}"
