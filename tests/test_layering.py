"""The one direction of flow, enforced: sources → crawler → archive; the scheduler composes.

Walks every module's imports with ``ast``. archive/ never imports crawler/, seeds/ or Scrapy;
nothing outside archive/ (tests and benchmarks included) touches the ORM in ``archive._db``;
the scheduler never imports Scrapy or Twisted; ``archive`` exports exactly its public names.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports stay inside their package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def modules(pkg: str) -> list[Path]:
    return sorted(
        p for p in (REPO / pkg).rglob("*.py") if "mirror/" not in str(p.relative_to(REPO))
    )


FORBIDDEN = {
    "archive": ("crawler", "seeds", "scrapy", "twisted", "trafilatura", "scheduler"),
    "seeds": ("crawler", "archive._db", "scrapy", "twisted", "scheduler"),
    "crawler": ("archive._db", "scheduler"),
    "tests": ("archive._db",),
    "benchmarks": ("archive._db",),
}


def _hits(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


@pytest.mark.parametrize("pkg", sorted(FORBIDDEN))
def test_package_imports_flow_one_way(pkg: str) -> None:
    bad = []
    for path in modules(pkg):
        for name in imports_of(path):
            if _hits(name, FORBIDDEN[pkg]):
                bad.append(f"{path.relative_to(REPO)} imports {name}")
    assert not bad, "\n".join(bad)


def test_text_algorithms_are_pure() -> None:
    """archive/text/ is stdlib, rapidfuzz and OpenCC only: no database, no I/O stack."""
    for path in modules("archive/text"):
        heavy = {n for n in imports_of(path) if n.split(".")[0] in ("sqlalchemy", "alembic")}
        assert not heavy, f"{path.relative_to(REPO)} imports {heavy}"


def test_the_layering_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from archive._db.models import VersionRow\n", encoding="utf-8")
    assert any(_hits(n, FORBIDDEN["tests"]) for n in imports_of(bad))


def test_scheduler_never_imports_scrapy_or_twisted() -> None:
    names = imports_of(REPO / "scheduler.py")
    assert not {n for n in names if n.split(".")[0] in ("scrapy", "twisted")}
    allowed = ("crawler.encoding", "crawler.extract", "crawler.process", "crawler.worker")
    assert not {n for n in names if n.startswith("crawler.") and not n.startswith(allowed)}, (
        "only the pure extraction modules, the process launcher and the worker may be imported"
    )
    # The worker runs crawls through the process launcher, never Scrapy in its own process.
    worker = imports_of(REPO / "crawler" / "worker.py")
    assert not {n for n in worker if n.split(".")[0] in ("scrapy", "twisted")}
    assert not {n for n in worker if n.startswith("crawler.") and not n.startswith(allowed)}


def test_archive_exports_exactly_its_public_names() -> None:
    import archive

    assert set(archive.__all__) == {
        "Archive", "parse_when",
        "Capture", "CaptureRecord", "ChangeEvent", "CrawlRecord", "CrawlRequest", "CrawlResult",
        "CrawlStatus", "CrawlSummary", "DocumentRecord", "EventKind", "FetchErrorRecord",
        "FetchKind", "KnownDocument", "Outcome", "RecordResult", "Series", "SeriesEdition",
        "VersionRecord", "VersionRef",
        "PolicywatchError", "UsageError", "NotFoundError", "DatabaseURLError",
        "diff_texts", "DiffResult", "Change", "render_diff", "render_report",
    }  # fmt: skip
    for name in archive.__all__:
        assert getattr(archive, name) is not None


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
