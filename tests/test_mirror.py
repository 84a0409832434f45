"""The offline mirror: what the server sends per generation, its GBK pages, CHANGES.md's claims."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from seeds import MIRROR_DIR, LinkKind, Source, load_sources
from seeds.build_mirror import main as build_mirror
from seeds.mirror import LAST_MODIFIED, MirrorServer, read_generation, serve_mirror

GENERATIONS = ("2022", "2023")
BINHAI = "https://jtj.tjbh.gov.cn"
PLAN_2022 = f"{BINHAI}/contents/9930/268903.html"
PLAN_2023 = f"{BINHAI}/contents/9930/279415.html"
WITHDRAWN = "https://www.bjdch.gov.cn/zwgk/jgdh/qzfzcbmdh/qjw/bmgzqjw/202201/t20220114_2586431.html"
EDITED = "https://xncz.gov.cn/info/4016/158733.htm"
COUNTER_ONLY = "http://jyj.wuhai.gov.cn/jyj/zfxxgk88/fdzdgknr53/839991/1271806/index.html"
CHANGES = json.loads((MIRROR_DIR / "changes.json").read_text("utf-8"))
ORIGINS = {
    (MIRROR_DIR / "2022" / host / "_origin.txt").read_text("utf-8").strip(): host
    for host in sorted(p.name for p in (MIRROR_DIR / "2022").iterdir())
}


@pytest.fixture(scope="module")
def server() -> Iterator[MirrorServer]:
    with serve_mirror() as mirror:
        yield mirror


@pytest.fixture(params=GENERATIONS)
def generation(request: pytest.FixtureRequest, server: MirrorServer) -> Iterator[str]:
    server.set_generation(request.param)
    yield request.param
    server.set_generation("2022")


def fetch(
    server: MirrorServer, url: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """GET a real URL from the mirror (http.client: no proxy from the environment)."""
    local = urlsplit(server.url(url))
    conn = http.client.HTTPConnection(local.hostname or "", local.port, timeout=10)
    try:
        conn.request("GET", local.path or "/", headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


GENERATION_FILES = {gen: read_generation(MIRROR_DIR, gen) for gen in GENERATIONS}


def _entry(generation: str, url: str) -> tuple[Path, str]:
    parts = urlsplit(url)
    path = parts.path + ("index.html" if parts.path.endswith("/") else "")
    host = ORIGINS[f"{parts.scheme}://{parts.netloc}"]
    return GENERATION_FILES[generation][host][path]


def stored(generation: str, url: str) -> Path:
    """The file a generation serves for ``url`` (overlays resolved onto their base)."""
    return _entry(generation, url)[0]


def mirror_urls(generation: str) -> list[str]:
    """Every servable URL of a generation, by its real origin."""
    return [
        origin + path
        for origin, host in ORIGINS.items()
        for path in sorted(GENERATION_FILES[generation].get(host, {}))
    ]


def content_type(generation: str, url: str) -> str:
    return _entry(generation, url)[1]


# --- the server ----------------------------------------------------------------------------------


def test_one_local_origin_per_site(server: MirrorServer) -> None:
    assert sorted(server.origins) == sorted(ORIGINS)
    assert sorted(ORIGINS) == sorted(
        f"{urlsplit(s.start_urls[0]).scheme}://{urlsplit(s.start_urls[0]).netloc}"
        for s in load_sources()
    )
    assert all(re.fullmatch(r"http://127\.0\.0\.1:\d+", o) for o in server.origins.values())
    assert len(set(server.origins.values())) == len(ORIGINS)


def test_serves_stored_bytes_and_headers(server: MirrorServer, generation: str) -> None:
    for url in mirror_urls(generation):
        status, headers, body = fetch(server, url)
        assert status == 200, url
        assert body == stored(generation, url).read_bytes(), url
        assert headers["Content-Type"] == content_type(generation, url)
        assert headers["ETag"] == '"' + hashlib.sha1(body).hexdigest() + '"'
        assert headers["Last-Modified"] == LAST_MODIFIED[generation]


def test_directory_url_serves_index_html(server: MirrorServer) -> None:
    listing = "https://www.tjhp.gov.cn/zw/zfxxgk/zfgbm/qjyj/fdzdgknr/gzdt/"
    assert fetch(server, listing)[2] == fetch(server, listing + "index.html")[2]


def test_conditional_requests(server: MirrorServer) -> None:
    server.set_generation("2022")
    _, headers, _ = fetch(server, PLAN_2022)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert fetch(server, PLAN_2022, {"If-None-Match": etag})[0] == 304
    assert fetch(server, PLAN_2022, {"If-None-Match": f'"x", W/{etag}'})[0] == 304
    assert fetch(server, PLAN_2022, {"If-None-Match": '"stale"'})[0] == 200
    assert fetch(server, PLAN_2022, {"If-Modified-Since": modified})[0] == 304
    # If-None-Match wins: a stale tag means 200 even when the date says "not modified".
    stale = {"If-None-Match": '"stale"', "If-Modified-Since": modified}
    assert fetch(server, PLAN_2022, stale)[0] == 200
    # The 2022 plan is byte-identical in 2023: same ETag, so still 304 after the switch.
    server.set_generation("2023")
    assert fetch(server, PLAN_2022, {"If-None-Match": etag})[0] == 304
    assert fetch(server, PLAN_2022, {"If-Modified-Since": modified})[0] == 200
    server.set_generation("2022")


def test_unknown_and_private_paths_are_404(server: MirrorServer) -> None:
    for path in ("/nope.html", "/_headers.json", "/_origin.txt", "/../2023/x", "/admin/"):
        assert fetch(server, BINHAI + path)[0] == 404, path


def test_withdrawn_page_is_404_only_in_2023(server: MirrorServer) -> None:
    server.set_generation("2022")
    assert fetch(server, WITHDRAWN)[0] == 200
    server.set_generation("2023")
    assert fetch(server, WITHDRAWN)[0] == 404
    assert fetch(server, PLAN_2023)[0] == 200
    server.set_generation("2022")
    assert fetch(server, PLAN_2023)[0] == 404


def test_request_log(server: MirrorServer) -> None:
    server.set_generation("2022")
    before = len(server.request_log)
    fetch(server, BINHAI + "/robots.txt")
    fetch(server, BINHAI + "/missing.html")
    assert server.request_log[before:] == [
        ("jtj.tjbh.gov.cn", "/robots.txt", 200),
        ("jtj.tjbh.gov.cn", "/missing.html", 404),
    ]


def test_rebased_sources_start_at_the_mirror(server: MirrorServer) -> None:
    server.set_generation("2022")
    for source in load_sources():
        local = source.rebased(server.origins, allow_private=True)
        [url] = local.start_urls
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        conn.request("GET", parts.path)
        assert conn.getresponse().status == 200, source.id
        conn.close()


def test_robots_txt_per_host(server: MirrorServer) -> None:
    for origin in ORIGINS:
        status, headers, body = fetch(server, origin + "/robots.txt")
        assert (status, headers["Content-Type"]) == (200, "text/plain; charset=utf-8")
        assert b"User-agent: *" in body
        assert b"Disallow: /admin/" in body


def test_set_generation_rejects_unknown(server: MirrorServer) -> None:
    with pytest.raises(ValueError, match="no generation '2099'"):
        server.set_generation("2099")


# --- the pages -----------------------------------------------------------------------------------


def _is_gbk(generation: str, url: str) -> bool:
    return "utf-8" not in content_type(generation, url) and url.endswith((".html", ".htm"))


@pytest.mark.parametrize("gen", GENERATIONS)
def test_gbk_pages_decode_as_gb18030(gen: str) -> None:
    gbk = [url for url in mirror_urls(gen) if _is_gbk(gen, url)]
    assert {urlsplit(u).netloc for u in gbk} == {"www.tjhp.gov.cn", "xncz.gov.cn"}
    for url in gbk:
        data = stored(gen, url).read_bytes()
        text = data.decode("gb18030")
        assert "\ufffd" not in text
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really GBK bytes, not ASCII-only
    undeclared = [
        u
        for u in gbk
        if content_type(gen, u) == "text/html"
        and b"charset" not in stored(gen, u).read_bytes().lower()
    ]
    assert undeclared == ["https://xncz.gov.cn/info/4016/157902.htm"]


def test_meta_gb2312_page_needs_gbk() -> None:
    """The 北方网 repost says gb2312 but was written as GBK: taken literally, — turns into ―."""
    heping = "https://www.tjhp.gov.cn/zw/zfxxgk/zfgbm/qjyj/fdzdgknr/gzdt/"
    data = stored("2022", heping + "202007/t20200720_4893215.html").read_bytes()
    assert b"charset=gb2312" in data
    assert "(2020—2022年)" in data.decode("gbk")
    assert "(2020\u20152022年)" in data.decode("gb2312")


@pytest.mark.parametrize("gen", GENERATIONS)
def test_utf8_pages_decode(gen: str) -> None:
    for url in mirror_urls(gen):
        if url.endswith((".html", ".htm")) and not _is_gbk(gen, url):
            stored(gen, url).read_bytes().decode("utf-8")


def test_dongcheng_stays_traditional() -> None:
    url = "https://www.bjdch.gov.cn/zwgk/jgdh/qzfzcbmdh/qjw/bmgzqjw/202212/t20221230_2871456.html"
    text = stored("2022", url).read_text("utf-8")
    assert "東城區堅持以習近平新時代中國特色社會主義思想為指導" in text
    assert "东城" not in text


@pytest.mark.parametrize("gen", GENERATIONS)
def test_every_followable_link_resolves(gen: str) -> None:
    """Links a source would follow or archive all exist in that generation (no dangling links)."""
    sources = {urlsplit(s.start_urls[0]).netloc: s for s in load_sources()}
    existing = set(mirror_urls(gen))
    checked = 0
    for url in mirror_urls(gen):
        if not url.endswith((".html", ".htm")):
            continue
        data = stored(gen, url).read_bytes()
        text = data.decode("gb18030" if _is_gbk(gen, url) else "utf-8")
        for href in re.findall(r'href="([^"#]+)"', text):
            target = urljoin(url, href)
            if urlsplit(target).netloc != urlsplit(url).netloc:
                continue
            if sources[urlsplit(url).netloc].classify(target) is not None:
                target = target + ("index.html" if target.endswith("/") else "")
                assert target in existing, (url, href)
                checked += 1
    assert checked > 40


@pytest.mark.parametrize("source", load_sources(), ids=lambda s: s.id)
def test_listing_paginates_to_page_two(source: Source) -> None:
    [start] = source.start_urls
    text = stored("2022", start).read_bytes().decode("latin-1")  # hrefs are ASCII in any charset
    followed = {
        urljoin(start, href)
        for href in re.findall(r'href="([^"#]+)"', text)
        if source.classify(urljoin(start, href)) is LinkKind.FOLLOW
    }
    assert len(followed - {start}) == 1, followed


# --- CHANGES.md ----------------------------------------------------------------------------------


def test_changes_list_every_differing_file() -> None:
    old, new = set(mirror_urls("2022")), set(mirror_urls("2023"))
    changed = {
        u for u in old & new if stored("2022", u).read_bytes() != stored("2023", u).read_bytes()
    }
    assert sorted(new - old) == CHANGES["added"] == [PLAN_2023]
    assert sorted(old - new) == CHANGES["removed"] == [WITHDRAWN]
    assert sorted(changed) == CHANGES["changed"]
    assert changed == {
        EDITED,
        COUNTER_ONLY,
        f"{BINHAI}/channels/9930.html",
        "https://www.bjdch.gov.cn/zwgk/jgdh/qzfzcbmdh/qjw/bmgzqjw/index.html",
    }
    markdown = (MIRROR_DIR / "CHANGES.md").read_text("utf-8")
    for url in [PLAN_2023, WITHDRAWN, EDITED, COUNTER_ONLY, *changed]:
        assert url in markdown


def test_new_plan_is_linked_first_and_last_years_plan_unchanged() -> None:
    listing = stored("2023", f"{BINHAI}/channels/9930.html").read_text("utf-8")
    links = re.findall(r'href="(/contents/9930/\d+\.html)"', listing)
    assert links[:2] == ["/contents/9930/279415.html", "/contents/9930/268903.html"]
    assert stored("2022", PLAN_2022).read_bytes() == stored("2023", PLAN_2022).read_bytes()
    old = stored("2022", PLAN_2022).read_text("utf-8")
    new = stored("2023", PLAN_2023).read_text("utf-8")
    assert "关于印发《滨海新区2022年教育体育工作要点》的通知" in old
    assert "关于印发《滨海新区2023年教育体育工作要点》的通知" in new
    for before, after in [("200名", "300名"), ("设施40处", "设施50处"), ("97%以上", "98%以上")]:
        assert before in old
        assert after in new
        assert before not in new


def test_plan_edits_cover_the_kinds() -> None:
    edits = CHANGES["plan_edits"]
    kinds = [e["kind"] for e in edits if e["kind"] != "preamble"]
    assert {"replace", "add", "remove", "move"} <= set(kinds)
    assert len(kinds) >= 15
    [move] = [e for e in edits if e["kind"] == "move"]
    assert (move["item"], move["new_item"], move["from_section"], move["section"]) == (
        25,
        19,
        "六",
        "四",
    )
    new = stored("2023", PLAN_2023).read_text("utf-8")
    assert re.search(r"<p>19\.推进东西部教育协作交流。", new)
    assert re.search(r"<p>32\.推进青少年体育俱乐部建设。", new)


def test_edited_in_place_page() -> None:
    old = stored("2022", EDITED).read_bytes().decode("gb18030")
    new = stored("2023", EDITED).read_bytes().decode("gb18030")
    assert "全区21所公办小学" in old
    assert "全区23所公办小学" in new
    assert "连续居住满6个月" in new
    assert "(四)烈士子女" in new
    assert "(四)" not in old


def test_counter_only_page_differs_only_in_counter_and_footer() -> None:
    old = stored("2022", COUNTER_ONLY).read_text("utf-8").splitlines()
    new = stored("2023", COUNTER_ONLY).read_text("utf-8").splitlines()
    assert len(old) == len(new)
    differing = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert len(differing) == 2
    (counter_old, counter_new), (footer_old, footer_new) = differing
    assert counter_old.replace("浏览次数：123", "浏览次数：456") == counter_new
    assert footer_old.replace("© 2022", "© 2023") == footer_new
    assert "版权所有" in footer_old
    [claim] = CHANGES["counter_only"]
    assert claim == {"url": COUNTER_ONLY, "views": [123, 456], "footer_date": ["2022", "2023"]}


def test_withdrawn_page_is_unlinked_in_2023() -> None:
    path = urlsplit(WITHDRAWN).path
    name = path.rsplit("/", 1)[1]
    for url in mirror_urls("2023"):
        assert name.encode() not in stored("2023", url).read_bytes(), url
    assert any(name.encode() in stored("2022", u).read_bytes() for u in mirror_urls("2022"))


def test_rebuild_is_deterministic(tmp_path: Path) -> None:
    build_mirror(["--out", str(tmp_path)])
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    shipped = sorted(p.relative_to(MIRROR_DIR) for p in MIRROR_DIR.rglob("*") if p.is_file())
    assert built == shipped
    for rel in built:
        assert (tmp_path / rel).read_bytes() == (MIRROR_DIR / rel).read_bytes(), rel


def test_2023_stores_only_what_changed() -> None:
    """The overlay holds exactly the declared differences: nothing copied from 2022."""
    overlay = MIRROR_DIR / "2023"
    assert (overlay / "_base.txt").read_text("utf-8").strip() == "2022"
    hosts = {host: origin for origin, host in ORIGINS.items()}
    stored_urls, gone = set(), set()
    for host_dir in (p for p in overlay.iterdir() if p.is_dir()):
        for file in host_dir.rglob("*"):
            rel = file.relative_to(host_dir).as_posix()
            if file.is_file() and not rel.startswith("_"):
                stored_urls.add(hosts[host_dir.name] + "/" + rel)
        if (host_dir / "_gone.json").is_file():
            paths = json.loads((host_dir / "_gone.json").read_text("utf-8"))
            gone |= {hosts[host_dir.name] + p for p in paths}
    assert stored_urls == set(CHANGES["added"]) | set(CHANGES["changed"])
    assert gone == set(CHANGES["removed"])
