"""The web UI and its JSON API over real HTTP (uvicorn on 127.0.0.1), and in headless Chromium."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from archive import views
from archive.api import Archive
from archive.records import Capture, FetchKind
from tests.conftest import run_demo

HOSTILE_URL = "https://jtj.tjbh.gov.cn/contents/9930/999999.html"
HOSTILE_TITLE = "关于<script>alert('t')</script>的通知"
HOSTILE_TEXT = (
    "一、正文含有<script>document.title='pwned'</script>字样。\n"
    "二、<img src=x onerror=alert(1)>完毕。"
)
PLAN_2022 = "https://jtj.tjbh.gov.cn/contents/9930/268903.html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Server:
    """uvicorn serving the app in a thread, on a port the OS picked."""

    def __init__(self, archive: Archive) -> None:
        import uvicorn

        from archive.web import create_app

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        app = create_app(archive, source_names={"tj_binhai": "滨海新区教育体育局"})
        config = uvicorn.Config(app, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Archive]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'demo.db'}"
    run_demo(url)
    archive = Archive.open(url, create=False)
    archive.record(
        Capture(
            source_id="tj_binhai",
            url=HOSTILE_URL,
            fetched_at=datetime(2023, 3, 1, tzinfo=UTC),
            kind=FetchKind.CONTENT,
            http_status=200,
            body=HOSTILE_TEXT.encode(),
            title=HOSTILE_TITLE,
            text=HOSTILE_TEXT,
        )
    )
    with Server(archive) as server:
        yield server.base, archive
    archive.close()


def get(base: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(base + path, params=params, timeout=30, follow_redirects=True)


PAGES = [
    ("/sources", {}),
    ("/documents", {"doc_number": "津滨教体"}),
    ("/document", {"url": PLAN_2022}),
    ("/version/{version}", {}),
    ("/diff", {"series": "{series}"}),
    ("/search", {"q": "双减"}),
    ("/changes", {}),
    ("/series", {}),
]


def ids(archive: Archive) -> dict[str, str]:
    """The demo's ids (crawl order decides them): the 2022 plan's version and its series."""
    series = next(s for s in archive.series() if PLAN_2022 in [e.version.url for e in s.editions])
    return {"version": str(archive.history(PLAN_2022)[-1].id), "series": str(series.id)}


@pytest.mark.parametrize(("path", "params"), PAGES)
def test_every_page_answers_html_and_the_same_json_twice(site, path, params) -> None:  # type: ignore[no-untyped-def]
    base, archive = site
    known = ids(archive)
    path = path.format(**known)
    params = {k: v.format(**known) for k, v in params.items()}
    page = get(base, path, **params)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    api = get(base, "/api" + path, **params)
    fmt = get(base, path, **params, format="json")
    assert api.headers["content-type"] == "application/json"
    assert api.json() == fmt.json()


def test_json_is_what_the_cli_prints(site) -> None:  # type: ignore[no-untyped-def]
    base, archive = site
    got = get(base, "/api/search", q="雙減").json()
    assert got == json.loads(views.dump_json(views.search(archive, "雙減")))
    docs = get(base, "/api/documents", doc_number="津滨教体〔2022〕12号").json()
    assert [d["url"] for d in docs] == [PLAN_2022]
    assert docs[0]["doc_number_parts"] == {"issuer": "津滨教体", "year": 2022, "sequence": 12}


def test_withdrawn_pages_say_so(site) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    docs = get(base, "/api/documents", withdrawn="true").json()
    assert len(docs) == 1 and "bjdch.gov.cn" in docs[0]["url"]
    page = get(base, "/document", url=docs[0]["url"])
    assert "已撤下" in page.text


def test_the_diff_highlights_words(site) -> None:  # type: ignore[no-untyped-def]
    base, archive = site
    series = ids(archive)["series"]
    data = get(base, "/api/diff", series=series, **{"from": "2022", "to": "2023"}).json()
    number = next(c for c in data["changes"] if c["type"] == "number_changed")
    removed = "".join(t for op, t in number["old_parts"] if op == "-")
    added = "".join(t for op, t in number["new_parts"] if op == "+")
    assert number["old_value"] in removed or removed in number["old_value"]
    assert added and added != removed
    page = get(base, "/diff", series=series)
    assert "<del>" in page.text and "<ins>" in page.text


def test_bad_input_and_missing_things_are_one_line_errors(site) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    assert get(base, "/api/version/999999").status_code == 404
    bad = get(base, "/api/diff", old="x", new="1")
    assert bad.status_code == 400 and "\n" not in bad.json()["error"]
    assert get(base, "/api/search", q="双减", since="yesterday").status_code == 400


def test_no_write_routes(site) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("/search", "/api/documents", "/version/1"):
            assert httpx.request(method, base + path, timeout=10).status_code == 405


def test_openapi_describes_every_api_route(site) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    spec = get(base, "/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path, _params in PAGES:
        assert "/api" + path.replace("{version}", "{id}") in spec["paths"], path
    search = spec["paths"]["/api/search"]["get"]
    assert {p["name"] for p in search["parameters"]} >= {"q", "source", "since", "all_versions"}


def test_atom_feed(site) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    feed = get(base, "/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert entries and all(e.find("a:updated", ns) is not None for e in entries)
    assert any("撤下" in (e.findtext("a:title", "", ns)) for e in entries)


def test_a_page_with_script_in_its_text_shows_it_as_text(site) -> None:  # type: ignore[no-untyped-def]
    base, archive = site
    vid = archive.history(HOSTILE_URL)[0].id
    for path, params in [
        (f"/version/{vid}", {}),
        ("/search", {"q": "正文含有"}),
        ("/documents", {"title": "通知"}),
        ("/document", {"url": HOSTILE_URL}),
        ("/changes", {}),
    ]:
        html = get(base, path, **params).text
        assert "<script" not in html.lower(), path
        assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", ""), path
        assert "&lt;script&gt;" in html, path


def test_binds_loopback_by_default() -> None:
    import inspect

    from archive.web import serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        pytest.skip("no Chromium installed (apt-get install -y chromium); the UI test needs one")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield b
        b.close()


def test_the_ui_in_chromium(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, archive = site
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    # Search in traditional script, from the form, as a user would.
    page.goto(base + "/search")
    page.fill("input[name=q]", "雙減")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    hits = page.locator("ol li")
    assert hits.count() >= 2
    assert page.locator("ol li mark").first.inner_text() in ("双减", "雙減")
    # Follow a result to its timeline, then to a side-by-side diff of the series.
    page.goto(base + "/series")
    page.click("text=2022 与 2023 对比")
    page.wait_for_load_state()
    assert page.locator("td.old del").count() > 0 and page.locator("td.new ins").count() > 0
    # Documents filtered by 文号.
    page.goto(base + "/documents")
    page.fill("input[name=doc_number]", "津滨教体〔2022〕12号")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("table tr").count() == 2  # header + the plan
    # The hostile page: its <script> is text on the screen and never ran.
    vid = archive.history(HOSTILE_URL)[0].id
    page.goto(f"{base}/version/{vid}")
    assert "<script>document.title='pwned'</script>" in page.locator("pre.text").inner_text()
    assert page.title() != "pwned" and not dialogs
    assert page.evaluate("document.scripts.length") == 0
    assert violations == []  # the pages need nothing the policy forbids
    page.close()


def test_no_browser_download_is_needed() -> None:
    # The system Chromium is what the UI test drives; a tool's own download cannot work here.
    assert CHROMIUM is None or Path(CHROMIUM).exists()
