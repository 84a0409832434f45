"""Bad input gets one clear line, exit status 2, and never a traceback; secrets never show.

Malformed sources files, reporter (channel) configs, CLI arguments, database URLs and dates,
through ``policywatch`` (scheduler.main) and through ``python -m crawler.run``. Each answer
must be exactly one line that names what is wrong and where. Every database URL here carries
a password, and no answer may contain it. The end-to-end test at the bottom runs
``policywatch serve --once`` with SMTP and webhook secrets and searches everything it wrote
for them.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import scheduler
from tests import reliability_figures as figures
from tests.faultsite import REPO, serve_faultsite, source_toml

PASSWORD = "s3cr3t-Pa55"
# A safe source: if a bad-input case were ever accepted, its crawl is refused at once
# (loopback, and allow_private is false) instead of reaching out anywhere.
GOOD_SOURCE = """[[source]]
id = "safe"
name = "安全测试源"
start_urls = ["http://127.0.0.1:9/list.html"]
documents = ['^/doc/']
schedule = "0 6 * * *"
"""


def one_clear_line(err: str, pattern: str) -> None:
    """The contract: a single line, the policywatch prefix, the named problem, no traceback."""
    figures.add("bad_inputs_tried")
    assert "Traceback" not in err, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith(("policywatch: error: ", "policywatch crawl: ")), err
    assert re.search(pattern, err), f"{pattern!r} not in {err!r}"
    assert PASSWORD not in err
    figures.add("bad_inputs_one_line")


def policywatch(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = scheduler.main(list(args))
    _, err = capsys.readouterr()
    return code, err


def crawler_run(*args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.run", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.returncode, proc.stderr


# -- sources files --------------------------------------------------------------------------------

# (id, file text (None: the file is not UTF-8), what the line must say after "<file>: ")
BAD_SOURCES = [
    ("toml-syntax", "[[source]\nid = 'x'\n", r"line 1: Expected ']]'"),
    ("not-utf8", None, r"not UTF-8 \(invalid start byte at byte 0\)"),
    ("no-tables", "title = 'x'\n", r"title: unknown key \(expected \[\[source\]\] tables\)"),
    ("empty-file", "", r"no \[\[source\]\] tables"),
    ("source-not-table", "source = 3\n", r"source: expected \[\[source\]\] tables"),
    ("missing-id", GOOD_SOURCE.replace('id = "safe"\n', ""), r"source #1: id: missing"),
    ("bad-id", GOOD_SOURCE.replace('"safe"', '"Safe-1"'), r"id: not ASCII snake_case"),
    ("unknown-key", GOOD_SOURCE + "colour = 1\n", r'source "safe": colour: unknown key'),
    (
        "start-url-scheme",
        GOOD_SOURCE.replace("http://127.0.0.1:9", "ftp://127.0.0.1"),
        r"start_urls\[0\]: not an http\(s\) URL",
    ),
    (
        "start-urls-string",
        GOOD_SOURCE.replace('["http://127.0.0.1:9/list.html"]', '"http://127.0.0.1:9/"'),
        r"start_urls: expected a list of strings, got string",
    ),
    ("documents-empty", GOOD_SOURCE.replace("['^/doc/']", "[]"), r"documents: must not be empty"),
    (
        "documents-regex",
        GOOD_SOURCE.replace("'^/doc/'", "'(['"),
        r"documents\[0\]: not a regular expression",
    ),
    ("schedule", GOOD_SOURCE.replace("0 6 * * *", "every day"), r"schedule: not a cron"),
    ("delay-negative", GOOD_SOURCE + "delay = -1\n", r"delay: must be at least 0, got -1"),
    ("delay-bool", GOOD_SOURCE + "delay = true\n", r"delay: expected a number, got boolean"),
    ("concurrency-zero", GOOD_SOURCE + "concurrency = 0\n", r"concurrency: must be at least 1"),
    ("encoding", GOOD_SOURCE + "encoding = 'klingon'\n", r'encoding: unknown codec: "klingon"'),
    (
        "prune-xpath",
        GOOD_SOURCE + "prune_xpath = ['//div[']\n",
        r"prune_xpath\[0\]: not an XPath expression",
    ),
    ("withdraw-after", GOOD_SOURCE + "withdraw_after = 0\n", r"withdraw_after: must be at least"),
    (
        "max-page-bytes",
        GOOD_SOURCE + "max_page_bytes = '10MB'\n",
        r"max_page_bytes: expected an integer, got string",
    ),
    (
        "allow-private",
        GOOD_SOURCE + "allow_private = 'yes'\n",
        r"allow_private: expected a boolean, got string",
    ),
    (
        "extra-hosts",
        GOOD_SOURCE + "extra_hosts = ['http://x/']\n",
        r"extra_hosts\[0\]: not a hostname",
    ),
    ("duplicate-key", GOOD_SOURCE + 'id = "again"\n', r"line \d+: Cannot overwrite a value"),
]


@pytest.mark.parametrize(
    ("text", "pattern"), [c[1:] for c in BAD_SOURCES], ids=[c[0] for c in BAD_SOURCES]
)
@pytest.mark.parametrize("command", ["sources", "crawl"])
def test_bad_sources_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, text: str | None, pattern: str
) -> None:
    file = tmp_path / "bureaus.toml"
    if text is None:
        file.write_bytes(b"\xff\xfe" + GOOD_SOURCE.encode("utf-16-le"))
    else:
        file.write_text(text, encoding="utf-8")
    db = ["--db", str(tmp_path / "a.db")] if command == "crawl" else []
    code, err = policywatch(capsys, command, "--sources", str(file), *db)
    assert code == 2
    one_clear_line(err, re.escape(str(file)) + ": (source [^:]+: )?" + pattern)


def test_sources_directory_problems(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = policywatch(capsys, "sources", "--sources", str(empty))
    assert code == 2
    one_clear_line(err, r"empty: no \*\.toml files")

    twice = tmp_path / "twice"
    twice.mkdir()
    (twice / "a.toml").write_text(GOOD_SOURCE, encoding="utf-8")
    (twice / "b.toml").write_text(GOOD_SOURCE, encoding="utf-8")
    code, err = policywatch(capsys, "sources", "--sources", str(twice))
    assert code == 2
    one_clear_line(err, r'b\.toml: source "safe": id: duplicate \(already defined in .*a\.toml\)')

    code, err = policywatch(capsys, "crawl", "--sources", str(tmp_path / "nope.toml"))
    assert code == 2
    one_clear_line(err, r"nope\.toml: no such file or directory")


# -- channel (reporter) configs -------------------------------------------------------------------

BAD_REPORTERS = [
    ("toml-syntax", "[[reporter]\nname=", r"not valid TOML: Expected ']]'"),
    ("not-utf8", None, r"not UTF-8 text"),
    ("unknown-top-key", "channels = []\n", r"channels: unknown key"),
    (
        "unknown-kind",
        '[[reporter]]\nname="x"\nkind="pager"\n',
        r'reporter "x": kind: unknown kind "pager" \(expected one of: email, files, webhook\)',
    ),
    ("missing-name", '[[reporter]]\nkind="files"\ndirectory="o"\n', r"reporter #1: name: missing"),
    (
        "password-in-file",
        f'[[reporter]]\nname="m"\nkind="email"\nfrom="a@b.cn"\nto=["c@d.cn"]\npassword="{PASSWORD}"\n',
        r'reporter "m": password: not allowed: put the secret in an environment variable',
    ),
    (
        "secret-in-file",
        f'[[reporter]]\nname="h"\nkind="webhook"\nurl="https://x.cn/h"\nsecret="{PASSWORD}"\n',
        r'reporter "h": secret: not allowed',
    ),
    (
        "port",
        '[[reporter]]\nname="m"\nkind="email"\nfrom="a@b.cn"\nto=["c@d.cn"]\nport=70000\n',
        r'reporter "m": port: must be from 1 to 65535, got 70000',
    ),
    (
        "email-to",
        '[[reporter]]\nname="m"\nkind="email"\nfrom="a@b.cn"\nto=["nobody"]\n',
        r'reporter "m": to: not an email address',
    ),
    (
        "webhook-scheme",
        '[[reporter]]\nname="h"\nkind="webhook"\nurl="javascript:alert(1)"\n',
        r'reporter "h": url: must be an http:// or https:// URL',
    ),
    (
        "env-name",
        '[[reporter]]\nname="h"\nkind="webhook"\nurl="https://x.cn/"\nsecret_env="a b"\n',
        r'reporter "h": secret_env: must name an environment variable',
    ),
    (
        "timeout",
        '[[reporter]]\nname="h"\nkind="webhook"\nurl="https://x.cn/"\ntimeout=-1\n',
        r'reporter "h": timeout: must be more than 0',
    ),
    (
        "duplicate",
        '[[reporter]]\nname="f"\nkind="files"\ndirectory="o"\n' * 2,
        r'reporter "f": name: duplicate',
    ),
    (
        "formats",
        '[[reporter]]\nname="f"\nkind="files"\ndirectory="o"\nformats=["pdf"]\n',
        r'reporter "f": formats: unknown format "pdf"',
    ),
]


@pytest.mark.parametrize(
    ("text", "pattern"), [c[1:] for c in BAD_REPORTERS], ids=[c[0] for c in BAD_REPORTERS]
)
def test_bad_reporters_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str | None, pattern: str
) -> None:
    sources, file = tmp_path / "s.toml", tmp_path / "reporters.toml"
    sources.write_text(GOOD_SOURCE, encoding="utf-8")
    if text is None:
        file.write_bytes(b"\xff\xfe[[reporter]]")
    else:
        file.write_text(text, encoding="utf-8")
    code, err = policywatch(
        capsys,
        "serve",
        "--once",
        "--sources",
        str(sources),
        "--reporters",
        str(file),
        "--db",
        str(tmp_path / "a.db"),
    )
    assert code == 2
    one_clear_line(err, re.escape(str(file)) + ": (source [^:]+: )?" + pattern)


def test_missing_reporters_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sources = tmp_path / "s.toml"
    sources.write_text(GOOD_SOURCE, encoding="utf-8")
    code, err = policywatch(
        capsys,
        "serve",
        "--once",
        "--sources",
        str(sources),
        "--reporters",
        str(tmp_path / "none.toml"),
    )
    assert code == 2
    one_clear_line(err, r"none\.toml: cannot read: No such file or directory")


# -- CLI arguments --------------------------------------------------------------------------------

BAD_ARGS = [
    (["frobnicate"], r"No such command 'frobnicate'"),
    (["changes", "--colour"], r"No such option '--colour'"),
    (["history"], r"Missing argument 'URL'"),
    (["search", "x", "--limit", "0"], r"--limit.*0 is not in the range x>=1"),
    (["search", "x", "--limit", "many"], r"--limit.*'many' is not a valid integer"),
    (["report", "--format", "pdf"], r"--format.*'pdf' is not one of"),
    (["crawl", "--delay", "-1"], r"--delay.*-1\.0 is not in the range x>=0"),
    (["crawl", "--concurrency", "0"], r"--concurrency.*0 is not in the range x>=1"),
    (["crawl", "--source", "nope"], r"--source: unknown source id 'nope'"),
    (["diff", "only-one"], r"diff: give OLD and NEW"),
    (["diff", "--series", "abc"], r"--series.*'abc' is not a valid integer"),
    (["extract", "/nonexistent/page.html"], r"'/nonexistent/page.html' does not exist"),
    (["serve", "--once", "--timezone", "Mars/Olympus"], r"--timezone: unknown time zone"),
]


@pytest.mark.parametrize(("args", "pattern"), BAD_ARGS, ids=[" ".join(a) for a, _ in BAD_ARGS])
def test_bad_cli_argument(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], pattern: str
) -> None:
    sources = tmp_path / "s.toml"
    sources.write_text(GOOD_SOURCE, encoding="utf-8")
    extra = ["--sources", str(sources)] if args[0] in ("crawl", "serve") else []
    code, err = policywatch(capsys, *args, *extra)
    assert code == 2
    one_clear_line(err, pattern)


BAD_CRAWLER_ARGS = [
    (["--delay", "soon"], r"argument --delay: invalid float value: 'soon'"),
    (["--timeout", "0"], r"argument --timeout: must be more than 0, got 0"),
    (["--origin", "mirror"], r"--origin: expected REAL=MIRROR origins"),
    (["--frobnicate"], r"unrecognized arguments: --frobnicate"),
    (["--source", "nope"], r"--source: unknown source id 'nope'"),
]


@pytest.mark.parametrize(
    ("args", "pattern"), BAD_CRAWLER_ARGS, ids=[" ".join(a) for a, _ in BAD_CRAWLER_ARGS]
)
def test_bad_crawler_argument(tmp_path: Path, args: list[str], pattern: str) -> None:
    sources = tmp_path / "s.toml"
    sources.write_text(GOOD_SOURCE, encoding="utf-8")
    code, err = crawler_run("--sources", str(sources), "--db", str(tmp_path / "a.db"), *args)
    assert code == 2
    one_clear_line(err, pattern)


# -- database URLs (each with a password that must never be shown) --------------------------------


def _bad_urls(tmp: Path) -> list[tuple[str, str]]:
    a_file = tmp / "a-file"
    a_file.write_text("not a directory", encoding="utf-8")
    not_a_db = tmp / "notes.db"
    not_a_db.write_text("这不是数据库" * 200, encoding="utf-8")
    return [
        (f"nosuchdriver://u:{PASSWORD}@h/x", r"database URL: unsupported driver 'nosuchdriver'"),
        (f"mysql://u:{PASSWORD}@h/x", r"database URL: unsupported driver 'mysql'"),
        (f"postgresql://u:{PASSWORD}@127.0.0.1:port/x", r"database URL: not a valid URL"),
        (
            f"postgresql://u:{PASSWORD}@127.0.0.1:1/x",
            r"database postgresql\+psycopg://u:\*\*\*@127\.0\.0\.1:1/x: connection failed",
        ),
        (f"sqlite://u:{PASSWORD}@//x.db", r"database URL: Invalid SQLite URL: sqlite://u:\*\*\*@"),
        (f"http://u:{PASSWORD}@example.org/db", r"database URL: unsupported driver 'http'"),
        (f"sqlite:///{a_file}/archive.db", r"database URL: cannot create .*a-file"),
        (f"sqlite:///{not_a_db}", r"database sqlite:///.*notes\.db: .*file is not a database"),
    ]


def test_bad_database_url(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sources = tmp_path / "s.toml"
    sources.write_text(GOOD_SOURCE, encoding="utf-8")
    for url, pattern in _bad_urls(tmp_path):
        for command in (["changes"], ["check"], ["crawl", "--sources", str(sources)]):
            code, err = policywatch(capsys, *command, "--db", url)
            assert code == 2, (command, url, err)
            one_clear_line(err, pattern)
        code, err = crawler_run("--sources", str(sources), "--db", url)
        assert code == 2, (url, err)
        one_clear_line(err, pattern)


def test_database_url_from_the_environment_is_checked_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYWATCH_DB", f"postgresql://u:{PASSWORD}@127.0.0.1:1/x")
    code, err = policywatch(capsys, "history", "https://x.gov.cn/a.html")
    assert code == 2
    one_clear_line(err, r"u:\*\*\*@127\.0\.0\.1:1/x: connection failed")


# -- dates ----------------------------------------------------------------------------------------

BAD_DATES = [
    "yesterday",
    "2023-13-01",
    "2023-02-30",
    "2023/02/20",
    "2023-02-20T25:00",
    "",
    "  ",
    "20230220T99",
    "2023-02-20 08:00 +99:00",
    "\u0000",
]


@pytest.mark.parametrize("value", BAD_DATES)
def test_bad_date(capsys: pytest.CaptureFixture[str], sqlite_url: str, value: str) -> None:
    from archive.api import Archive

    Archive.open(sqlite_url).close()
    for args in (
        ["changes", "--since", value],
        ["report", "--since", value],
        ["show", "https://x.gov.cn/a.html", "--at", value],
        ["diff", f"https://x.gov.cn/a.html@{value}", "https://x.gov.cn/a.html@2023-02-20"],
    ):
        code, err = policywatch(capsys, *args, "--db", sqlite_url)
        assert code == 2, (args, err)
        one_clear_line(err, r"date: not an ISO 8601 date or date-time: .* \(e\.g\. 2023-02-20")


# -- secrets, end to end --------------------------------------------------------------------------

SMTP_PASSWORD = "smtp-Pa55-Zz9"
HOOK_SECRET = "hook-Secret-Qq7"
URL_PASSWORD = "url-Pa55-Xx3"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_secrets_never_appear_in_logs_reports_errors_or_the_archive(tmp_path: Path) -> None:
    reporters = tmp_path / "reporters.toml"
    reporters.write_text(
        f"""
