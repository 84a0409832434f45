"""Nothing lost, nothing injected: crawls against a faulty site, withdrawals, and kill -9.

The fault scenario crawls the fault site three times: healthy (every page archived), with a
fault on every fault page (each must be recorded with its reason, retried a bounded number
of times, and change nothing), then healthy again (nothing changed, nothing lost). Then:
withdrawal only on a definite 404/410, an edit within the same second as the last fetch, and
crawls killed with SIGKILL at random points, after which the archive must pass the check and
the next crawl must complete the work.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.api import Archive
from archive.records import Capture, FetchKind
from archive.report import render_report
from tests import reliability_figures as figures
from tests.faultsite import (
    LAST_MODIFIED,
    REPO,
    CrawlRun,
    FaultSite,
    crawl_command,
    event_kinds,
    fetch_errors,
    run_crawl,
    serve_faultsite,
    source_toml,
    versions_by_url,
)

RETRY_TIMES = 2  # crawler.settings: each retried fault is asked at most 1 + 2 times

# Every fault of the scenario and the reason its record must give. charset_lie is not here:
# it is not an error at all (the page decodes correctly and is unchanged).
REASONS = {
    "http500": r"^HTTP 500$",
    "http502": r"^HTTP 502$",
    "http503": r"^HTTP 503$",
    "http429": r"^HTTP 429$",
    "http403": r"^HTTP 403$",
    "timeout": r"^DownloadTimeoutError: .* took longer than 1(\.0)? seconds",
    "reset": r"ConnectionLost|ConnectionDone|connection",
    "truncated": r"^truncated body",
    "redirect_loop": r"max redirections reached",
    "redirect_offsite": r"^IgnoreRequest: refused: 127\.0\.0\.1:\d+ is not one of the source's",
    "redirect_scheme": r"^refused: HTTP 302 redirect to a non-http\(s\) URL 'file:///etc/passwd'",
    "redirect_private": r"^IgnoreRequest: refused: 10\.0\.0\.1 is not one of the source's hosts",
    "redirect_metadata": r"^IgnoreRequest: refused: 169\.254\.169\.254 is not one of",
    "redirect_offsite_robots": r"^IgnoreRequest: refused: 127\.0\.0\.1:\d+ is not one of",
    "meta_refresh_offsite": r"^IgnoreRequest: refused: 127\.0\.0\.1:\d+ is not one of",
    "binary": r"^undecodable page: no encoding decodes the page cleanly",
    "huge": r"^download cancelled .*larger than download max size \(200000\)",
    "huge_undeclared": r"^download cancelled \(larger than the source's max_page_bytes\)",
    "empty": r"^empty body",
    "chrome_only": r"^no policy text on the page",
    "comment_only": r"^no policy text on the page",
    "bad_gzip": r"^undecodable body \(bad Content-Encoding\)",
    "drip": r"^DownloadTimeoutError: .* took longer than",
    "robots": r"Forbidden by robots\.txt",
}
# Faults that Scrapy retries (5xx, 429, network errors, timeouts); the rest are asked once.
RETRIED = {"http500", "http502", "http503", "http429", "timeout", "reset", "truncated", "drip"}
STEADY = [f"steady{i}" for i in range(4)]


# -- reading the archive --------------------------------------------------------------------------


def count_loss(expected: dict[str, int], actual: dict[str, int]) -> tuple[int, int]:
    """(versions lost, false versions) of ``actual`` against ``expected`` per URL."""
    lost = sum(max(0, n - actual.get(url, 0)) for url, n in expected.items())
    false = sum(max(0, n - expected.get(url, 0)) for url, n in actual.items())
    return lost, false


def write_sources(tmp: Path, site: FaultSite, **fields: object) -> Path:
    path = tmp / "sources.toml"
    path.write_text(source_toml(site, **fields), encoding="utf-8")
    return path


# -- the fault scenario ---------------------------------------------------------------------------


@dataclass
class Scenario:
    db: str
    site: FaultSite
    runs: list[CrawlRun]
    versions: list[dict[str, int]]
    hits: dict[str, int]  # page name -> requests during the faulty crawl
    faulty_hits: dict[str, list[dict[str, str]]]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    tmp = tmp_path_factory.mktemp("faults")
    db = f"sqlite:///{tmp / 'archive.db'}"
    with serve_faultsite() as site:
        for name in STEADY:
            site.add(name)
        for fault in [*REASONS, "charset_lie"]:
            site.add(fault)
        sources = write_sources(tmp, site, max_page_bytes=200_000)
        runs, versions = [], []

        runs.append(run_crawl(sources, db, tmp))
        versions.append(versions_by_url(db))
        # Known documents are revisited even when no listing links them any more.
        site.pages["/doc/steady3.html"].listed = False

        for name in [*REASONS, "charset_lie"]:
            if name == "robots":
                site.robots_disallow = ["/doc/robots.html"]
            else:
                site.pages[f"/doc/{name}.html"].fault = name
        site.clear_log()
        runs.append(run_crawl(sources, db, tmp))
        versions.append(versions_by_url(db))
        hits = {name: len(site.hits(name)) for name in [*REASONS, *STEADY]}
        faulty_hits = {name: [h.headers for h in site.hits(name)] for name in REASONS}
        figures.add("faults_injected", len(REASONS) + 1)
        figures.add("fault_responses", site.faults_served())

        for page in site.pages.values():
            page.fault = None
        site.robots_disallow = []
        runs.append(run_crawl(sources, db, tmp))
        versions.append(versions_by_url(db))
    return Scenario(db, site, runs, versions, hits, faulty_hits)


def test_every_crawl_finishes_and_says_ok(scenario: Scenario) -> None:
    for run in scenario.runs:
        assert run.rc == 0, run.stderr[-2000:]
        assert run.summary["status"] == "ok"
        assert "Traceback" not in run.stderr, run.stderr[-4000:]


def test_healthy_crawl_archives_every_page(scenario: Scenario) -> None:
    first = scenario.runs[0].summary
    pages = len(REASONS) + 1 + len(STEADY)
    assert (first["new"], first["errors"]) == (pages, 0)
    assert sorted(scenario.versions[0].values()) == [1] * pages


@pytest.mark.parametrize("fault", sorted(REASONS))
def test_fault_is_recorded_with_its_reason(scenario: Scenario, fault: str) -> None:
    errors = fetch_errors(scenario.db, scenario.runs[1].summary["crawl_id"])
    url = scenario.site.url(fault)
    assert url in errors, f"{fault}: no fetch error recorded (recorded: {sorted(errors)})"
    assert re.search(REASONS[fault], errors[url]), errors[url]
    assert "\n" not in errors[url]


def test_every_fault_is_counted_as_an_error(scenario: Scenario) -> None:
    faulty = scenario.runs[1].summary
    assert faulty["errors"] == len(REASONS)
    assert faulty["unchanged"] == len(STEADY) + 1  # the charset_lie page decodes to the same text


@pytest.mark.parametrize("fault", sorted(REASONS))
def test_retries_are_bounded(scenario: Scenario, fault: str) -> None:
    hits = scenario.hits[fault]
    if fault == "robots":
        assert hits == 0  # disallowed: never asked at all
    elif fault == "redirect_loop":
        assert hits == 1 + 5  # the first request, then REDIRECT_MAX_TIMES hops
    elif fault == "reset":
        # Twisted's connection pool retries a GET once by itself when a kept-alive
        # connection dies before any answer, so each of Scrapy's tries may be two requests.
        assert 1 + RETRY_TIMES <= hits <= 2 * (1 + RETRY_TIMES)
    elif fault in RETRIED:
        assert hits == 1 + RETRY_TIMES
    else:
        assert hits == 1


def test_faults_make_no_version_and_no_withdrawal(scenario: Scenario) -> None:
    before, during, after = scenario.versions
    lost, false = count_loss(before, during)
    lost_after, false_after = count_loss(before, after)
    withdrawn = event_kinds(scenario.db)["withdrawn"]
    figures.add("versions_lost", lost + lost_after)
    figures.add("false_versions", false + false_after)
    figures.add("false_withdrawals", withdrawn)
    assert (lost, false, lost_after, false_after, withdrawn) == (0, 0, 0, 0, 0)
    assert event_kinds(scenario.db) == Counter(new=len(before))


def test_healthy_again_everything_is_unchanged(scenario: Scenario) -> None:
    last = scenario.runs[2].summary
    assert (last["new"], last["changed"], last["withdrawn"], last["errors"]) == (0, 0, 0, 0)
    assert last["unchanged"] == len(scenario.versions[0])


def test_charset_lie_is_decoded_not_stored_as_mojibake(scenario: Scenario) -> None:
    archive = Archive.open(scenario.db, create=False)
    (version,) = archive.history(scenario.site.url("charset_lie"))
    archive.close()
    assert "新建校舍50处" in version.text and "\ufffd" not in version.text


def test_unlisted_known_document_is_still_revisited(scenario: Scenario) -> None:
    assert scenario.hits["steady3"] == 1


def test_conditional_requests_carry_the_servers_validators(scenario: Scenario) -> None:
    # The http500 page was healthy in crawl 1: crawl 2 asked with its ETag and Last-Modified.
    first = scenario.faulty_hits["http500"][0]
    page = scenario.site.pages["/doc/http500.html"]
    assert first["if-none-match"] == page.etag()
    assert first["if-modified-since"] == LAST_MODIFIED


# -- withdrawal -----------------------------------------------------------------------------------
# One site, two sources: "wd_one" withdraws on the first definite 404/410, "wd_two" asks for
# two in a row. Four crawls: healthy, then three with faults.

TRANSIENT = ("http500", "http503", "http429", "timeout", "empty", "chrome_only", "reset")
# Per crawl after the first: the fault of each page (None: healthy).
WITHDRAWAL_PLAN = {
    "one_gone": ("http404", None, None),
    "two_flaky": ("http404", "timeout", "http410"),
    **{f"one_{f}": (f, f, None) for f in TRANSIENT},
}


@dataclass
class Withdrawals:
    db: str
    site: FaultSite
    runs: list[CrawlRun]
    report_text: str
    report_json: str
    report_kinds: list[tuple[str, str]]


def _two_sources(site: FaultSite) -> str:
    return source_toml(site, "wd_one", documents=["^/doc/one_"]) + source_toml(
        site, "wd_two", documents=["^/doc/two_"], withdraw_after=2
    )


@pytest.fixture(scope="module")
def withdrawals(tmp_path_factory: pytest.TempPathFactory) -> Withdrawals:
    tmp = tmp_path_factory.mktemp("withdrawals")
    db = f"sqlite:///{tmp / 'archive.db'}"
    with serve_faultsite() as site:
        for name in WITHDRAWAL_PLAN:
            site.add(name)
        sources = tmp / "sources.toml"
        sources.write_text(_two_sources(site), encoding="utf-8")
        runs = [run_crawl(sources, db, tmp)]
        report = None
        for step in range(3):
            for name, plan in WITHDRAWAL_PLAN.items():
                site.pages[f"/doc/{name}.html"].fault = plan[step]
                figures.add("faults_injected", int(plan[step] is not None))
            since = datetime.now(UTC)
            runs.append(run_crawl(sources, db, tmp))
            if step == 0:
                archive = Archive.open(db, create=False)
                report = archive.report(since)
                archive.close()
    assert report is not None
    return Withdrawals(
        db,
        site,
        runs,
        render_report(report),
        render_report(report, "json"),
        [(i.event.kind, i.event.url) for i in report.items],
    )


def _by_source(run: CrawlRun) -> dict[str, dict[str, object]]:
    return {s["source_id"]: s for s in run.summaries}


def test_withdrawal_crawls_all_finish(withdrawals: Withdrawals) -> None:
    assert [r.rc for r in withdrawals.runs] == [0, 0, 0, 0], withdrawals.runs[-1].stderr[-2000:]
    assert _by_source(withdrawals.runs[0])["wd_one"]["new"] == len(WITHDRAWAL_PLAN) - 1


def test_definite_404_withdraws_and_the_report_says_so(withdrawals: Withdrawals) -> None:
    url = withdrawals.site.url("one_gone")
    assert withdrawals.report_kinds == [("withdrawn", url)]
    line = rf"^\* 已撤下:关于做好.*  <{re.escape(url)}>$"
    assert re.search(line, withdrawals.report_text, re.M), withdrawals.report_text
    assert '"withdrawn": [' in withdrawals.report_json and url in withdrawals.report_json
    assert _by_source(withdrawals.runs[1])["wd_one"]["withdrawn"] == 1


def test_withdrawn_page_that_comes_back_is_restored_not_a_new_version(
    withdrawals: Withdrawals,
) -> None:
    assert _by_source(withdrawals.runs[2])["wd_one"]["restored"] == 1
    assert versions_by_url(withdrawals.db)[withdrawals.site.url("one_gone")] == 1


def test_withdraw_after_2_counts_only_definite_answers(withdrawals: Withdrawals) -> None:
    # 404, then a timeout (neither counts nor resets the count), then a 410: withdrawn.
    assert [_by_source(r)["wd_two"]["withdrawn"] for r in withdrawals.runs[1:]] == [0, 0, 1]


def test_transient_failures_never_withdraw_even_in_a_row(withdrawals: Withdrawals) -> None:
    kinds = event_kinds(withdrawals.db)
    figures.add("false_withdrawals", kinds["withdrawn"] - 2)
    assert kinds == Counter(new=len(WITHDRAWAL_PLAN), withdrawn=2, restored=1)
    for run in withdrawals.runs[1:3]:
        assert _by_source(run)["wd_one"]["errors"] == len(TRANSIENT)
    assert sorted(versions_by_url(withdrawals.db).values()) == [1] * len(WITHDRAWAL_PLAN)


# -- conditional requests: the server's validators, never our own clock ---------------------------


def test_edit_in_the_same_second_is_caught_and_a_new_etag_alone_is_no_version(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    with serve_faultsite() as site:
        edited, touched = site.add("edited"), site.add("touched")
        sources = write_sources(tmp_path, site)
        run_crawl(sources, db, tmp_path)
        old_etag = edited.etag()
        # Edited within the same second: new text and ETag, the same Last-Modified. A crawler
        # that sent its own save time (or only If-Modified-Since) would get a 304 and miss it.
        edited.edition = 2
        touched.etag_salt = "re-saved by the CMS"  # new ETag, same text
        site.clear_log()
        run = run_crawl(sources, db, tmp_path)
        (hit,) = site.hits("edited")
    assert hit.headers["if-none-match"] == old_etag
    assert hit.headers["if-modified-since"] == LAST_MODIFIED == edited.last_modified
    assert (hit.status, run.summary["changed"], run.summary["unchanged"]) == (200, 1, 1)
    assert versions_by_url(db) == {site.url("edited"): 2, site.url("touched"): 1}


# -- crash consistency ----------------------------------------------------------------------------

KILL_PAGES = 60
KILLS = 12
_EDITION = re.compile(r"新建校舍(\d+)处")  # tests.faultsite.policy_text: 40 + 10 × edition


def _kill_at_random_point(
    site: FaultSite, sources: Path, db: str, tmp: Path, rng: random.Random, edition: int
) -> None:
    """Start a crawl, SIGKILL it once the site has answered a random number of requests and
    the archive holds a first page of this edition, a random moment later.

    Waiting for that first commit keeps the kills inside the work: a crawl process's first
    transaction waits for the word dictionary to load (seconds on a slow machine), and a
    kill before it, with nothing yet written, tests nothing.
    """
    site.clear_log()
    target = rng.randint(3, KILL_PAGES - 5)
    cmd = crawl_command(sources, db, tmp / "killed.json")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while proc.poll() is None and len(site.log) < target and time.monotonic() < deadline:
        time.sleep(0.002)
    marker = f"%新建校舍{40 + edition * 10}处%"  # tests.faultsite.policy_text
    while proc.poll() is None and not _has_text(db, marker) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(rng.uniform(0, 0.3))  # anywhere among the next responses and commits
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _has_text(db: str, like: str) -> bool:
    """Whether a committed version's text matches ``like`` (read-only, beside the crawl)."""
    path = db.removeprefix("sqlite:///")
    if not Path(path).exists():
        return False
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return (
            con.execute("SELECT 1 FROM versions WHERE text LIKE ? LIMIT 1", (like,)).fetchone()
            is not None
        )
    except sqlite3.OperationalError:  # the schema is not there yet
        return False
    finally:
        con.close()


