"""A generated mirror of many bureau sites, two generations, served on 127.0.0.1.

For the throughput benchmark (``benchmarks/bench_mirror.py``) and the distributed-crawling
tests: ``build(sites, pages)`` renders every site in the five real CMS templates of
``seeds/mirror_src/templates`` (odd sites GBK, even sites UTF-8 and answering conditional
requests with 304), and a second generation with a known set of substantive edits,
chrome-only edits (view counter, footer year), new pages and removed pages (:class:`Known`).
:class:`Served` serves each site on its own port; ``gen`` switches the generation served.
Deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import html
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from hashlib import sha1
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template

SRC = Path(__file__).resolve().parent / "mirror_src"

TEMPLATES = ("binhai", "chengzhong", "dongcheng", "heping", "wuhai")
LAST_MODIFIED = {1: "Fri, 25 Feb 2022 08:00:00 GMT", 2: "Mon, 20 Feb 2023 08:00:00 GMT"}
PER_LISTING = 20
FOLLOW = r"^/col/list_\d+\.html$"
DOCUMENTS = r"^/art/\d{4}/t\d{8}_\d+\.html$"
TOPICS = (
    "做好义务教育阶段课后服务工作",
    "开展中小学校园安全隐患排查",
    "加强中小学生作业管理",
    "做好学前教育普惠发展工作",
    "推进教师队伍建设",
    "做好招生入学工作",
    "加强学校体育和美育工作",
    "开展教育系统安全生产检查",
)

# Generation -> host -> path -> (body, content type)
Site = dict[str, tuple[bytes, str]]


@dataclass(slots=True)
class Known:
    """The changes generation 2 makes, by the real URL of each page."""

    substantive: set[str] = field(default_factory=set)
    chrome: set[str] = field(default_factory=set)
    new: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Mirror:
    hosts: list[str]
    gens: dict[int, dict[str, Site]]
    known: Known
    conditional: set[str]  # hosts that answer If-None-Match / If-Modified-Since with 304


def _lines() -> list[str]:
    lines: list[str] = []
    for f in sorted((SRC / "bodies").glob("*.txt")):
        lines += [ln.strip() for ln in f.read_text("utf-8").splitlines() if len(ln.strip()) > 8]
    return lines


def origin(host: str) -> str:
    """The real origin a generated host stands for."""
    return f"http://{host}"


@dataclass(slots=True)
class _Page:
    n: int
    path: str
    title: str
    date: str
    lines: list[str]
    views: int
    footer: str = "2022"


def _article(tpl: str, site_name: str, page: _Page, gbk: bool, prev: str, nxt: str) -> bytes:
    text = (SRC / "templates" / f"{tpl}_article.html").read_text("utf-8")
    if gbk:
        text = text.replace('charset="utf-8"', 'charset="gbk"').replace(
            "charset=utf-8", "charset=gbk"
        )
    body = "\n".join(f"<p>{html.escape(line)}</p>" for line in page.lines)
    out = Template(text).safe_substitute(
        title=html.escape(page.title),
        date=page.date,
        source=site_name,
        views=str(page.views),
        info_table="",
        attachments="",
        body=body,
        prev=prev,
        next=nxt,
        footer_date=page.footer,
        article_id=str(page.n),
        meta_charset=f'<meta charset="{"gbk" if gbk else "utf-8"}">\n',
        doc_number=f"教字〔2022〕{page.n}号",
        index_number=f"11150300-{page.n:04d}",
        root="/",
    )
    return out.encode("gbk" if gbk else "utf-8", errors="xmlcharrefreplace")


def _listing(tpl: str, pages: list[_Page], k: int, count: int, gbk: bool, footer: str) -> bytes:
    text = (SRC / "templates" / f"{tpl}_listing.html").read_text("utf-8")
    if gbk:
        text = text.replace('charset="utf-8"', 'charset="gbk"')
    items = "\n".join(
        f'<li><a href="{p.path}" title="{html.escape(p.title)}">{html.escape(p.title)}</a>'
        f"<span>{p.date}</span></li>"
        for p in pages
    )
    pager = " ".join(f'<a href="/col/list_{i}.html">{i}</a>' for i in range(1, count + 1))
    if k < count:
        pager += f' <a href="/col/list_{k + 1}.html">下一页</a>'
    out = Template(text).safe_substitute(
        items=items,
        pagination=pager,
        footer_date=footer,
        meta_charset=f'<meta charset="{"gbk" if gbk else "utf-8"}">\n',
        root="/",
    )
    return out.encode("gbk" if gbk else "utf-8", errors="xmlcharrefreplace")


def _render(tpl: str, name: str, pages: list[_Page], gbk: bool, footer: str) -> Site:
    ctype = "text/html" if gbk else "text/html; charset=utf-8"
    site: Site = {"/robots.txt": (b"User-agent: *\nDisallow: /admin/\n", "text/plain")}
    for i, p in enumerate(pages):
        prev = f'<a href="{pages[i - 1].path}">{html.escape(pages[i - 1].title)}</a>' if i else "无"
        nxt = (
            f'<a href="{pages[i + 1].path}">{html.escape(pages[i + 1].title)}</a>'
            if i + 1 < len(pages)
            else "无"
        )
        site[p.path] = (_article(tpl, name, p, gbk, prev, nxt), ctype)
    count = max(1, -(-len(pages) // PER_LISTING))
    for k in range(1, count + 1):
        chunk = pages[(k - 1) * PER_LISTING : k * PER_LISTING]
        site[f"/col/list_{k}.html"] = (_listing(tpl, chunk, k, count, gbk, footer), ctype)
    return site


def build(sites: int, pages: int) -> Mirror:
    """Both generations of every site, and the known set of what generation 2 changed."""
    pool = _lines()
    gens: dict[int, dict[str, Site]] = {1: {}, 2: {}}
    hosts, known = [], Known()
    conditional = set()
    for s in range(sites):
        host = f"jyj{s:02d}.bench.gov.cn"
        hosts.append(host)
        if s % 2 == 0:
            conditional.add(host)
        tpl, gbk = TEMPLATES[s % len(TEMPLATES)], s % 2 == 1
        name = f"第{s}区教育局"
        first: list[_Page] = []
        for n in range(pages):
            month, day = 1 + n % 12, 1 + n % 28
            start = (n * 7 + s * 13) % len(pool)
            body = [pool[(start + j) % len(pool)] for j in range(12 + n % 20)]
            body.append(f"本通知由{name}负责解释，编号第{s}-{n}号，自发布之日起施行。")
            title = f"关于{TOPICS[n % len(TOPICS)]}的通知（{name}第{n}号）"
            if n % 25 == 0:  # yearly plans: generation 2 publishes next year's edition
                title = f"{name}2022年教育工作要点（第{n}号）"
            first.append(
                _Page(
                    n,
                    f"/art/2022/t2022{month:02d}{day:02d}_{s * 100000 + n}.html",
                    title,
                    f"2022-{month:02d}-{day:02d}",
                    body,
                    views=100 + n,
                )
            )
        gens[1][host] = _render(tpl, name, first, gbk, "2022")

        second = [_Page(p.n, p.path, p.title, p.date, list(p.lines), p.views) for p in first]
        step = 20
        removed = set(range(7, pages, 50))
        for p in second:
            url = origin(host) + p.path
            if p.n in removed:
                known.removed.add(url)
            elif p.n % step == 3:  # a substantive edit: a number and a date in the text
                p.lines[-1] = p.lines[-1].replace("自发布之日起施行", "自2023年3月1日起施行")
                p.lines[0] = p.lines[0] + f"（修订，涉及{p.n + 40}所学校）"
                known.substantive.add(url)
            elif p.n % step == 11:  # chrome only: the counter and the footer's year
                p.views += 1000
                p.footer = "2023"
                known.chrome.add(url)
        second = [p for p in second if p.n not in removed]
        fresh = []
        for i, n in enumerate(range(pages, pages + max(1, pages // 50))):
            old = first[(i * 25) % len(first)]
            title = (
                old.title.replace("2022年", "2023年")
                if "2022年" in old.title
                else f"关于{TOPICS[n % len(TOPICS)]}的补充通知（{name}第{n}号）"
            )
            start = (n * 11 + s) % len(pool)
            fresh.append(
                _Page(
                    n,
                    f"/art/2023/t202302{1 + i % 28:02d}_{s * 100000 + n}.html",
                    title,
                    f"2023-02-{1 + i % 28:02d}",
                    [pool[(start + j) % len(pool)] for j in range(15)]
                    + [f"编号第{s}-{n}号，自2023年3月1日起施行。"],
                    views=10,
                )
            )
            known.new.add(origin(host) + fresh[-1].path)
        # New pages first on the first listing, as bureau listings do (newest first).
        site2 = _render(tpl, name, fresh + second, gbk, "2022")
        # Unchanged pages keep their exact bytes: their prev/next neighbours are pinned to
        # generation 1 so that only the known pages differ.
        for p in second:
            if origin(host) + p.path not in known.substantive | known.chrome:
                site2[p.path] = gens[1][host][p.path]
            else:
                # Keep the generation-1 neighbours so the change is only what the set says.
                page_bytes = gens[1][host][p.path][0]
                gbk_enc = "gbk" if gbk else "utf-8"
                fixed = _article(tpl, name, p, gbk, *_neighbours(page_bytes.decode(gbk_enc)))
                site2[p.path] = (fixed, site2[p.path][1])
        gens[2][host] = site2
    return Mirror(hosts, gens, known, conditional)


_PREV = re.compile(r"上一篇：(.*?)</")
_NEXT = re.compile(r"下一篇：(.*?)</")


def _neighbours(text: str) -> tuple[str, str]:
    """The prev/next link markup of a rendered article (to re-render it with the same ones)."""
    prev = _PREV.search(text)
    nxt = _NEXT.search(text)
    return (prev.group(1) if prev else "无", nxt.group(1) if nxt else "无")


# -- serving --------------------------------------------------------------------------------


class Served:
    """Every site on its own port; switchable generation; counts of what was served."""

    def __init__(self, mirror: Mirror) -> None:
        self.mirror = mirror
        self.gen = 1
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.servers: list[ThreadingHTTPServer] = []
        self.origins: dict[str, str] = {}
        for host in mirror.hosts:
            server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, self, host))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
            self.origins[origin(host)] = f"http://127.0.0.1:{server.server_address[1]}"

    def take(self) -> Counter[str]:
        with self.lock:
            out, self.counts = self.counts, Counter()
        return out

    def close(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, served: Served, host: str, *args, **kw):  # type: ignore[no-untyped-def]
        self.served = served
        self.host = host
        super().__init__(*args, **kw)

    def do_GET(self) -> None:
        served = self.served
        hit = served.mirror.gens[served.gen][self.host].get(self.path.split("?")[0])
        doc = bool(re.match(DOCUMENTS, self.path))
        if hit is None:
            self._send(404, b"<html><body>404</body></html>", "text/html", doc, {})
            return
        body, ctype = hit
        headers = {}
        if self.host in served.mirror.conditional:
            etag = '"' + sha1(body).hexdigest() + '"'
            headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED[served.gen]}
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", ctype, doc, headers)
                return
        self._send(200, body, ctype, doc, headers)

    def _send(self, status: int, body: bytes, ctype: str, doc: bool, headers: dict) -> None:
        with self.served.lock:
            self.served.counts[f"{'doc' if doc else 'other'}_{status}"] += 1
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def sources_toml(mirror: Mirror, path: Path, *, delay: float = 0.0, concurrency: int = 16) -> Path:
    """A sources file with one source per generated site (ids ``bench00``, ``bench01``…)."""
    out = []
    for i, host in enumerate(mirror.hosts):
        out.append(
            f'[[source]]\nid = "bench{i:02d}"\nname = "基准{i}区教育局"\n'
            f'start_urls = ["{origin(host)}/col/list_1.html"]\n'
            f"follow = ['{FOLLOW}']\ndocuments = ['{DOCUMENTS}']\n"
            f'schedule = "0 6 * * *"\ndelay = {delay}\nconcurrency = {concurrency}\n'
            "max_pages = 1000000\nallow_private = true\n"
        )
    path.write_text("\n".join(out), encoding="utf-8")
    return path
