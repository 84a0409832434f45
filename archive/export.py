"""Exports: JSON Lines, CSV (Excel-safe on request) and WARC for web-archive replay.

CSV cells that a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``+``, ``-``, ``@``,
tab, CR at the start) get a leading apostrophe, as OWASP advises: a title taken from a web
page is untrusted. ``excel=True`` adds the UTF-8 BOM without which Excel on a Chinese Windows
reads UTF-8 as GBK.

WARC (ISO 28500, written with warcio): per capture a ``response`` record with the HTTP status
and the headers the archive kept, dated with the capture time; a capture whose body equals
the URL's previous one (or a 304) is a ``revisit`` record (identical-payload-digest profile)
with ``WARC-Refers-To-Target-URI``, ``WARC-Refers-To-Date`` and the original's payload digest,
which is how pywb and ReplayWeb.page resolve it; each version adds a ``metadata`` record with
the extracted text, concurrent to the response it came from.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime
from http.client import responses
from typing import IO, Any

from .api import Archive
from .records import CaptureRecord, FetchKind, VersionRecord

FORMATS = ("jsonl", "csv", "warc")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def csv_cell(value: Any) -> Any:
    """A cell value a spreadsheet shows as text, never runs (formula injection)."""
    value = _plain(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_rows(
    records: Iterable[VersionRecord], fmt: str, *, excel: bool = False
) -> tuple[str, int]:
    """Records as ``jsonl`` or ``csv`` text; also how many were written."""
    rows = [asdict(r) for r in records]
    buf = io.StringIO()
    if fmt == "jsonl":
        for r in rows:
            buf.write(json.dumps({k: _plain(v) for k, v in r.items()}, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        if excel:
            buf.write(BOM)
        names = list(rows[0]) if rows else list(VersionRecord.__dataclass_fields__)
        writer = csv.DictWriter(buf, fieldnames=names)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: csv_cell(v) for k, v in r.items()})
    else:
        raise ValueError(f"export: unknown format {fmt!r}")
    return buf.getvalue(), len(rows)


def _http_headers(c: CaptureRecord, body: bytes | None, status: int | None = None):  # type: ignore[no-untyped-def]
    from warcio.statusandheaders import StatusAndHeaders

    code = status or c.http_status or 200
    headers = []
    if c.content_type:
        headers.append(("Content-Type", c.content_type))
    elif body is not None and c.kind is FetchKind.CONTENT:
        headers.append(("Content-Type", "application/octet-stream"))
    headers.append(("Content-Length", str(len(body or b""))))
    if c.final_url and c.final_url != c.url:
        headers.append(("Content-Location", c.final_url))
    return StatusAndHeaders(f"{code} {responses.get(code, '')}".strip(), headers, "HTTP/1.1")


def write_warc(archive: Archive, out: IO[bytes], *, source: str | None = None) -> int:
    """Write every capture of the archive as gzipped WARC records; returns how many records."""
    from warcio.timeutils import datetime_to_iso_date
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=True)
    count = 0
    # Per URL: the latest response written, as (payload digest, date, http headers, sha256).
    last: dict[str, tuple[str, str, Any, str | None]] = {}
    for cap, body, version in archive.capture_stream(source=source):
        when = datetime_to_iso_date(cap.fetched_at)
        prior = last.get(cap.url)
        unchanged = prior is not None and (
            cap.kind is FetchKind.NOT_MODIFIED
            or (cap.kind is FetchKind.CONTENT and cap.body_sha256 == prior[3])
        )
        if unchanged and prior is not None and version is None:
            digest, ref_date, http, _ = prior
            rec = writer.create_revisit_record(
                cap.url, digest, cap.url, ref_date, http_headers=http,
                warc_headers_dict={"WARC-Date": when},
            )  # fmt: skip
            writer.write_record(rec)
            count += 1
            continue
        if cap.kind is FetchKind.NOT_MODIFIED:
            continue  # a 304 for a page whose response is not in this export
        payload = body if cap.kind is FetchKind.CONTENT else b""
        http = _http_headers(cap, payload)
        rec = writer.create_warc_record(
            cap.url,
            "response",
            payload=io.BytesIO(payload or b""),
            length=len(payload or b""),  # known: warcio need not spool the body to count it
            http_headers=http,
            warc_headers_dict={"WARC-Date": when},
        )
        writer.write_record(rec)
        count += 1
        digest = rec.rec_headers.get_header("WARC-Payload-Digest")
        if cap.kind is FetchKind.CONTENT:
            last[cap.url] = (digest, when, http, cap.body_sha256)
            if cap.last_seen_at is not None and cap.last_seen_at > cap.fetched_at:
                # The archive keeps a run of identical re-fetches (304s, same bytes) as one
                # capture row with the time of the latest: it replays as one revisit then.
                writer.write_record(
                    writer.create_revisit_record(
                        cap.url, digest, cap.url, when, http_headers=http,
                        warc_headers_dict={"WARC-Date": datetime_to_iso_date(cap.last_seen_at)},
                    )
                )  # fmt: skip
                count += 1
        if version is not None:
            meta = {
                "version_id": version.id,
                "seq": version.seq,
                "title": version.title,
                "doc_number": version.doc_number,
                "published": _plain(version.published),
                "text": version.text,
            }
            data = json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8")
            writer.write_record(
                writer.create_warc_record(
                    cap.url,
                    "metadata",
                    payload=io.BytesIO(data),
                    length=len(data),
                    warc_content_type="application/json; charset=utf-8",
                    warc_headers_dict={
                        "WARC-Date": when,
                        "WARC-Concurrent-To": rec.rec_headers.get_header("WARC-Record-ID"),
                    },
                )
            )
            count += 1
    return count


def export_to(
    archive: Archive,
    fmt: str,
    output: str | None,
    *,
    source: str | None = None,
    all_versions: bool = False,
    excel: bool = False,
) -> int:
    """Export to the file ``output`` (or standard output); returns how many records.

    A missing folder or an unwritable file is a one-line :class:`UsageError`, before any
    work is done; the file is written whole or not at all (a temporary file, renamed).
    """
    import os
    import sys
    import tempfile
    from pathlib import Path

    from .errors import UsageError

    if fmt not in FORMATS:
        raise UsageError(f"export: unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    target = Path(output) if output else None
    if target is not None and not target.resolve().parent.is_dir():
        raise UsageError(f"--output: folder {target.parent} does not exist")
    if fmt == "warc":
        if target is None:
            return write_warc(archive, sys.stdout.buffer, source=source)
        data = io.BytesIO()
        count = write_warc(archive, data, source=source)
        payload = data.getvalue()
    else:
        text, count = export_rows(
            archive.export(source=source, all_versions=all_versions), fmt, excel=excel
        )
        if target is None:
            sys.stdout.write(text)
            return count
        payload = text.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(dir=target.resolve().parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, target)
    except OSError as exc:
        raise UsageError(f"--output: cannot write {target}: {exc.strerror}") from None
    return count