def _check(db: str) -> int:
    archive = Archive.open(db)
    try:
        report = archive.check()
    finally:
        archive.close()
    assert report.ok, report.problems
    return report.versions


def _editions(db: str) -> dict[str, list[int]]:
    """URL -> the edition of each of its versions, oldest first."""
    archive = Archive.open(db, create=False)
    out: dict[str, list[int]] = {}
    try:
        for doc in archive.documents():
            for v in archive.history(doc.url):
                match = _EDITION.search(v.text)
                out.setdefault(doc.url, []).append((int(match[1]) - 40) // 10 if match else -1)
    finally:
        archive.close()
    return out


def test_kill_9_at_random_points_loses_nothing(tmp_path: Path) -> None:
    """Every run has fresh work (each page gets a new edition), and is killed part-way.

    Which editions get archived depends on timing; what may not is exact: a version seen
    committed after any kill is still there at the end, each page's versions are strictly
    increasing editions that the site really served, and the last one is the current one.
    """
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    rng = random.Random(20230220)
    committed: set[tuple[str, int]] = set()
    mid_crawl = 0
    with serve_faultsite() as site:
        for i in range(KILL_PAGES):
            site.add(f"p{i:02d}", delay=0.05 if i % 4 == 0 else 0.0)
        sources = write_sources(tmp_path, site)
        for edition in range(1, KILLS + 1):
            for page in site.pages.values():
                page.edition = edition
            _kill_at_random_point(site, sources, db, tmp_path, rng, edition)
            figures.add("kills_total")
            _check(db)
            figures.add("kills_survived")
            now = _editions(db)
            committed |= {(url, e) for url, eds in now.items() for e in eds}
            done = sum(eds[-1] == edition for eds in now.values())
            mid_crawl += 0 < done < KILL_PAGES
        for page in site.pages.values():
            page.edition = KILLS + 1
        run = run_crawl(sources, db, tmp_path)
        urls = [site.url(f"p{i:02d}") for i in range(KILL_PAGES)]
    assert (run.rc, run.summary["errors"]) == (0, 0), run.stderr[-2000:]
    _check(db)
    final = _editions(db)
    kept = {(url, e) for url, eds in final.items() for e in eds}
    lost = len(committed - kept) + sum(final.get(url, [0])[-1] != KILLS + 1 for url in urls)
    false = sum(eds != sorted(set(eds)) or not 1 <= eds[0] <= KILLS + 1 for eds in final.values())
    false += len(set(final) - set(urls))
    figures.add("versions_lost", lost)
    figures.add("false_versions", false)
    assert (lost, false) == (0, 0), final
    # The kills landed part-way through the work, not before or after it.
    assert mid_crawl >= KILLS // 2, mid_crawl


# A child process that records one capture and SIGKILLs itself just before the given INSERT:
# the harshest point inside Archive.record's transaction.
_DIE_BEFORE = """
import os, signal, sys
from datetime import UTC, datetime
from sqlalchemy import event
from sqlalchemy.engine import Engine
from archive.records import Capture, FetchKind
from archive.api import Archive

table = sys.argv[2]

@event.listens_for(Engine, "before_cursor_execute")
def die(conn, cursor, statement, *args):
    if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
        os.kill(os.getpid(), signal.SIGKILL)

archive = Archive.open(sys.argv[1])
archive.record(Capture(source_id="s", url="https://x.gov.cn/a.html", fetched_at=datetime.now(UTC),
                       kind=FetchKind.CONTENT, http_status=200, body=b"<p>x</p>",
                       title="通知", text="一、总体要求。"))
"""


@pytest.mark.parametrize("table", ["blobs", "captures", "versions", "change_events"])
def test_kill_inside_a_record_transaction_writes_nothing(tmp_path: Path, table: str) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    proc = subprocess.run(
        [sys.executable, "-c", _DIE_BEFORE, db, table], cwd=REPO, capture_output=True, timeout=60
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    figures.add("kills_total")
    archive = Archive.open(db)
    try:
        rep = archive.check()
        assert rep.ok
        assert [rep.documents, rep.captures, rep.versions, rep.events] == [0, 0, 0, 0]
        again = Capture(
            source_id="s",
            url="https://x.gov.cn/a.html",
            fetched_at=datetime.now(UTC),
            kind=FetchKind.CONTENT,
            http_status=200,
            body=b"<p>x</p>",
            title="通知",
            text="一、总体要求。",
        )
        assert archive.record(again).version is not None
        later = replace(again, fetched_at=datetime.now(UTC))
        assert archive.record(later).outcome.value == "unchanged"
        assert archive.check().ok and archive.count_versions() == 1
    finally:
        archive.close()
    figures.add("kills_survived")


def test_kill_during_the_first_schema_creation_leaves_a_usable_archive(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    script = _DIE_BEFORE.replace(
        'startswith(f"INSERT INTO {table.upper()}")', 'startswith("CREATE TABLE VERSIONS")'
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, db, "-"], cwd=REPO, capture_output=True, timeout=60
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    figures.add("kills_total")
    with serve_faultsite() as site:
        site.add("first")
        run = run_crawl(write_sources(tmp_path, site), db, tmp_path)
    assert (run.rc, run.summary["new"]) == (0, 1), run.stderr[-1500:]
    assert _check(db) == 1
    figures.add("kills_survived")


def test_archive_uses_wal_mode(tmp_path: Path) -> None:
    import sqlite3

    Archive.open(f"sqlite:///{tmp_path / 'archive.db'}").close()
    # WAL is a property of the file: a plain sqlite3 connection sees it.
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert os.path.exists(tmp_path / "archive.db")
