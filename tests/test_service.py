"""The service against real receivers: kill -9 at several moments, SIGTERM, two services.

Real parts only: aiosmtpd takes the mail, an http.server takes the webhook (told to be slow
or to fail), a folder takes the files, the demo mirror serves the bureau pages, and
``policywatch serve`` runs as its own process (through tests/service_harness.py, which can
arm a kill point). Receivers count every copy of every report by its key.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from archive.api import Archive
from seeds.mirror import serve_mirror
from tests import reliability_figures as figures
from tests.conftest import write_mirror_source

REPO = Path(__file__).resolve().parent.parent
SOURCE = "nm_wuhai"  # three documents in the 2022 mirror: three NEW events on a first crawl
SECRET = "whsec_" + "c2VydmljZS10ZXN0LXNlY3JldA=="

# Kills the crawl child right after its first committed change event (the connection goes
# back to the pool after the commit): the child committed, then died.
CHILD_SITECUSTOMIZE = """
import os, sys
if os.environ.get("PW_CHILD_DIE") and "crawler.run" in sys.orig_argv:
    import signal
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool
    armed = []

    @event.listens_for(Engine, "before_cursor_execute")
    def _saw(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO CHANGE_EVENTS"):
            armed.append(1)

    @event.listens_for(Pool, "checkin")
    def _committed(dbapi_conn, record):
        if armed:
            os.kill(os.getpid(), signal.SIGKILL)

# A crawl that does not hear SIGTERM: only SIGKILL ends it. Every later handler is refused,
# not only Scrapy's: Twisted's reactor installs one of its own that stops the crawl.
if os.environ.get("PW_CHILD_DEAF") and "crawler.run" in sys.orig_argv:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _set_handler = signal.signal

    def _deaf(signum, handler):
        if signum == signal.SIGTERM:
            return signal.SIG_IGN
        return _set_handler(signum, handler)

    signal.signal = _deaf
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- receivers -------------------------------------------------------------------------------


@dataclass
class MailSink:
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 OK"

    def keys(self) -> list[str | None]:
        out = []
        for m in self.messages:
            found = re.match(r"<(msg_[0-9a-f]+)\.", m["Message-ID"] or "")
            out.append(found[1] if found else None)
        return out


@dataclass
class Hook:
    """An HTTP receiver: answers ``statuses`` in turn (the last repeats), after ``delay`` s."""

    url: str
    seen: list[tuple[dict[str, str], bytes]]
    statuses: list[int]
    delay: float = 0.0
    got_one: threading.Event = field(default_factory=threading.Event)

    def keys(self) -> list[str | None]:
        return [h.get("webhook-id") for h, _ in self.seen]


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hook]:
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    state = Hook("", [], [200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
            state.got_one.set()
            status = state.statuses[min(len(state.seen), len(state.statuses)) - 1]
            time.sleep(state.delay)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the service died while we were slow

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp() -> Iterator[tuple[int, MailSink]]:
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), ready_timeout=5)
    controller.start()
    yield controller.port, sink
    controller.stop()


@pytest.fixture
def mirror() -> Iterator[object]:
    with serve_mirror(generation="2022") as m:
        yield m


@dataclass
class Setup:
    tmp: Path
    db: str
    sources: Path
    reporters: Path
    outdir: Path
    env: dict[str, str]


