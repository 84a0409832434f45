"""What makes re-crawls cheap: identical bodies skipped, identical re-fetches collapsed, raw
bodies stored once and compressed, batches in one transaction, year links by index."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from archive.api import Archive
from archive.records import Capture, FetchKind, Outcome

T0 = datetime(2023, 2, 20, 8, 0, tzinfo=UTC)
URL = "https://jtj.tjbh.gov.cn/contents/9930/268903.html"
BODY = ("<html><body><p>一、总体要求</p><p>1.学习宣传贯彻党的创新理论。</p>" * 20).encode()


def cap(at: int = 0, *, url: str = URL, title: str = "滨海新区2022年教育体育工作要点") -> Capture:
    return Capture(
        source_id="tj_binhai",
        url=url,
        fetched_at=T0 + timedelta(hours=at),
        kind=FetchKind.CONTENT,
        http_status=200,
        body=BODY + url.encode(),
        title=title,
        text="一、总体要求\n1.学习宣传贯彻党的创新理论。" + url,
    )


def same_body(at: int, sha: str) -> Capture:
    return Capture(
        source_id="tj_binhai",
        url=URL,
        fetched_at=T0 + timedelta(hours=at),
        kind=FetchKind.SAME_BODY,
        http_status=200,
        body_sha256=sha,
    )


@pytest.fixture
def archive(db_url: str) -> Archive:
    a = Archive.open(db_url)
    yield a
    a.close()


def test_a_byte_identical_body_is_recorded_without_its_text(archive: Archive) -> None:
    first = cap()
    assert archive.record(first).outcome is Outcome.NEW
    sha = hashlib.sha256(first.body or b"").hexdigest()
    (known,) = archive.known_documents("tj_binhai")
    assert known.body_sha256 == sha
    res = archive.record(same_body(1, sha))
    assert res.outcome is Outcome.UNCHANGED
    (v,) = archive.history(URL)
    assert v.last_seen == T0 + timedelta(hours=1)
    # One capture for the run of identical answers, its last one remembered.
    (c,) = archive.captures(URL)
    assert (c.kind, c.body_sha256, c.fetched_at) == (FetchKind.CONTENT, sha, T0)
    assert c.last_seen_at == T0 + timedelta(hours=1)
    assert archive.raw_body(sha) == first.body  # stored compressed, read back whole
    assert archive.check().ok


def test_a_stale_same_body_claim_is_an_error_not_a_version(archive: Archive) -> None:
    archive.record(cap())
    res = archive.record(same_body(1, "0" * 64))
    assert res.outcome is Outcome.FAILED
    assert "re-fetch" in (res.error or "")
    assert len(archive.fetch_errors()) == 1


def test_a_304_extends_the_last_capture_and_a_change_adds_one(archive: Archive) -> None:
    archive.record(cap())
    seen = replace(cap(1), kind=FetchKind.NOT_MODIFIED, http_status=304, body=None, text="")
    assert archive.record(seen).outcome is Outcome.UNCHANGED
    assert len(archive.captures(URL)) == 1
    changed = replace(cap(2), body=BODY + b"<p>2.</p>", text="一、总体要求\n2.新的一条。")
    assert archive.record(changed).outcome is Outcome.CHANGED
    caps = archive.captures(URL)
    assert [c.fetched_at for c in caps] == [T0, T0 + timedelta(hours=2)]
    assert archive.check().ok


def test_a_batch_is_recorded_in_order_in_one_go(archive: Archive) -> None:
    urls = [f"https://jtj.tjbh.gov.cn/contents/9930/{n}.html" for n in range(5)]
    batch = [cap(url=u, title=f"通知{n}") for n, u in enumerate(urls)]
    batch.append(replace(cap(1, url=urls[0], title="通知0"), text="一、总体要求\n改了。"))
    batch.append(replace(cap(1, url="https://x/a"), kind=FetchKind.ERROR, error="HTTP 503"))
    results = archive.record_many(batch, withdraw_after=1)
    assert [r.outcome for r in results] == [Outcome.NEW] * 5 + [Outcome.CHANGED, Outcome.FAILED]
    assert archive.count_versions() == 6
    assert archive.check().ok


def test_next_years_plan_finds_last_years_by_index(archive: Archive) -> None:
    # Other documents of the source, other years, other plans: not candidates.
    for n in range(30):
        archive.record(
            cap(url=f"https://jtj.tjbh.gov.cn/x/{n}.html", title=f"关于第{n}项工作的通知")
        )
    archive.record(
        cap(url="https://jtj.tjbh.gov.cn/a/2021.html", title="滨海新区2021年教育体育工作要点")
    )
    old = archive.record(cap(url="https://jtj.tjbh.gov.cn/a/2022.html"))
    new = archive.record(
        cap(1, url="https://jtj.tjbh.gov.cn/a/2023.html", title="滨海新区2023年教育体育工作要点")
    )
    assert new.previous_year is not None and new.previous_year.id == old.version.id
    # Reworded slightly: found by the fuzzy match among last year's documents only.
    reworded = archive.record(
        cap(
            2,
            url="https://jtj.tjbh.gov.cn/a/2024.html",
            title="滨海新区2024年教育和体育工作要点",
        )
    )
    assert reworded.previous_year is not None and reworded.previous_year.id == new.version.id
    untitled = archive.record(cap(3, url="https://jtj.tjbh.gov.cn/a/n.html", title="工作要点"))
    assert untitled.previous_year is None
