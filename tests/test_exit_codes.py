"""One exit-status table for every command (0 ok, 1 runtime failure, 2 bad input, 130 Ctrl-C).

Every command — group subcommands included — must be listed in CASES with an input that is
bad (exit 2, one line) and, where it can fail at run time, one that fails (exit 1); a command
added without an entry fails ``test_every_command_has_cases``. Its --help must end with the
table, which the README repeats word for word. Then the cases the first hour of a newcomer hit:
no arguments, Ctrl-C in the first seconds of a crawl, an unresolvable host, a PostgreSQL URL at
a port where something else listens, empty and binary files for `extract`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest

import scheduler
from archive.api import Archive
from archive.records import Capture, CrawlStatus, FetchKind
from tests.faultsite import REPO, serve_faultsite, source_toml

URL = "https://jtj.tjbh.gov.cn/contents/9930/268903.html"
DEAD_SOURCE = """[[source]]
id = "dead"
name = "无法访问"
start_urls = ["http://127.0.0.1:9/list.html"]
documents = ['^/doc/']
schedule = "0 6 * * *"
delay = 0.0
allow_private = true
"""


def command_paths(group: click.Group = scheduler.cli, prefix: str = "") -> dict[str, click.Command]:
    """Every command by its path ("sources test"), groups included."""
    found: dict[str, click.Command] = {}
    for name, cmd in group.commands.items():
        path = f"{prefix}{name}"
        found[path] = cmd
        if isinstance(cmd, click.Group):
            found.update(command_paths(cmd, f"{path} "))
    return found


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Paths for the cases: a filled archive, an empty file, a binary, a dead source."""
    db = f"sqlite:///{tmp_path / 'a.db'}"
    archive = Archive.open(db)
    for i, text in enumerate(["一、总体要求\n1.建设40处。", "一、总体要求\n1.建设50处。"]):
        archive.record(
            Capture(
                source_id="tj_binhai",
                url=URL,
                kind=FetchKind.CONTENT,
                http_status=200,
                fetched_at=datetime(2023, 2, 20, tzinfo=UTC) + timedelta(days=i),
                body=text.encode(),
                title="滨海新区2022年教育体育工作要点",
                text=text,
            )
        )
    archive.close()
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "dead.toml").write_text(DEAD_SOURCE, encoding="utf-8")
    return {"db": db, "tmp": str(tmp_path), "url": URL}


# command path -> (bad-input args (exit 2), runtime-failure args (exit 1) or a reason why none)
CASES: dict[str, tuple[list[str], list[str] | str]] = {
    "changes": (
        ["changes", "--db", "{db}", "--source", "nope"],
        "a query that finds nothing is ok",
    ),
    "check": (["check", "--db", "nosuchdriver://x/y"], ["check", "--db", "{tmp}/corrupt.db"]),
    "crawl": (
        ["crawl", "--delay", "-1"],
        ["crawl", "--sources", "{tmp}/dead.toml", "--db", "{tmp}/c.db"],
    ),
    "demo": (["demo", "--db", "{db}"], "needs a broken mirror: tests/test_demo.py runs the demo"),
    "diff": (["diff", "only-one"], ["diff", "--db", "{db}", "--series", "999"]),
    "export": (
        ["export", "--db", "{db}", "-o", "{tmp}/no/such/dir/x.jsonl"],
        "an empty export is ok",
    ),
    "documents": (
        ["documents", "--db", "{db}", "--source", "nope"],
        "no documents is ok",
    ),
    "extract": (["extract", "{tmp}/empty.html"], "every unreadable file is bad input"),
    "history": (["history", "--db", "{db}"], ["history", "--db", "{db}", "{url}?nope"]),
    "report": (["report", "--db", "{db}", "--since", "yesterday"], "an empty report is ok"),
    "search": (["search", "--db", "{db}", "x", "--limit", "0"], "no hits is ok"),
    "status": (
        ["status", "--db", "nosuchdriver://x/y"],
        "an archive with no service running is a state to report, not a failure",
    ),
    "worker": (
        ["worker", "--broker", "redis://127.0.0.1:6379/12", "--db", "nosuchdriver://x/y"],
        "a worker waits for tasks; a dead broker is retried (tests/test_worker.py)",
    ),
    "web": (
        ["web", "--db", "{db}", "--port", "70000"],
        "a server that starts is ok; one that cannot bind exits 1 (tests/test_web.py)",
    ),
    "series": (["series", "--db", "{db}", "--source", "nope"], "no series is ok"),
    "serve": (
        ["serve", "--once", "--timezone", "Mars/Olympus"],
        ["serve", "--once", "--sources", "{tmp}/dead.toml", "--db", "{tmp}/s.db"],
    ),
    "show": (
        ["show", "--db", "{db}", "{url}", "--at", "2023-13-01"],
        ["show", "--db", "{db}", "{url}?nope"],
    ),
    "sources": (["sources", "--sources", "{tmp}/none.toml"], "listing cannot fail at run time"),
    "sources list": (["sources", "list", "--format", "xml"], "listing cannot fail at run time"),
    "sources test": (
        ["sources", "test", "nope"],
        ["sources", "test", "dead", "--sources", "{tmp}/dead.toml"],
    ),
    "sources new": (["sources", "new", "ftp://x.gov.cn/"], "writing a skeleton cannot fail"),
}


