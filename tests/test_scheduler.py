"""The service's schedule: cron times in the configured zone, jitter, state kept across restarts,
misfires made up once, SIGHUP reload, and failing sources reported once each way.

The cron arithmetic is APScheduler's; what is ours is when a source runs next, what a
restart does with a run it missed, and what the operator is told.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from archive.api import Archive
from archive.service import ServiceConfig, ServiceSource
from archive.service.runner import Service
from archive.service.schedule import jitter_offset, next_run
from seeds import load_sources
from tests.conftest import write_mirror_source

REPO = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_next_run_of_every_shipped_source_is_in_the_configured_time_zone() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=SHANGHAI)
    for s in load_sources():
        fire = next_run(s.schedule, "Asia/Shanghai", now, s.id, jitter=0).astimezone(SHANGHAI)
        minute, hour = s.schedule.split()[:2]
        assert fire.utcoffset() == timedelta(hours=8)
        assert (fire.minute, fire.hour) == (int(minute), int(hour)), s.schedule
        assert fire > now


def test_jitter_spreads_sources_sharing_a_schedule_and_is_stable() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    ids = [f"src{i}" for i in range(5)]
    times = [next_run("0 6 * * *", "Asia/Shanghai", now, i, jitter=120) for i in ids]
    nominal = datetime(2026, 11, 25, 6, 0, tzinfo=SHANGHAI)
    assert all(nominal <= t < nominal + timedelta(seconds=120) for t in times), times
    assert len(set(times)) == 5 and (max(times) - min(times)).total_seconds() > 30, times
    assert times == [next_run("0 6 * * *", "Asia/Shanghai", now, i, jitter=120) for i in ids]
    # A run that just happened (inside its jitter) is not scheduled again for the same day.
    just_ran = nominal + timedelta(seconds=jitter_offset("src0", 120) + 1)
    assert next_run("0 6 * * *", "Asia/Shanghai", just_ran, "src0", 120) > nominal + timedelta(
        hours=23
    )


def _service(db: str, sources: list[ServiceSource], **config: float) -> Service:
    return Service(Archive.open(db), sources, {}, crawler=None, config=ServiceConfig(**config))  # type: ignore[arg-type]


def test_a_run_missed_within_the_grace_runs_once_on_start_a_later_one_is_skipped(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sources = [
        ServiceSource("recent", "近的", "0 6 * * *"),
        ServiceSource("old", "远的", "0 6 * * *"),
        ServiceSource("future", "未来", "0 6 * * *"),
        ServiceSource("changed", "改了", "30 7 * * *"),
    ]
    now = datetime.now(UTC)
    with Archive.open(sqlite_url) as archive:
        archive.set_next_run("recent", "0 6 * * *", now - timedelta(hours=2))
        archive.set_next_run("old", "0 6 * * *", now - timedelta(hours=30))
        archive.set_next_run("future", "0 6 * * *", now + timedelta(hours=3))
        archive.set_next_run("changed", "0 6 * * *", now - timedelta(hours=1))
    service = _service(sqlite_url, sources, misfire_grace=6 * 3600, jitter=0)
    service._load_schedule(now)
    runs = service.next_runs
    assert runs["recent"] == now  # made up once, now
    assert runs["old"] > now and runs["changed"] > now
    assert runs["future"] == now + timedelta(hours=3)  # kept across the restart
    assert runs["changed"].astimezone(SHANGHAI).strftime("%H:%M") == "07:30"
    assert "[recent] missed its run at" in caplog.text and "running it now" in caplog.text
    assert "[old] missed its run at" in caplog.text and "skipped" in caplog.text
    kept = service.archive.schedule_states()
    assert kept["old"].next_run_at == runs["old"] and kept["changed"].schedule == "30 7 * * *"
    service.archive.close()


def _serve(tmp: Path, sources: Path, reporters: Path, db: str, *extra: str) -> list[str]:
    return [
        sys.executable, "scheduler.py", "serve", "--sources", str(sources), "--reporters",
        str(reporters), "--db", db, "--jitter", "0", *extra,
    ]  # fmt: skip


def test_sighup_picks_up_an_added_source(tmp_path: Path) -> None:
    from seeds.mirror import serve_mirror

    reporters = tmp_path / "reporters.toml"
    reporters.write_text('[[reporter]]\nname = "d"\nkind = "files"\ndirectory = "out"\n')
    db = f"sqlite:///{tmp_path / 'a.db'}"
    with serve_mirror(generation="2022") as mirror:
        (tmp_path / "srcs").mkdir()
        one = write_mirror_source(mirror.origins, "nm_wuhai", tmp_path / "srcs" / "a.toml")
        later = write_mirror_source(mirror.origins, "tj_heping", tmp_path / "later.toml")
        for f in (one, later):  # never due during the test
            f.write_text(re.sub(r'schedule = "[^"]*"', 'schedule = "0 3 1 1 *"', f.read_text()))
        proc = subprocess.Popen(
            _serve(tmp_path, one.parent, reporters, db), cwd=REPO, stderr=subprocess.PIPE,
            text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        try:
            time.sleep(4)
            later.rename(one.parent / "b.toml")
            proc.send_signal(signal.SIGHUP)
            time.sleep(2)
            status = subprocess.run(
                [sys.executable, "scheduler.py", "status", "--sources", str(one.parent), "--db",
                 db, "--format", "json"],
                cwd=REPO, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "reloaded: 2 source(s) (1 added, 0 removed), 1 reporter(s)" in err
    data = json.loads(status.stdout)
    assert [s["id"] for s in data["sources"]] == ["nm_wuhai", "tj_heping"]
    assert all(s["next_run_at"] for s in data["sources"])
    # Log lines carry their time zone.
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} INFO ", err, re.M), err[:300]


@pytest.mark.slow
def test_a_failing_source_is_reported_once_when_it_fails_and_once_when_it_recovers(
    tmp_path: Path,
) -> None:
    from seeds.mirror import serve_mirror

    reporters = tmp_path / "reporters.toml"
    reporters.write_text(
        '[[reporter]]\nname = "d"\nkind = "files"\ndirectory = "out"\nformats = ["json"]\n'
    )
    db = f"sqlite:///{tmp_path / 'a.db'}"
    with serve_mirror(generation="2022") as mirror:
        good = write_mirror_source(mirror.origins, "nm_wuhai", tmp_path / "good.toml").read_text()
        port = mirror.origins[next(iter(mirror.origins))].rsplit(":", 1)[1]
        dead = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:9", good)
        assert dead != good and port
        sources = tmp_path / "s.toml"
        outcomes = []
        for text in (dead, dead, dead, good):
            sources.write_text(text)
            run = subprocess.run(
                _serve(tmp_path, sources, reporters, db, "--once", "--fail-after", "2"),
                cwd=REPO, capture_output=True, text=True, timeout=180,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )  # fmt: skip
            outcomes.append(run.returncode)
            if text is dead:
                assert "WARNING policywatch.serve: [nm_wuhai] crawl failed" in run.stderr
                assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert outcomes == [1, 1, 1, 0]  # the third failure is not reported again
    reports = [json.loads(p.read_text()) for p in sorted((tmp_path / "out").glob("*.json"))]
    kinds = sorted(r.get("kind", "changes") for r in reports)
    assert kinds == ["changes", "failing", "recovered"], reports
    failing = next(r for r in reports if r.get("kind") == "failing")
    assert failing["failure_streak"] == 2 and failing["reason"]


def test_a_digest_reporter_gets_one_daily_report_instead_of_one_per_crawl(tmp_path: Path) -> None:
    from seeds.mirror import serve_mirror

    reporters = tmp_path / "reporters.toml"
    reporters.write_text(
        '[[reporter]]\nname = "now"\nkind = "files"\ndirectory = "now"\nformats = ["json"]\n'
        '[[reporter]]\nname = "daily"\nkind = "files"\ndirectory = "daily"\nformats = ["json"]\n'
        'digest = "08:00"\n'
    )
    db = f"sqlite:///{tmp_path / 'a.db'}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with serve_mirror(generation="2022") as mirror:
        sources = write_mirror_source(mirror.origins, "nm_wuhai", tmp_path / "s.toml")
        first = subprocess.run(
            _serve(tmp_path, sources, reporters, db, "--once"), cwd=REPO, env=env,
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert first.returncode == 0, first.stderr[-2000:]
        assert len(list((tmp_path / "now").glob("*.json"))) == 1
        assert not (tmp_path / "daily").exists(), "a digest reporter gets no per-crawl report"
        with Archive.open(db) as archive:
            (state,) = [s for k, s in archive.schedule_states().items() if k == "digest:daily"]
            assert state.schedule == "0 8 * * *"
            assert state.next_run_at.astimezone(SHANGHAI).strftime("%H:%M") == "08:00"
            # Its time has come (as if the clock had reached 08:00).
            archive.set_next_run("digest:daily", "0 8 * * *", datetime.now(UTC) - timedelta(1))
        second = subprocess.run(
            _serve(tmp_path, sources, reporters, db, "--once"), cwd=REPO, env=env,
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert second.returncode == 0, second.stderr[-2000:]
    (digest,) = [json.loads(p.read_text()) for p in (tmp_path / "daily").glob("*.json")]
    assert len(digest["sources"]["nm_wuhai"]["new"]) == 3
    assert len(list((tmp_path / "now").glob("*.json"))) == 1  # nothing new per crawl
    with Archive.open(db) as archive:
        assert archive.schedule_states()["digest:daily"].next_run_at > datetime.now(UTC)
