"""The service: one APScheduler cron job per source, and a job that really runs.

The cron arithmetic is APScheduler's; what is ours is the job table (one per source, in the
configured time zone, never overlapping) and what a job does when it fires.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler

import scheduler
from seeds import load_sources
from seeds.mirror import serve_mirror
from tests.conftest import write_mirror_source

REPO = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_one_job_per_source_in_the_configured_time_zone() -> None:
    loaded = load_sources()
    sched = BackgroundScheduler(timezone="Asia/Shanghai")
    scheduler.add_source_jobs(sched, loaded, sources=None, db=None, reporters={})
    jobs = {j.id: j for j in sched.get_jobs()}
    assert set(jobs) == {s.id for s in loaded}
    now = datetime(2026, 11, 24, 12, 0, tzinfo=SHANGHAI)
    for s in loaded:
        job = jobs[s.id]
        assert job.max_instances == 1 and job.coalesce is True
        minute, hour = s.schedule.split()[:2]
        fire = job.trigger.get_next_fire_time(None, now)
        assert fire.tzinfo is not None and fire.utcoffset().total_seconds() == 8 * 3600
        assert (fire.minute, fire.hour) == (int(minute), int(hour)), s.schedule


def test_a_fired_job_crawls_and_delivers(tmp_path: Path) -> None:
    """Start a real scheduler, fire the 乌海 job now, and wait for its report on disk."""
    reporters_file = tmp_path / "reporters.toml"
    reporters_file.write_text(
        '[[reporter]]\nname = "disk"\nkind = "files"\ndirectory = "out"\n', encoding="utf-8"
    )
    from archive.delivery import load_reporters

    done = threading.Event()
    outcome: list[object] = []
    with serve_mirror(generation="2022") as mirror:
        sources = write_mirror_source(mirror.origins, "nm_wuhai", tmp_path / "wuhai.toml")
        db = f"sqlite:///{tmp_path / 'archive.db'}"
        sched = BackgroundScheduler(timezone="Asia/Shanghai")
        scheduler.add_source_jobs(
            sched,
            load_sources(sources),
            sources=str(sources),
            db=db,
            reporters=load_reporters(reporters_file),
        )

        def listener(event) -> None:  # type: ignore[no-untyped-def]
            outcome.append(event.exception if event.code == EVENT_JOB_ERROR else event.retval)
            done.set()

        sched.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        sched.start()
        try:
            sched.get_job("nm_wuhai").modify(next_run_time=datetime.now(SHANGHAI))
            assert done.wait(120), "the job never ran"
        finally:
            sched.shutdown(wait=True)
    (summary,) = outcome
    assert isinstance(summary, dict) and summary["status"] == "ok" and summary["new"] == 3
    reports = sorted((tmp_path / "out").glob("*.json"))
    assert len(reports) == 1
    data = json.loads(reports[0].read_text(encoding="utf-8"))
    assert len(data["sources"]["nm_wuhai"]["new"]) == 3
