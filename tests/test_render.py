"""archive.render: one registry, four small renderers, page text always escaped."""

from __future__ import annotations

import json

import pytest

from archive.diff import Change, DiffResult
from archive.render import RENDERERS, render_diff

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
    out = render_diff(RESULT, fmt, old_label="2022", new_label="2023")
    for change in RESULT.changes:
        assert change.type in out
    assert "50处" in out


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
