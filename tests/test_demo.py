"""The README's main job, as a user runs it: `policywatch demo` on the bundled mirror."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FACTS = json.loads((REPO / "seeds" / "mirror" / "changes.json").read_text(encoding="utf-8"))


_DATA: dict[
    str, str
] = {}  # XDG_DATA_HOME of this module's runs: the demo's own archive lives there


def policywatch(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "POLICYWATCH_DB"} | _DATA
    return subprocess.run(
        [sys.executable, "-c", "import sys, scheduler; sys.exit(scheduler.main())", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], str]:
    """The demo as the README runs it: no --db, its own archive in the user data directory."""
    _DATA["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data"))
    return policywatch("demo"), "demo"


def test_demo_succeeds_and_reports_the_new_plan_against_last_year(demo) -> None:  # type: ignore[no-untyped-def]
    proc, _ = demo
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    new = FACTS["new_documents"][0]
    assert f"新发布:{new['title']}" in out
    assert "对照上年计划" in out
    assert "40处 → 50处" in out and "200名 → 300名" in out  # changed targets
    assert "新增 [二.10]" in out  # items added to the plan
    report = out.split("== What changed between the 2022 and 2023 crawls ==")[1]
    report = report.split("Next, try")[0]
    assert "天津市滨海新区教育体育局" in report and "tj_binhai" not in report  # bureaus, not ids


def _expected_counts() -> dict[str, int]:
    """The summary counts the declared edits of seeds/mirror (CHANGES.md) add up to."""
    counts = dict.fromkeys(("新增", "删除", "指标变化", "移动", "修改"), 0)
    for edit in FACTS["plan_edits"]:
        note = edit.get("note", "")
        if edit["kind"] in ("add", "remove", "move"):
            counts[{"add": "新增", "remove": "删除", "move": "移动"}[edit["kind"]]] += 1
        elif "target" in note or ("number" in note and "届" not in edit["old"]):
            counts["指标变化"] += 1
        elif "reworded" in note or "removed" in note:
            counts["修改"] += 1  # reworded clauses and sentences dropped inside an item
    for edit in FACTS["edited_in_place"][0]["changes"]:
        kind = edit.split(":")[0]
        counts[{"number changed": "指标变化", "sentence reworded": "修改"}.get(kind, "新增")] += 1
    return counts


def test_demo_report_opens_with_a_chinese_summary_matching_the_mirror(demo) -> None:  # type: ignore[no-untyped-def]
    proc, _ = demo
    report = proc.stdout.split("== What changed between the 2022 and 2023 crawls ==")[1]
    lines = [line for line in report.splitlines() if line.strip()]
    assert lines[0] == "政策变化报告"
    assert lines[1].startswith("时段:")
    c = _expected_counts()
    assert lines[2].startswith(
        f"总计:新增 {c['新增']} 项,删除 {c['删除']} 项,指标变化 {c['指标变化']} 处,"
        f"移动 {c['移动']} 项,修改 {c['修改']} 处"
    ), lines[2]
    plan = report.split("新发布:")[1]
    # what matters first: targets, then new and dropped items, rewordings, boilerplate last
    groups = ("【指标变化】", "【新增事项】", "【删除事项】", "【修改】", "【例行变化】")
    order = [plan.index(g) for g in groups]
    assert order == sorted(order)
    assert plan.count("年份、日期、届次随年度顺延") == 1  # the rollovers are one line


def test_demo_reports_the_edit_in_place_and_the_withdrawal(demo) -> None:  # type: ignore[no-untyped-def]
    out = demo[0].stdout
    assert f"<{FACTS['edited_in_place'][0]['url']}>" in out
    assert "21所 → 23所" in out
    assert f"已撤下:{FACTS['withdrawn'][0]['title']}" in out


def test_demo_does_not_report_the_counter_only_page(demo) -> None:  # type: ignore[no-untyped-def]
    out = demo[0].stdout
    report = out.split("What changed", 1)[1]
    assert FACTS["counter_only"][0]["url"] not in report


def test_demo_next_commands_work_as_printed(demo) -> None:  # type: ignore[no-untyped-def]
    proc, _ = demo
    hint = proc.stdout.split("Next, try:", 1)[1].strip().splitlines()
    assert any(line.strip().startswith("policywatch history") for line in hint)
    assert all(f"{line} ".count(" --db demo ") == 1 for line in hint)  # short enough to type
    for line in hint:
        args = line.split()[1:]
        res = policywatch(*args)
        assert res.returncode == 0, (line, res.stderr)
        assert res.stdout.strip()


def test_demo_json_report_lists_changes_per_source(demo) -> None:  # type: ignore[no-untyped-def]
    _, db = demo
    res = policywatch("report", "--db", db, "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    (plan,) = [
        d
        for d in data["sources"]["tj_binhai"]["new"]
        if d["url"] == FACTS["new_documents"][0]["url"]
    ]
    assert plan["diff"]["substantive"] is True
    types = {c["type"] for c in plan["diff"]["changes"]}
    assert {"added", "removed", "moved", "number_changed"} <= types
    assert data["sources"]["bj_dongcheng"]["withdrawn"][0]["url"] == FACTS["withdrawn"][0]["url"]


def test_demo_refuses_a_database_that_already_holds_an_archive(demo) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{Path(_DATA['XDG_DATA_HOME']) / 'policywatch' / 'policywatch-demo.db'}"
    res = policywatch("demo", "--db", db)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "already holds an archive" in res.stderr
