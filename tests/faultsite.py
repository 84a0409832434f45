"""A fault-injection bureau site on 127.0.0.1 for the reliability suite (tests only).

``serve_faultsite()`` runs two ``ThreadingHTTPServer`` ports: the source's own host and an
"offsite" host (redirect and link target that must never be crawled). The site has one
listing, ``/list.html``, linking every listed page under ``/doc/``; each page is served
healthy (a Chinese policy page with a strong ETag and a fixed Last-Modified, 304 on a
matching conditional request) or with one of :data:`FAULTS`. Tests flip faults between
crawls and read the request log. Bounded: at most ``max_requests`` requests are answered
(then 503, and ``overflow`` is set), and every slow fault stops at ``shutdown`` or after
:data:`SLOW_LIMIT` seconds, whichever comes first.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.api import Archive
from tests import reliability_figures as figures

SLOW_LIMIT = 8.0  # seconds any slow fault may hold a connection
LAST_MODIFIED = "Mon, 20 Feb 2023 08:00:00 GMT"

_CHROME = (
    "<div class='nav'><a href='/list.html'>首页</a> | 机构概况 | 政务公开 | 办事服务</div>"
    "<div class='crumb'>当前位置：首页 &gt; 政务公开 &gt; 政策文件</div>"
)
_FOOTER = (
    "<div class='footer'>主办单位：某区教育局　地址：某市某区某路1号　"
    "网站标识码：1201160007　ICP备05001234号</div>"
)


def page_html(title: str, paragraphs: list[str]) -> str:
    """A typical bureau policy page: chrome, an <h1>, the body paragraphs, a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{title}_某区教育局</title></head><body>{_CHROME}"
        f"<div class='article'><h1>{title}</h1><div class='content'>{body}</div></div>"
        f"{_FOOTER}</body></html>"
    )


def policy_text(name: str, edition: int) -> list[str]:
    """Body paragraphs of page ``name``; a new ``edition`` is a substantive change."""
    return [
        f"各中小学校、幼儿园：为做好{name}号文件所述工作，现将有关事项通知如下。",
        "一、总体要求",
        f"1.坚持立德树人根本任务，全面提高教育质量，本年度新建校舍{40 + edition * 10}处。",
        "2.加强教师队伍建设，完善教师培训制度，推进义务教育优质均衡发展。",
        "二、工作措施",
        f"（一）各单位要高度重视，认真组织实施，于{edition + 3}月底前报送工作总结。",
    ]


@dataclass(slots=True)
class Page:
    """One policy page: its text edition, validators and the fault (None: healthy)."""

    name: str
    edition: int = 1
    fault: str | None = None
    listed: bool = True
    delay: float = 0.0  # seconds before a healthy answer (a slow but working site)
    last_modified: str = LAST_MODIFIED
    etag_salt: str = ""  # changes the ETag without changing the text
    custom: str | None = None  # the whole page as written, instead of the generated one
    headers: dict[str, str] = field(default_factory=dict)  # extra/overriding response headers
    raw: bytes | None = None  # the body as bytes (an attachment), instead of the HTML

    @property
    def title(self) -> str:
        return f"关于做好{self.name}工作的通知"

    def html(self) -> str:
        if self.custom is not None:
            return self.custom
        return page_html(self.title, policy_text(self.name, self.edition))

    def body(self) -> bytes:
        return self.raw if self.raw is not None else self.html().encode("utf-8")

    def etag(self) -> str:
        digest = hashlib.sha1(self.body() + self.etag_salt.encode()).hexdigest()
        return f'"{digest[:16]}"'


@dataclass(slots=True)
class Hit:
    """One request the site answered."""

    host: str  # "site" or "offsite"
    path: str
    status: int
    fault: str | None
    headers: dict[str, str]


