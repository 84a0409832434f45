"""Crawl throughput on a generated mirror of many bureau sites, against bare Scrapy's ceiling.

Generates ``--sites`` bureau sites × ``--pages`` policy pages in the five real CMS templates of
``seeds/mirror_src/templates`` (half the sites GBK, half UTF-8; half answer conditional
requests with 304, half always send the whole page), serves them on 127.0.0.1, and runs:

1. a first crawl of generation 1 into a fresh archive;
2. an unchanged re-crawl (generation 1 again: every page byte-identical or 304);
3. a changed re-crawl of generation 2, which has a known set of substantive edits,
   chrome-only edits (view counter, footer date, prev/next links), new and removed pages.

For each it prints pages/s (whole crawl process, start-up included), CPU ms per page (the
crawl process and its children), peak RSS, archive bytes added, and the change events found
against the known set; and the same figures for a bare Scrapy spider that only fetches the
same pages in the same run (the ceiling). ``--profile`` adds a cProfile summary of a small
first crawl (top functions by cumulative time in the crawl process).

    python benchmarks/bench_mirror.py                       # 20 sites × 150 pages (~3,000)
    python benchmarks/bench_mirror.py --pages 500           # 20 × 500 (~10,000 pages)
    python benchmarks/bench_mirror.py --sites 4 --pages 50 --profile

Politeness is off (delay 0, 16 concurrent per site), as in the issue's targets.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.lifetime import arm_parent_death  # noqa: E402
from seeds.synthetic_mirror import (  # noqa: E402
    DOCUMENTS,
    FOLLOW,
    Mirror,
    Served,
    build,
    origin,
    sources_toml,
)

# -- running crawls -------------------------------------------------------------------------


@dataclass(slots=True)
class Run:
    label: str
    seconds: float
    pages: int  # policy-page responses served during the run (200, 304 and 404)
    cpu_s: float
    rss_mb: float
    tree_rss_mb: float = 0.0
    main_cpu_s: float = 0.0  # the crawl process alone (Scrapy's reactor), without its helpers
    cpu_by_name: dict[str, float] = field(default_factory=dict)  # CPU s per process name
    bytes_added: int | None = None
    changes: str = ""
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def line(self, ceiling: Run | None) -> str:
        rate = self.pages / self.seconds if self.seconds else 0.0
        share = f"{100 * rate / (ceiling.pages / ceiling.seconds):5.1f}%" if ceiling else "     "
        added = "" if self.bytes_added is None else f"  +{self.bytes_added / 1024:9.1f} KB"
        per100 = (
            f" ({self.bytes_added / max(self.pages, 1) * 100 / 1024:6.2f} KB/100 pages)"
            if self.bytes_added is not None
            else ""
        )
        return (
            f"{self.label:<34} {self.pages:6d} pages {self.seconds:7.2f} s {rate:7.1f} p/s {share} "
            f"{1000 * self.cpu_s / max(self.pages, 1):6.2f} ms CPU/page"
            f" (main {1000 * self.main_cpu_s / max(self.pages, 1):5.2f})"
            f"  RSS {self.rss_mb:4.0f} MB"
            f" (all {self.tree_rss_mb:4.0f} MB)"
            f"{added}{per100}"
        )

    def cpu_line(self) -> str:
        """CPU ms per page by process (main, pw-extract, pw-record, pw-watchdog, ...)."""
        parts = sorted(self.cpu_by_name.items(), key=lambda kv: -kv[1])
        per = [f"{n} {1000 * s / max(self.pages, 1):.2f}" for n, s in parts if s >= 0.005]
        return "CPU ms/page by process: " + ", ".join(per)


class _Tree(threading.Thread):
    """Samples a process and all its descendants from /proc: total CPU and peak total RSS.

    An extraction pool's workers are children of a fork server, not of the crawl process,
    so rusage alone would miss them.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.cpu: dict[int, float] = {}
        self.names: dict[int, str] = {}  # crawler.lifetime names the helpers (pw-extract, ...)
        self.peak_rss_mb = 0.0
        self.stop = threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")
        self.page = os.sysconf("SC_PAGE_SIZE")

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(0.1)

    def sample(self) -> None:
        stats: dict[int, list[str]] = {}
        names: dict[int, str] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    raw = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                stats[int(entry)] = raw[raw.rindex(")") + 2 :].split()
                names[int(entry)] = raw[raw.index("(") + 1 : raw.rindex(")")]
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            for pid, f in stats.items():
                if int(f[1]) == parent and pid not in tree:
                    tree.add(pid)
                    frontier.append(pid)
        rss = 0.0
        for pid in tree:
            if pid in stats:
                f = stats[pid]
                self.cpu[pid] = (int(f[11]) + int(f[12])) / self.tick
                self.names[pid] = "main" if pid == self.pid else names[pid]
                rss += int(f[21]) * self.page / 2**20
        self.peak_rss_mb = max(self.peak_rss_mb, rss)


