"""Hostile inputs of issue 13, each in a fresh child process: wall time and peak RSS.

    python benchmarks/bench_hostile.py

Every case goes through what the crawl runs (``crawler.pipelines.bounded_capture`` with the
production watchdog, 60 s), then is recorded in a fresh SQLite archive, and prints one line:
case, seconds (extraction + recording, recording alone in brackets), peak RSS of the crawl side
(which also built the input, so it overstates) and of the extraction worker, and how it ended.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, resource, sys, tempfile, time
from archive.api import Archive
from datetime import UTC, datetime
from crawler.items import FetchedPage
from crawler.extract import ExtractOptions
from crawler.pipelines import bounded_capture
from crawler.watchdog import Watchdog
from tests import hostiledocs

case = sys.argv[1]
pages = {
    "toolbar bomb (888 B)": b"<meta charset=utf-8><title>t</title><p>\xe6\x89\x93\xe5\x8d\xb0"
        + b"|" * 100 + b" a</p>",
    "9 MB page, 1.1 M tags": ("<p>教育</p>" * 900_000).encode(),
    "9 MB page, one paragraph": ("<p>" + "教育局关于做好工作的通知，" * 230_000 + "</p>").encode(),
}
files = {
    "DOCX zip bomb (2 GiB inside)": lambda: hostiledocs.docx_bomb(2 * 1024**3),
    "PDF 3,000 pages x shared stream": lambda: hostiledocs.pdf(3000, "Notice 1 ", 4_000_000),
    "PDF 30 pages x 0.9 MB drawing": lambda: hostiledocs.pdf(30, "Notice 1 ", 56_000),
}
t0 = time.monotonic()
if case in pages:
    page = FetchedPage(source_id="b", url="https://x.gov.cn/a.html", kind="content",
                       fetched_at=datetime.now(UTC), status=200, body=pages[case],
                       headers={"content-type": "text/html"})
elif len(sys.argv) == 2:  # build the input only (its memory is not the crawl's)
    sys.stdout.buffer.write(files[case]())
    sys.exit(0)
else:
    with open(sys.argv[2], "rb") as f:
        body = f.read()
    kind = "a.docx" if "DOCX" in case else "a.pdf"
    page = FetchedPage(source_id="b", url=f"https://x.gov.cn/{kind}", kind="content",
                       fetched_at=datetime.now(UTC), status=200, body=body,
                       parent_url="https://x.gov.cn/a.html")
    t0 = time.monotonic()
watchdog = Watchdog(60.0)
capture = bounded_capture(page, None, ExtractOptions(), watchdog)
t1 = time.monotonic()
with tempfile.TemporaryDirectory() as tmp, Archive.open(f"sqlite:///{tmp}/a.db") as archive:
    archive.record(capture)
took, recording = time.monotonic() - t0, time.monotonic() - t1
watchdog.close()  # a worker's peak RSS is counted once it has been waited for
# The crawl side (this process: it also built the input) and the worker that extracted.
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
end = capture.error or f"content, {len(capture.text)} chars"
print(json.dumps({"case": case, "seconds": round(took, 2), "record_s": round(recording, 2),
                  "rss_mb": rss, "worker_mb": worker, "end": end[:110]}, ensure_ascii=False))
"""

CASES = [
    "toolbar bomb (888 B)",
    "9 MB page, 1.1 M tags",
    "9 MB page, one paragraph",
    "DOCX zip bomb (2 GiB inside)",
    "PDF 3,000 pages x shared stream",
    "PDF 30 pages x 0.9 MB drawing",
]


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench_hostile_"))
    for case in CASES:
        args = [case]
        if not case.startswith(("toolbar", "9 MB")):
            data = tmp / "input.bin"
            with data.open("wb") as out:
                subprocess.run(
                    [sys.executable, "-c", _CHILD, case],
                    cwd=REPO,
                    stdout=out,
                    check=True,
                    timeout=600,
                )
            args.append(str(data))
        t0 = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            print(f"{case}: child failed after {time.monotonic() - t0:.1f}s: {proc.stderr[-300:]}")
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{row['case']:<34} {row['seconds']:>7.2f}s ({row['record_s']:>5.2f}s)"
            f"  crawl {row['rss_mb']:>4} MB"
            f"  worker {row['worker_mb']:>4} MB  {row['end']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
