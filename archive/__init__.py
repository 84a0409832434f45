"""policywatch's archive: versioned storage, diffs, reports and queries.

The public surface is :data:`__all__` (pinned by ``tests/test_layering.py``): the door
(:class:`archive.api.Archive`), the records and kinds of :mod:`archive.records`, the error
tree of :mod:`archive.errors`, and the pure text algorithms of :mod:`archive.text` with their
renderers. Views for front ends are in :mod:`archive.views`; the ORM in ``archive/_db`` is
private to this package.

Names are loaded lazily (PEP 562) so that a quick command such as ``policywatch diff`` on
two files does not pay for SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    # the door
    "Archive": "archive.api",
    "parse_when": "archive.api",
    # records and kinds that cross package lines
    "Capture": "archive.records",
    "CaptureRecord": "archive.records",
    "ChangeEvent": "archive.records",
    "CrawlRecord": "archive.records",
    "CrawlRequest": "archive.records",
    "CrawlResult": "archive.records",
    "CrawlStatus": "archive.records",
    "CrawlSummary": "archive.records",
    "DocumentRecord": "archive.records",
    "EventKind": "archive.records",
    "FetchErrorRecord": "archive.records",
    "FetchKind": "archive.records",
    "KnownDocument": "archive.records",
    "Outcome": "archive.records",
    "RecordResult": "archive.records",
    "Series": "archive.records",
    "SeriesEdition": "archive.records",
    "VersionRecord": "archive.records",
    "VersionRef": "archive.records",
    # errors
    "PolicywatchError": "archive.errors",
    "UsageError": "archive.errors",
    "NotFoundError": "archive.errors",
    "DatabaseURLError": "archive.errors",
    # pure text algorithms and their renderers
    "diff_texts": "archive.text.diff",
    "DiffResult": "archive.text.diff",
    "Change": "archive.text.diff",
    "render_diff": "archive.render",
    "render_report": "archive.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'archive' has no attribute {name!r}")
    return getattr(import_module(module), name)
