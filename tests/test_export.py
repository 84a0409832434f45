"""Exports as their readers meet them: Excel (BOM, no formulas), JSON Lines, WARC replay tools."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from base64 import b32encode
from pathlib import Path

import pytest

import scheduler
from archive.api import Archive
from archive.export import csv_cell


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = scheduler.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://x","点我")', '\'=HYPERLINK("http://x","点我")'),
        ("+86 1234", "'+86 1234"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("关于印发通知", "关于印发通知"),
        (12, 12),
    ],
)
def test_csv_cells_never_run_as_formulas(value: object, shown: object) -> None:
    assert csv_cell(value) == shown


def _digest(data: bytes) -> str:
    return "sha1:" + b32encode(hashlib.sha1(data).digest()).decode()


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.conftest import run_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo-export') / 'demo.db'}"
    run_demo(url)
    return url


def test_csv_for_excel_has_a_bom_and_reads_back(
    capsys: pytest.CaptureFixture[str], demo_sqlite: str, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    code, _, err = run(capsys, "export", "--db", demo_sqlite, "--format", "csv", "--excel",
                       "-o", str(target))  # fmt: skip
    assert code == 0, err
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    withdrawn = [r for r in rows if r["withdrawn_at"]]
    assert len(withdrawn) == 1 and "bjdch.gov.cn" in withdrawn[0]["url"]
    assert all(not r["title"].startswith(("=", "+", "-", "@")) for r in rows)


def test_export_into_a_missing_folder_is_one_line(
    capsys: pytest.CaptureFixture[str], demo_sqlite: str, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "export", "--db", demo_sqlite, "-o", str(tmp_path / "no" / "x"))
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err


def test_warc_reads_back_record_by_record(
    capsys: pytest.CaptureFixture[str], demo_sqlite: str, tmp_path: Path
) -> None:
    from warcio.archiveiterator import ArchiveIterator

    target = tmp_path / "demo.warc.gz"
    code, _, err = run(capsys, "export", "--db", demo_sqlite, "--format", "warc", "-o",
                       str(target))  # fmt: skip
    assert code == 0, err
    with Archive.open(demo_sqlite, create=False) as archive:
        documents = archive.documents()
        captures = {d.url: archive.captures(d.url) for d in documents}
        versions = {d.url: archive.history(d.url) for d in documents}
    responses: dict[tuple[str, str], str] = {}  # (uri, date) → payload digest
    seen: dict[str, list[str]] = {}
    metadata = []
    with target.open("rb") as f:
        for rec in ArchiveIterator(f):
            uri = rec.rec_headers.get_header("WARC-Target-URI")
            date = rec.rec_headers.get_header("WARC-Date")
            payload = rec.content_stream().read()
            if rec.rec_type == "response":
                digest = rec.rec_headers.get_header("WARC-Payload-Digest")
                assert digest == _digest(payload)
                responses[(uri, date)] = digest
                seen.setdefault(uri, []).append(str(rec.http_headers.get_statuscode()))
            elif rec.rec_type == "revisit":
                ref = (rec.rec_headers.get_header("WARC-Refers-To-Target-URI"),
                       rec.rec_headers.get_header("WARC-Refers-To-Date"))  # fmt: skip
                assert responses[ref] == rec.rec_headers.get_header("WARC-Payload-Digest")
                assert rec.rec_headers.get_header("WARC-Profile").endswith(
                    "identical-payload-digest"
                )
                seen.setdefault(uri, []).append("revisit")
            elif rec.rec_type == "metadata":
                metadata.append((uri, json.loads(payload)))
    # Every capture is one record, in the order fetched, with the status the server gave; a
    # capture that stands for a run of identical re-fetches (last_seen_at later) adds a revisit.
    for url, caps in captures.items():
        want = []
        for c in caps:
            want.append(str(c.http_status))
            if c.last_seen_at is not None and c.last_seen_at > c.fetched_at:
                want.append("revisit")
        got = seen[url]
        assert len(got) == len(want), url
        for w, g in zip(want, got, strict=True):
            assert g == "revisit" or g == w, (url, w, g)
    statuses = {g for got in seen.values() for g in got}
    assert {"404", "revisit"} <= statuses  # the withdrawn page; unchanged re-fetches
    # Every version's extracted text, once.
    texts = sorted((u, m["seq"], m["text"]) for u, m in metadata)
    assert texts == sorted((u, v.seq, v.text) for u, vs in versions.items() for v in vs)
    # warcio's own checker agrees (block and payload digests of every record).
    check = subprocess.run(
        [sys.executable, "-c", "import sys; from warcio.cli import main; sys.exit(main())",
         "check", str(target)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
