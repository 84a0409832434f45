"""crawler.extract against the hand-written gold set (tests/gold/extract) and real pages."""

from __future__ import annotations

import datetime
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from rapidfuzz.distance import LCSseq

from crawler import extract as extract_module
from crawler.encoding import DecodeError
from crawler.extract import ExtractedText, ExtractOptions, extract, extract_html

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "gold" / "extract"
REAL = ROOT.parent / "shared" / "eval-real-pages"
_WS = re.compile(r"\s+")


def _gold(folder: str) -> list[dict[str, object]]:
    paths = sorted((GOLD / folder).glob("*.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


OWN = _gold("pages")
REAL_GOLD = [g for g in _gold("real") if (REAL / str(g["file"])).exists()]


def _run(gold: dict[str, object], base: Path) -> ExtractedText:
    body = (base / str(gold["file"])).read_bytes()
    return extract(body, url=gold.get("url"), content_type=gold.get("content_type"))  # type: ignore[arg-type]


def _scores(gold_text: str, text: str) -> tuple[float, float]:
    g, t = _WS.sub("", gold_text), _WS.sub("", text)
    common = LCSseq.similarity(g, t)
    return common / max(len(g), 1), common / max(len(t), 1)


def test_gold_set_covers_the_brief() -> None:
    assert len(OWN) >= 20
    assert len({g["template"] for g in OWN}) >= 6
    assert {g["encoding"] for g in OWN} >= {"gbk", "gb2312", "gb18030", "big5", "utf-8"}
    assert any(g["encoding"] == "big5" for g in OWN)  # traditional script
    assert any(g["attachments"] for g in OWN)
    assert any(len(str(g["text"]).split("\n")) == 2 for g in OWN)  # a two-sentence notice


@pytest.mark.parametrize("gold", OWN, ids=[str(g["file"]) for g in OWN])
def test_own_gold_page(gold: dict[str, object]) -> None:
    got = _run(gold, GOLD)
    recall, precision = _scores(str(gold["text"]), got.text)
    assert recall >= 0.99, recall
    assert precision >= 0.99, precision
    assert [w for w in gold["without"] if w in got.text] == []  # type: ignore[union-attr]
    assert got.title == gold["title"]
    assert not got.text.startswith(str(gold["title"]))
    published = gold["published"]
    assert got.published == (datetime.date.fromisoformat(str(published)) if published else None)
    assert (got.doc_number, got.source_org, got.index_number) == (
        gold["doc_number"], gold["source_org"], gold["index_number"])
    assert [{"name": a.name, "url": a.url} for a in got.attachments] == gold["attachments"]
    assert "\ufffd" not in got.text
    assert got.encoding in {"utf-8", "gb18030", "big5hkscs"}


@pytest.mark.parametrize("gold", REAL_GOLD, ids=[str(g["file"]) for g in REAL_GOLD])
def test_real_page(gold: dict[str, object]) -> None:
    got = _run(gold, REAL)
    recall, precision = _scores(str(gold["text"]), got.text)
    assert recall >= 0.99, recall
    assert precision >= 0.99, precision
    assert [w for w in gold["without"] if w in got.text] == []  # type: ignore[union-attr]
    assert _WS.sub("", got.title) == _WS.sub("", str(gold["title"]))


def test_traditional_stays_traditional() -> None:
    gold = next(g for g in OWN if g["encoding"] == "big5")
    got = _run(gold, GOLD)
    assert "區" in got.text or "國" in got.text or "學" in got.text
    assert got.title == gold["title"]


def test_early_closing_html_does_not_lose_the_body() -> None:
    html = ("<html><head><title>通知_某局</title></head><body><div>首页 政务公开</div>"
            "</body></html><div class='content'><h2>通知</h2><p>第一句话，说明事项。</p>"
            "<p>第二句话，提出要求。</p></div></body></html>")
    got = extract_html(html)
    assert got.text == "第一句话，说明事项。\n第二句话，提出要求。"
    assert got.encoding is None


def test_prune_xpath_removes_a_site_quirk() -> None:
    html = ("<html><body><div id='zoom'><p>正文第一段，内容。</p><p>正文第二段，内容。</p>"
            "<div class='wxts'>温馨提示：本站信息仅供参考，以正式文件为准。</div></div>"
            "</body></html>")
    assert "温馨提示" in extract_html(html).text
    got = extract_html(html, options=ExtractOptions(prune_xpath=("//div[@class='wxts']",)))
    assert got.text == "正文第一段，内容。\n正文第二段，内容。"


def test_fallback_when_trafilatura_returns_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    gold = OWN[0]
    monkeypatch.setattr(extract_module, "_trafilatura_lines", lambda *a, **k: [])
    got = _run(gold, GOLD)
    recall, precision = _scores(str(gold["text"]), got.text)
    assert recall >= 0.99
    assert precision >= 0.99


def test_empty_page_gives_empty_text() -> None:
    got = extract(b"<html><head><title>x</title></head><body></body></html>")
    assert got.text == ""
    assert got.published is None
    assert got.doc_number is None


def test_undecodable_page_raises() -> None:
    with pytest.raises(DecodeError):
        extract(b"<html>" + bytes(range(0x80, 0x100)) * 3, encoding="utf-8")


def _benchmark():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("eval_extract",
                                                  ROOT / "benchmarks" / "eval_extract.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_figures_do_not_fall_below_floors() -> None:
    bench = _benchmark()
    floors = json.loads((GOLD / "floors.json").read_text(encoding="utf-8"))
    extract(b"<html><body><p>warm-up</p></body></html>")
    for kind in ("own", "real"):
        cases = bench.load_cases(kind)
        if not cases:
            continue
        figures = bench.evaluate(cases, bench.ours)
        for name, floor in floors[kind].items():
            value = getattr(figures, name)
            if name == "chrome_leaks":
                assert value <= floor, (kind, name, value, floor)
            else:
                assert value >= floor, (kind, name, value, floor)