@dataclass(slots=True)
class FaultSite:
    """The running site: pages by path, robots rules, and what was asked of it."""

    pages: dict[str, Page] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (type, bytes)
    robots_disallow: list[str] = field(default_factory=list)
    max_requests: int = 3000
    origin: str = ""
    offsite_origin: str = ""
    log: list[Hit] = field(default_factory=list)
    overflow: bool = False
    shutdown: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, **kw: object) -> Page:
        page = Page(name, **kw)  # type: ignore[arg-type]
        self.pages[f"/doc/{name}.html"] = page
        return page

    def url(self, name: str) -> str:
        return f"{self.origin}/doc/{name}.html"

    def hits(self, name: str | None = None, host: str = "site") -> list[Hit]:
        """Requests to page ``name`` (every request to ``host`` when None)."""
        path = f"/doc/{name}.html" if name else None
        with self._lock:
            return [
                h
                for h in self.log
                if h.host == host and (path is None or urlsplit(h.path).path == path)
            ]

    def faults_served(self) -> int:
        with self._lock:
            return sum(h.fault is not None for h in self.log)

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def _note(self, hit: Hit) -> bool:
        """Log ``hit``; False once the request budget is spent."""
        with self._lock:
            if len(self.log) >= self.max_requests:
                self.overflow = True
                return False
            self.log.append(hit)
            return True

    def listing(self) -> bytes:
        links = "".join(
            f"<li><a href='{path}'>{page.title}</a></li>"
            for path, page in sorted(self.pages.items())
            if page.listed
        )
        # An offsite policy link and an offsite listing link: neither may be followed.
        links += (
            f"<li><a href='{self.offsite_origin}/doc/offsite.html'>外站文件</a></li>"
            f"<li><a href='{self.offsite_origin}/list.html'>外站列表</a></li>"
        )
        return page_html("政策文件", [f"<ul>{links}</ul>"]).encode("utf-8")

    def robots(self) -> bytes:
        lines = ["User-agent: *", *(f"Disallow: {p}" for p in self.robots_disallow)]
        return ("\n".join(lines) + "\n").encode()


# -- faults ---------------------------------------------------------------------------------------
# Each fault answers one request for ``page`` its own broken way. All of them are things real
# bureau sites do; none may ever become a version or a withdrawal.

Fault = Callable[["_Handler", Page, FaultSite], int]


def _status(code: int, extra: dict[str, str] | None = None) -> Fault:
    def answer(h: _Handler, page: Page, site: FaultSite) -> int:
        body = f"<html><body><h1>{code}</h1>服务器错误，请稍后再试。</body></html>".encode()
        h.send_raw(code, {"Content-Type": "text/html; charset=utf-8", **(extra or {})}, body)
        return code

    return answer


def _hang(h: _Handler, page: Page, site: FaultSite) -> int:
    # Accept the request, never answer: the crawler's download timeout must fire.
    site.shutdown.wait(SLOW_LIMIT)
    h.close_connection = True
    return 0


def _reset(h: _Handler, page: Page, site: FaultSite) -> int:
    # SO_LINGER 0 turns close() into a TCP RST: "connection reset by peer".
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True
    return 0


