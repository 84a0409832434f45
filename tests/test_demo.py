"""The README's main job, as a user runs it: `policywatch demo` on the bundled mirror."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FACTS = json.loads((REPO / "seeds" / "mirror" / "changes.json").read_text(encoding="utf-8"))


def policywatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys, scheduler; sys.exit(scheduler.main())", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], str]:
    db = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    return policywatch("demo", "--db", db), db


def test_demo_succeeds_and_reports_the_new_plan_against_last_year(demo) -> None:  # type: ignore[no-untyped-def]
    proc, _ = demo
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    new = FACTS["new_documents"][0]
    assert f"New: {new['title']}" in out
    assert "compared with last year's plan" in out
    assert "40处 → 50处" in out and "200名 → 300名" in out  # changed targets
    assert "added" in out  # items added to the plan


def test_demo_reports_the_edit_in_place_and_the_withdrawal(demo) -> None:  # type: ignore[no-untyped-def]
    out = demo[0].stdout
    assert f"<{FACTS['edited_in_place'][0]['url']}>" in out
    assert "21所 → 23所" in out
    assert f"Withdrawn: {FACTS['withdrawn'][0]['title']}" in out


def test_demo_does_not_report_the_counter_only_page(demo) -> None:  # type: ignore[no-untyped-def]
    out = demo[0].stdout
    report = out.split("What changed", 1)[1]
    assert FACTS["counter_only"][0]["url"] not in report


def test_demo_next_commands_work(demo) -> None:  # type: ignore[no-untyped-def]
    proc, _ = demo
    hint = proc.stdout.split("Next, try:", 1)[1].strip().splitlines()
    assert any(line.strip().startswith("policywatch history") for line in hint)
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
    _, db = demo
    res = policywatch("demo", "--db", db)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "already holds an archive" in res.stderr
