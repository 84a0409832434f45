"""Delivery channels against real receivers on 127.0.0.1: an SMTP server, HTTP servers, a folder.

No mocks: aiosmtpd receives the mail, http.server receives the webhook, and the files land in
tmp_path. Every network wait is bounded (timeouts of at most 5 seconds, tiny backoffs).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from archive.delivery import (
    REPORTERS,
    DeliveryError,
    RenderedReport,
    ReporterConfigError,
    deliver,
    load_reporters,
    reporter_help,
)
from archive.delivery.files import _write_all, report_stem

REPO = Path(__file__).resolve().parent.parent
SUBJECT = "policywatch: 3 changes in tj_binhai — 天津市滨海新区关于做好2026年义务教育招生工作的通知"
REPORT = RenderedReport(
    subject=SUBJECT,
    text="二.(三).2 修改：建设40处 → 建设50处\n",
    html="<!doctype html><html><body><p>二.(三).2 修改：建设<del>40</del><ins>50</ins>处</p>"
    "</body></html>",
    json=json.dumps(
        {"source": "tj_binhai", "changes": [{"path": "二.(三).2", "kind": "modified"}]},
        ensure_ascii=False,
    ),
)
PASSWORD = "pw-Zq8#hunter2-do-not-leak"
HOOK_SECRET = "hook-secret-Xy7!never-shown"
# Minimal valid tables, one per kind, for the config tests to break.
MAIL = '[[reporter]]\nname = "m"\nkind = "email"\nfrom = "p@example.org"\nto = ["a@example.org"]\n'
HOOK = '[[reporter]]\nname = "h"\nkind = "webhook"\nurl = "https://example.org/h"\n'
FILES = '[[reporter]]\nname = "f"\nkind = "files"\ndirectory = "out"\n'


# ---------------------------------------------------------------------------------------------
# Real receivers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MailSink:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    envelopes: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, MailSink]]:
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), ready_timeout=5)
    controller.start()
    yield controller.port, sink
    controller.stop()


@pytest.fixture
def refusing_smtp_server() -> Iterator[int]:
    """An SMTP server that offers AUTH and turns every login down."""

    def refuse(server, session, envelope, mechanism, auth_data) -> AuthResult:
        return AuthResult(success=False, handled=False)

    controller = Controller(
        MailSink(),
        hostname="127.0.0.1",
        port=free_port(),
        ready_timeout=5,
        authenticator=refuse,
        auth_require_tls=False,
    )
    controller.start()
    yield controller.port
    controller.stop()


@dataclass
class Receiver:
    """An HTTP server answering POSTs with ``statuses`` in turn (the last one repeats)."""

    url: str
    requests: list[tuple[str, dict[str, str], bytes]]


@pytest.fixture
def http_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[list[int]], Receiver]]:
    # A proxy in the environment must not sit between the client and 127.0.0.1.
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    servers: list[ThreadingHTTPServer] = []

    def start(statuses: list[int]) -> Receiver:
        seen: list[tuple[str, dict[str, str], bytes]] = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    seen.append((self.path, dict(self.headers), body))
                    status = statuses[min(len(seen), len(statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", seen)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def config(tmp_path: Path, toml: str) -> dict:
    path = tmp_path / "reporters.toml"
    path.write_text(toml, encoding="utf-8")
    return load_reporters(path)


def email_toml(port: int, extra: str = "") -> str:
    return f"""
[[reporter]]
name = "team-mail"
kind = "email"
host = "127.0.0.1"
port = {port}
from = "policywatch@example.org"
to = ["a@example.org", "政策组 <b@example.org>"]
timeout = 5
{extra}
"""


def webhook_toml(url: str, extra: str = "") -> str:
    return f"""