def _truncated(h: _Handler, page: Page, site: FaultSite) -> int:
    body = page.body()
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body[: len(body) // 2])
    h.wfile.flush()
    h.close_connection = True
    return 200


def _redirect_to(target: Callable[[FaultSite, Page], str]) -> Fault:
    def answer(h: _Handler, page: Page, site: FaultSite) -> int:
        h.send_raw(302, {"Location": target(site, page)}, b"")
        return 302

    return answer


def _loop_target(site: FaultSite, page: Page) -> str:
    # /doc/x.html -> /doc/x.html?hop -> /doc/x.html -> ...: a two-step loop.
    return f"/doc/{page.name}.html?hop"


def _meta_refresh_offsite(h: _Handler, page: Page, site: FaultSite) -> int:
    target = f"{site.offsite_origin}/doc/{page.name}.html"
    html = f"<html><head><meta http-equiv='refresh' content='0;url={target}'></head></html>"
    h.send_raw(200, {"Content-Type": "text/html; charset=utf-8"}, html.encode())
    return 200


def _charset_lie(h: _Handler, page: Page, site: FaultSite) -> int:
    # The same text in GBK bytes, labelled UTF-8 in both the header and the <meta>.
    h.send_raw(
        200,
        {
            "Content-Type": "text/html; charset=utf-8",
            "ETag": '"gbk-' + page.name + '"',
            "Last-Modified": page.last_modified,
        },
        page.html().encode("gbk"),
    )
    return 200


def _binary(h: _Handler, page: Page, site: FaultSite) -> int:
    # A PNG served as text/html (a misconfigured attachment link).
    data = b"\x89PNG\r\n\x1a\n" + bytes((i * 37 + 11) % 256 for i in range(4000))
    h.send_raw(200, {"Content-Type": "text/html"}, data)
    return 200


def _huge(h: _Handler, page: Page, site: FaultSite) -> int:
    # Declares 50 MB and starts sending it; stops when the crawler hangs up.
    return h.stream(50_000_000, declare=True)


def _huge_undeclared(h: _Handler, page: Page, site: FaultSite) -> int:
    # No Content-Length (close-delimited): the size limit must apply to bytes received.
    return h.stream(50_000_000, declare=False)


def _empty(h: _Handler, page: Page, site: FaultSite) -> int:
    h.send_raw(200, {"Content-Type": "text/html; charset=utf-8"}, b"")
    return 200


def _chrome_only(h: _Handler, page: Page, site: FaultSite) -> int:
    # The CMS lost the article: navigation and footer only.
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>某区教育局</title></head>"
        f"<body>{_CHROME}<div class='article'></div>{_FOOTER}</body></html>"
    )
    h.send_raw(200, {"Content-Type": "text/html; charset=utf-8"}, html.encode("utf-8"))
    return 200


def _comment_only(h: _Handler, page: Page, site: FaultSite) -> int:
    # A "maintenance" page that is nothing but an HTML comment.
    h.send_raw(200, {"Content-Type": "text/html; charset=utf-8"}, "<!-- 系统维护中 -->".encode())
    return 200


def _bad_gzip(h: _Handler, page: Page, site: FaultSite) -> int:
    data = gzip.compress(page.body())
    broken = data[:10] + bytes(b ^ 0x5A for b in data[10:60]) + data[60:]
    h.send_raw(
        200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}, broken
    )
    return 200


def _drip(h: _Handler, page: Page, site: FaultSite) -> int:
    # Headers at once, then one byte every quarter second: alive, but never done in time.
    body = page.body()
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    deadline = time.monotonic() + SLOW_LIMIT
    try:
        for i in range(len(body)):
            if site.shutdown.is_set() or time.monotonic() > deadline:
                break
            h.wfile.write(body[i : i + 1])
            h.wfile.flush()
            time.sleep(0.25)
    except OSError:
        pass  # the crawler gave up: that is the point
    h.close_connection = True
    return 200


def _redirect_long(h: _Handler, page: Page, site: FaultSite) -> int:
    # Redirect to the same page under a 2,100-character query; that URL serves the page.
    if "?" not in h.path:
        h.send_raw(302, {"Location": f"/doc/{page.name}.html?" + "x" * 2100}, b"")
        return 302
    h.send_raw(200, {"Content-Type": "text/html; charset=utf-8"}, page.body())
    return 200


