"""The command line as a user meets it: output formats, exit codes, one-line errors, the service."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

import scheduler
from archive.api import Archive
from archive.records import Capture, FetchKind
from tests.conftest import write_mirror_source

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO / "tests" / "gold" / "extract" / "pages"
URL = "https://jtj.tjbh.gov.cn/contents/9930/268903.html"
T0 = datetime(2023, 2, 20, 8, 0, tzinfo=UTC)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = scheduler.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(sqlite_url: str) -> str:
    """An archive with one page in two versions."""
    a = Archive.open(sqlite_url)
    for i, text in enumerate(
        ["一、总体要求\n1.建设体育设施40处。", "一、总体要求\n1.建设体育设施50处。"]
    ):
        a.record(
            Capture(
                source_id="tj_binhai",
                url=URL,
                fetched_at=T0 + timedelta(days=i),
                kind=FetchKind.CONTENT,
                http_status=200,
                body=text.encode(),
                title="滨海新区2022年教育体育工作要点",
                text=text,
            )
        )
    a.close()
    return sqlite_url


def test_extract_prints_title_then_paragraphs(capsys: pytest.CaptureFixture[str]) -> None:
    page = GOLD / "p02_gk_gb2312.html"
    gold = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    code, out, _ = run(capsys, "extract", str(page))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == gold["title"]
    assert "\n".join(lines[1:]) == gold["text"]


def test_extract_json_has_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    page = GOLD / "p02_gk_gb2312.html"
    gold = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    code, out, _ = run(capsys, "extract", str(page), "--format", "json")
    data = json.loads(out)
    assert code == 0
    for key in ("title", "published", "doc_number", "source_org"):
        assert data[key] == gold[key]


def test_diff_json_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("一、总体要求\n1.建设体育设施40处。\n2.培训指导员200名。\n", encoding="utf-8")
    new.write_text("一、总体要求\n1.建设体育设施50处。\n2.培训指导员200名。\n", encoding="utf-8")
    code, out, _ = run(capsys, "diff", str(old), str(new), "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert set(data) == {"substantive", "similarity", "changes"}
    assert data["substantive"] is True and 0 < data["similarity"] < 1
    (change,) = data["changes"]
    assert change["type"] == "number_changed"
    assert (change["old_value"], change["new_value"]) == ("40处", "50处")
    assert {"section", "old_text", "new_text"} <= set(change)


def test_diff_of_archived_versions_by_url_at_date(
    capsys: pytest.CaptureFixture[str], filled: str
) -> None:
    code, out, _ = run(
        capsys, "diff", f"{URL}@2023-02-20", f"{URL}@2023-02-21", "--db", filled, "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["changes"][0]["new_value"] == "50处"


def test_history_show_changes_json(capsys: pytest.CaptureFixture[str], filled: str) -> None:
    code, out, _ = run(capsys, "history", URL, "--db", filled, "--format", "json")
    versions = json.loads(out)
    assert code == 0 and [v["seq"] for v in versions] == [1, 2]
    code, out, _ = run(
        capsys, "show", URL, "--at", "2023-02-20", "--db", filled, "--format", "json"
    )
    assert json.loads(out)["text"].endswith("40处。")
    code, out, _ = run(
        capsys, "changes", "--since", "2023-02-21", "--db", filled, "--format", "json"
    )
    (event,) = json.loads(out)
    assert {
        "url",
        "source",
        "title",
        "kind",
        "detected_at",
        "old_version_id",
        "new_version_id",
    } <= set(event)
    assert event["kind"] == "changed" and event["old_version_id"] != event["new_version_id"]


def test_search_and_export(capsys: pytest.CaptureFixture[str], filled: str, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "search", "50处", "--db", filled, "--format", "json")
    assert code == 0 and json.loads(out)[0]["url"] == URL
    code, out, _ = run(capsys, "search", "40处", "--db", filled, "--format", "json")
    assert json.loads(out) == []  # only current texts are searched
    target = tmp_path / "all.jsonl"
    code, _, _ = run(capsys, "export", "--all-versions", "--db", filled, "-o", str(target))
    assert code == 0 and len(target.read_text(encoding="utf-8").splitlines()) == 2


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["show", URL, "--at", "yesterday"], r"date: not an ISO 8601 date"),
        (["changes", "--db", "nosuchdriver://x/y"], r"database URL"),
        (["crawl", "--source", "nope"], r"--source: unknown source id 'nope'"),
        (["crawl", "--delay", "-1"], r"--delay"),
        (["diff", "--format", "pdf", "a", "b"], r"--format"),
        (["frobnicate"], r"No such command"),
        (["crawl", "--sources", "/nonexistent/sources.toml"], r"no such file or directory"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], pattern: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("policywatch: error: "), err
    assert re.search(pattern, err), err
    assert "Traceback" not in err


def test_query_on_missing_url_is_exit_1(capsys: pytest.CaptureFixture[str], filled: str) -> None:
    code, _, err = run(capsys, "history", URL + "?nope", "--db", filled)
    assert code == 1 and "no archived document" in err


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        _Hook.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_serve_once_crawls_and_delivers_a_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sqlite_url: str
) -> None:
    """The service job: crawl the mirror (through a rebased source), then POST the report."""
    from seeds.mirror import serve_mirror

    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    reporters = tmp_path / "reporters.toml"
    reporters.write_text(
        f'[[reporter]]\nname = "hook"\nkind = "webhook"\nurl = "http://127.0.0.1:{hook.server_port}/"\n'
        f'[[reporter]]\nname = "disk"\nkind = "files"\ndirectory = "out"\n',
        encoding="utf-8",
    )
    try:
        with serve_mirror(generation="2022") as mirror:
            sources = write_mirror_source(mirror.origins, "nm_wuhai", tmp_path / "wuhai.toml")
            code, _, err = run(
                capsys,
                "serve",
                "--once",
                "--sources",
                str(sources),
                "--db",
                sqlite_url,
                "--reporters",
                str(reporters),
            )
    finally:
        hook.shutdown()
        hook.server_close()
    assert code == 0, err
    (body,) = _Hook.received
    report = json.loads(body)
    assert len(report["sources"]["nm_wuhai"]["new"]) == 3
    written = sorted(p.suffix for p in (tmp_path / "out").iterdir())
    assert written == [".html", ".json", ".txt"]


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, command in scheduler.cli.commands.items():
        assert f"policywatch {name}" in readme or f"`{name}" in readme, name
        assert command.help, f"{name} has no --help text"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    assert "policywatch demo" in block[0]
    test_cmd = block[1].split("#", 1)[0].strip()
    assert test_cmd in (REPO / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("flag", "coloured"), [("always", True), ("never", False), ("auto", False)]
)
def test_color_is_honoured_when_piped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, filled: str, flag: str, coloured: bool
) -> None:
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("一、总体要求\n1.建设体育设施40处。\n", encoding="utf-8")
    new.write_text("一、总体要求\n1.建设体育设施50处。\n", encoding="utf-8")
    for args in (["diff", str(old), str(new)], ["report", "--db", filled]):
        code, out, err = run(capsys, *args, "--color", flag)
        assert code == 0, err
        assert ("\x1b[" in out) is coloured, (args, out)
    code, out, _ = run(capsys, "diff", str(old), str(new), "--no-color", "--color", "always")
    assert "\x1b[" not in out  # the old spelling still works, and wins


def test_report_shows_what_no_earlier_report_showed(
    capsys: pytest.CaptureFixture[str], filled: str
) -> None:
    code, first, err = run(capsys, "report", "--db", filled, "--color", "never")
    assert code == 0, err
    assert first.startswith("政策变化报告") and "40处 → 50处" in first
    code, again, _ = run(capsys, "report", "--db", filled)
    assert (code, again.strip()) == (0, "无变化。")  # shown once, not again on every run
    # Another scope has its own memory; --since shows a period and remembers nothing.
    code, scoped, _ = run(capsys, "report", "--db", filled, "--source", "tj_binhai")
    assert code == 0 and "40处 → 50处" in scoped
    for _ in range(2):
        code, out, _ = run(capsys, "report", "--db", filled, "--since", "all", "--lang", "en")
        assert code == 0 and out.startswith("policywatch change report") and "40处 → 50处" in out
    # A change that comes in afterwards is what the next plain report shows, and only it.
    a = Archive.open(filled)
    text = "一、总体要求\n1.建设体育设施60处。"
    a.record(
        Capture(
            source_id="tj_binhai",
            url=URL,
            fetched_at=T0 + timedelta(days=5),
            kind=FetchKind.CONTENT,
            http_status=200,
            body=text.encode(),
            title="滨海新区2022年教育体育工作要点",
            text=text,
        )
    )
    a.close()
    code, out, _ = run(capsys, "report", "--db", filled, "--format", "json")
    data = json.loads(out)
    (changed,) = data["sources"]["tj_binhai"]["changed"]
    assert changed["diff"]["changes"][0]["old_value"] == "50处"


def test_help_says_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "diff", "--help")
    assert "latest two years" in " ".join(out.split())
    assert "latest year before --to" in " ".join(out.split())
    _, out, _ = run(capsys, "search", "--help")
    assert "--limit" in out and "At most this many hits" in out


def test_series_years_default_to_the_latest_before(
    capsys: pytest.CaptureFixture[str], sqlite_url: str
) -> None:
    a = Archive.open(sqlite_url)
    for i, year in enumerate((2021, 2022, 2023)):
        text = f"一、总体要求\n1.建设体育设施{40 + i}处。"
        a.record(
            Capture(
                source_id="tj_binhai",
                url=f"https://jtj.tjbh.gov.cn/contents/9930/{year}.html",
                fetched_at=T0 + timedelta(days=i),
                kind=FetchKind.CONTENT,
                http_status=200,
                body=text.encode(),
                title=f"关于印发《滨海新区{year}年教育体育工作要点》的通知",
                text=text,
            )
        )
    [series] = a.series()
    a.close()
    for extra, pair in (
        ([], ("41处", "42处")),
        (["--to", "2022"], ("40处", "41处")),
        (["--from", "2021"], ("40处", "42处")),
    ):
        code, out, err = run(
            capsys,
            "diff",
            "--db",
            sqlite_url,
            "--series",
            str(series.id),
            *extra,
            "--format",
            "json",
        )
        assert code == 0, (extra, err)
        [change] = [c for c in json.loads(out)["changes"] if "处" in (c.get("old_value") or "")]
        assert (change["old_value"], change["new_value"]) == pair, extra


def test_changes_columns_stay_aligned_past_two_digit_ids(
    capsys: pytest.CaptureFixture[str], sqlite_url: str
) -> None:
    a = Archive.open(sqlite_url)
    for i in range(12):
        text = f"一、总体要求\n1.建设体育设施{i}处。"
        a.record(
            Capture(
                source_id="tj_binhai" if i % 2 else "xn_chengzhong",
                url=f"{URL}?p={i % 3}",
                fetched_at=T0 + timedelta(hours=i),
                kind=FetchKind.CONTENT,
                http_status=200,
                body=text.encode(),
                title="要点" * (1 + i % 4),
                text=text,
            )
        )
    a.close()
    code, out, _ = run(capsys, "changes", "--db", sqlite_url)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 12
    assert any("v10" in line for line in lines) and any("v-" in line for line in lines)
    for marker in ("→", "https://", "tj_binhai", "xn_chengzhong"):
        columns = {line.index(marker) for line in lines if marker in line}
        assert len(columns) == 1, (marker, out)