[[reporter]]
name = "hook"
kind = "webhook"
url = "{url}"
timeout = 5
backoff = 0.01
{extra}
"""


# ---------------------------------------------------------------------------------------------
# Email


def test_email_arrives_as_multipart_text_and_html_with_chinese_subject(
    tmp_path: Path, smtp_server: tuple[int, MailSink]
) -> None:
    port, sink = smtp_server
    reporter = config(tmp_path, email_toml(port))["team-mail"]
    reporter.deliver(REPORT)

    (envelope,) = sink.envelopes
    assert envelope.mail_from == "policywatch@example.org"
    assert envelope.rcpt_tos == ["a@example.org", "b@example.org"]
    raw: bytes = envelope.original_content
    assert raw.isascii(), "headers and bodies go out 7-bit clean (no SMTPUTF8/8BITMIME needed)"
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == SUBJECT
    assert "=?utf-8?" in raw.decode("ascii").split("\r\n\r\n")[0]
    assert message["Date"]
    assert message["Message-ID"].endswith("@example.org>")
    assert message.get_content_type() == "multipart/alternative"
    # Text parts travel in canonical form (CRLF line ends, RFC 2046), so compare with "\n".
    parts = {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in message.iter_parts()
    }
    assert parts == {"text/plain": REPORT.text, "text/html": REPORT.html + "\n"}


def test_email_subject_from_page_text_cannot_inject_headers(
    tmp_path: Path, smtp_server: tuple[int, MailSink]
) -> None:
    port, sink = smtp_server
    hostile = RenderedReport("改了\r\nBcc: victim@example.net\n\n正文", "t", "<p>h</p>", "{}")
    config(tmp_path, email_toml(port))["team-mail"].deliver(hostile)

    message = email.message_from_bytes(
        sink.envelopes[0].original_content, policy=email.policy.default
    )
    assert message["Bcc"] is None
    assert message["Subject"] == "改了 Bcc: victim@example.net 正文"
    assert sink.envelopes[0].rcpt_tos == ["a@example.org", "b@example.org"]


def test_email_to_a_closed_port_is_a_one_line_delivery_error(tmp_path: Path) -> None:
    port = free_port()
    reporter = config(tmp_path, email_toml(port))["team-mail"]
    with pytest.raises(DeliveryError) as caught:
        reporter.deliver(REPORT)
    message = str(caught.value)
    assert message.startswith(f'email "team-mail": cannot send via 127.0.0.1:{port}: ')
    assert "\n" not in message


def test_email_password_env_unset_is_a_delivery_error(
    tmp_path: Path, smtp_server: tuple[int, MailSink], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PW_TEST_SMTP", raising=False)
    extra = 'username = "pw"\npassword_env = "PW_TEST_SMTP"'
    reporter = config(tmp_path, email_toml(smtp_server[0], extra))["team-mail"]
    with pytest.raises(
        DeliveryError,
        match=r'^email "team-mail": environment variable '
        r"PW_TEST_SMTP is not set or empty$",
    ):
        reporter.deliver(REPORT)
    assert smtp_server[1].envelopes == []


# ---------------------------------------------------------------------------------------------
# Webhook


def test_webhook_posts_the_json_signed_with_hmac(
    tmp_path: Path, http_receiver: Callable[[list[int]], Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW_TEST_HOOK", HOOK_SECRET)
    receiver = http_receiver([200])
    reporter = config(tmp_path, webhook_toml(receiver.url, 'secret_env = "PW_TEST_HOOK"'))["hook"]
    reporter.deliver(REPORT)

    ((path, headers, body),) = receiver.requests
    assert path == "/hook"
    assert body == REPORT.json.encode("utf-8")
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["User-Agent"].startswith("policywatch")
    expected = hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Policywatch-Signature"], f"sha256={expected}")


def test_webhook_without_secret_sends_no_signature(
    tmp_path: Path, http_receiver: Callable[[list[int]], Receiver]
) -> None:
    receiver = http_receiver([204])
    config(tmp_path, webhook_toml(receiver.url))["hook"].deliver(REPORT)
    assert "X-Policywatch-Signature" not in receiver.requests[0][1]


def test_webhook_retries_5xx_then_succeeds(
    tmp_path: Path, http_receiver: Callable[[list[int]], Receiver]
) -> None:
    receiver = http_receiver([500, 500, 200])
    config(tmp_path, webhook_toml(receiver.url, "retries = 2"))["hook"].deliver(REPORT)
    assert len(receiver.requests) == 3


def test_webhook_retries_are_bounded(
    tmp_path: Path, http_receiver: Callable[[list[int]], Receiver]
) -> None:
    receiver = http_receiver([503])
    reporter = config(tmp_path, webhook_toml(receiver.url, "retries = 2"))["hook"]
    with pytest.raises(DeliveryError) as caught:
        reporter.deliver(REPORT)
    assert len(receiver.requests) == 3
    assert str(caught.value) == (
        f'webhook "hook": POST {receiver.url} failed after 3 attempts: HTTP 503 Service Unavailable'
    )


def test_webhook_4xx_is_not_retried(
    tmp_path: Path, http_receiver: Callable[[list[int]], Receiver]
) -> None:
    receiver = http_receiver([400, 200])
    reporter = config(tmp_path, webhook_toml(receiver.url, "retries = 2"))["hook"]
    with pytest.raises(DeliveryError) as caught:
        reporter.deliver(REPORT)
    assert len(receiver.requests) == 1
    assert str(caught.value) == f'webhook "hook": POST {receiver.url} failed: HTTP 400 Bad Request'


def test_webhook_to_a_closed_port_is_a_one_line_delivery_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    reporter = config(tmp_path, webhook_toml(url, "retries = 1"))["hook"]
    with pytest.raises(DeliveryError) as caught:
        reporter.deliver(REPORT)
    message = str(caught.value)
    assert message.startswith(f'webhook "hook": POST {url} failed after 2 attempts: cannot connect')
    assert "\n" not in message


def test_webhook_url_credentials_are_sent_but_never_shown(
    tmp_path: Path, http_receiver: Callable[[list[int]], Receiver]
) -> None:
    receiver = http_receiver([401])
    secret_url = receiver.url.replace("http://", "http://bot:s3cr3t-pass@") + "?token=t0k3n-xyz"
    reporter = config(tmp_path, webhook_toml(secret_url))["hook"]
    with pytest.raises(DeliveryError) as caught:
        reporter.deliver(REPORT)

    path, headers, _ = receiver.requests[0]
    assert path == "/hook?token=t0k3n-xyz"
    assert headers["Authorization"] == "Basic Ym90OnMzY3IzdC1wYXNz"  # bot:s3cr3t-pass
    for shown in (str(caught.value), repr(reporter), str(reporter)):
        assert "s3cr3t-pass" not in shown
        assert "t0k3n-xyz" not in shown
    assert str(caught.value) == f'webhook "hook": POST {receiver.url} failed: HTTP 401 Unauthorized'


# ---------------------------------------------------------------------------------------------
# Files


def test_files_writes_one_file_per_format(tmp_path: Path) -> None:
    toml = '[[reporter]]\nname = "disk"\nkind = "files"\ndirectory = "out/reports"\n'
    config(tmp_path, toml)["disk"].deliver(REPORT)

    written = sorted((tmp_path / "out" / "reports").iterdir())
    assert [p.suffix for p in written] == [".html", ".json", ".txt"]
    stems = {p.stem for p in written}
    assert len(stems) == 1
    assert re.fullmatch(r"\d{8}T\d{6}Z-policywatch-3-changes-in-tj_binhai-天津市\w+", stems.pop())
    by_suffix = {p.suffix: p.read_text(encoding="utf-8") for p in written}
    assert by_suffix == {".txt": REPORT.text, ".html": REPORT.html, ".json": REPORT.json}


def test_files_same_subject_twice_keeps_both(tmp_path: Path) -> None:
    toml = '[[reporter]]\nname = "disk"\nkind = "files"\ndirectory = "out"\nformats = ["json"]\n'
    reporter = config(tmp_path, toml)["disk"]
    reporter.deliver(REPORT)
    reporter.deliver(REPORT)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 2, names  # the same second gives "<stem>.json" and "<stem>-2.json"
    assert not [n for n in names if n.startswith(".")], "no temporary files left behind"


def test_files_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    # A non-empty directory squatting on the last name makes its rename fail after the first
    # file has landed; the report is all of its files or none of them.
    blocker = tmp_path / "r.json"
    blocker.mkdir()
    (blocker / "keep").touch()
    with pytest.raises(OSError, match=r"r\.json"):
        _write_all(tmp_path, {"r.txt": REPORT.text, "r.html": REPORT.html, "r.json": REPORT.json})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_files_directory_that_is_a_file_is_a_one_line_delivery_error(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    reporter = config(tmp_path, FILES.replace('"f"', '"d"'))["d"]
    with pytest.raises(DeliveryError, match=r'^files "d": cannot write to .*out: [^\n]+$'):
        reporter.deliver(REPORT)


@pytest.mark.parametrize(
    ("subject", "slug"),
    [
        ("policywatch: 3 changes in tj_binhai", "policywatch-3-changes-in-tj_binhai"),
        ("../../etc/passwd", "etc-passwd"),
        ("天津/滨海 新区\x00", "天津-滨海-新区"),
        ("...", "report"),
        ("x" * 80, "x" * 50),
    ],
)
def test_report_stem_is_a_safe_file_name(subject: str, slug: str) -> None:
    now = datetime(2026, 8, 21, 18, 15, 0, tzinfo=UTC)
    assert report_stem(subject, now) == f"20260821T181500Z-{slug}"


# ---------------------------------------------------------------------------------------------
# deliver(): every channel gets its chance, secrets never show


def test_deliver_continues_past_a_failing_channel(tmp_path: Path) -> None:
    reporters = config(
        tmp_path,
        webhook_toml(f"http://127.0.0.1:{free_port()}/x", "retries = 0")
        + '[[reporter]]\nname = "disk"\nkind = "files"\ndirectory = "out"\n',
    )
    errors = deliver(REPORT, reporters.values())
    assert len(errors) == 1
    assert errors[0].startswith('webhook "hook": POST http://127.0.0.1:')
    assert len(list((tmp_path / "out").iterdir())) == 3


@dataclass(frozen=True, slots=True)
class BrokenReporter:
    """A channel with a bug: deliver() raises something other than DeliveryError."""

    name: str = "broken"
    kind = "broken"

    def deliver(self, report: RenderedReport) -> None:
        raise KeyError(report.subject)


def test_deliver_survives_a_channel_bug(tmp_path: Path) -> None:
    files = config(tmp_path, '[[reporter]]\nname = "d"\nkind = "files"\ndirectory = "out"\n')
    errors = deliver(REPORT, [BrokenReporter(), files["d"]])
    assert errors == ['broken "broken": unexpected KeyError']
    assert len(list((tmp_path / "out").iterdir())) == 3


def test_secrets_never_appear_in_errors_reprs_or_logs(
    tmp_path: Path,
    refusing_smtp_server: int,
    http_receiver: Callable[[list[int]], Receiver],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("PW_TEST_SMTP", PASSWORD)
    monkeypatch.setenv("PW_TEST_HOOK", HOOK_SECRET)
    failing = http_receiver([500])
    reporters = config(
        tmp_path,
        (
            email_toml(refusing_smtp_server, 'username = "pw"\npassword_env = "PW_TEST_SMTP"')
            + webhook_toml(failing.url, 'secret_env = "PW_TEST_HOOK"\nretries = 1')
            + webhook_toml(
                f"http://127.0.0.1:{free_port()}/x", 'secret_env = "PW_TEST_HOOK"'
            ).replace('name = "hook"', 'name = "hook-closed"')
        ),
    )

    errors = deliver(REPORT, reporters.values())

    assert len(errors) == 3
    assert errors[0].startswith(
        f'email "team-mail": login refused by 127.0.0.1:{refusing_smtp_server}: 535'
    )
    assert len(failing.requests) == 2
    shown = [*errors, caplog.text, *map(repr, reporters.values()), *map(str, reporters.values())]
    for text in shown:
        assert PASSWORD not in text
        assert HOOK_SECRET not in text
    assert all("\n" not in e for e in errors)


# ---------------------------------------------------------------------------------------------
# The config file


def test_example_config_loads_and_documents_every_kind() -> None:
    example = REPO / "seeds" / "reporters.example.toml"
    reporters = load_reporters(example)
    assert {r.kind for r in reporters.values()} == set(REPORTERS)
    assert reporters["archive-files"].directory == example.parent / "reports"
    for kind, help_text in reporter_help().items():
        assert help_text, f"{kind}: the class docstring is the help text"


BAD_CONFIGS = {
    "name missing": ('[[reporter]]\nkind = "files"\n', "reporter #1: name: missing"),
    "name not text": (
        "[[reporter]]\nname = 3\n",
        "reporter #1: name: expected a string, got an integer",
    ),
    "name odd": (
        '[[reporter]]\nname = "a b"\n',
        'reporter #1: name: use letters, digits, "-", "_" or "." only',
    ),
    "name twice": (
        FILES + FILES,
        'reporter "f": name: duplicate (names must be unique in the file)',
    ),
    "kind missing": ('[[reporter]]\nname = "x"\n', 'reporter "x": kind: missing'),
    "kind unknown": (
        '[[reporter]]\nname = "x"\nkind = "smtp"\n',
        'reporter "x": kind: unknown kind "smtp" (expected one of: email, files, webhook)',
    ),
    "unknown key": (FILES + 'colour = "red"\n', 'reporter "f": colour: unknown key'),
    "password in file": (
        MAIL + 'password = "hunter2"\n',
        'reporter "m": password: not allowed: put the secret in an environment '
        "variable and name it in password_env",
    ),
    "to missing": (MAIL.replace('to = ["a@example.org"]\n', ""), 'reporter "m": to: missing'),
    "to a string": (
        MAIL.replace('["a@example.org"]', '"a@example.org"'),
        'reporter "m": to: expected a list of strings, got a string',
    ),
    "to empty": (MAIL.replace('["a@example.org"]', "[]"), 'reporter "m": to: must not be empty'),
    "to not an address": (
        MAIL.replace("a@example.org", "nobody"),
        'reporter "m": to: not an email address',
    ),
    "from missing": (MAIL.replace('from = "p@example.org"\n', ""), 'reporter "m": from: missing'),
    "port text": (MAIL + 'port = "25"\n', 'reporter "m": port: expected an integer, got a string'),
    "port bool": (MAIL + "port = true\n", 'reporter "m": port: expected an integer, got a boolean'),
    "port range": (
        MAIL + "port = 70000\n",
        'reporter "m": port: must be from 1 to 65535, got 70000',
    ),
    "starttls text": (
        MAIL + 'starttls = "yes"\n',
        'reporter "m": starttls: expected true or false, got a string',
    ),
    "ssl and starttls": (
        MAIL + "ssl = true\nstarttls = true\n",
        'reporter "m": ssl: cannot be combined with starttls (pick one)',
    ),
    "username alone": (
        MAIL + 'username = "u"\n',
        'reporter "m": password_env: missing (username and password_env go together)',
    ),
    "password_env not a name": (
        MAIL + 'username = "u"\npassword_env = "hunter 2!"\n',
        'reporter "m": password_env: must name an environment variable (letters, digits, _)',
    ),
    "timeout zero": (
        MAIL + "timeout = 0\n",
        'reporter "m": timeout: must be more than 0 and at most 600, got 0',
    ),
    "timeout text": (
        MAIL + 'timeout = "30s"\n',
        'reporter "m": timeout: expected a number of seconds, got a string',
    ),
    "url missing": (
        HOOK.replace('url = "https://example.org/h"\n', ""),
        'reporter "h": url: missing',
    ),
    "url ftp": (
        HOOK.replace("https://", "ftp://"),
        'reporter "h": url: must be an http:// or https:// URL',
    ),
    "url file": (
        HOOK.replace("https://example.org/h", "file:///etc/passwd"),
        'reporter "h": url: must be an http:// or https:// URL',
    ),
    "url no host": (
        HOOK.replace("https://example.org/h", "https:///h"),
        'reporter "h": url: has no host',
    ),
    "url bad port": (
        HOOK.replace("example.org", "example.org:http"),
        'reporter "h": url: has an invalid port',
    ),
    "retries negative": (
        HOOK + "retries = -1\n",
        'reporter "h": retries: must be from 0 to 10, got -1',
    ),
    "retries float": (
        HOOK + "retries = 1.5\n",
        'reporter "h": retries: expected an integer, got a number',
    ),
    "secret in file": (
        HOOK + 'secret = "s"\n',
        'reporter "h": secret: not allowed: put the secret in an environment '
        "variable and name it in secret_env",
    ),
    "directory missing": (
        FILES.replace('directory = "out"\n', ""),
        'reporter "f": directory: missing',
    ),
    "format unknown": (
        FILES + 'formats = ["pdf"]\n',
        'reporter "f": formats: unknown format "pdf" (expected text, html, json)',
    ),
    "format twice": (
        FILES + 'formats = ["json", "json"]\n',
        'reporter "f": formats: lists a format twice',
    ),
    "top-level key": ('title = "x"\n', "title: unknown key (expected [[reporter]] tables)"),
    "reporter not tables": ("reporter = 3\n", "reporter: expected [[reporter]] tables"),
}


@pytest.mark.parametrize(("toml", "expected"), BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_bad_config_is_one_line_naming_file_reporter_and_field(
    tmp_path: Path, toml: str, expected: str
) -> None:
    with pytest.raises(ReporterConfigError) as caught:
        config(tmp_path, toml)
    assert str(caught.value) == f"{tmp_path / 'reporters.toml'}: {expected}"
    assert "hunter" not in str(caught.value)


def test_bad_toml_and_missing_file_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ReporterConfigError, match=r"reporters\.toml: not valid TOML: .*line 1"):
        config(tmp_path, "[[reporter]\n")
    with pytest.raises(ReporterConfigError, match=r"nope\.toml: cannot read: No such file"):
        load_reporters(tmp_path / "nope.toml")


def test_empty_config_has_no_reporters(tmp_path: Path) -> None:
    assert config(tmp_path, "# nothing yet\n") == {}
