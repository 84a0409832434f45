"""`policywatch sources test` and `sources new`: checking a source before it archives anything.

The probe runs the real spider's link rules in a child process against the bundled mirror
served on 127.0.0.1 (the demo's server) and against the fault site. The expected policy links
are worked out here independently: the mirror's listing files parsed with lxml, their hrefs
joined by hand and classified by ``seeds.Source.classify`` (not the crawler's LinkRules).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from lxml import html

import scheduler
from seeds import MIRROR_DIR, LinkKind, load_sources
from seeds.mirror import serve_mirror
from seeds.source import parse_sources
from tests.conftest import write_mirror_source
from tests.faultsite import serve_faultsite, source_toml

SOURCES = {s.id: s for s in load_sources()}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = scheduler.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _expected_policy_links(source_id: str, listing_urls: list[str]) -> set[str]:
    """Policy-page links of the given (real) listing URLs, from the mirror's files on disk."""
    source = SOURCES[source_id]
    found = set()
    for url in listing_urls:
        parts = urlsplit(url)
        path = parts.path + ("index.html" if parts.path.endswith("/") else "")
        tree = html.fromstring((MIRROR_DIR / "2022" / parts.netloc / path.lstrip("/")).read_bytes())
        for href in tree.xpath("//a/@href | //area/@href"):
            target = urldefrag(urljoin(url, href.strip())).url
            same_host = urlsplit(target).netloc == parts.netloc
            if same_host and source.classify(target) is LinkKind.DOCUMENT:
                found.add(target)
    return found


@pytest.fixture(scope="module")
def mirror():  # type: ignore[no-untyped-def]
    with serve_mirror(generation="2022") as m:
        yield m


