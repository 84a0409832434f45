"""One substance vocabulary: what the extractor keeps, the archive versions and the diff reports.

A notice whose contact phone (联系电话) or 落款 date changes has changed: the extractor keeps
those lines, the archive makes a new version of them, and the diff calls it substantive. The
same lines in a site footer (next to 网站标识码 or 主办单位) are chrome everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import scheduler
from archive.api import Archive
from archive.text.diff import diff_texts
from tests.faultsite import page_html, run_crawl, serve_faultsite, source_toml

NOTICE = [
    "各中小学校：现将2023年暑期教师培训报名事项通知如下。",
    "一、报名时间：7月1日至7月10日。",
    "二、报名方式：请各校汇总后报送区教师发展中心。",
    "联系人：王老师",
    "联系电话：{phone}",
    "特此通知。",
    "滨海新区教育体育局",
    "{date}",
]


def notice(phone: str = "022-28123456", date: str = "2023年6月20日") -> list[str]:
    return [line.format(phone=phone, date=date) for line in NOTICE]


def test_diff_of_a_changed_contact_phone_is_substantive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("\n".join(notice()), encoding="utf-8")
    new.write_text("\n".join(notice(phone="022-99999999")), encoding="utf-8")
    assert scheduler.main(["diff", str(old), str(new), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["substantive"] is True
    assert any("99999999" in (c["new_text"] or "") for c in data["changes"])


def test_a_changed_signature_date_is_substantive_but_a_footer_date_is_not() -> None:
    assert diff_texts("\n".join(notice()), "\n".join(notice(date="2023年6月25日"))).substantive
    footer = "\n主办单位：滨海新区教育体育局\n网站标识码：1201160007\n{}"
    body = "\n".join(notice()[:-1])
    a, b = body + footer.format("2023-06-20"), body + footer.format("2023-06-25")
    assert not diff_texts(a, b).substantive


def test_a_crawl_of_a_phone_edit_archives_a_new_version(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    sources = tmp_path / "sources.toml"
    with serve_faultsite() as site:
        page = site.add("training", custom=page_html("暑期教师培训报名通知", notice()))
        sources.write_text(source_toml(site), encoding="utf-8")
        first = run_crawl(sources, db, tmp_path)
        assert (first.rc, first.summary["new"]) == (0, 1), first.stderr[-800:]
        page.custom = page_html("暑期教师培训报名通知", notice(phone="022-99999999"))
        second = run_crawl(sources, db, tmp_path)
        assert (second.rc, second.summary["changed"]) == (0, 1), second.stderr[-800:]
    with Archive.open(db, create=False) as archive:
        v1, v2 = archive.history(site.url("training"))
    assert "022-28123456" in v1.text and "022-99999999" in v2.text
