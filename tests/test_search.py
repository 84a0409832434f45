"""The search index: kept current with every version, checked, built for an existing archive."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.api import Archive
from archive.records import Capture, FetchKind
from archive.text.search import doc_number_matches, fold, parse_doc_number, plan_query

T0 = datetime(2023, 2, 20, 8, 0, tzinfo=UTC)
URL = "https://jtj.tjbh.gov.cn/contents/9930/268903.html"


def cap(text: str, *, at: int = 0, url: str = URL, title: str = "通知", **kw: object) -> Capture:
    return Capture(
        source_id="tj_binhai",
        url=url,
        fetched_at=T0 + timedelta(hours=at),
        kind=FetchKind.CONTENT,
        http_status=200,
        body=text.encode(),
        title=title,
        text=text,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def archive(db_url: str) -> Archive:
    a = Archive.open(db_url)
    yield a
    a.close()


def test_fold_keeps_length_and_unifies_script_width_and_brackets() -> None:
    for text in ["東城區教委", "津滨教体［２０２２］12号", "ＡＢＣ體育", "〔2022〕"]:
        assert len(fold(text)) == len(text)
    assert fold("東城區") == "东城区"
    assert (
        fold("津滨教体〔2022〕12号") == fold("津滨教体［2022］12号") == fold("津滨教体[2022]12号")
    )


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("津滨教体〔2022〕12号", ("津滨教体", 2022, 12)),
        ("津濱教體［2021］57號", ("津滨教体", 2021, 57)),
        ("乌教发[2022]3号", ("乌教发", 2022, 3)),
        ("京东教发〔2023〕第08号", ("京东教发", 2023, 8)),
        ("关于印发通知", None),
        ("", None),
    ],
)
def test_document_numbers_are_parsed(text: str, parts: tuple[str, int, int] | None) -> None:
    got = parse_doc_number(text)
    assert (None if got is None else (got.issuer, got.year, got.sequence)) == parts


def test_document_number_filters() -> None:
    assert doc_number_matches("津滨教体", "津滨教体〔2022〕12号")
    assert doc_number_matches("津滨教体〔2022〕", "津滨教体〔2022〕12号")
    assert not doc_number_matches("津滨教体〔2021〕", "津滨教体〔2022〕12号")
    assert doc_number_matches("津滨教体[2022]12号", "津滨教体〔2022〕12号")
    assert not doc_number_matches("津滨教体〔2022〕1号", "津滨教体〔2022〕12号")


def test_query_plans() -> None:
    assert plan_query("雙減").tokens == ("双减",)
    assert plan_query("津滨教体").substring  # the segmenter splits it: exact substring
    assert plan_query("减").substring
    assert plan_query("义务教育 课后服务").tokens == ("义务教育", "课后服务")


def test_the_index_follows_every_version_in_its_transaction(archive: Archive) -> None:
    archive.record(cap("推进“双减”工作。"))
    assert [h.version.seq for h in archive.search("双减")] == [1]
    archive.record(cap("推进课后服务工作。", at=1))
    assert archive.search("双减") == []  # the current text no longer says it
    assert [h.version.seq for h in archive.search("雙減", all_versions=True)] == [1]
    assert [h.version.seq for h in archive.search("課後服務")] == [2]
    # A failed write leaves no index row behind either.
    with pytest.raises(Exception):  # noqa: B017, PT011 - the database's own error type
        archive.record(replace(cap("双减又来了。", at=2), url=None))  # type: ignore[arg-type]
    assert archive.search("双减") == []
    assert archive.check().ok


def test_withdrawn_pages_say_so_in_search(archive: Archive) -> None:
    archive.record(cap("推进“双减”工作。"))
    gone = replace(cap("", at=1), kind=FetchKind.GONE, http_status=404, body=None, text="")
    archive.record(gone)
    (hit,) = archive.search("双减")
    assert hit.withdrawn_at == T0 + timedelta(hours=1)
    archive.record(cap("推进“双减”工作。", at=2))
    (hit,) = archive.search("双减")
    assert hit.withdrawn_at is None


def test_ranking_puts_title_hits_first_and_dates_filter(archive: Archive) -> None:
    archive.record(cap("各校落实课后服务。" * 3, url=URL + "?body", title="关于开学工作的通知"))
    archive.record(cap("做好相关工作。", url=URL + "?title", title="关于课后服务的通知", at=48))
    hits = archive.search("课后服务")
    assert [h.version.url for h in hits] == [URL + "?title", URL + "?body"]
    late = archive.search("课后服务", since=T0 + timedelta(hours=24))
    assert [h.version.url for h in late] == [URL + "?title"]
    early = archive.search("课后服务", until=T0 + timedelta(hours=1))
    assert [h.version.url for h in early] == [URL + "?body"]
    assert archive.search("课后服务", source="nm_wuhai") == []


def test_a_long_substring_matches_only_where_it_stands_whole(archive: Archive) -> None:
    # Every trigram of 津滨教体 is in the first text, never the four characters together:
    # the trigram index (no positions) offers it as a candidate; the search must drop it.
    archive.record(cap("津滨教育局与滨教体协会会商。", url=URL + "?parts"))
    archive.record(cap("津滨教体〔2023〕5号文件已印发。", url=URL + "?whole", at=1))
    assert [h.version.url for h in archive.search("津滨教体")] == [URL + "?whole"]
    assert {h.version.url for h in archive.search("滨教体")} == {URL + "?parts", URL + "?whole"}


def test_check_finds_a_stale_index(db_url: str) -> None:
    from sqlalchemy import create_engine, text

    a = Archive.open(db_url)
    a.record(cap("推进“双减”工作。"))
    a.close()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE search_index SET body_tokens = 'x', is_current = false"))
    engine.dispose()
    with Archive.open(db_url) as a:
        problems = a.check().problems
    assert any("search index" in p and "does not match" in p for p in problems), problems


def test_an_existing_archive_is_indexed_by_its_migration(db_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    import archive as pkg

    engine = create_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(pkg.__file__).parent / "_db" / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.exec_driver_sql(
            "INSERT INTO documents (id, source_id, url, title, first_seen, last_seen, "
            "missing_count) VALUES (1, 'tj_binhai', 'https://x.gov.cn/a.html', '東城區通知', "
            "'2022-01-01 00:00:00', '2022-01-01 00:00:00', 0)"
        )
        conn.exec_driver_sql("INSERT INTO blobs (sha256, size, data) VALUES ('ab', 1, 'x')")
        conn.exec_driver_sql(
            "INSERT INTO captures (id, document_id, fetched_at, kind, body_sha256) "
            "VALUES (1, 1, '2022-01-01 00:00:00', 'content', 'ab')"
        )
        for vid, seq, body in ((1, 1, "落實雙減。"), (2, 2, "落實課後服務。")):
            conn.exec_driver_sql(
                "INSERT INTO versions (id, document_id, seq, digest, title, text, first_seen, "
                "last_seen, previous_id, capture_id, doc_number) VALUES "
                f"({vid}, 1, {seq}, 'd', '東城區通知', '{body}', '2022-01-01 00:00:00', "
                f"'2022-01-01 00:00:00', {'NULL' if seq == 1 else 1}, 1, '东教发〔2022〕3号')"
            )
    engine.dispose()
    with Archive.open(db_url) as a:  # upgrades to head: the index is built here
        assert [h.version.id for h in a.search("课后服务")] == [2]
        assert [h.version.id for h in a.search("双减", all_versions=True)] == [1]
        assert [h.version.id for h in a.search("东教发[2022]3号")] == [2]
        assert [d.url for d in a.documents_by_number("东教发")] == ["https://x.gov.cn/a.html"]
