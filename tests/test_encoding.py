"""crawler.encoding: every page decodes honestly or fails with a reason."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.encoding import Decoded, DecodeError, decode_html, normalize_label

SIMPLIFIED = "关于做好2023年义务教育招生入学工作的通知。各中小学校要严格执行招生计划。"
TRADITIONAL = "關於寒假期間校園開放時間的公告。如需使用體育場館，請提前三日向總務處申請。"


def page(text: str, meta: str | None = None) -> str:
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">' if meta else ""
    return f"<html><head>{head}<title>t</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("x-gbk", "gb18030"),
        ("GB18030", "gb18030"),
        ("big5", "big5hkscs"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        ("nonsense-8", None),
    ],
)
def test_normalize_label(label: str, codec: str | None) -> None:
    assert normalize_label(label) == codec


def test_header_wins_and_gb2312_is_decoded_as_gb18030() -> None:
    # 镕 is GBK-only: a "GB2312" page that uses it must still decode (superset codec).
    body = page(SIMPLIFIED + "朱镕基").encode("gbk")
    got = decode_html(body, "text/html; charset=gb2312")
    assert got == Decoded(page(SIMPLIFIED + "朱镕基"), "gb18030", "header")


def test_meta_charset_used_without_header() -> None:
    got = decode_html(page(SIMPLIFIED, "gbk").encode("gbk"), "text/html")
    assert (got.encoding, got.how) == ("gb18030", "meta")


def test_bom_beats_a_wrong_header() -> None:
    body = codecs.BOM_UTF8 + page(SIMPLIFIED).encode("utf-8")
    got = decode_html(body, "text/html; charset=gbk")
    assert (got.encoding, got.how) == ("utf-8", "bom")
    assert not got.text.startswith("\ufeff")


def test_lying_meta_utf8_on_gb2312_bytes_is_detected() -> None:
    # Real page (hebei xinhua): <meta charset=utf-8> on GB2312 bytes.
    got = decode_html(page(SIMPLIFIED, "utf-8").encode("gb2312"))
    assert (got.encoding, got.how) == ("gb18030", "detected")
    assert SIMPLIFIED in got.text


def test_lying_meta_gb2312_on_utf8_bytes_is_detected() -> None:
    # Real pages (people.cn, youth.cn): <meta charset=gb2312> on UTF-8 bytes.
    got = decode_html(page(SIMPLIFIED, "gb2312").encode("utf-8"))
    assert (got.encoding, got.how) == ("utf-8", "detected")


def test_undeclared_big5_is_detected_not_read_as_gbk() -> None:
    got = decode_html(page(TRADITIONAL).encode("big5"))
    assert got.encoding == "big5hkscs"
    assert TRADITIONAL in got.text


def test_western_header_on_chinese_bytes_is_ignored() -> None:
    got = decode_html(page(SIMPLIFIED).encode("gbk"), "text/html; charset=ISO-8859-1")
    assert got.encoding == "gb18030"


def test_override_is_the_operators_word() -> None:
    got = decode_html(page(TRADITIONAL).encode("big5"), "text/html; charset=utf-8", "big5")
    assert (got.encoding, got.how) == ("big5hkscs", "override")


def test_wrong_override_is_an_error_with_a_reason() -> None:
    with pytest.raises(DecodeError, match="not valid utf-8"):
        decode_html(page(SIMPLIFIED).encode("gbk"), override="utf-8")


def test_undecodable_bytes_raise_one_line_reason() -> None:
    body = b"<html><body>" + bytes(range(0x80, 0x100)) * 4 + b"</body></html>"
    with pytest.raises(DecodeError) as info:
        decode_html(body, "text/html; charset=utf-8")
    assert "\n" not in str(info.value)
    assert "utf-8" in str(info.value)


def test_ascii_page_is_utf8() -> None:
    assert decode_html(b"<html><body>hello</body></html>").encoding == "utf-8"


HANZI = st.sampled_from(list(SIMPLIFIED + TRADITIONAL + "的一是在不了有和人这中大为上个国我以要他"))


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(HANZI, min_size=1, max_size=80),
    codec=st.sampled_from(["utf-8", "gb18030", "gbk", "big5"]),
    declared=st.booleans(),
)
def test_round_trip_never_mojibake(text: str, codec: str, declared: bool) -> None:
    try:
        body = page(text).encode(codec)
    except UnicodeEncodeError:
        return  # simplified-only characters have no Big5 form
    ctype = f"text/html; charset={codec}" if declared else None
    try:
        got = decode_html(body, ctype)
    except DecodeError:
        return  # refusing is allowed; returning the wrong text is not
    assert "\ufffd" not in got.text
    if declared or codec == "utf-8":
        assert got.text == page(text)
