"""A page with a few undecodable bytes is archived with the count; other encodings are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from archive import Archive, Capture, FetchKind, Outcome
from crawler.encoding import DecodeError, decode_html
from crawler.extract import extract

BODY = "".join(
    f"<p>第{i}条，各校要严格执行招生计划，不得擅自扩大招生规模，确保招生工作公平公正。</p>"
    for i in range(1, 40)
)
PAGE = (
    "<html><head><meta charset='gbk'><title>招生工作通知</title></head>"
    f"<body><h1>招生工作通知</h1><div class='zw'>{BODY}</div></body></html>"
)


def test_a_few_bad_bytes_decode_with_replacement_and_are_counted() -> None:
    raw = PAGE.encode("gbk").replace("不得擅自".encode("gbk"), b"\xb2\xbb\xff\xb5\xc3", 3)
    got = decode_html(raw, "text/html; charset=gbk")
    assert (got.encoding, got.replaced_bytes) == ("gb18030", 3)
    assert got.text.count("\ufffd") == 3
    doc = extract(raw, content_type="text/html; charset=gbk")
    assert doc.replaced_bytes == 3
    assert doc.title == "招生工作通知"
    assert "第39条" in doc.text


def test_clean_page_replaces_nothing() -> None:
    assert decode_html(PAGE.encode("gbk")).replaced_bytes == 0
    assert extract(PAGE.encode("utf-8")).replaced_bytes == 0


def test_utf8_page_with_a_cut_character_is_kept() -> None:
    raw = PAGE.replace("gbk", "utf-8").encode("utf-8")
    cut = "招生规模".encode()
    raw = raw.replace(cut, cut[:5] + cut[6:], 1)  # 生 loses its last byte
    got = decode_html(raw)
    assert (got.encoding, got.replaced_bytes) == ("utf-8", 2)


def test_override_tolerates_the_same_small_damage() -> None:
    raw = PAGE.encode("gbk").replace("不得擅自".encode("gbk"), b"\xb2\xbb\xff\xb5\xc3", 1)
    got = decode_html(raw, override="gbk")
    assert (got.how, got.replaced_bytes) == ("override", 1)


def test_heavily_damaged_page_is_refused_with_the_count() -> None:
    raw = PAGE.encode("gbk").replace("不得擅自".encode("gbk"), b"\xff\xff\xff\xff")
    with pytest.raises(DecodeError, match="undecodable bytes of"):
        decode_html(raw, "text/html; charset=gbk")


def test_binary_is_refused() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    with pytest.raises(DecodeError):
        decode_html(png)


def test_big5_page_labelled_gbk_is_read_as_big5_not_damaged_gbk() -> None:
    text = "關於寒假期間校園開放時間的公告。如需使用體育場館，請提前三日向總務處申請。" * 20
    raw = f"<html><body><p>{text}</p></body></html>".encode("big5")
    got = decode_html(raw, "text/html; charset=gbk")
    assert (got.encoding, got.replaced_bytes) == ("big5hkscs", 0)
    assert text in got.text


def test_replaced_bytes_are_stored_on_the_capture_row(db_url: str) -> None:
    raw = PAGE.encode("gbk").replace("不得擅自".encode("gbk"), b"\xb2\xbb\xff\xb5\xc3", 2)
    doc = extract(raw, content_type="text/html; charset=gbk")
    capture = Capture(
        source_id="s",
        url="https://x.gov.cn/a.html",
        fetched_at=datetime(2023, 1, 1, tzinfo=UTC),
        kind=FetchKind.CONTENT,
        http_status=200,
        body=raw,
        encoding=doc.encoding,
        replaced_bytes=doc.replaced_bytes,
        title=doc.title,
        text=doc.text,
    )
    archive = Archive.open(db_url)
    try:
        assert archive.record(capture).outcome is Outcome.NEW
    finally:
        archive.close()
    engine = sa.create_engine(db_url.replace("sqlite+pysqlite", "sqlite"))
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT replaced_bytes FROM captures")).scalar_one() == 2
    finally:
        engine.dispose()
