"""Progress lines of a long crawl: per source, at intervals; short on a terminal, plain in a log."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.links import listing_size
from crawler.progress import Progress, progress_line
from tests.faultsite import REPO, serve_faultsite, source_toml


def test_eta_comes_from_the_listing_size() -> None:
    # 2 of 10 listing pages fetched, 15 policy links each: ~150 pages, 30 done in 10 s.
    p = Progress(
        "tj_binhai",
        elapsed=10.0,
        fetched=28,
        errors=2,
        scheduled=30,
        listing_ok=2,
        listing_total=10,
        documents_linked=30,
    )
    assert p.rate == 3.0
    assert p.expected == 30 + 8 * 15
    assert p.eta == pytest.approx((150 - 30) / 3.0)
    line = progress_line(p, tty=True)
    assert line == "[tj_binhai] 30 of ~150 pages: 0 new, 0 changed, 2 errors; 3.0 pages/s, ETA 40 s"
    log = progress_line(p, tty=False)
    assert "fetched=28" in log and "errors=2" in log and "expected=150" in log and "eta=40s" in log


def test_no_eta_without_a_listing_size_and_the_budget_caps_it() -> None:
    p = Progress("x", elapsed=5.0, fetched=10, scheduled=40, listing_ok=1, documents_linked=40)
    assert p.expected is None and p.eta is None
    assert "ETA" not in progress_line(p, tty=True) and "eta=" not in progress_line(p, tty=False)
    capped = Progress(
        "x",
        elapsed=5.0,
        fetched=10,
        scheduled=40,
        listing_ok=1,
        listing_total=100,
        documents_linked=40,
        max_pages=500,
    )
    assert capped.expected == 500


@pytest.mark.parametrize(
    ("text", "size"),
    [("<span>共2页</span>", 2), ("共 12 页 当前第1页", 12), ("共123条", None), ("", None)],
)
def test_listing_size(text: str, size: int | None) -> None:
    assert listing_size(text) == size


def _crawl(tmp_path: Path, interval: str, *, tty: bool) -> str:
    """Crawl 40 pages of the fault site (a few seconds); return what the crawl wrote to stderr."""
    with serve_faultsite() as site:
        for i in range(40):
            site.add(f"p{i}")
        sources = tmp_path / "s.toml"
        sources.write_text(source_toml(site, delay=0.05, concurrency=1), encoding="utf-8")
        cmd = [
            sys.executable,
            "-m",
            "crawler.run",
            "--sources",
            str(sources),
            "--db",
            str(tmp_path / "a.db"),
            "--summary",
            str(tmp_path / "s.json"),
        ]
        env = {**os.environ, "POLICYWATCH_PROGRESS": interval}
        if not tty:
            proc = subprocess.run(
                cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120
            )
            assert proc.returncode == 0, proc.stderr[-2000:]
            return proc.stderr
        master, slave = pty.openpty()
        proc2 = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=slave, stdout=subprocess.DEVNULL)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert proc2.wait(timeout=120) == 0
        os.close(master)
        return b"".join(chunks).decode("utf-8", "replace")


def test_a_log_gets_plain_progress_lines(tmp_path: Path) -> None:
    err = _crawl(tmp_path, "0.3", tty=False)
    lines = [line for line in err.splitlines() if "policywatch.progress" in line]
    assert len(lines) >= 2, err[-2000:]
    fetched = [int(re.search(r"fetched=(\d+)", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert fetched == sorted(fetched) and fetched[-1] > 0
    assert all(
        re.match(r"\d\d:\d\d:\d\d INFO policywatch\.progress: \[fault_site\] progress ", x)
        for x in lines
    )
    assert "\x1b" not in err and "\r" not in err.replace("\r\n", "")


def test_a_terminal_gets_short_lines(tmp_path: Path) -> None:
    err = _crawl(tmp_path, "0.3", tty=True)
    lines = [x for x in err.splitlines() if x.startswith("[fault_site] ") and " pages/s" in x]
    assert lines, err[-2000:]
    assert re.fullmatch(
        r"\[fault_site\] \d+ pages: \d+ new, 0 changed, 0 errors; [\d.]+ pages/s", lines[-1].strip()
    )


def test_progress_can_be_turned_off(tmp_path: Path) -> None:
    assert "progress" not in _crawl(tmp_path, "0", tty=False)
