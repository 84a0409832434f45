"""Recording many fetches in one transaction: what a fast crawl commits per batch (private).

One transaction per batch: a crawl killed mid-batch leaves the last committed batch, never half
a version (the next crawl fetches the rest again). A capture that makes the batch fail (a
database error on one row) must not cost the others, so the batch is then replayed one capture
per transaction, and the one that still fails is answered FAILED with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from ..records import Capture, Outcome, RecordResult
from .store import Store


def record_batch(
    store: Store, captures: Sequence[Capture], *, crawl_id: int | None, withdraw_after: int
) -> list[RecordResult]:
    """Record ``captures`` in order, in one transaction; one result per capture."""
    if not captures:
        return []
    try:
        with store.session() as s:
            return [
                store.record_in(s, c, crawl_id=crawl_id, withdraw_after=withdraw_after)
                for c in captures
            ]
    except SQLAlchemyError:
        pass
    results = []
    for c in captures:
        try:
            results.append(store.record(c, crawl_id=crawl_id, withdraw_after=withdraw_after))
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
            results.append(RecordResult(Outcome.FAILED, error=f"not recorded: {reason}"))
    return results
