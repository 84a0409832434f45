"""Search as a user meets it on the demo archive: either script, place names, 文号 — both backends.

Gold, written by hand from the mirror's pages (seeds/mirror/), before tuning the ranking.
"""

from __future__ import annotations

import json

import pytest

import scheduler
from archive.api import Archive

DONGCHENG = "bjdch.gov.cn"  # the 東城區 bureau: its pages are in traditional script
PLAN_2022 = "https://jtj.tjbh.gov.cn/contents/9930/268903.html"  # 津滨教体〔2022〕12号


def search(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> list[dict]:
    code = scheduler.main(["search", "--db", url, "--format", "json", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_both_scripts_give_the_same_hits_with_snippets(
    capsys: pytest.CaptureFixture[str], demo_url: str
) -> None:
    simplified = search(capsys, demo_url, "双减")
    traditional = search(capsys, demo_url, "雙減")
    assert simplified == traditional
    # Gold: the 和平区 双减 plan and the 滨海 作业负担/校外培训 plan both say 双减.
    urls = [h["url"] for h in simplified]
    assert any("tjhp.gov.cn" in u for u in urls[:2])
    assert "https://jtj.tjbh.gov.cn/contents/9930/266842.html" in urls[:2]
    for hit in simplified:
        (a, b), *_ = hit["marks"]
        assert hit["snippet"][a:b] in ("双减", "雙減")
        assert "【" in hit["highlighted"]


def test_a_place_name_finds_its_bureau_in_traditional_script_first(
    capsys: pytest.CaptureFixture[str], demo_url: str
) -> None:
    hits = search(capsys, demo_url, "东城")
    dongcheng = [i for i, h in enumerate(hits) if DONGCHENG in h["url"]]
    # Gold: three 東城區 pages (the withdrawn 寒假 notice among them), ahead of 大港东城二幼.
    assert len(dongcheng) == 3
    assert dongcheng == [0, 1, 2]
    withdrawn = [h for h in hits if h["withdrawn_at"]]
    assert [DONGCHENG in h["url"] for h in withdrawn] == [True]


@pytest.mark.parametrize(
    "query", ["津滨教体〔2022〕12号", "津滨教体[2022]12号", "津滨教体［2022］12号"]
)
def test_a_document_number_finds_its_plan(
    capsys: pytest.CaptureFixture[str], demo_url: str, query: str
) -> None:
    hits = search(capsys, demo_url, query)
    assert [h["url"] for h in hits] == [PLAN_2022]
    assert "12号" in hits[0]["snippet"]


def test_an_issuer_prefix_finds_its_plans(
    capsys: pytest.CaptureFixture[str], demo_url: str
) -> None:
    hits = search(capsys, demo_url, "津滨教体")
    assert PLAN_2022 in [h["url"] for h in hits]
    assert {h["doc_number"][:4] for h in hits} == {"津滨教体"}


def test_all_versions_and_dates(capsys: pytest.CaptureFixture[str], demo_url: str) -> None:
    # The 城中区 招生 plan was edited in place: 21所 in 2022, 23所 in 2023.
    current = search(capsys, demo_url, "21所公办小学")
    every = search(capsys, demo_url, "21所公办小学", "--all-versions")
    assert current == []
    assert [(h["seq"], h["current"]) for h in every] == [(1, False)]
    assert [h["seq"] for h in search(capsys, demo_url, "23所公办小学")] == [2]
    assert every[0]["first_seen"] <= every[0]["last_seen"]
    assert search(capsys, demo_url, "双减", "--source", "tj_heping")[0]["source"] == "tj_heping"
    assert search(capsys, demo_url, "双减", "--until", "2000-01-01") == []
    assert search(capsys, demo_url, "双减", "--since", "7d")


def test_the_index_is_checked_and_sound(demo_url: str) -> None:
    with Archive.open(demo_url, create=False) as archive:
        report = archive.check()
    assert report.ok, report.problems
