"""Renderers for a :class:`~archive.text.diff.DiffResult`, chosen by name from :data:`RENDERERS`.

``text`` (ANSI colours on request), ``markdown``, ``html`` (self-contained, side by side)
and ``json``. Labels are Chinese by default (``lang="en"`` for English); JSON keeps the
machine names. Changed words are highlighted: runs of changed characters widened to whole
numbers with their units and to whole Latin words, so 2022→2023 marks the year, not its last
digit. Page text is untrusted: the markup renderers escape every character of it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from difflib import SequenceMatcher

from archive.text.diff import NOISE_TYPES, Change, ChangeType, DiffResult
from archive.text.numbers import find_quantities

_RED, _GREEN, _BOLD, _DIM, _RESET = "\033[31m", "\033[32m", "\033[1m", "\033[2m", "\033[0m"
_SIGN = {
    ChangeType.ADDED: "+",
    ChangeType.REMOVED: "-",
    ChangeType.MODIFIED: "~",
    ChangeType.MOVED: ">",
    ChangeType.SPLIT: "<",
    ChangeType.MERGED: ">",
    ChangeType.NUMBER_CHANGED: "#",
    ChangeType.TARGET_ADDED: "#",
    ChangeType.TARGET_REMOVED: "#",
    ChangeType.YEAR_ROLLOVER: ".",
    ChangeType.NOISE: ".",
    ChangeType.SCRIPT_ONLY: ".",
}
LABELS: dict[str, dict[ChangeType, str]] = {
    "zh": {
        ChangeType.ADDED: "新增",
        ChangeType.REMOVED: "删除",
        ChangeType.MODIFIED: "修改",
        ChangeType.MOVED: "移动",
        ChangeType.SPLIT: "拆分",
        ChangeType.MERGED: "合并",
        ChangeType.NUMBER_CHANGED: "指标变化",
        ChangeType.TARGET_ADDED: "新增指标",
        ChangeType.TARGET_REMOVED: "删除指标",
        ChangeType.YEAR_ROLLOVER: "年份顺延",
        ChangeType.NOISE: "格式变化",
        ChangeType.SCRIPT_ONLY: "繁简变化",
    },
    "en": {
        ChangeType.ADDED: "added",
        ChangeType.REMOVED: "removed",
        ChangeType.MODIFIED: "reworded",
        ChangeType.MOVED: "moved",
        ChangeType.SPLIT: "split",
        ChangeType.MERGED: "merged",
        ChangeType.NUMBER_CHANGED: "target changed",
        ChangeType.TARGET_ADDED: "new target",
        ChangeType.TARGET_REMOVED: "dropped target",
        ChangeType.YEAR_ROLLOVER: "year rollover",
        ChangeType.NOISE: "formatting",
        ChangeType.SCRIPT_ONLY: "script only",
    },
}
# Sentences added to or dropped from an item that stays: said apart from whole items.
_SENTENCE_LABEL = {
    "zh": {ChangeType.ADDED: "新增语句", ChangeType.REMOVED: "删除语句"},
    "en": {ChangeType.ADDED: "sentence added", ChangeType.REMOVED: "sentence removed"},
}
_WORDS = {
    "zh": {
        "substantive": "有实质变化",
        "not substantive": "无实质变化",
        "similarity": "相似度",
        "changes": "处变化",
        "title": "标题",
        "preamble": "正文第{n}段",
        "rollover": "年份、日期、届次随年度顺延 {n} 处(如 {old} → {new})",
        "old": "原文",
        "new": "新文",
    },
    "en": {
        "substantive": "substantive",
        "not substantive": "not substantive",
        "similarity": "similarity",
        "changes": "change(s)",
        "title": "title",
        "preamble": "paragraph {n}",
        "rollover": "{n} years, dates and session numbers advanced with the plan year "
        "(e.g. {old} → {new})",
        "old": "old",
        "new": "new",
    },
}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|>~-])")
_HIGHLIGHT_MAX = 4_000_000  # characters² worth a character diff
_CLIP_STOPS = "。；;!?！？，,、"


def label(change: Change, lang: str = "zh") -> str:
    """The reader's name for a change's type (Chinese by default)."""
    kind = ChangeType(change.type)
    if kind in (ChangeType.ADDED, ChangeType.REMOVED) and change.old_section and change.new_section:
        return _SENTENCE_LABEL[_lang(lang)][kind]
    return LABELS[_lang(lang)][kind]


def _lang(lang: str) -> str:
    return lang if lang in LABELS else "zh"


def path_label(path: str | None, lang: str = "zh") -> str:
    """A section path as a reader says it: 标题, 正文第3段, 二.(三).2."""
    if not path:
        return "-"
    words = _WORDS[_lang(lang)]
    if path == "title":
        return words["title"]
    if path.startswith("preamble."):
        return words["preamble"].format(n=path.removeprefix("preamble."))
    return path


def where(change: Change, lang: str = "zh") -> str:
    """Old and new place of a change ("四.17 → 三.16" when they differ)."""
    old = change.old_section
    new = change.new_section or change.section
    if old and new and old != new:
        return f"{path_label(old, lang)} → {path_label(new, lang)}"
    return path_label(new or old or change.section, lang)


def rollover_line(change: Change, lang: str = "zh") -> str:
    """The one line a folded year rollover is shown as."""
    return _WORDS[_lang(lang)]["rollover"].format(
        n=change.count, old=change.old_value, new=change.new_value
    )


def _summary(result: DiffResult, lang: str = "zh") -> str:
    words = _WORDS[_lang(lang)]
    kind = words["substantive"] if result.substantive else words["not substantive"]
    count = len(result.changes)
    if lang == "en":
        return f"{kind}, {words['similarity']} {result.similarity:.1%}, {count} {words['changes']}"
    return f"{kind},{words['similarity']} {result.similarity:.1%},{count} {words['changes']}"


def clip(text: str, limit: int = 400) -> str:
    """One line of at most about ``limit`` characters, cut at a clause end, never inside a
    number: a figure is shown whole or not at all."""
    text = text.replace("\n", " ⏎ ")
    if len(text) <= limit:
        return text
    cut = max(text.rfind(ch, 0, limit) for ch in _CLIP_STOPS)
    cut = cut + 1 if cut >= limit // 2 else limit
    for q in find_quantities(text[: cut + 40]):
        if q.start < cut < q.end:
            cut = q.start
    return text[:cut] + "…"


def changed_spans(old: str, new: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans of ``old`` and ``new`` that differ, widened to whole numbers (with unit) and
    whole Latin words, and joined across a single unchanged character."""
    if not old or not new or len(old) * len(new) > _HIGHLIGHT_MAX:
        return ([(0, len(old))] if old else []), ([(0, len(new))] if new else [])
    mark_o, mark_n = [False] * len(old), [False] * len(new)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            mark_o[i1:i2] = [True] * (i2 - i1)
            mark_n[j1:j2] = [True] * (j2 - j1)
    return _widen(old, mark_o), _widen(new, mark_n)


