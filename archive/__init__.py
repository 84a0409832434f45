"""policywatch's archive: versioned storage, diffs, reports and queries.

Names are loaded lazily (PEP 562) so that a quick command such as ``policywatch diff`` on
two files does not pay for SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Archive": "archive.store",
    "Capture": "archive.records",
    "ChangeEvent": "archive.records",
    "CrawlSummary": "archive.records",
    "FetchKind": "archive.records",
    "KnownDocument": "archive.records",
    "Outcome": "archive.records",
    "RecordResult": "archive.records",
    "VersionRecord": "archive.records",
    "VersionRef": "archive.records",
    "PolicywatchError": "archive.errors",
    "UsageError": "archive.errors",
    "NotFoundError": "archive.errors",
    "DatabaseURLError": "archive.errors",
    "diff_texts": "archive.diff",
    "DiffResult": "archive.diff",
    "Change": "archive.diff",
    "render_diff": "archive.render",
    "build_report": "archive.report",
    "render_report": "archive.report",
    "check_archive": "archive.check",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'archive' has no attribute {name!r}")
    return getattr(import_module(module), name)