def run(
    capsys: pytest.CaptureFixture[str], args: list[str], env: dict[str, str]
) -> tuple[int, str]:
    code = scheduler.main([a.format(**env) for a in args])
    _, err = capsys.readouterr()
    return code, err


def test_every_command_has_cases() -> None:
    assert sorted(command_paths()) == sorted(CASES)


@pytest.mark.parametrize("path", sorted(CASES))
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], path: str
) -> None:
    code, err = run(capsys, CASES[path][0], env)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("policywatch: error: "), err
    code, err = run(capsys, [*path.split(), "--no-such-option"], env)
    assert code == 2 and "No such option" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "path", sorted(p for p, (_, fail) in CASES.items() if isinstance(fail, list))
)
def test_runtime_failure_exits_1(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], path: str
) -> None:
    corrupt = Path(env["tmp"]) / "corrupt.db"
    shutil.copy(env["db"].removeprefix("sqlite:///"), corrupt)
    with sqlite3.connect(corrupt) as conn:  # a stored text that no longer matches its digest
        conn.execute("UPDATE versions SET text = text || '改' WHERE id = 1")
    fail = CASES[path][1]
    assert isinstance(fail, list)
    code, err = run(capsys, fail, env)
    assert code == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize("path", sorted(CASES))
def test_help_ends_with_the_exit_status_table(
    capsys: pytest.CaptureFixture[str], path: str
) -> None:
    code = scheduler.main([*path.split(), "--help"])
    out, _ = capsys.readouterr()
    assert code == 0
    table = [line.strip() for line in scheduler.EXIT_CODES_HELP.splitlines()[1:]]
    shown = [line.strip() for line in out.rstrip().splitlines()[-len(table) :]]
    assert shown == table


def test_readme_repeats_the_table() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = "\n".join(scheduler.EXIT_CODES_HELP.splitlines()[1:])
    assert block in readme


def test_no_arguments_prints_the_whole_help(capsys: pytest.CaptureFixture[str]) -> None:
    code = scheduler.main([])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert out.startswith("Usage: policywatch") and "Commands:" in out
    assert out.count("\n") > 20 and "Exit status (every command):" in out


# -- no tracebacks --------------------------------------------------------------------------------


def _as_a_terminal_job() -> None:
    # A foreground job in a terminal has SIGINT at its default. CI may start the suite from a
    # non-interactive shell's background job, where SIGINT is inherited as ignored (and Python
    # then keeps it ignored), so a "Ctrl-C" test would only measure the runner's shell.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _policywatch(*args: str, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "import sys, scheduler; sys.exit(scheduler.main())", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_a_terminal_job,
        **kw,
    )


