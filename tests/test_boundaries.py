"""Crawl boundaries: only the source's hosts, only http(s), no private addresses unless allowed,
and the page-size and page-count limits.

The fault site runs a second port, the "offsite" host: the listing links to it and pages
redirect to it. It must never receive a single request. Everything here is on 127.0.0.1, so
the test sources allow loopback explicitly. One test uses a source that does not, and that
source cannot run at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import scheduler
from crawler.middlewares import boundary_violation
from tests import reliability_figures as figures
from tests.faultsite import (
    CrawlRun,
    FaultSite,
    fetch_errors,
    run_crawl,
    serve_faultsite,
    source_toml,
    versions_by_url,
)

REFUSED = {
    "redirect_offsite": r"refused: 127\.0\.0\.1:\d+ is not one of the source's hosts",
    "redirect_offsite_robots": r"refused: 127\.0\.0\.1:\d+ is not one of the source's hosts",
    "meta_refresh_offsite": r"refused: 127\.0\.0\.1:\d+ is not one of the source's hosts",
    "redirect_scheme": r"refused: HTTP 302 redirect to a non-http\(s\) URL",
    "redirect_private": r"refused: 10\.0\.0\.1 is not one of the source's hosts",
    "redirect_metadata": r"refused: 169\.254\.169\.254 is not one of the source's hosts",
    "huge": r"^download cancelled .*larger than download max size \(50000\)",
    "huge_undeclared": r"^download cancelled",
}
PLAIN = [f"plain{i}" for i in range(8)]
MAX_PAGES = len(REFUSED) + 4


@dataclass
class Bounded:
    db: str
    site: FaultSite
    run: CrawlRun


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Bounded:
    tmp = tmp_path_factory.mktemp("bounds")
    db = f"sqlite:///{tmp / 'archive.db'}"
    with serve_faultsite() as site:
        # "a…" sorts first: the listing links the faulty pages before the plain ones, so the
        # page budget is spent on them and cuts the plain ones.
        for name in REFUSED:
            site.add(f"a_{name}", fault=name)
        for name in PLAIN:
            site.add(name)
        sources = tmp / "sources.toml"
        sources.write_text(
            source_toml(site, max_pages=MAX_PAGES, max_page_bytes=50_000), encoding="utf-8"
        )
        run = run_crawl(sources, db, tmp)
    return Bounded(db, site, run)


def test_bounded_crawl_completes(bounded: Bounded) -> None:
    assert bounded.run.rc == 0 and bounded.run.summary["status"] == "ok", bounded.run.stderr


def test_offsite_host_never_receives_a_request(bounded: Bounded) -> None:
    # Not the linked offsite page or listing, not a redirect target, not its robots.txt.
    assert bounded.site.hits(host="offsite") == []


@pytest.mark.parametrize("fault", sorted(REFUSED))
def test_refusal_is_recorded_and_makes_no_version(bounded: Bounded, fault: str) -> None:
    url = bounded.site.url(f"a_{fault}")
    reason = fetch_errors(bounded.db, bounded.run.summary["crawl_id"]).get(url)
    assert reason is not None and re.search(REFUSED[fault], reason), reason
    assert url not in versions_by_url(bounded.db)
    figures.add("boundary_refusals")


def test_page_count_limit_is_enforced(bounded: Bounded) -> None:
    hits = bounded.site.hits()
    # max_pages counts every page after the start URLs: documents and further listing pages
    # (the listing links itself from its navigation). Redirect hops are not new pages.
    documents = {h.path.split("?")[0] for h in hits if h.path.startswith("/doc/")}
    listings = sum(h.path == "/list.html" for h in hits) - 1
    assert len(documents) + listings == MAX_PAGES
    assert len(versions_by_url(bounded.db)) == len(documents) - len(REFUSED) < len(PLAIN)


def test_huge_page_is_cut_off_not_downloaded(bounded: Bounded) -> None:
    # The 50 MB page is refused at its declared size; the undeclared one once 50 kB arrived.
    assert len(bounded.site.hits("a_huge")) == 1
    assert len(bounded.site.hits("a_huge_undeclared")) == 1


# -- a source that does not allow private addresses -----------------------------------------------


def test_source_without_allow_private_cannot_crawl_loopback(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    with serve_faultsite() as site:
        site.add("page")
        sources = tmp_path / "sources.toml"
        sources.write_text(source_toml(site, allow_private=False), encoding="utf-8")
        run = run_crawl(sources, db, tmp_path)
        asked = list(site.log)
    assert run.rc == 1
    assert run.summary["status"] == "failed"
    assert re.fullmatch(
        r"no listing page could be fetched: http://127\.0\.0\.1:\d+/list\.html: "
        r"IgnoreRequest: refused: 127\.0\.0\.1 is a private or loopback address: "
        r"\S+",
        run.summary["reason"],
    ), run.summary["reason"]
    assert asked == []  # not even robots.txt
    figures.add("boundary_refusals")


def test_policywatch_crawl_reports_the_refused_source_in_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with serve_faultsite() as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(source_toml(site, allow_private=False), encoding="utf-8")
        code = scheduler.main(
            ["crawl", "--sources", str(sources), "--db", str(tmp_path / "archive.db")]
        )
        asked = list(site.log)
    out = capfd.readouterr().out
    assert code == 1 and asked == []
    failed = [line for line in out.splitlines() if "FAILED" in line]
    assert len(failed) == 1 and "private or loopback address" in failed[0], out


# -- the rule itself ------------------------------------------------------------------------------

SITE = frozenset({"jtj.tjbh.gov.cn", "127.0.0.1:8000"})


@pytest.mark.parametrize(
    ("url", "allow_private", "expected"),
    [
        ("https://jtj.tjbh.gov.cn/contents/1.html", False, None),
        ("http://127.0.0.1:8000/doc/1.html", True, None),
        ("http://127.0.0.1:8000/doc/1.html", False, "private or loopback"),
        ("ftp://jtj.tjbh.gov.cn/a.pdf", False, "scheme 'ftp'"),
        ("file:///etc/passwd", True, "scheme 'file'"),
        ("javascript:alert(1)", True, "scheme 'javascript'"),
        ("data:text/html,<script>alert(1)</script>", True, "scheme 'data'"),
        ("https://evil.example/contents/1.html", False, "not one of the source's hosts"),
        ("https://evil.example/robots.txt", False, "not one of the source's hosts"),
        ("https://jtj.tjbh.gov.cn.evil.example/", False, "not one of the source's hosts"),
        ("https://jtj.tjbh.gov.cn:8443/x", False, "not one of the source's hosts"),
        ("http://10.0.0.1/", False, "private or loopback"),
        ("http://192.168.1.1/", False, "private or loopback"),
        ("http://172.16.0.1/", False, "private or loopback"),
        ("http://169.254.169.254/latest/meta-data/", False, "private or loopback"),
        ("http://[::1]:8000/", False, "private or loopback"),
        ("http://[::ffff:127.0.0.1]/", False, "private or loopback"),
        ("http://0.0.0.0/", False, "private or loopback"),
        ("http://localhost:8000/", False, "private or loopback"),
        ("http://db.localhost/", False, "private or loopback"),
        ("http://10.0.0.1/", True, "not one of the source's hosts"),
    ],
)
def test_boundary_rule(url: str, allow_private: bool, expected: str | None) -> None:
    reason = boundary_violation(url, SITE, allow_private)
    assert (reason is None) if expected is None else (reason and expected in reason), reason


def test_extra_hosts_are_inside_the_boundary() -> None:
    """A source may list another host (say, where its attachments live); nothing else is in."""
    from dataclasses import replace

    from crawler.middlewares import boundary_violation
    from crawler.spiders.bureau import BureauSpider
    from seeds import load_sources

    (binhai,) = [s for s in load_sources() if s.id == "tj_binhai"]
    spider = BureauSpider(replace(binhai, extra_hosts=("files.tjbh.gov.cn",)))
    inside = "https://files.tjbh.gov.cn/upload/a.pdf"
    assert boundary_violation(inside, spider.allowed_netlocs, allow_private=False) is None
    outside = "https://evil.example.com/upload/a.pdf"
    assert boundary_violation(outside, spider.allowed_netlocs, allow_private=False)
