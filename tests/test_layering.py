"""The one direction of flow, enforced: sources → crawler → archive; the scheduler composes.

Walks every module's imports with ``ast``. archive/ never imports crawler/, seeds/ or Scrapy;
the crawler never touches the ORM; the scheduler never imports Scrapy or Twisted.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(pkg: str) -> list[Path]:
    return sorted(
        p for p in (REPO / pkg).rglob("*.py") if "mirror/" not in str(p.relative_to(REPO))
    )


FORBIDDEN = {
    "archive": ("crawler", "seeds", "scrapy", "twisted", "trafilatura", "scheduler"),
    "seeds": ("crawler", "archive", "scrapy", "twisted", "scheduler"),
    "crawler": ("archive.models", "archive.db", "scheduler"),
}


@pytest.mark.parametrize("pkg", sorted(FORBIDDEN))
def test_package_imports_flow_one_way(pkg: str) -> None:
    bad = []
    for path in modules(pkg):
        for name in imports_of(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[pkg]):
                bad.append(f"{path.relative_to(REPO)} imports {name}")
    assert not bad, "\n".join(bad)


def test_scheduler_never_imports_scrapy_or_twisted() -> None:
    names = imports_of(REPO / "scheduler.py")
    assert not {n for n in names if n.split(".")[0] in ("scrapy", "twisted")}
    assert not {
        n
        for n in names
        if n.startswith("crawler.") and n not in ("crawler.encoding", "crawler.extract")
    }, "only the pure extraction modules may be imported"


def test_running_the_cli_loads_no_twisted_or_sqlalchemy_for_a_file_diff(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("一、总则\n1.建设40处。\n", encoding="utf-8")
    b.write_text("一、总则\n1.建设50处。\n", encoding="utf-8")
    code = (
        "import sys, scheduler\n"
        f"rc = scheduler.main(['diff', {str(a)!r}, {str(b)!r}, '--format', 'json'])\n"
        "heavy = [m for m in ('twisted', 'scrapy', 'sqlalchemy', 'trafilatura')\n"
        "         if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY []" in out
    assert '"number_changed"' in out
