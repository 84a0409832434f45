"""Integrity check of an archive: what ``policywatch check`` verifies after a crash or a restore."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..text.normalize import text_digest
from .models import BlobRow, CaptureRow, ChangeEventRow, DocumentRow, FetchErrorRow, VersionRow
from .search import check_index
from .store import Store as Archive


@dataclass(slots=True)
class CheckReport:
    """Counts of what was checked and every problem found (empty when the archive is sound)."""

    documents: int = 0
    versions: int = 0
    captures: int = 0
    events: int = 0
    recording_failures: int = 0  # fetches the archive could not write (recorded as errors)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_archive(archive: Archive) -> CheckReport:
    """Verify captures, version chains, digests and events; never modifies anything."""
    rep = CheckReport()
    with archive.session() as s:
        rep.documents = s.scalar(select(func.count()).select_from(DocumentRow)) or 0
        rep.captures = s.scalar(select(func.count()).select_from(CaptureRow)) or 0
        rep.events = s.scalar(select(func.count()).select_from(ChangeEventRow)) or 0
        blobs = set(s.scalars(select(BlobRow.sha256)))
        captures = {c.id: c for c in s.scalars(select(CaptureRow))}
        for c in captures.values():
            if c.body_sha256 is not None and c.body_sha256 not in blobs:
                rep.problems.append(f"capture {c.id}: raw body {c.body_sha256[:12]} is missing")
        by_chain = select(VersionRow).order_by(VersionRow.document_id, VersionRow.seq)
        versions = list(s.scalars(by_chain))
        rep.versions = len(versions)
        ids = {v.id for v in versions}
        prev: VersionRow | None = None
        for v in versions:
            where = f"version {v.id} (document {v.document_id} #{v.seq})"
            cap = captures.get(v.capture_id)
            if cap is None or cap.body_sha256 is None:
                rep.problems.append(f"{where}: its capture or raw body is missing")
            if not v.text.strip():
                rep.problems.append(f"{where}: empty text")
            if text_digest(v.title, v.text) != v.digest:
                rep.problems.append(f"{where}: digest does not match its text")
            same_doc = prev is not None and prev.document_id == v.document_id
            expected_prev = prev.id if same_doc and prev else None
            expected_seq = prev.seq + 1 if same_doc and prev else 1
            if v.seq != expected_seq or v.previous_id != expected_prev:
                rep.problems.append(f"{where}: broken predecessor chain")
            if same_doc and prev and prev.digest == v.digest:
                rep.problems.append(f"{where}: duplicate of version {prev.id}")
            prev = v
        for e in s.scalars(select(ChangeEventRow)):
            for vid in (e.old_version_id, e.new_version_id, e.previous_year_version_id):
                if vid is not None and vid not in ids:
                    rep.problems.append(f"change event {e.id}: version {vid} is missing")
        # A fetch whose recording failed is recorded as such, never silently dropped; until
        # the cause is fixed its content is missing from the archive, so check says so.
        failed = list(
            s.execute(
                select(FetchErrorRow.id, FetchErrorRow.url, FetchErrorRow.reason)
                .where(FetchErrorRow.reason.like("recording failed:%"))
                .order_by(FetchErrorRow.id)
            )
        )
        rep.recording_failures = len(failed)
        if failed:
            first = failed[0]
            rep.problems.append(
                f"{len(failed)} fetch(es) could not be recorded; first: fetch error {first.id} "
                f"{first.url}: {first.reason}"
            )
        rep.problems.extend(check_index(s, versions))
        with_versions = set(s.scalars(select(VersionRow.document_id).distinct()))
        for d in s.scalars(select(DocumentRow)):
            if d.id not in with_versions:
                rep.problems.append(f"document {d.id} {d.url}: no version")
    return rep