[[reporter]]
name = "mail"
kind = "email"
host = "127.0.0.1"
port = {_closed_port()}
from = "policywatch@example.org"
to = ["desk@example.org"]
username = "pw"
password_env = "PW_TEST_SMTP"
timeout = 2

[[reporter]]
name = "hook"
kind = "webhook"
url = "http://hookuser:{URL_PASSWORD}@127.0.0.1:{_closed_port()}/hook"
secret_env = "PW_TEST_HOOK"
timeout = 2
retries = 1
backoff = 0.1

[[reporter]]
name = "files"
kind = "files"
directory = "out"
""",
        encoding="utf-8",
    )
    db = tmp_path / "archive.db"
    env = {**os.environ, "PW_TEST_SMTP": SMTP_PASSWORD, "PW_TEST_HOOK": HOOK_SECRET}
    with serve_faultsite() as site:
        site.add("fine")
        site.add("broken", fault="empty")
        sources = tmp_path / "s.toml"
        sources.write_text(source_toml(site), encoding="utf-8")
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys, scheduler; sys.exit(scheduler.main())",
                "serve",
                "--once",
                "--sources",
                str(sources),
                "--reporters",
                str(reporters),
                "--db",
                str(db),
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    shown = proc.stdout + proc.stderr
    assert proc.returncode == 0, shown[-3000:]
    assert "delivery failed" in shown and "broken.html" in shown  # it did log errors
    written = [p.read_bytes() for p in (tmp_path / "out").iterdir()]
    assert len(written) == 3 and any("关于做好fine" in w.decode() for w in written)
    archive_bytes = b"".join(
        Path(f"{db}{s}").read_bytes() for s in ("", "-wal") if Path(f"{db}{s}").exists()
    )
    for secret in (SMTP_PASSWORD, HOOK_SECRET, URL_PASSWORD):
        assert secret not in shown
        assert all(secret.encode() not in w for w in written)
        assert secret.encode() not in archive_bytes


def test_database_password_is_never_logged_by_a_crawl(tmp_path: Path) -> None:
    """A verbose crawl logs every setting Scrapy reports; the database URL is never among them."""
    url = os.environ.get("POLICYWATCH_TEST_PG") or f"sqlite:///{tmp_path / 'archive.db'}"
    with serve_faultsite() as site:
        site.add("fine")
        sources = tmp_path / "s.toml"
        sources.write_text(source_toml(site), encoding="utf-8")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "crawler.run",
                "--sources",
                str(sources),
                "--db",
                url,
                "--delay",
                "0",
                "--verbose",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Overridden settings" in proc.stderr  # the verbose log is really there
    from sqlalchemy.engine import make_url

    password = make_url(url).password
    for text in (proc.stdout, proc.stderr):
        assert url not in text
        assert not password or str(password) not in text
    summaries = json.loads(proc.stdout)
    assert summaries[0]["new"] == 1
