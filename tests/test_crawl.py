"""End to end over real HTTP: the real spider crawls the bundled mirror into a real archive.

One module-scoped scenario (crawl 2022, crawl 2022 again, crawl 2023), then small tests
that each read one fact off it, checked against the mirror's own declared CHANGES.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from archive.api import Archive
from seeds import MIRROR_DIR
from seeds.mirror import serve_mirror

REPO = Path(__file__).resolve().parent.parent
FACTS = json.loads((MIRROR_DIR / "changes.json").read_text(encoding="utf-8"))
SOURCES = ("tj_heping", "xn_chengzhong", "tj_binhai", "bj_dongcheng", "nm_wuhai")


def crawl(
    db: str, origins: dict[str, str], tmp: Path, *extra: str
) -> tuple[int, list[dict[str, Any]]]:
    """Run one crawl process like the CLI does; return its exit status and summaries."""
    out = tmp / "summary.json"
    args = [
        sys.executable,
        "-m",
        "crawler.run",
        "--db",
        db,
        "--delay",
        "0",
        "--concurrency",
        "4",
        "--allow-private",
        "--summary",
        str(out),
        *extra,
    ]
    for real, mirror in origins.items():
        args += ["--origin", f"{real}={mirror}"]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert out.exists(), proc.stderr[-2000:]
    return proc.returncode, json.loads(out.read_text(encoding="utf-8"))


@dataclass
class Scenario:
    db: str
    runs: dict[str, tuple[int, list[dict[str, Any]]]]
    versions_after: dict[str, int]
    log_by_run: dict[str, list[tuple[str, str, int]]]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    tmp = tmp_path_factory.mktemp("crawl")
    db = f"sqlite:///{tmp / 'archive.db'}"
    runs, versions, logs = {}, {}, {}
    with serve_mirror(generation="2022") as mirror:
        for name, gen in (("first", "2022"), ("again", "2022"), ("next", "2023")):
            mirror.set_generation(gen)
            before = len(mirror.request_log)
            runs[name] = crawl(db, mirror.origins, tmp)
            logs[name] = list(mirror.request_log[before:])
            archive = Archive.open(db)
            versions[name] = archive.count_versions()
            archive.close()
    return Scenario(db, runs, versions, logs)


def totals(summaries: list[dict[str, Any]]) -> dict[str, int]:
    keys = ("fetched", "new", "changed", "unchanged", "withdrawn", "errors")
    return {k: sum(s[k] for s in summaries) for k in keys}


def test_first_crawl_archives_every_policy_page(scenario: Scenario) -> None:
    rc, summaries = scenario.runs["first"]
    assert rc == 0
    assert {s["source_id"] for s in summaries} == {
        "tj_heping",
        "xn_chengzhong",
        "tj_binhai",
        "bj_dongcheng",
        "nm_wuhai",
    }
    t = totals(summaries)
    assert t["errors"] == 0
    # 16 policy pages and the one DOCX attachment that one of them links.
    assert t["new"] == t["fetched"] == scenario.versions_after["first"] == 17


def test_second_crawl_of_an_unchanged_site_makes_no_version(scenario: Scenario) -> None:
    rc, summaries = scenario.runs["again"]
    assert rc == 0
    t = totals(summaries)
    assert t["new"] == t["changed"] == t["withdrawn"] == 0
    assert t["unchanged"] == 17
    assert scenario.versions_after["again"] == scenario.versions_after["first"]


def test_second_crawl_uses_conditional_requests(scenario: Scenario) -> None:
    # Every archived page and attachment was asked once, conditionally, and answered 304: the
    # crawler sent the server's own ETag. (Mirror paths equal the real sites' paths.)
    archive = Archive.open(scenario.db)
    known = {urlsplit(d.url).path for s in SOURCES for d in archive.known_documents(s)}
    archive.close()
    known.discard(urlsplit(FACTS["new_documents"][0]["url"]).path)  # only exists in 2023
    doc_hits = [st for _, p, st in scenario.log_by_run["again"] if p in known]
    assert len(known) == 17
    assert doc_hits == [304] * 17


def test_next_generation_reports_new_changed_withdrawn(scenario: Scenario) -> None:
    rc, summaries = scenario.runs["next"]
    assert rc == 0
    t = totals(summaries)
    assert (t["new"], t["changed"], t["withdrawn"], t["errors"]) == (1, 1, 1, 0)
    archive = Archive.open(scenario.db)
    events = {(e.kind, e.url) for e in archive.changes()}
    archive.close()
    assert ("new", FACTS["new_documents"][0]["url"]) in events
    assert ("changed", FACTS["edited_in_place"][0]["url"]) in events
    assert ("withdrawn", FACTS["withdrawn"][0]["url"]) in events


def test_counter_only_change_is_not_a_version(scenario: Scenario) -> None:
    url = FACTS["counter_only"][0]["url"]
    archive = Archive.open(scenario.db)
    versions = archive.history(url)
    archive.close()
    assert len(versions) == 1
    assert "浏览次数" not in versions[0].text and "456" not in versions[0].text


def test_new_plan_is_linked_to_last_years(scenario: Scenario) -> None:
    archive = Archive.open(scenario.db)
    (series,) = archive.series("tj_binhai")
    archive.close()
    chain = [e.version for e in series.editions]
    assert [v.url for v in chain][-1] == FACTS["new_documents"][0]["url"]
    assert "2022" in chain[0].title and "2023" in chain[-1].title
    assert series.years == [2022, 2023]


def test_gbk_pages_are_archived_without_mojibake(scenario: Scenario) -> None:
    archive = Archive.open(scenario.db)
    texts = list(archive.export(source="xn_chengzhong"))
    texts += list(archive.export(source="tj_heping"))
    archive.close()
    assert len(texts) == 6
    for v in texts:
        assert "\ufffd" not in v.text and "锟斤拷" not in v.text
        assert sum("\u4e00" <= ch <= "\u9fff" for ch in v.text) > 0.5 * len(
            v.text.replace("\n", "")
        )


def test_archive_is_consistent_after_all_runs(scenario: Scenario) -> None:
    archive = Archive.open(scenario.db)
    report = archive.check()
    archive.close()
    assert report.ok, report.problems
    assert report.versions == scenario.versions_after["next"] == 19


def test_robots_txt_is_fetched_once_per_host(scenario: Scenario) -> None:
    paths = [p for _, p, _ in scenario.log_by_run["first"]]
    assert sum(p == "/robots.txt" for p in paths) == 5


ATTACHMENT = "https://jtj.tjbh.gov.cn/upload/files/2022/1/14/20220114093215.docx"
ATTACHMENT_PAGE = "https://jtj.tjbh.gov.cn/contents/9930/268517.html"


def test_docx_attachment_is_archived_with_its_text_and_page(scenario: Scenario) -> None:
    archive = Archive.open(scenario.db)
    (version,) = archive.history(ATTACHMENT)
    (event,) = [e for e in archive.changes() if e.url == ATTACHMENT]
    archive.close()
    assert version.title == "2022年寒假致家长的一封信.docx"
    assert "尊敬的家长" in version.text
    assert event.kind == "new" and event.attachment_of == ATTACHMENT_PAGE


def test_attachment_is_revisited_conditionally(scenario: Scenario) -> None:
    hits = [st for _, p, st in scenario.log_by_run["again"] if p.endswith(".docx")]
    assert hits == [304]


def test_a_source_whose_patterns_match_nothing_is_warned_about(tmp_path: Path) -> None:
    """A typo in `documents` must not pass silently as "0 new" forever."""
    from tests.conftest import write_mirror_source

    with serve_mirror(generation="2022") as mirror:
        src = write_mirror_source(mirror.origins, "nm_wuhai", tmp_path / "w.toml")
        text = src.read_text(encoding="utf-8")
        start = text.index("documents = ")
        end = text.index("\n", start)
        src.write_text(
            text[:start] + "documents = ['^/no-such-column/']" + text[end:], encoding="utf-8"
        )
        out = tmp_path / "summary.json"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "crawler.run",
                "--sources",
                str(src),
                "--summary",
                str(out),
                "--db",
                f"sqlite:///{tmp_path / 'a.db'}",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0
    assert "link no policy page" in proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))[0]["new"] == 0