def _wait_for_child(pid: int, timeout: float = 60) -> None:
    """Until ``pid`` has spawned its crawl process (Linux: /proc/PID/task/PID/children)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if children.exists() and children.read_text().strip():
            return
        time.sleep(0.02)
    raise AssertionError("the crawl process never started")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("after", [0.0, 0.5, 2.0])
def test_ctrl_c_early_in_a_crawl_is_one_line_exit_130(tmp_path: Path, after: float) -> None:
    """Ctrl-C while the crawl process imports Scrapy (0-0.5 s) or has started crawling (2 s)."""
    with serve_faultsite() as site:
        for i in range(30):
            site.add(f"slow{i}", fault="drip")
        sources = tmp_path / "s.toml"
        sources.write_text(source_toml(site, concurrency=1), encoding="utf-8")
        # A new session: the SIGINT goes to the whole group, as a terminal's Ctrl-C does.
        proc = _policywatch(
            "crawl",
            "--sources",
            str(sources),
            "--db",
            str(tmp_path / "a.db"),
            start_new_session=True,
        )
        _wait_for_child(proc.pid)
        time.sleep(after)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == "policywatch: interrupted; the archive keeps what was committed", err
    assert not [line for line in lines if "ERROR" in line or "Error" in line], err
    if (tmp_path / "a.db").exists():
        with Archive.open(str(tmp_path / "a.db"), create=False) as archive:
            crawls = archive.crawls()
        # A crawl that had started is closed as interrupted, never left running or called ok.
        assert all(c.status is CrawlStatus.INTERRUPTED for c in crawls), crawls
        assert all(c.finished_at is not None for c in crawls), crawls


def test_unresolvable_host_is_no_traceback(tmp_path: Path) -> None:
    sources = tmp_path / "s.toml"
    sources.write_text(
        DEAD_SOURCE.replace("http://127.0.0.1:9", "http://no-such-host.invalid"), encoding="utf-8"
    )
    proc = _policywatch("crawl", "--sources", str(sources), "--db", str(tmp_path / "a.db"))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "robotstxt" not in err, err
    assert "dead: FAILED: no listing page could be fetched" in out
    assert "no-such-host.invalid" in out


def test_postgres_url_at_a_silent_port_times_out_in_seconds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Something listens and never answers the PostgreSQL handshake (as Redis on 6379 does)."""
    pytest.importorskip("psycopg")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    started = time.monotonic()
    try:
        code = scheduler.main(["changes", "--db", f"postgresql://u:pw@127.0.0.1:{port}/x"])
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()
    took = time.monotonic() - started
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1, err
    assert "timeout expired" in err and "is it a PostgreSQL server" in err, err
    assert took < 15, took
    assert "pw" not in err.replace("psycopg", "")


@pytest.mark.parametrize(
    ("content", "pattern"),
    [(b"", "empty file"), (b"  \n\n", "empty file"), (bytes(range(256)) * 40, "")],
)
def test_extract_of_an_empty_or_binary_file_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, pattern: str
) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(content)
    code = scheduler.main(["extract", str(page)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "", (out, err)
    assert err.count("\n") == 1 and pattern in err and str(page) in err


def test_unknown_source_is_named_by_every_query(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    for command in (["changes"], ["series"], ["report"], ["search", "x"], ["export"]):
        code, err = run(capsys, [*command, "--db", "{db}", "--source", "nope"], env)
        assert code == 2, (command, err)
        assert "--source: unknown source id 'nope' (known: " in err and "tj_binhai" in err
    code, err = run(capsys, ["changes", "--db", "{db}", "--source", "tj_binhai"], env)
    assert code == 0, err


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("after", [0.0, 1.5])
def test_ctrl_c_in_sources_test_is_one_line_exit_130(tmp_path: Path, after: float) -> None:
    sources = tmp_path / "dead.toml"  # connection refused, retried with backoff: a few seconds
    sources.write_text(DEAD_SOURCE, encoding="utf-8")
    proc = _policywatch(
        "sources", "test", "dead", "--sources", str(sources), start_new_session=True
    )
    _wait_for_child(proc.pid)
    time.sleep(after)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert err.strip() == "policywatch: interrupted; the archive keeps what was committed", err
