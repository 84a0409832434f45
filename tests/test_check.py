"""`check` is the oracle of the kill -9 runs: it must see every corruption it claims to detect.

Each case builds a sound archive through the API, breaks it with one raw SQL statement (the
way a bad restore, a disk error or a buggy migration would), and asserts that ``check`` names
the problem. Raw SQL, not the ORM: the tests never import ``archive._db``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from archive.api import Archive
from archive.records import Capture, FetchKind

T0 = datetime(2023, 2, 20, 8, 0, tzinfo=UTC)
URL = "https://jtj.tjbh.gov.cn/contents/9930/268903.html"


def _cap(body: str, at: int) -> Capture:
    return Capture(
        source_id="tj_binhai",
        url=URL,
        fetched_at=T0 + timedelta(hours=at),
        kind=FetchKind.CONTENT,
        http_status=200,
        body=body.encode(),
        title="滨海新区2022年教育体育工作要点",
        text=body,
    )


@pytest.fixture
def sound(db_url: str) -> str:
    """An archive with one document in two versions and their events; `check` says ok."""
    with Archive.open(db_url) as archive:
        archive.record(_cap("一、建设体育设施40处。", 0))
        archive.record(_cap("一、建设体育设施50处。", 1))
        assert archive.check().ok
    return db_url


def _corrupt(url: str, *statements: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # A restore that skipped constraints: foreign keys are not enforced meanwhile.
            conn.execute(text("SET session_replication_role = replica"))
        for sql in statements:
            conn.execute(text(sql))
    engine.dispose()


CORRUPTIONS = {
    "missing raw body": (
        ["DELETE FROM blobs WHERE sha256 = (SELECT MIN(body_sha256) FROM captures)"],
        "raw body",
    ),
    "empty text": (["UPDATE versions SET text = '  ' WHERE seq = 2"], "empty text"),
    "edited text": (
        ["UPDATE versions SET text = '一、建设体育设施60处。' WHERE seq = 2"],
        "digest does not match",
    ),
    "broken chain": (["UPDATE versions SET seq = 3 WHERE seq = 2"], "broken predecessor chain"),
    "duplicate version": (
        ["UPDATE versions SET digest = (SELECT MIN(digest) FROM versions WHERE seq = 1), "
         "text = (SELECT MIN(text) FROM versions WHERE seq = 1) WHERE seq = 2"],
        "duplicate of version",
    ),
    "event without its version": (
        ["UPDATE change_events SET new_version_id = 9999 WHERE kind = 'changed'"],
        "version 9999 is missing",
    ),
    "document without versions": (
        ["INSERT INTO documents (source_id, url, title, first_seen, last_seen, missing_count) "
         "VALUES ('tj_binhai', 'https://x.gov.cn/lost.html', '', "
         "'2023-01-01 00:00:00', '2023-01-01 00:00:00', 0)"],
        "no version",
    ),
    "version without its capture": (
        ["DELETE FROM captures WHERE id = (SELECT MAX(capture_id) FROM versions)"],
        "its capture or raw body is missing",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_check_names_each_corruption(sound: str, case: str) -> None:
    statements, expected = CORRUPTIONS[case]
    _corrupt(sound, *statements)
    with Archive.open(sound, create=False) as archive:
        report = archive.check()
    assert not report.ok
    assert any(expected in p for p in report.problems), report.problems


def test_check_exits_1_on_a_corrupt_archive(sound: str, capsys: pytest.CaptureFixture[str]) -> None:
    import scheduler

    _corrupt(sound, "UPDATE versions SET text = 'x' WHERE seq = 1")
    assert scheduler.main(["check", "--db", sound]) == 1
    assert "PROBLEMS" in capsys.readouterr().out
