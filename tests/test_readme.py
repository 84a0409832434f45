"""The README's examples are run, and their printed output must be what the README shows.

Every ```` ```console ```` block of README.md is a session: ``$ policywatch …`` lines are run in
order (the demo before any command on ``--db demo``, in a fresh user data directory), and the
lines after each are compared with what the command printed (stdout; stderr when stdout is
empty). The rule that absorbs what legitimately differs between runs is the README's own
("How the examples are checked"): date-times and clock times are normalised, today's date is
``<today>``, runs of spaces count as one (column padding follows the ids' widths), version and
series ids are matched consistently (the same README id is the same
real id throughout, and a README command's ids are replaced by the real ones before it runs), a
line holding only ``…`` stands for any number of lines, trailing spaces are ignored.
"""

from __future__ import annotations

import re
import shlex
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import scheduler

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
_BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+00:00)?|\b\d{2}:\d{2}:\d{2}\b"
)
_ID = re.compile(r"(?<![\w/.#-])(v)(\d+)\b|\b(series|--series) (\d+)\b")
SKIP = "…"


def sessions(text: str = README) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every ``$ `` line of every console block."""
    found: list[tuple[str, list[str]]] = []
    for block in _BLOCK.findall(text):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found:
                found[-1][1].append(line)
    return found


def _normal(line: str) -> str:
    line = _TIME.sub("<time>", " ".join(line.split(" ")).rstrip())
    line = re.sub(r" {2,}", " ", line)  # column padding follows the widths of ids
    # today as the machine sees it, and as the reports' default zone (Asia/Shanghai) does
    for today in {date.today(), datetime.now(ZoneInfo("Asia/Shanghai")).date()}:
        line = line.replace(today.isoformat(), "<today>")
    return line


class Ids:
    """README id ↔ real id, per namespace (versions, series); must stay one-to-one."""

    def __init__(self) -> None:
        self.to_real: dict[tuple[str, str], str] = {}
        self.to_readme: dict[tuple[str, str], str] = {}

    def match(self, expected: str, actual: str) -> dict[tuple[str, str], str] | None:
        """The id pairs under which ``expected`` reads as ``actual``; None when it cannot."""
        e, a = _ID.split(_normal(expected)), _ID.split(_normal(actual))
        if len(e) != len(a):
            return None
        found: dict[tuple[str, str], str] = {}
        step = 5  # re.split yields: text, v, number, series-word, number, text, ...
        for k in range(0, len(e), step):
            if e[k] != a[k]:
                return None
            if k + 1 >= len(e):
                break
            e_kind, a_kind = e[k + 1] or e[k + 3], a[k + 1] or a[k + 3]
            if (e_kind == "v") != (a_kind == "v") or (e_kind != "v" and e_kind != a_kind):
                return None
            space = "v" if e_kind == "v" else "series"
            e_id, a_id = e[k + 2] or e[k + 4], a[k + 2] or a[k + 4]
            key = (space, e_id)
            if self.to_real.get(key, found.get(key, a_id)) != a_id:
                return None
            if self.to_readme.get((space, a_id), e_id) != e_id:
                return None
            found[key] = a_id
        return found

    def commit(self, pairs: dict[tuple[str, str], str]) -> None:
        for (space, e_id), a_id in pairs.items():
            self.to_real[(space, e_id)] = a_id
            self.to_readme[(space, a_id)] = e_id

    def command(self, command: str) -> str:
        """The README command with its ids replaced by the real ones."""

        def real(m: re.Match[str]) -> str:
            space, e_id = ("v", m.group(2)) if m.group(1) else ("series", m.group(4))
            assert (space, e_id) in self.to_real, f"{command!r}: id {e_id} was never shown before"
            a_id = self.to_real[(space, e_id)]
            return f"v{a_id}" if space == "v" else f"{m.group(3)} {a_id}"

        return _ID.sub(real, command)


def compare(expected: list[str], actual: list[str], ids: Ids) -> str | None:
    """None when ``actual`` reads as ``expected`` under the rule; else what differs."""
    i, skipping = 0, False
    while expected and not expected[-1].strip():
        expected = expected[:-1]
    while actual and not actual[-1].strip():
        actual = actual[:-1]
    for line in expected:
        if line.strip() == SKIP:
            skipping = True
            continue
        while i < len(actual):
            pairs = ids.match(line, actual[i])
            i += 1
            if pairs is not None:
                ids.commit(pairs)
                break
            if not skipping:
                return f"README line {line!r}\n  printed {actual[i - 1]!r}"
        else:
            return f"README line {line!r} not printed (after line {i} of {len(actual)})"
        skipping = False
    if not skipping and i < len(actual):
        return f"printed more than the README shows, from {actual[i]!r}"
    return None


def test_readme_has_sessions_and_every_command_in_it_is_run() -> None:
    commands = [c for c, _ in sessions()]
    on_demo = [i for i, c in enumerate(commands) if "--db demo" in c]
    assert on_demo and commands.index("policywatch demo") < on_demo[0]
    shown = re.findall(r"^\$ (policywatch .*)$", README, re.M)
    assert sorted(shown) == sorted(commands), "a `$ policywatch` line outside a console block"


def test_the_compare_rule_can_fail() -> None:
    ids = Ids()
    assert compare(["v8  a"], ["v10  a"], ids) is None and ids.to_real[("v", "8")] == "10"
    assert compare(["v8  b"], ["v11  b"], ids) is not None  # 8 is already 10
    assert compare(["x", SKIP, "z"], ["x", "y", "y", "z"], Ids()) is None
    assert compare(["x", "z"], ["x", "y", "z"], Ids()) is not None
    assert compare(["x"], ["x", "extra"], Ids()) is not None
    assert compare(["at 2023-02-20 08:00"], ["at 2026-11-24 10:27"], Ids()) is None


@pytest.mark.slow
def test_readme_examples_print_what_the_readme_shows(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("POLICYWATCH_DB", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    work = tmp_path / "work"
    work.mkdir()
    for name in ("seeds", "tests"):
        (work / name).symlink_to(REPO / name)
    # The README's bad.toml: its own TOML example with a broken schedule.
    example = README.split("```toml\n", 1)[1].split("```", 1)[0]
    (work / "bad.toml").write_text(example.replace('"17 6 * * *"', '"6 * *"'), encoding="utf-8")
    # The README's wrong.toml: a shipped source whose `documents` pattern matches nothing.
    shipped = (REPO / "seeds" / "sources" / "xn_chengzhong.toml").read_text(encoding="utf-8")
    [documents] = [line for line in shipped.splitlines() if line.startswith("documents")]
    wrong = shipped.replace(documents, "documents = ['^/contents/\\d+\\.html$']")
    (work / "wrong.toml").write_text(wrong, encoding="utf-8")
    monkeypatch.chdir(work)
    ids = Ids()
    failures = []
    for command, expected in sessions():
        argv = shlex.split(ids.command(command))
        assert argv[0] == "policywatch"
        code = scheduler.main(argv[1:])
        out, err = capfd.readouterr()
        printed = (out if out.strip() else err).splitlines()
        wants_error = any(line.startswith(("policywatch: error:", "not ok:")) for line in expected)
        if (code != 0) != wants_error:
            failures.append(f"$ {command}: exit status {code}\n{err[-1500:]}")
            continue
        if (problem := compare(expected, printed, ids)) is not None:
            failures.append(f"$ {command}:\n  {problem}")
    assert not failures, "\n\n".join(failures)
