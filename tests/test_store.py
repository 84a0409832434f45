"""Archive versioning: a new version only when the substance changes; nothing half-written."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.api import Archive
from archive.records import Capture, FetchKind, Outcome

T0 = datetime(2023, 2, 20, 8, 0, tzinfo=UTC)
URL = "https://jtj.tjbh.gov.cn/contents/9930/268903.html"


def cap(
    text: str = "一、总体要求\n1.学习宣传贯彻党的创新理论。",
    *,
    at: int = 0,
    url: str = URL,
    title: str = "滨海新区2022年教育体育工作要点",
    kind: FetchKind = FetchKind.CONTENT,
    body: bytes | None = None,
    status: int = 200,
) -> Capture:
    return Capture(
        source_id="tj_binhai",
        url=url,
        fetched_at=T0 + timedelta(hours=at),
        kind=kind,
        http_status=status,
        body=body if body is not None else text.encode() if kind is FetchKind.CONTENT else None,
        etag='"abc"',
        title=title,
        text=text if kind is FetchKind.CONTENT else "",
    )


@pytest.fixture
def archive(db_url: str) -> Archive:
    a = Archive.open(db_url)
    yield a
    a.close()


def test_first_fetch_is_new_then_unchanged(archive: Archive) -> None:
    assert archive.record(cap()).outcome is Outcome.NEW
    again = archive.record(cap(at=1, body=b"<html>other chrome, same text</html>"))
    assert again.outcome is Outcome.UNCHANGED
    assert archive.count_versions() == 1
    (v,) = archive.history(URL)
    assert v.first_seen == T0 and v.last_seen == T0 + timedelta(hours=1)


def test_noise_only_is_not_a_new_version(archive: Archive) -> None:
    archive.record(cap("一、总体要求\n1.学习宣传贯彻党的创新理论。"))
    # Full-width spaces, half-width digits vs full-width and blank lines: normalised away.
    res = archive.record(cap("一、总体要求 \n\n１.学习宣传贯彻党的创新理论。　", at=1))
    assert res.outcome is Outcome.UNCHANGED


def test_traditional_republication_is_not_a_new_version(archive: Archive) -> None:
    archive.record(cap("东城区教育发展迈入新阶段。", title="东城教育"))
    res = archive.record(cap("東城區教育發展邁入新階段。", title="東城教育", at=1))
    assert res.outcome is Outcome.UNCHANGED


def test_change_makes_a_chained_version_and_event(archive: Archive) -> None:
    first = archive.record(cap("培训社会体育指导员200名。"))
    second = archive.record(cap("培训社会体育指导员300名。", at=1))
    assert second.outcome is Outcome.CHANGED
    assert second.previous == first.version
    hist = archive.history(URL)
    assert [v.seq for v in hist] == [1, 2]
    assert hist[1].previous_id == hist[0].id
    kinds = [e.kind for e in archive.changes()]
    assert kinds == ["new", "changed"]
    assert archive.check().ok


def test_revert_to_old_text_is_a_new_version(archive: Archive) -> None:
    archive.record(cap("A稿。"))
    archive.record(cap("B稿。", at=1))
    assert archive.record(cap("A稿。", at=2)).outcome is Outcome.CHANGED
    assert [v.seq for v in archive.history(URL)] == [1, 2, 3]


def test_not_modified_only_records_seen(archive: Archive) -> None:
    archive.record(cap())
    res = archive.record(cap(kind=FetchKind.NOT_MODIFIED, status=304, at=5))
    assert res.outcome is Outcome.UNCHANGED
    assert archive.history(URL)[0].last_seen == T0 + timedelta(hours=5)


@pytest.mark.parametrize("reason", ["HTTP 503", "TimeoutError: took too long", "HTTP 429"])
def test_errors_never_touch_versions(archive: Archive, reason: str) -> None:
    archive.record(cap())
    res = archive.record(replace(cap(at=1), kind=FetchKind.ERROR, error=reason, text=""))
    assert res.outcome is Outcome.FAILED and res.error == reason
    assert archive.count_versions() == 1
    assert [e.kind for e in archive.changes()] == ["new"]


def test_empty_text_is_an_error_not_a_version(archive: Archive) -> None:
    archive.record(cap())
    res = archive.record(cap("", at=1, body=b"<html></html>"))
    assert res.outcome is Outcome.FAILED
    assert archive.count_versions() == 1


def test_withdrawn_after_n_consecutive_404(archive: Archive) -> None:
    archive.record(cap())
    gone = cap(kind=FetchKind.GONE, status=404, at=1)
    assert archive.record(gone, withdraw_after=2).outcome is Outcome.UNCHANGED
    assert (
        archive.record(replace(gone, fetched_at=T0 + timedelta(hours=2)), withdraw_after=2).outcome
        is Outcome.WITHDRAWN
    )
    assert [e.kind for e in archive.changes()] == ["new", "withdrawn"]
    # It comes back unchanged: restored, still one version.
    assert archive.record(cap(at=3)).outcome is Outcome.RESTORED
    assert archive.count_versions() == 1


def test_a_404_between_successes_resets_the_count(archive: Archive) -> None:
    archive.record(cap())
    archive.record(cap(kind=FetchKind.GONE, status=404, at=1), withdraw_after=2)
    archive.record(cap(at=2), withdraw_after=2)
    res = archive.record(cap(kind=FetchKind.GONE, status=404, at=3), withdraw_after=2)
    assert res.outcome is Outcome.UNCHANGED


def test_next_years_plan_is_linked_to_last_years(archive: Archive) -> None:
    archive.record(cap("2022年的要点。", title="关于印发《滨海新区2022年教育体育工作要点》的通知"))
    res = archive.record(
        cap(
            "2023年的要点。",
            url=URL.replace("268903", "270001"),
            at=1,
            title="关于印发《滨海新区2023年教育体育工作要点》的通知",
        )
    )
    assert res.outcome is Outcome.NEW
    assert res.previous_year is not None and res.previous_year.url == URL
    (series,) = archive.series()
    assert [e.version.url for e in series.editions] == [URL, URL.replace("268903", "270001")]
    ev = archive.changes()[-1]
    assert ev.previous_year_version_id == res.previous_year.id


def test_unrelated_titles_are_not_linked(archive: Archive) -> None:
    archive.record(cap("甲。", title="关于开展2022年校园安全检查的通知"))
    res = archive.record(cap("乙。", url=URL + "?2", title="滨海新区2023年教育体育工作要点", at=1))
    assert res.previous_year is None


def test_as_of_and_version_refs(archive: Archive) -> None:
    archive.record(cap("第一稿。"))
    archive.record(cap("第二稿。", at=48))
    assert archive.as_of(URL, T0 + timedelta(hours=1)).text == "第一稿。"
    assert archive.as_of(URL).text == "第二稿。"
    assert archive.version(f"{URL}@2023-02-20").text == "第一稿。"
    assert archive.version(f"{URL}@2023-02-22T09:00").text == "第二稿。"


def test_failed_transaction_leaves_nothing(archive: Archive) -> None:
    archive.record(cap())
    bad = cap("新文本。", at=1)
    bad = replace(bad, source_id="x" * 500)  # too long for PostgreSQL's column; SQLite ignores
    try:
        archive.record(replace(bad, url=None))  # type: ignore[arg-type]  # NOT NULL violation
    except Exception:
        pass
    assert archive.count_versions() == 1
    assert archive.check().ok


def test_upgrade_from_the_first_schema_keeps_the_archive(db_url: str) -> None:
    """A database made by migration 0001 is upgraded in place, data and all."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    import archive

    # The migrations are driven from their folder, as Alembic does: no ORM import needed.
    engine = create_engine(db_url)
    cfg = Config()
    migrations = Path(archive.__file__).parent / "_db" / "migrations"
    cfg.set_main_option("script_location", str(migrations))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql(
            "INSERT INTO documents (source_id, url, title, first_seen, last_seen, "
            "missing_count) VALUES ('tj_binhai', 'https://x.gov.cn/a.html', '旧', "
            "'2022-01-01 00:00:00', '2022-01-01 00:00:00', 0)"
        )
    engine.dispose()
    archive = Archive.open(db_url)  # upgrades to head
    try:
        (known,) = archive.known_documents("tj_binhai")
        assert known.url == "https://x.gov.cn/a.html" and known.parent_url is None
        attachment = replace(
            cap("附件正文。", url="https://x.gov.cn/b.pdf", title="附件1.pdf"),
            parent_url="https://x.gov.cn/a.html",
        )
        res = archive.record(attachment)
        assert res.outcome is Outcome.NEW
        urls = {k.url: k.parent_url for k in archive.known_documents("tj_binhai")}
        assert urls["https://x.gov.cn/b.pdf"] == "https://x.gov.cn/a.html"
    finally:
        archive.close()


def test_a_killed_crawl_is_marked_interrupted_by_the_next_one(archive: Archive) -> None:
    from archive.records import CrawlStatus, CrawlSummary

    first = archive.start_crawl("tj_binhai")  # its process "dies": never finished
    other = archive.start_crawl("nm_wuhai")
    second = archive.start_crawl("tj_binhai")
    archive.finish_crawl(second, CrawlSummary(source_id="tj_binhai"))
    status = {c.id: c.status for c in archive.crawls()}
    assert status == {
        first: CrawlStatus.INTERRUPTED,
        other: CrawlStatus.RUNNING,
        second: CrawlStatus.OK,
    }


def test_nul_characters_are_dropped_not_fatal(archive: Archive) -> None:
    """A NUL from a broken page would make PostgreSQL refuse the whole transaction."""
    res = archive.record(cap("第一段。\x00第二段。", title="标题\x00"))
    assert res.outcome is Outcome.NEW
    (v,) = archive.history(URL)
    assert v.text == "第一段。第二段。" and v.title == "标题"