def _widen(text: str, mark: list[bool]) -> list[tuple[int, int]]:
    for q in find_quantities(text):
        if any(mark[q.start : q.end]):
            mark[q.start : q.end] = [True] * (q.end - q.start)
    for m in re.finditer(r"[A-Za-z0-9_.]+", text):
        if any(mark[m.start() : m.end()]):
            mark[m.start() : m.end()] = [True] * (m.end() - m.start())
    for i in range(1, len(text) - 1):  # one unchanged character between two changes
        if not mark[i] and mark[i - 1] and mark[i + 1]:
            mark[i] = True
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for i, on in enumerate([*mark, False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            spans.append((start, i))
            start = None
    return spans


def _mark(text: str, spans: list[tuple[int, int]], wrap: Callable[[str], str], esc) -> str:  # type: ignore[no-untyped-def]
    out, last = [], 0
    for a, b in spans:
        out.append(esc(text[last:a]))
        out.append(wrap(esc(text[a:b])))
        last = b
    out.append(esc(text[last:]))
    return "".join(out)


def _pair_texts(c: Change, limit: int) -> tuple[str, str]:
    return clip(c.old_text, limit), clip(c.new_text, limit)


def render_text(
    result: DiffResult,
    *,
    old_label: str = "old",
    new_label: str = "new",
    color: bool = False,
    lang: str = "zh",
) -> str:
    """Plain text, one block per change, changed words marked ([-…-] / {+…+}, or colours)."""
    bold, reset = (_BOLD, _RESET) if color else ("", "")
    lines = [f"{bold}--- {old_label}{reset}", f"{bold}+++ {new_label}{reset}"]
    lines.append(_summary(result, lang))
    for c in result.changes:
        lines.append("")
        lines.extend(change_lines(c, lang=lang, color=color))
    return "\n".join(lines) + "\n"


def change_lines(
    c: Change, *, lang: str = "zh", color: bool = False, indent: str = ""
) -> list[str]:
    """The text lines of one change (head, then the old and new text with marked words)."""
    red, green, bold, dim, reset = (_RED, _GREEN, _BOLD, _DIM, _RESET) if color else ("",) * 5
    kind = ChangeType(c.type)
    head = f"{indent}{_SIGN.get(kind, '?')} {label(c, lang)} [{where(c, lang)}]"
    if kind is ChangeType.YEAR_ROLLOVER:
        return [f"{dim}{indent}{_SIGN[kind]} {rollover_line(c, lang)}{reset}"]
    if c.old_value is not None or c.new_value is not None:
        head += f" {red}{c.old_value or '—'}{reset} → {green}{c.new_value or '—'}{reset}"
    out = [f"{bold}{head}{reset}"]
    if kind in (ChangeType.MOVED, ChangeType.SPLIT, ChangeType.MERGED):
        out.append(f"{indent}  {dim}{clip(c.old_text, 200)} → {clip(c.new_text, 200)}{reset}")
        return out
    old, new = _pair_texts(c, 400)
    so, sn = changed_spans(old, new) if old and new else ([], [])
    if color:
        wo, wn = (lambda s: f"{_BOLD}{s}{_RESET}{_RED}"), (lambda s: f"{_BOLD}{s}{_RESET}{_GREEN}")
    else:
        wo, wn = (lambda s: f"[-{s}-]"), (lambda s: f"{{+{s}+}}")
    if old:
        out.append(f"{indent}  {red}- {_mark(old, so, wo, str)}{reset}")
    if new:
        out.append(f"{indent}  {green}+ {_mark(new, sn, wn, str)}{reset}")
    return out


def md_escape(text: str) -> str:
    """Text made inert for Markdown: HTML escaped, Markdown punctuation backslashed, one line."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text.replace("\n", " "), quote=False))


def change_markdown(c: Change, *, lang: str = "zh") -> list[str]:
    """The Markdown list entry of one change (changed words as ~~old~~ and **new**)."""
    kind = ChangeType(c.type)
    if kind is ChangeType.YEAR_ROLLOVER:
        return [f"- {md_escape(rollover_line(c, lang))}"]
    entry = f"- **{label(c, lang)}** `{where(c, lang).replace('`', '')}`"
    if c.old_value is not None or c.new_value is not None:
        entry += f": {md_escape(c.old_value or '—')} → {md_escape(c.new_value or '—')}"
    out = [entry]
    words = _WORDS[_lang(lang)]
    if kind in (ChangeType.MOVED, ChangeType.SPLIT, ChangeType.MERGED):
        out.append(f"  - {md_escape(clip(c.old_text, 200))} → {md_escape(clip(c.new_text, 200))}")
        return out
    old, new = _pair_texts(c, 400)
    so, sn = changed_spans(old, new) if old and new else ([], [])
    if old:
        out.append(f"  - {words['old']}: {_mark(old, so, lambda s: f'~~{s}~~', md_escape)}")
    if new:
        out.append(f"  - {words['new']}: {_mark(new, sn, lambda s: f'**{s}**', md_escape)}")
    return out


def render_markdown(
    result: DiffResult,
    *,
    old_label: str = "old",
    new_label: str = "new",
    color: bool = False,
    lang: str = "zh",
) -> str:
    """Markdown: a summary line, then one list entry per change (page text escaped)."""
    lines = [
        f"## {md_escape(old_label)} → {md_escape(new_label)}",
        "",
        f"*{_summary(result, lang)}*",
        "",
    ]
    for c in result.changes:
        lines.extend(change_markdown(c, lang=lang))
    return "\n".join(lines) + "\n"


HTML_CSS = """body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}
td.old{background:#fff5f5}td.new{background:#f5fff5}del{background:#fbb;text-decoration:none}
ins{background:#bfb;text-decoration:none}.type{white-space:nowrap;font-weight:bold}
.quiet{color:#888}.summary{font-size:1.1em}.summary b{margin-right:1em}"""


def _highlight(old: str, new: str) -> tuple[str, str]:
    """Both texts escaped, with the words that differ wrapped in <del>/<ins>."""
    if not old or not new:
        return html.escape(old), html.escape(new)
    so, sn = changed_spans(old, new)
    return (
        _mark(old, so, lambda s: f"<del>{s}</del>", html.escape),
        _mark(new, sn, lambda s: f"<ins>{s}</ins>", html.escape),
    )


def change_row(c: Change, *, lang: str = "zh") -> str:
    """One table row of the HTML view (page text escaped)."""
    esc = html.escape
    kind = ChangeType(c.type)
    if kind is ChangeType.YEAR_ROLLOVER:
        return (
            f'<tr class="quiet {kind.value}"><td colspan=4>{esc(rollover_line(c, lang))}</td></tr>'
        )
    if kind in (ChangeType.MOVED, ChangeType.SPLIT, ChangeType.MERGED):
        old, new = esc(clip(c.old_text, 200)), esc(clip(c.new_text, 200))
    else:
        old, new = _highlight(*_pair_texts(c, 1000))
    text = esc(label(c, lang))
    if c.old_value is not None or c.new_value is not None:
        text += f"<br>{esc(c.old_value or '—')} → {esc(c.new_value or '—')}"
    quiet = " quiet" if kind in NOISE_TYPES else ""
    return (
        f'<tr class="{kind.value}{quiet}"><td class=type>{text}</td><td>{esc(where(c, lang))}</td>'
        f'<td class="old">{old}</td><td class="new">{new}</td></tr>'
    )


def html_fragment(
    result: DiffResult, *, old_label: str = "old", new_label: str = "new", lang: str = "zh"
) -> str:
    """The diff as an HTML fragment (summary + side-by-side table), for embedding in a page."""
    esc = html.escape
    words = _WORDS[_lang(lang)]
    head = "变化" if _lang(lang) == "zh" else "change"
    place = "位置" if _lang(lang) == "zh" else "section"
    rows = "".join(change_row(c, lang=lang) for c in result.changes)
    return (
        f"<p>{esc(_summary(result, lang))}</p>"
        f"<table><tr><th>{head}</th><th>{place}</th>"
        f"<th>{esc(old_label or words['old'])}</th><th>{esc(new_label or words['new'])}</th></tr>"
        + rows
        + "</table>"
    )


def html_page(title: str, body: str, *, lang: str = "zh") -> str:
    """A self-contained HTML page around ``body`` (``title`` is escaped here; body must be)."""
    esc_title = html.escape(title)
    code = "en" if lang == "en" else "zh"
    return (
        f'<!DOCTYPE html>\n<html lang="{code}"><head><meta charset="utf-8">'
        f"<title>{esc_title}</title><style>{HTML_CSS}</style></head><body>"
        f"<h1>{esc_title}</h1>{body}</body></html>\n"
    )


def render_html(
    result: DiffResult,
    *,
    old_label: str = "old",
    new_label: str = "new",
    color: bool = False,
    lang: str = "zh",
) -> str:
    """A self-contained HTML page: one table row per change, old and new side by side."""
    return html_page(
        f"{old_label} → {new_label}",
        html_fragment(result, old_label=old_label, new_label=new_label, lang=lang),
        lang=lang,
    )


def render_json(
    result: DiffResult,
    *,
    old_label: str = "old",
    new_label: str = "new",
    color: bool = False,
    lang: str = "zh",
) -> str:
    """The JSON shape of :meth:`DiffResult.to_dict` (labels are not part of it)."""
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"


RENDERERS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
}


def render_diff(
    result: DiffResult,
    fmt: str,
    *,
    old_label: str = "old",
    new_label: str = "new",
    color: bool = False,
    lang: str = "zh",
) -> str:
    """Render ``result`` with the renderer registered as ``fmt`` (labels in ``lang``)."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        choices = ", ".join(sorted(RENDERERS))
        raise ValueError(f"diff format: unknown {fmt!r} (choose one of {choices})") from None
    return renderer(result, old_label=old_label, new_label=new_label, color=color, lang=lang)