def make_setup(tmp: Path, mirror: object, smtp_port: int, hook_url: str, **extra: str) -> Setup:
    sources = write_mirror_source(mirror.origins, SOURCE, tmp / "sources.toml")  # type: ignore[attr-defined]
    reporters = tmp / "reporters.toml"
    reporters.write_text(
        f"""
[[reporter]]
name = "mail"
kind = "email"
host = "127.0.0.1"
port = {smtp_port}
from = "policywatch@example.org"
to = ["desk@example.org"]
timeout = 5

[[reporter]]
name = "hook"
kind = "webhook"
url = "{hook_url}"
secret_env = "PW_SERVICE_HOOK_SECRET"
timeout = {extra.get("hook_timeout", "10")}
retries = 0

[[reporter]]
name = "disk"
kind = "files"
directory = "out"
formats = ["json"]
""",
        encoding="utf-8",
    )
    (tmp / "site").mkdir(exist_ok=True)
    (tmp / "site" / "sitecustomize.py").write_text(CHILD_SITECUSTOMIZE, encoding="utf-8")
    (tmp / "tmpdir").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp / "site"), str(REPO)]),
        "PW_SERVICE_HOOK_SECRET": SECRET,
        "TMPDIR": str(tmp / "tmpdir"),
        "no_proxy": "127.0.0.1",
        "NO_PROXY": "127.0.0.1",
    }
    db = f"sqlite:///{tmp / 'archive.db'}"
    return Setup(tmp, db, sources, reporters, tmp / "out", env)


def serve_cmd(s: Setup, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "tests.service_harness", "serve", "--sources", str(s.sources),
        "--reporters", str(s.reporters), "--db", s.db, "--retry-first", "0.2", "--jitter", "0",
        *extra,
    ]  # fmt: skip