FAULTS: dict[str, Fault] = {
    "http500": _status(500),
    "http502": _status(502),
    "http503": _status(503, {"Retry-After": "1"}),
    "http429": _status(429, {"Retry-After": "3600"}),  # must be capped, not obeyed
    "http403": _status(403),
    "http404": _status(404),
    "http410": _status(410),
    "timeout": _hang,
    "reset": _reset,
    "truncated": _truncated,
    "redirect_loop": _redirect_to(_loop_target),
    "redirect_offsite": _redirect_to(lambda s, p: f"{s.offsite_origin}/doc/{p.name}.html"),
    "redirect_scheme": _redirect_to(lambda s, p: "file:///etc/passwd"),
    "redirect_private": _redirect_to(lambda s, p: "http://10.0.0.1/doc/x.html"),
    "redirect_metadata": _redirect_to(lambda s, p: "http://169.254.169.254/latest/meta-data/"),
    # An offsite robots.txt is still offsite: its text must never become the document.
    "redirect_offsite_robots": _redirect_to(lambda s, p: f"{s.offsite_origin}/robots.txt"),
    "meta_refresh_offsite": _meta_refresh_offsite,
    "charset_lie": _charset_lie,
    "binary": _binary,
    "huge": _huge,
    "huge_undeclared": _huge_undeclared,
    "empty": _empty,
    "chrome_only": _chrome_only,
    "comment_only": _comment_only,
    "bad_gzip": _bad_gzip,
    "drip": _drip,
    "redirect_long": _redirect_long,
}


# -- the server -----------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a crawler hanging up mid-answer is part of the faults, not a server error


class _Handler(BaseHTTPRequestHandler):
    site: FaultSite
    host_label: str
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # tests read FaultSite.log

    def version_string(self) -> str:
        return "faultsite"

    def do_GET(self) -> None:
        site = self.site
        path = urlsplit(self.path).path
        page = site.pages.get(path) if self.host_label == "site" else None
        fault = page.fault if page else None
        headers = {k.lower(): v for k, v in self.headers.items()}
        hit = Hit(self.host_label, self.path, 0, fault, headers)
        if not site._note(hit):
            self.send_raw(503, {"Content-Type": "text/plain"}, b"request budget spent")
            return
        hit.status = self._answer(path, page, fault)

    def _answer(self, path: str, page: Page | None, fault: str | None) -> int:
        site = self.site
        if self.host_label == "offsite":
            body = page_html("外站", ["这是另一个网站的页面，不应被抓取。"]).encode()
            self.send_raw(200, {"Content-Type": "text/html; charset=utf-8"}, body)
            return 200
        if path == "/robots.txt":
            self.send_raw(200, {"Content-Type": "text/plain"}, site.robots())
            return 200
        if path in site.files:
            ctype, data = site.files[path]
            self.send_raw(200, {"Content-Type": ctype}, data)
            return 200
        if path == "/list.html":
            self.send_raw(200, {"Content-Type": "text/html; charset=utf-8"}, site.listing())
            return 200
        if page is None:
            self.send_raw(404, {"Content-Type": "text/html; charset=utf-8"}, b"<h1>404</h1>")
            return 404
        if fault is not None:
            return FAULTS[fault](self, page, site)
        if page.delay:
            site.shutdown.wait(min(page.delay, SLOW_LIMIT))
        etag, last_modified = page.etag(), page.last_modified
        validators = {"ETag": etag, "Last-Modified": last_modified}
        if _not_modified(
            self.headers.get("If-None-Match"),
            self.headers.get("If-Modified-Since"),
            etag,
            last_modified,
        ):
            self.send_raw(304, {**validators, **page.headers}, b"")
            return 304
        self.send_raw(
            200,
            {"Content-Type": "text/html; charset=utf-8", **validators, **page.headers},
            page.body(),
        )
        return 200

    def send_raw(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def stream(self, size: int, *, declare: bool) -> int:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if declare:
            self.send_header("Content-Length", str(size))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        chunk = ("<p>" + "教育" * 4000 + "</p>").encode()
        sent, deadline = 0, time.monotonic() + SLOW_LIMIT
        try:
            while sent < size and time.monotonic() < deadline and not self.site.shutdown.is_set():
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the crawler hung up at its size limit
        self.close_connection = True
        return 200


def _not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: str
) -> bool:
    """RFC 9110 §13.1.3: If-None-Match, when sent, decides alone."""
    if if_none_match is not None:
        return etag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    if if_modified_since is not None:
        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


