"""What a spider yields: one fetched document URL, before extraction (crawler stage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from archive.records import FetchKind


@dataclass(slots=True)
class FetchedPage:
    """One fetch of a policy page (or a failed attempt at one).

    ``kind`` says what the fetch was: content, not modified, gone or an error.
    """

    source_id: str
    url: str
    fetched_at: datetime
    kind: FetchKind
    status: int | None = None
    final_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    body: bytes | None = field(default=None, repr=False)  # never dumped into a log line
    error: str | None = None
    parent_url: str | None = None  # an attachment: the policy page that links it
    name: str = ""  # an attachment: its link text (附件 name)
