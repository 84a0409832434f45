"""archive.render: one registry, four small renderers, page text always escaped."""

from __future__ import annotations

import json

import pytest

from archive.render import RENDERERS, changed_spans, clip, label, render_diff
from archive.text.diff import Change, DiffResult

EVIL = '<script>alert("x")</script>&<img src=x onerror=1>'
RESULT = DiffResult(
    substantive=True,
    similarity=0.9,
    changes=(
        Change("number_changed", "八.30", "设施40处,", "设施50处,", "40处", "50处"),
        Change("modified", "一.1", f"旧文本{EVIL}", f"新文本{EVIL}"),
        Change("moved", "三.16", "17.积极推动", "16.积极推动", old_section="四.17"),
        Change("added", "四.21", "", "21.加强校外教育"),
        Change("script_only", "title", "教育", "教育"),
    ),
)


def test_registry_names() -> None:
    assert set(RENDERERS) == {"text", "markdown", "html", "json"}


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_renderer_mentions_every_change(fmt: str) -> None:
    for lang in ("zh", "en"):
        out = render_diff(RESULT, fmt, old_label="2022", new_label="2023", lang=lang)
        for change in RESULT.changes:
            # JSON keeps the machine names; the others say it in the reader's language
            assert (change.type if fmt == "json" else label(change, lang)) in out
        assert "50处" in out


def test_labels_are_chinese_by_default() -> None:
    out = render_diff(RESULT, "text")
    assert "指标变化 [八.30] 40处 → 50处" in out
    assert "number_changed" not in out
    assert "target changed" in render_diff(RESULT, "text", lang="en")


def test_highlighting_takes_whole_numbers_and_words() -> None:
    old, new = "力争2022年优良率达到97%以上", "力争2023年优良率达到98%以上"
    so, sn = changed_spans(old, new)
    assert [old[a:b] for a, b in so] == ["2022年", "97%以上"]
    assert [new[a:b] for a, b in sn] == ["2023年", "98%以上"]
    html_out = render_diff(DiffResult(True, 0.9, (Change("modified", "一.1", old, new),)), "html")
    assert "<del>2022年</del>" in html_out and "<ins>2023年</ins>" in html_out


def test_clip_never_cuts_a_figure() -> None:
    text = "推进工作," * 95 + "建成学校1234.5万平方米以上,完成任务。"
    out = clip(text, 400)
    assert len(out) <= 401
    assert "1234" not in out or "1234.5万平方米以上" in out
    assert out.endswith("…")


def test_json_is_the_result_shape() -> None:
    assert json.loads(render_diff(RESULT, "json")) == RESULT.to_dict()


def test_html_escapes_all_page_text_and_labels() -> None:
    out = render_diff(RESULT, "html", old_label=EVIL, new_label="新")
    assert "<script>" not in out
    assert "<img" not in out
    assert "&lt;script&gt;" in out
    assert out.startswith("<!DOCTYPE html>")
    assert "<ins>" in out
    assert "<del>" in out


def test_markdown_escapes_markup() -> None:
    out = render_diff(RESULT, "markdown")
    assert "<script>" not in out
    assert "四.17 → 三.16" in out


def test_text_colours_only_on_request() -> None:
    assert "\033[" not in render_diff(RESULT, "text")
    assert "\033[31m" in render_diff(RESULT, "text", color=True)


def test_unknown_format_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="choose one of html, json, markdown, text"):
        render_diff(RESULT, "pdf")
