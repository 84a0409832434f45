"""Shared fixtures: archive databases (SQLite always, PostgreSQL when reachable)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
PG_ENV = "POLICYWATCH_TEST_PG"


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty archive URL: SQLite, and PostgreSQL where $POLICYWATCH_TEST_PG is set."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.db'}"
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL not configured: set {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1/test)"
        )
    _reset_postgres(url)
    return url


def write_mirror_source(origins: dict[str, str], source_id: str, path: Path) -> Path:
    """A copy of a shipped source pointed at the running mirror: no delay, loopback allowed."""
    text = (REPO / "seeds" / "sources" / f"{source_id}.toml").read_text(encoding="utf-8")
    for real, local in origins.items():
        text = text.replace(real, local)
    text = text.replace("delay = 1.0", "delay = 0.0")
    text = text.replace("[[source]]", "[[source]]\nallow_private = true", 1)
    path.write_text(text, encoding="utf-8")
    return path


def run_demo(url: str) -> None:
    """Fill an empty archive at ``url`` with the demo (the mirror crawled in 2022, then 2023)."""
    import subprocess
    import sys

    if url.startswith("postgresql"):
        _reset_postgres(url)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, scheduler; sys.exit(scheduler.main())",
            "demo",
            "--db",
            url,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo archive, on SQLite and (where $POLICYWATCH_TEST_PG is set) PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    else:
        url = os.environ.get(PG_ENV, "")
        if not url:
            pytest.skip(f"PostgreSQL not configured: set {PG_ENV}")
    run_demo(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite archive URL, for tests that are about something other than the database."""
    return f"sqlite:///{tmp_path / 'archive.db'}"


# The reliability suite counts its figures (faults injected, versions lost, kill -9 runs...)
# and prints them at the end of the run.
pytest_plugins = ["tests.reliability_figures"]