@contextmanager
def serve_faultsite(max_requests: int = 3000) -> Iterator[FaultSite]:
    """Serve a fresh FaultSite (site + offsite port on 127.0.0.1) until the block exits."""
    site = FaultSite(max_requests=max_requests)
    servers: list[ThreadingHTTPServer] = []
    threads: list[threading.Thread] = []
    try:
        for label in ("site", "offsite"):
            handler = type(f"Handler_{label}", (_Handler,), {"site": site, "host_label": label})
            server = _Server(("127.0.0.1", 0), handler)
            thread = threading.Thread(
                target=server.serve_forever, name=f"faultsite-{label}", daemon=True
            )
            thread.start()
            servers.append(server)
            threads.append(thread)
        site.origin = f"http://127.0.0.1:{servers[0].server_address[1]}"
        site.offsite_origin = f"http://127.0.0.1:{servers[1].server_address[1]}"
        yield site
        # A crawl that spent the budget looped somewhere: that is a finding, not noise.
        assert not site.overflow, f"fault site: more than {max_requests} requests"
    finally:
        site.shutdown.set()
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)


def source_toml(site: FaultSite, source_id: str = "fault_site", **fields: object) -> str:
    """A sources file for ``site``: loopback allowed, no delay, overrides in ``fields``."""
    values: dict[str, object] = {
        "id": source_id,
        "name": "故障注入测试站",
        "start_urls": [f"{site.origin}/list.html"],
        "follow": [r"^/list\.html$"],
        "documents": [r"^/doc/"],
        "schedule": "0 6 * * *",
        "delay": 0.0,
        "concurrency": 4,
        "allow_private": True,
    }
    values.update(fields)
    lines = ["[[source]]"]
    for key, value in values.items():
        lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    text = str(value)
    return "'" + text + "'" if "'" not in text else '"' + text.replace('"', '\\"') + '"'


# -- running a crawl ------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
# Test timing: no politeness delay, a short download timeout and short retry backoffs, so a
# crawl full of timeouts and 503s still takes seconds. Retry counts stay the production ones.
FAST = ("--delay", "0", "--timeout", "1", "--retry-backoff", "0.05", "--retry-backoff-max", "0.2")


@dataclass(frozen=True, slots=True)
class CrawlRun:
    """One ``python -m crawler.run`` process: exit status, per-source summaries, its log."""

    rc: int
    summaries: list[dict[str, Any]]
    stderr: str

    @property
    def summary(self) -> dict[str, Any]:
        return self.summaries[0]


def crawl_command(sources: Path, db: str, summary: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "crawler.run",
        "--sources",
        str(sources),
        "--db",
        db,
        "--summary",
        str(summary),
        *FAST,
        *extra,
    ]


def run_crawl(sources: Path, db: str, tmp: Path, *extra: str) -> CrawlRun:
    """Crawl like the scheduler does (a child process) and return what it reported."""
    summary = tmp / "summary.json"
    summary.unlink(missing_ok=True)
    proc = subprocess.run(
        crawl_command(sources, db, summary, *extra),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if not summary.exists():
        return CrawlRun(proc.returncode, [], proc.stderr)
    figures.add("crawls_completed")
    return CrawlRun(proc.returncode, json.loads(summary.read_text(encoding="utf-8")), proc.stderr)


# -- reading the archive (what the tests check) ---------------------------------------------------


def versions_by_url(db: str) -> dict[str, int]:
    archive = Archive.open(db, create=False)
    try:
        return {d.url: d.versions for d in archive.documents() if d.versions}
    finally:
        archive.close()


def fetch_errors(db: str, crawl_id: int) -> dict[str, str]:
    archive = Archive.open(db, create=False)
    try:
        return {e.url: e.reason for e in archive.fetch_errors() if e.crawl_id == crawl_id}
    finally:
        archive.close()


def event_kinds(db: str, crawl_id: int | None = None) -> Counter[str]:
    archive = Archive.open(db, create=False)
    try:
        return Counter(
            e.kind for e in archive.changes() if crawl_id is None or e.crawl_id == crawl_id
        )
    finally:
        archive.close()