@pytest.mark.parametrize("source_id", sorted(SOURCES))
def test_sources_test_lists_the_mirror_links_with_their_roles(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    mirror,
    source_id: str,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "never.db"
    monkeypatch.setenv("POLICYWATCH_DB", str(db))
    sources = write_mirror_source(mirror.origins, source_id, tmp_path / "s.toml")
    code, out, err = run(
        capsys, "sources", "test", source_id, "--sources", str(sources), "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["problems"] == []
    local_to_real = {v: k for k, v in mirror.origins.items()}

    def real(url: str) -> str:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        return local_to_real.get(origin, origin) + url[len(origin) :]

    fetched = [real(p["url"]) for p in data["listings"] if p["status"] == 200]
    assert fetched, data["listings"]
    got = {
        real(link["url"])
        for p in data["listings"]
        for link in p["links"]
        if link["role"] == "document"
    }
    assert got == _expected_policy_links(source_id, fetched)
    for link in (link for p in data["listings"] for link in p["links"]):
        assert link["role"] in ("listing", "document", "attachment", "ignored")
        if link["role"] == "document":
            assert link["reason"].startswith("documents[")
        elif link["role"] == "listing":
            assert link["reason"].startswith("follow[")
    doc = data["document"]
    assert doc["error"] is None and doc["title"] and doc["first_lines"]
    assert not db.exists(), "sources test must not write an archive"


def test_sample_page_of_tj_binhai_is_extracted(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    mirror,  # type: ignore[no-untyped-def]
) -> None:
    sources = write_mirror_source(mirror.origins, "tj_binhai", tmp_path / "s.toml")
    code, out, err = run(capsys, "sources", "test", "tj_binhai", "--sources", str(sources))
    assert code == 0, err
    # Hand-checked against the mirror's page.
    assert "title: 关于印发《滨海新区2022年教育体育工作要点》的通知" in out
    assert "date: 2022-02-25" in out
    assert "says 共2页" in out  # the listing tells its size
    assert "[off-host:" in out
    assert out.rstrip().endswith("ok: the crawl would archive the policy pages above")


def test_wrong_documents_pattern_says_no_policy_page_matches(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    mirror,  # type: ignore[no-untyped-def]
) -> None:
    sources = write_mirror_source(mirror.origins, "xn_chengzhong", tmp_path / "s.toml")
    text = sources.read_text(encoding="utf-8")
    [documents] = [line for line in text.splitlines() if line.startswith("documents")]
    sources.write_text(text.replace(documents, "documents = ['^/contents/\\d+\\.html$']"), "utf-8")
    code, out, err = run(capsys, "sources", "test", "xn_chengzhong", "--sources", str(sources))
    assert code == 1, err
    assert "problem: no policy page matches" in out
    assert "'^/contents/\\d+\\.html$'" in out
    assert "POLICY" not in out and "sample policy page" not in out


def test_mirror_flag_probes_the_bundled_mirror_with_real_urls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "sources", "test", "nm_wuhai", "--mirror", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["listings"][0]["url"] == SOURCES["nm_wuhai"].start_urls[0]
    assert all(
        link["url"].startswith(("http://jyj.wuhai.gov.cn/", "https://", "http://"))
        for p in data["listings"]
        for link in p["links"]
    )
    assert data["document"]["url"].startswith("http://jyj.wuhai.gov.cn/")


def test_robots_txt_is_obeyed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serve_faultsite() as site:
        site.add("fine")
        site.robots_disallow = ["/list.html"]
        sources = tmp_path / "s.toml"
        sources.write_text(source_toml(site), encoding="utf-8")
        code, out, err = run(capsys, "sources", "test", "fault_site", "--sources", str(sources))
        assert not [h for h in site.hits() if h.path == "/list.html"]
    assert code == 1, err
    assert "Forbidden by robots.txt" in out
    assert "problem: no listing page could be fetched" in out


def test_url_option_tests_another_listing_and_pages_bounds_the_fetches(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with serve_faultsite() as site:
        for name in ("a", "b"):
            site.add(name)
        sources = tmp_path / "s.toml"
        sources.write_text(source_toml(site, start_urls=[f"{site.origin}/nothing.html"]), "utf-8")
        code, out, err = run(
            capsys,
            "sources",
            "test",
            "fault_site",
            "--sources",
            str(sources),
            "--url",
            f"{site.origin}/list.html",
            "--format",
            "json",
        )
        listings = [h for h in site.hits() if h.path == "/list.html"]
        docs = [h for h in site.hits() if h.path.startswith("/doc/")]
    assert code == 0, err
    data = json.loads(out)
    assert [p["url"] for p in data["listings"]] == [f"{site.origin}/list.html"]
    assert len(listings) == 1 and len(docs) == 1  # one sample page, nothing archived
    roles = {link["url"]: link["role"] for link in data["listings"][0]["links"]}
    assert roles[site.url("a")] == "document"
    assert roles[f"{site.offsite_origin}/doc/offsite.html"] == "ignored"


def test_unknown_source_id_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sources", "test", "nope")
    assert code == 2 and "unknown source id 'nope'" in err and err.count("\n") == 1


def test_sources_alone_still_lists(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sources")
    assert code == 0 and out == run(capsys, "sources", "list")[1]
    assert sorted(line.split()[0] for line in out.splitlines()) == sorted(SOURCES)


@pytest.mark.parametrize("source_id", sorted(SOURCES))
def test_sources_new_writes_a_skeleton_that_parses(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, source_id: str
) -> None:
    url = SOURCES[source_id].start_urls[0]
    target = tmp_path / "new.toml"
    code, _, err = run(capsys, "sources", "new", url, "-o", str(target), "--name", "某区教育局")
    assert code == 0, err
    assert "next: policywatch sources test" in err
    [source] = parse_sources(target.read_text(encoding="utf-8"), "new.toml")
    assert source.start_urls == (url,) and source.name == "某区教育局"
    # The guessed patterns follow the listing itself and never take it for a policy page.
    assert source.classify(url) is LinkKind.FOLLOW
    code, _, err = run(capsys, "sources", "new", url, "-o", str(target))
    assert code == 2 and "exists; not overwritten" in err


def test_sources_new_refuses_a_non_http_url(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sources", "new", "ftp://x.gov.cn/list.html")
    assert code == 2 and "not an http(s) URL" in err


def test_a_source_file_with_a_bom_is_accepted(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "seeds" / "sources" / "tj_binhai.toml").read_text("utf-8")
    file = tmp_path / "bom.toml"
    file.write_bytes("\ufeff".encode() + text.encode())
    assert [s.id for s in load_sources(file)] == ["tj_binhai"]
    assert os.path.getsize(file) == len(text.encode()) + 3