def serve_once(s: Setup, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        serve_cmd(s, "--once"), cwd=REPO, env={**s.env, **env}, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip


def restart_until_delivered(s: Setup) -> str:
    """Start the service again (no crawl is due) and stop it once the outbox is empty.

    The restart is a long-running ``serve``: it takes back the deliveries a dead service had
    leased, plans what was committed but never planned, and sends; then SIGTERM.
    """
    _source_schedule(s)  # nothing due: this run only delivers

    def up() -> bool:
        with Archive.open(s.db, create=False) as archive:
            lease = archive.lease("service")
            return lease is not None and lease.pid == proc.pid

    def settled() -> bool:
        with Archive.open(s.db, create=False) as archive:
            todo = [d for d in archive.deliveries() if d["status"] != "delivered"]
            return bool(archive.deliveries()) and not todo and not archive.unplanned_events()

    proc = subprocess.Popen(serve_cmd(s), cwd=REPO, env=s.env, stderr=subprocess.PIPE, text=True)
    try:
        done = _wait_for(up, 60) and _wait_for(settled, 90, step=0.25)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert done, err[-3000:]
    assert proc.returncode == 0, err[-3000:]
    return err


def file_keys(outdir: Path) -> list[str | None]:
    if not outdir.is_dir():
        return []
    out = []
    for p in outdir.iterdir():
        found = re.search(r"-(msg_[0-9a-f]+)-", p.name)
        out.append(found[1] if found else None)
    return out


def status_json(s: Setup) -> dict:
    proc = subprocess.run(
        [sys.executable, "scheduler.py", "status", "--sources", str(s.sources), "--db", s.db,
         "--format", "json"],
        cwd=REPO, env=s.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def tally(s: Setup, sink: MailSink, hook: Hook) -> dict[str, int]:
    """Compare what the receivers got with what the archive committed and planned."""
    with Archive.open(s.db) as archive:
        deliveries = archive.deliveries()
        events = archive.changes()
    received = {"mail": sink.keys(), "hook": hook.keys(), "disk": file_keys(s.outdir)}
    due = {(d["channel"], d["key"]) for d in deliveries}
    got = {(ch, k) for ch, keys in received.items() for k in keys if k}
    # Which events each channel really carried: the webhook bodies and the files name them.
    carried: set[str] = set()
    for _, body in hook.seen:
        for kinds in json.loads(body)["sources"].values():
            carried |= {item["url"] for items in kinds.values() for item in items}
    dup = sum(n - 1 for keys in received.values() for n in Counter(k for k in keys if k).values())
    # A copy is unkeyed when it carries no key, or a key the outbox never issued.
    unkeyed = sum(1 for ch, keys in received.items() for k in keys if not k or (ch, k) not in due)
    return {
        "due": len(due),
        "delivered": len(due & got),
        "lost": len(due - got),
        "events_unreported": len({e.url for e in events} - carried),
        "dup": dup,
        "unkeyed": unkeyed,
    }


def count(t: dict[str, int]) -> None:
    figures.add("service_kill_cases")
    figures.add("channel_reports_due", t["due"])
    figures.add("channel_reports_delivered", t["delivered"])
    figures.add("channel_reports_lost", t["lost"])
    figures.add("events_unreported", t["events_unreported"])
    figures.add("duplicates_by_key", t["dup"])
    figures.add("unkeyed_duplicates", t["unkeyed"])


# -- kill -9 ---------------------------------------------------------------------------------


KILL_POINTS = [
    "child-after-commit",
    "service-mid-crawl",
    "after-plan-before-send",
    "during-send",
    "sent-not-marked",
]


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_9_loses_no_report_and_every_copy_carries_its_key(
    tmp_path: Path, mirror: object, smtp: tuple[int, MailSink], hook: Hook, point: str
) -> None:
    port, sink = smtp
    s = make_setup(tmp_path, mirror, port, hook.url)
    if point == "service-mid-crawl":
        # Polite enough that the kill after the first commit leaves a page unfetched. A crawl
        # child's first transaction waits for the word dictionary to load (3.8-4.7 s measured
        # on a slow machine); at 1 s a page, one CI run there found all three committed by
        # the time the kill landed (another passed).
        _source_schedule(s, delay=4.0)
        proc = subprocess.Popen(
            serve_cmd(s, "--once"), cwd=REPO, env=s.env, stderr=subprocess.PIPE, text=True
        )
        assert _wait_for(lambda: _children(proc.pid), 60), "no crawl started"
        kids = _children(proc.pid)
        assert _wait_for(lambda: _committed_events(s.db) >= 1, 60), "nothing committed"
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        # The child learns of its parent's death (PR_SET_PDEATHSIG) and stops.
        assert _wait_for(lambda: not any(Path(f"/proc/{k}").exists() for k in kids), 30), kids
        assert _committed_events(s.db) < 3, "the kill landed after the whole crawl"
    elif point == "during-send":
        hook.delay = 30.0  # the webhook hangs; the service is killed while it waits
        proc = subprocess.Popen(
            serve_cmd(s, "--once"), cwd=REPO, env=s.env, stderr=subprocess.PIPE, text=True
        )
        assert hook.got_one.wait(120), "the webhook was never called"
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        hook.delay = 0.0
    else:
        env = {"PW_CHILD_DIE": "1"} if point == "child-after-commit" else {}
        if point == "after-plan-before-send":
            env["PW_DIE_AT"] = "planned"
        elif point == "sent-not-marked":
            env["PW_DIE_AT"] = "sent"
        first = serve_once(s, **env)
        if point == "child-after-commit":
            # The service survives its child; the committed change is reported anyway.
            assert first.returncode == 1, first.stderr[-2000:]
            assert "crawl failed" in first.stderr
        else:
            assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    if point != "child-after-commit":
        assert status_json(s)["service"]["running"] is False
    restart_until_delivered(s)
    t = tally(s, sink, hook)
    count(t)
    assert t["due"] >= 3  # at least one report on each of three channels
    assert (t["lost"], t["events_unreported"], t["unkeyed"]) == (0, 0, 0), t
    st = status_json(s)
    counts = {c["channel"]: c for c in st["deliveries"]}
    assert all(c["delivered"] == t["due"] // 3 and c["failed"] == 0 for c in counts.values()), st
    if point in ("during-send", "sent-not-marked"):
        # The kill landed after a send: that delivery was made again, under the same key (a
        # file is rewritten in place under its key, so only the attempts show it).
        with Archive.open(s.db) as archive:
            assert max(d["attempts"] for d in archive.deliveries()) == 2
    if point == "during-send":
        # (Mail may have been sent but not yet marked at the kill too: at-least-once.)
        assert len(hook.seen) == 2 and len(set(hook.keys())) == 1, hook.keys()


def test_webhook_copies_carry_standard_webhooks_headers(
    tmp_path: Path, mirror: object, smtp: tuple[int, MailSink], hook: Hook
) -> None:
    import base64
    import hashlib
    import hmac

    port, sink = smtp
    hook.statuses = [500, 503, 200]  # fails twice, then takes it
    s = make_setup(tmp_path, mirror, port, hook.url)
    run = serve_once(s)
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(hook.seen) == 3
    ids = {h["webhook-id"] for h, _ in hook.seen}
    assert len(ids) == 1, "every retry of one report carries the same webhook-id"
    headers, body = hook.seen[-1]
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["webhook-signature"], expected)
    assert (
        "delivery failed for" in run.stderr and "attempt 1" in run.stderr
    )  # the log says it failed
    (delivery,) = [d for d in Archive.open(s.db).deliveries() if d["channel"] == "hook"]
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 3)
    assert len(sink.messages) == 1 and len(file_keys(s.outdir)) == 1


def test_smtp_down_does_not_hold_up_the_webhook_and_is_retried(
    tmp_path: Path, mirror: object, hook: Hook
) -> None:
    port = free_port()  # nothing listens yet
    s = make_setup(tmp_path, mirror, port, hook.url)
    run = serve_once(s)
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(hook.seen) == 1 and len(file_keys(s.outdir)) == 1
    st = status_json(s)
    mail = next(c for c in st["deliveries"] if c["channel"] == "mail")
    assert mail["retrying"] == 1 and mail["delivered"] == 0
    assert "WARNING policywatch.serve: [mail] delivery failed for" in run.stderr
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        restart_until_delivered(s)
    finally:
        controller.stop()
    assert len(sink.messages) == 1 and len(hook.seen) == 1  # the webhook is not sent again
    mail = next(c for c in status_json(s)["deliveries"] if c["channel"] == "mail")
    assert (mail["delivered"], mail["retrying"]) == (1, 0)


# -- SIGTERM, one service per archive --------------------------------------------------------


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _wait_for(pred, timeout: float, step: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def _committed_events(db: str) -> int:
    with Archive.open(db, create=False) as archive:
        return len(archive.changes())


def _crawls_started(db: str) -> int:
    with Archive.open(db, create=False) as archive:
        return len(archive.crawls())


def _seed_missed_run(s: Setup) -> None:
    """Make the source's run due now: as if it was missed while the service was down."""
    from datetime import UTC, datetime, timedelta

    with Archive.open(s.db) as archive:
        archive.set_next_run(SOURCE, "0 7 * * *", datetime.now(UTC) - timedelta(minutes=5))


def _source_schedule(s: Setup, delay: float = 0.0) -> None:
    text = s.sources.read_text(encoding="utf-8")
    text = re.sub(r'schedule = "[^"]*"', 'schedule = "0 7 * * *"', text)
    text = re.sub(r"^delay = [0-9.]+$", f"delay = {delay}", text, flags=re.M)
    s.sources.write_text(text, encoding="utf-8")


def test_sigterm_during_a_crawl_exits_0_in_grace_without_orphans(
    tmp_path: Path, mirror: object, smtp: tuple[int, MailSink], hook: Hook
) -> None:
    s = make_setup(tmp_path, mirror, smtp[0], hook.url)
    # Polite enough that the crawl is still under way when the signal comes: with no delay a
    # quick machine finishes the mirror within the second the test waits.
    _source_schedule(s, delay=2.0)
    _seed_missed_run(s)
    proc = subprocess.Popen(
        serve_cmd(s, "--grace", "20"), cwd=REPO, env=s.env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert _wait_for(lambda: _children(proc.pid), 60), "no crawl started"
        kids = _children(proc.pid)
        time.sleep(1.0)  # the crawl is under way
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=40)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert took < 20, took
    assert not [k for k in kids if Path(f"/proc/{k}").exists()], "a crawl outlived the service"
    assert "SIGTERM: stopping; 1 crawl(s) told to stop" in err
    assert list((tmp_path / "tmpdir").iterdir()) == [], "temporary files left behind"
    st = status_json(s)
    assert st["service"]["running"] is False
    (src,) = st["sources"]
    assert (src["crawling"], src["failure_streak"]) == (False, 0)
    assert src["last_run"]["status"] == "interrupted", (src, err[-2000:])
    assert src["next_run_at"] is not None


def test_second_serve_is_refused_in_one_line_and_a_manual_crawl_waits_its_turn(
    tmp_path: Path, mirror: object, smtp: tuple[int, MailSink], hook: Hook, db_url: str
) -> None:
    s = make_setup(tmp_path, mirror, smtp[0], hook.url)
    s.db = db_url  # SQLite: the lease row and its heartbeat; PostgreSQL: the advisory lock
    _source_schedule(s, delay=3.0)  # a crawl slow enough to be caught at it
    _seed_missed_run(s)
    first = subprocess.Popen(serve_cmd(s), cwd=REPO, env=s.env, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: _children(first.pid), 60), "no crawl started"
        st = status_json(s)
        second = subprocess.run(
            serve_cmd(s, "--once"), cwd=REPO, env=s.env, capture_output=True, text=True, timeout=60
        )
        manual = subprocess.run(
            [sys.executable, "scheduler.py", "crawl", "--sources", str(s.sources), "--db", s.db],
            cwd=REPO, env=s.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=60)
    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert re.fullmatch(
        r"policywatch: error: serve: another policywatch service is running on this archive "
        rf"\(pid {first.pid} on .+, since .+\)",
        lines[0],
    ), lines
    assert manual.returncode == 1
    assert manual.stderr.strip().startswith(
        f"policywatch: error: crawl: source {SOURCE} is being crawled by another process"
    ), manual.stderr
    assert st["service"]["running"] is True and st["service"]["pid"] == first.pid
    assert st["sources"][0]["crawling"] is True
    assert first.returncode == 0, err[-2000:]
    with Archive.open(s.db) as archive:
        crawls = archive.crawls()
    assert len(crawls) == 1, "the manual crawl never started"
    # The first crawl ended itself (stopped by the service's SIGTERM at the end of the test);
    # the manual crawl's start did not mark it as a crawl whose process died.
    assert crawls[0].finished_at is not None, crawls
    assert crawls[0].status.value == "ok" or crawls[0].stats.get("reason", "").startswith(
        "stopped by a signal"
    ), crawls


@pytest.mark.parametrize("second", [False, True], ids=["grace-runs-out", "second-signal"])
def test_a_crawl_deaf_to_sigterm_is_killed_after_the_grace_or_at_a_second_signal(
    tmp_path: Path, mirror: object, smtp: tuple[int, MailSink], hook: Hook, second: bool
) -> None:
    s = make_setup(tmp_path, mirror, smtp[0], hook.url)
    s.env["PW_CHILD_DEAF"] = "1"
    _source_schedule(s, delay=3.0)  # a crawl that would outlast the test
    _seed_missed_run(s)
    grace = "120" if second else "3"
    proc = subprocess.Popen(
        serve_cmd(s, "--grace", grace), cwd=REPO, env=s.env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert _wait_for(lambda: _children(proc.pid), 60), "no crawl started"
        kids = _children(proc.pid)
        assert _wait_for(lambda: _crawls_started(s.db) > 0, 60), "the crawl never began"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        if second:
            time.sleep(1.0)
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _wait_for(lambda: not any(Path(f"/proc/{k}").exists() for k in kids), 10), kids
    if second:
        assert proc.returncode == 1, err[-2000:]
        assert "SIGINT again: killing 1 crawl(s) now" in err
        assert took < 15, took  # not the 120 s grace
    else:
        assert proc.returncode == 0, err[-2000:]
        assert "grace period over: killing 1 crawl(s)" in err
        assert 3 <= took < 15, took
    assert list((tmp_path / "tmpdir").iterdir()) == [], "temporary files left behind"
    assert status_json(s)["service"]["running"] is False
