"""Search and web UI latency on a generated archive of 10,000 versions, on both backends.

Builds the archive through the real door (``Archive.record``: each version indexed in its own
transaction), then times ``Archive.search`` for a mix of queries (words in either script,
a place name, a 文号, an issuer prefix, a one-character substring, two words, --all-versions)
and the web UI's pages over real HTTP (uvicorn on 127.0.0.1). Prints median and p95 per query
and per page. Run on demand:

    python benchmarks/bench_search.py [--versions 10000] [--db URL] [--pg URL] [--repeat 15]

``--pg`` (or $POLICYWATCH_TEST_PG) adds a PostgreSQL run; its database is emptied first.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.api import Archive  # noqa: E402
from archive.records import Capture, FetchKind  # noqa: E402

PLACES = ["东城区", "東城區", "滨海新区", "和平区", "乌海市", "城中区", "大港东城二幼", "西城区"]
TERMS = ["双减", "雙減", "课后服务", "課後服務", "义务教育", "体育设施", "校外培训", "学前教育",
         "安全隐患", "体质健康", "招生入学", "教师队伍", "集团化办学", "高质量发展"]  # fmt: skip
FILLER = [
    "各学校要高度重视，加强组织领导，明确责任分工，确保各项工作落到实处。",
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的教育方针。",
    "建立健全工作机制，定期开展督导检查，及时发现和解决问题。",
    "加大经费投入力度，改善办学条件，提升教育教学质量。",
    "各單位要結合實際，制定具體實施方案，認真抓好落實。",
    "进一步规范办学行为，切实减轻学生过重作业负担。",
]
QUERIES = [
    ("word", "双减"),
    ("word, traditional", "課後服務"),
    ("place", "东城"),
    ("two words", "义务教育 体育设施"),
    ("文号", "津滨教体〔2024〕15号"),
    ("issuer prefix", "津滨教体"),
    ("one character", "减"),
    ("rare word", "集团化办学"),
]


def text_for(rng: random.Random, doc: int, seq: int) -> str:
    """About 600 characters of policy-like text; each version differs in one number."""
    parts = [f"一、总体要求\n{rng.choice(PLACES)}教育系统要推进{rng.choice(TERMS)}工作。"]
    for i in range(2, 9):
        parts.append(
            f"{i}.{rng.choice(FILLER)}{rng.choice(TERMS)}方面，建设{rng.randint(1, 99)}处设施，"
            f"培训{10 * seq + doc % 7}名教师。{rng.choice(FILLER)}"
        )
    return "\n".join(parts)


def build(url: str, versions: int, per_doc: int = 4) -> float:
    """Fill the archive; returns seconds taken."""
    rng = random.Random(11)
    t0 = datetime(2023, 1, 1, tzinfo=UTC)
    start = time.perf_counter()
    with Archive.open(url) as archive:
        docs = versions // per_doc
        for seq in range(per_doc):
            for doc in range(docs):
                year = 2021 + seq
                number = f"津滨教体〔{year}〕{doc % 300}号" if doc % 5 == 0 else None
                title = f"关于印发《{rng.choice(PLACES)}{year}年{rng.choice(TERMS)}工作方案》的通知"
                archive.record(
                    Capture(
                        source_id=f"src_{doc % 8}",
                        url=f"https://bench.example.gov.cn/doc/{doc}.html",
                        fetched_at=t0 + timedelta(days=30 * seq, seconds=doc),
                        kind=FetchKind.CONTENT,
                        http_status=200,
                        body=b"<html>bench</html>",
                        content_type="text/html",
                        title=title,
                        text=text_for(rng, doc, seq),
                        doc_number=number,
                    )
                )
    return time.perf_counter() - start


CPU: list[float] = []  # this process's CPU ms per call, beside the wall-clock figures


def timed(fn, repeat: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """Median and p95 wall-clock ms of ``fn()`` (and its CPU ms, into CPU), and its result."""
    fn()  # warm: caches, jieba, the query plan
    times, cpu, n = [], [], 0
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        n = fn()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    times.sort()
    CPU.append(statistics.median(cpu))
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], n


def bench_search(url: str, repeat: int) -> list[float]:
    medians = []
    with Archive.open(url, create=False) as archive:
        print(f"  {'query':<28}{'hits':>6}{'median ms':>11}{'p95 ms':>9}{'cpu ms':>8}")
        for label, q in QUERIES:
            med, p95, n = timed(lambda q=q: len(archive.search(q, limit=50)), repeat)
            medians.append(med)
            print(f"  {label + ' ' + q:<28}{n:>6}{med:>11.1f}{p95:>9.1f}{CPU[-1]:>8.1f}")
        med, p95, n = timed(lambda: len(archive.search("双减", all_versions=True)), repeat)
        medians.append(med)
        print(f"  {'双减 --all-versions':<28}{n:>6}{med:>11.1f}{p95:>9.1f}{CPU[-1]:>8.1f}")
    return medians


def bench_web(url: str, repeat: int) -> list[float]:
    import httpx
    import uvicorn

    from archive.web import create_app

    archive = Archive.open(url, create=False)
    doc_url = "https://bench.example.gov.cn/doc/5.html"
    hist = archive.history(doc_url)
    series = archive.series()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_app(archive), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    pages = [
        "/sources",
        "/documents?source=src_1",
        "/documents?doc_number=津滨教体〔2024〕",
        f"/document?url={doc_url}",
        f"/version/{hist[-1].id}",
        f"/diff?old={hist[0].id}&new={hist[-1].id}",
        "/search?q=双减",
        "/search?q=津滨教体",
        "/changes?since=7d",
        "/changes",
        "/feed.atom",
    ]
    if series:
        pages.append(f"/diff?series={series[0].id}")
    medians = []
    with httpx.Client(timeout=60) as client:
        print(f"  {'page':<44}{'KB':>6}{'median ms':>11}{'p95 ms':>9}")
        for page in pages:
            size = len(client.get(base + page).content)
            med, p95, _ = timed(lambda p=page: client.get(base + p).status_code, repeat)
            medians.append(med)
            print(f"  {page:<44}{size // 1024:>6}{med:>11.1f}{p95:>9.1f}")
    server.should_exit = True
    thread.join(10)
    archive.close()
    return medians


def reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--versions", type=int, default=10_000)
    ap.add_argument("--db", help="SQLite URL to build into [default: a temporary file]")
    ap.add_argument("--pg", default=os.environ.get("POLICYWATCH_TEST_PG"))
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--no-web", action="store_true", help="skip the web pages")
    ap.add_argument("--reuse", action="store_true", help="keep an archive built by a past run")
    ap.add_argument("--no-build", action="store_true", help="only build the archive(s)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")]
        if args.pg:
            targets.append(("PostgreSQL", args.pg))
        for name, url in targets:
            try:
                with Archive.open(url, create=False) as a:
                    have = a.count_versions()
            except Exception:  # no archive there yet
                have = 0
            if args.reuse and have >= args.versions:
                print(f"\n{name}: reusing {have} versions")
            else:
                if name == "PostgreSQL":
                    reset_pg(url)
                secs = build(url, args.versions)
                rate = args.versions / secs
                print(f"\n{name}: {args.versions} versions recorded in {secs:.0f} s ({rate:.0f}/s)")
            if args.no_build:
                continue
            s = bench_search(url, args.repeat)
            print(f"  search: median of medians {statistics.median(s):.1f} ms, worst {max(s):.1f}")
            if not args.no_web:
                w = bench_web(url, args.repeat)
                print(f"  web: median of medians {statistics.median(w):.1f} ms, worst {max(w):.1f}")


if __name__ == "__main__":
    main()