def _run(
    cmd: list[str], env: dict[str, str]
) -> tuple[float, float, float, float, float, dict[str, float]]:
    """Run ``cmd``: wall seconds, CPU seconds (whole tree), peak RSS of the main process,
    peak total RSS of its tree (MB), CPU seconds of the main process alone, and CPU seconds
    by process name."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=arm_parent_death,  # a killed benchmark leaves no crawl running
    )
    tree = _Tree(proc.pid)
    tree.start()
    assert proc.stderr is not None
    err = proc.stderr.read()
    tree.stop.set()
    tree.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    took = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        sys.stderr.write(err.decode("utf-8", "replace")[-3000:])
        raise SystemExit(f"crawl failed with exit status {proc.returncode}: {' '.join(cmd[:4])}")
    # CPU from the /proc samples of every process of the tree (each up to 0.1 s stale at its
    # exit): rusage would count a worker twice once its fork server and then the crawl
    # process had reaped it, or not at all when nobody did.
    main_cpu = tree.cpu.get(proc.pid, 0.0)
    by_name: dict[str, float] = {}
    for pid, cpu in tree.cpu.items():
        name = tree.names.get(pid, "?")
        by_name[name] = by_name.get(name, 0.0) + cpu
    return took, sum(tree.cpu.values()), usage.ru_maxrss / 1024, tree.peak_rss_mb, main_cpu, by_name


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _db_bytes(db: str) -> int | None:
    if not db.startswith("sqlite:///"):
        return None
    path = db.removeprefix("sqlite:///")
    if not Path(path).exists():
        return 0
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        count, free, size = (
            con.execute(f"PRAGMA {p}").fetchone()[0]
            for p in ("page_count", "freelist_count", "page_size")
        )
    finally:
        con.close()
    return (count - free) * size


def crawl_policywatch(served: Served, sources: Path, db: str, label: str, extra: list[str]) -> Run:
    cmd = [sys.executable, "-m", "crawler.run", "--sources", str(sources), "--db", db]
    cmd += ["--delay", "0", "--concurrency", "16", "--allow-private"]
    for real, local in served.origins.items():
        cmd += ["--origin", f"{real}={local}"]
    before = _db_bytes(db) or 0
    served.take()
    fd, name = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    summary = Path(name)
    took, cpu, rss, tree_rss, main, by_name = _run(
        [*cmd, "--summary", str(summary), *extra], _env()
    )
    counts = served.take()
    pages = sum(v for k, v in counts.items() if k.startswith("doc_"))
    after = _db_bytes(db)
    added = None if after is None else after - before
    run = Run(label, took, pages, cpu, rss, tree_rss, main, bytes_added=added)
    run.cpu_by_name = by_name
    done = json.loads(summary.read_text("utf-8"))
    summary.unlink()
    run.errors = sum(s["errors"] for s in done)
    run.error_samples = [e for s in done for e in s["error_samples"]][:3]
    return run


def crawl_bare(served: Served, mirror: Mirror, label: str, tmp: Path) -> Run:
    cfg = tmp / "bare.json"
    cfg.write_text(json.dumps([served.origins[origin(h)] for h in mirror.hosts]), "utf-8")
    served.take()
    took, cpu, rss, tree_rss, main, _ = _run(
        [sys.executable, __file__, "--bare-child", str(cfg)], _env()
    )
    counts = served.take()
    pages = sum(v for k, v in counts.items() if k.startswith("doc_"))
    return Run(label, took, pages, cpu, rss, tree_rss, main)


def bare_child(cfg: str) -> None:
    """The ceiling: one plain Scrapy spider per site that follows listings and only fetches."""
    import scrapy
    from scrapy.crawler import AsyncCrawlerProcess

    follow, documents = re.compile(FOLLOW), re.compile(DOCUMENTS)

    class Bare(scrapy.Spider):
        name = "bare"

        def __init__(self, start: str, **kw):  # type: ignore[no-untyped-def]
            super().__init__(**kw)
            self.start_urls = [start + "/col/list_1.html"]

        def parse(self, response):  # type: ignore[no-untyped-def]
            for href in response.css("a::attr(href)").getall():
                path = href.split("#")[0]
                if documents.match(path):
                    yield response.follow(path, callback=self.fetched)
                elif follow.match(path):
                    yield response.follow(path, callback=self.parse)

        def fetched(self, response):  # type: ignore[no-untyped-def]
            return None

    process = AsyncCrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "ROBOTSTXT_OBEY": True,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        }
    )
    for start in json.loads(Path(cfg).read_text("utf-8")):
        process.crawl(Bare, start=start)
    process.start()


def changes_line(db: str, since: datetime, expected: dict[str, set[str]]) -> str:
    """The change events recorded since ``since`` against the expected ones, per kind."""
    from archive.api import Archive

    with Archive.open(db, create=False) as archive:
        found: dict[str, set[str]] = {}
        for e in archive.changes(since):
            found.setdefault(str(e.kind), set()).add(e.url)
    parts = []
    exact = True
    for kind in ("new", "changed", "withdrawn", "restored"):
        got, want = found.get(kind, set()), expected.get(kind, set())
        missing, extra = len(want - got), len(got - want)
        exact &= not missing and not extra
        if got or want:
            parts.append(f"{kind} {len(got)}/{len(want)} (missing {missing}, extra {extra})")
    verdict = "= known set" if exact else "!= known set"
    return f"changes {verdict}: " + ("; ".join(parts) or "none (none expected)")


def profile(served: Served, mirror: Mirror, tmp: Path, sites: int) -> None:
    """cProfile of a first crawl and of an unchanged re-crawl of ``sites`` sites (one process
    each): top functions by cumulative time, and the project's own functions."""
    import pstats

    served.gen = 1
    small = Mirror(mirror.hosts[:sites], mirror.gens, mirror.known, mirror.conditional)
    sources = sources_toml(small, tmp / "profile.toml")
    db = f"sqlite:///{tmp / 'profile.db'}"
    for label in ("first crawl", "unchanged re-crawl"):
        out = tmp / "crawl.prof"
        cmd = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "crawler.run"]
        cmd += ["--sources", str(sources), "--db", db, "--delay", "0", "--concurrency", "16"]
        cmd += ["--allow-private"]
        for host in small.hosts:
            cmd += ["--origin", f"{origin(host)}={served.origins[origin(host)]}"]
        _run(cmd, _env())
        print(f"\nprofile: {label} of {sites} site(s), the crawl process (extraction workers")
        print("are other processes): top 25 by cumulative time, then policywatch's own code")
        stats = pstats.Stats(str(out))
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("cumulative").print_stats(r"/(crawler|archive|seeds)/", 25)
        stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=20)
    ap.add_argument("--pages", type=int, default=150, help="policy pages per site")
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--profile", action="store_true", help="add a cProfile summary")
    ap.add_argument("--profile-sites", type=int, default=4)
    ap.add_argument("--first-only", action="store_true", help="stop after the first crawl")
    ap.add_argument("--bare-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare_child:
        bare_child(args.bare_child)
        return
    t = time.perf_counter()
    mirror = build(args.sites, args.pages)
    k = mirror.known
    size = sum(len(b) for site in mirror.gens[1].values() for b, _ in site.values()) / 1e6
    print(
        f"mirror: {args.sites} sites × {args.pages} pages, {size:.1f} MB, half GBK, half "
        f"conditional; generation 2: {len(k.substantive)} substantive, {len(k.chrome)} "
        f"chrome-only, {len(k.new)} new, {len(k.removed)} removed (built in "
        f"{time.perf_counter() - t:.1f} s); {os.cpu_count()} cores"
    )
    served = Served(mirror)
    first_urls = {origin(h) + p for h in mirror.hosts for p in mirror.gens[1][h] if "/art/" in p}
    with tempfile.TemporaryDirectory(prefix="bench-mirror-") as d:
        tmp = Path(d)
        db = args.db or f"sqlite:///{tmp / 'bench.db'}"
        sources = tmp / "sources.toml"
        sources_toml(mirror, sources)
        runs: list[tuple[Run, Run]] = []
        plan = [
            ("first crawl", 1, {"new": first_urls}),
            ("unchanged re-crawl", 1, {}),
            (
                "changed re-crawl",
                2,
                {"changed": k.substantive, "new": k.new, "withdrawn": k.removed},
            ),
        ]
        for label, gen, expected in plan[:1] if args.first_only else plan:
            served.gen = gen
            bare = crawl_bare(served, mirror, f"bare Scrapy, {label}", tmp)
            since = datetime.now(UTC)
            ours = crawl_policywatch(served, sources, db, f"policywatch, {label}", [])
            ours.changes = changes_line(db, since, expected)
            runs.append((bare, ours))
            print(bare.line(None))
            print(ours.line(bare))
            print(f"{'':34} {ours.changes}; {ours.errors} fetch errors")
            print(f"{'':34} {ours.cpu_line()}")
            for sample in ours.error_samples:
                print(f"{'':36}{sample[:150]}")
        if args.profile:
            profile(served, mirror, tmp, args.profile_sites)
    served.close()


if __name__ == "__main__":
    main()
