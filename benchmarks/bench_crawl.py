"""Crawl and archive throughput: pages/s and peak memory of one crawl process, end to end.

Serves a synthetic bureau site of N policy pages (real seed texts wrapped in real-looking
chrome, half GBK) on 127.0.0.1, crawls it with the real spider into a fresh archive, then
crawls it again (every page revisited with a conditional request, all 304s). Prints figures;
run on demand:  python benchmarks/bench_crawl.py [--pages 400] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from hashlib import sha1
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seed-pages"

PAGE = """<html><head><meta charset="{charset}"><title>{title}_某区教育局</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/list_1.html">通知公告</a></div>
<div class="crumb">您现在的位置：首页 &gt; 通知公告</div>
<h1>{title}</h1><div class="info">发布时间：2023-02-{day:02d} 浏览次数：{views}
【字体：<a>大</a> <a>中</a> <a>小</a>】</div>
<div class="content">{body}</div>
<div>【打印本页】【关闭窗口】</div><div>上一篇：<a href="/art/{prev}.html">上一篇通知</a></div>
<div class="footer">主办单位：某区教育局 网站标识码：1201160007 津ICP备05004386号</div>
</body></html>"""


def build_site(n: int) -> dict[str, tuple[bytes, str]]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] or ["示例正文。"]
    site: dict[str, tuple[bytes, str]] = {}
    per_list = 20
    for i in range(n):
        body = "".join(f"<p>{line}</p>" for line in texts[i % len(texts)].splitlines()[:40])
        charset = "gbk" if i % 2 else "utf-8"
        html = PAGE.format(
            charset=charset,
            title=f"关于做好第{i}项工作的通知",
            day=1 + i % 28,
            views=100 + i,
            body=body + f"<p>编号{i}。</p>",
            prev=max(i - 1, 0),
        )
        site[f"/art/{i}.html"] = (html.encode("gb18030" if i % 2 else "utf-8"), "text/html")
    pages = (n + per_list - 1) // per_list
    for k in range(pages):
        links = "".join(
            f'<li><a href="/art/{i}.html">通知{i}</a></li>'
            for i in range(k * per_list, min(n, (k + 1) * per_list))
        )
        nxt = f'<a href="/list_{k + 2}.html">下一页</a>' if k + 1 < pages else ""
        site[f"/list_{k + 1}.html"] = (
            f"<html><body><ul>{links}</ul>{nxt}</body></html>".encode(),
            "text/html; charset=utf-8",
        )
    site["/robots.txt"] = (b"User-agent: *\nAllow: /\n", "text/plain")
    return site


class Handler(BaseHTTPRequestHandler):
    def __init__(self, site, *args, **kw):  # type: ignore[no-untyped-def]
        self.site = site
        super().__init__(*args, **kw)

    def do_GET(self) -> None:
        hit = self.site.get(self.path)
        if hit is None:
            self.send_response(404)
            self.end_headers()
            return
        body, ctype = hit
        etag = '"' + sha1(body).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def crawl(sources: Path, db: str, tmp: Path) -> tuple[float, dict]:
    out = tmp / "summary.json"
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.run",
            "--sources",
            str(sources),
            "--db",
            db,
            "--summary",
            str(out),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t, json.loads(out.read_text(encoding="utf-8"))[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=400)
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()
    site = build_site(args.pages)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        db = args.db or f"sqlite:///{tmp / 'bench.db'}"
        sources = tmp / "bench.toml"
        sources.write_text(
            f'[[source]]\nid = "bench"\nname = "基准站点"\n'
            f'start_urls = ["http://127.0.0.1:{server.server_port}/list_1.html"]\n'
            "follow = ['^/list_\\d+\\.html$']\ndocuments = ['^/art/\\d+\\.html$']\n"
            f'schedule = "0 6 * * *"\ndelay = 0.0\nconcurrency = 8\nmax_pages = 100000\n'
            f"allow_private = true\n",
            encoding="utf-8",
        )
        first, s1 = crawl(sources, db, tmp)
        second, s2 = crawl(sources, db, tmp)
    server.shutdown()
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = sum(len(b) for b, _ in site.values()) / 1e6
    print(f"site: {args.pages} policy pages, {size:.1f} MB, half GBK; database {db.split(':')[0]}")
    print(
        f"first crawl : {first:6.2f} s  {s1['new'] / first:7.1f} new pages/s "
        f"(process start included)  new={s1['new']} errors={s1['errors']}"
    )
    print(
        f"second crawl: {second:6.2f} s  {s2['unchanged'] / second:7.1f} revisits/s (304s)  "
        f"unchanged={s2['unchanged']} new={s2['new']}"
    )
    print(f"peak RSS of a crawl process: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
