"""Renderers for a :class:`~archive.diff.DiffResult`, chosen by name from :data:`RENDERERS`.

``text`` (ANSI colours on request), ``markdown``, ``html`` (self-contained, side by side)
and ``json``. Page text is untrusted: the markup renderers escape every character of it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from difflib import SequenceMatcher

from archive.diff import Change, DiffResult

_RED, _GREEN, _BOLD, _DIM, _RESET = "\033[31m", "\033[32m", "\033[1m", "\033[2m", "\033[0m"
_SIGN = {
    "added": "+",
    "removed": "-",
    "modified": "~",
    "moved": ">",
    "number_changed": "#",
    "noise": ".",
    "script_only": ".",
}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|>~-])")
_HIGHLIGHT_MAX = 4_000_000  # characters² worth a character diff in the HTML view


def _where(change: Change) -> str:
    if change.old_section and change.old_section != change.section:
        return f"{change.old_section} → {change.section}"
    return change.section or "-"


def _summary(result: DiffResult) -> str:
    kind = "substantive" if result.substantive else "not substantive"
    return f"{kind}, similarity {result.similarity:.1%}, {len(result.changes)} change(s)"


def render_text(
    result: DiffResult, *, old_label: str = "old", new_label: str = "new", color: bool = False
) -> str:
    """Plain text, one block per change; ANSI colours when ``color``."""
    red, green, bold, dim, reset = (_RED, _GREEN, _BOLD, _DIM, _RESET) if color else ("",) * 5
    lines = [f"{bold}--- {old_label}{reset}", f"{bold}+++ {new_label}{reset}", _summary(result)]
    for c in result.changes:
        head = f"{_SIGN.get(c.type, '?')} {c.type} [{_where(c)}]"
        if c.old_value is not None:
            head += f" {red}{c.old_value}{reset} → {green}{c.new_value}{reset}"
        lines.append("")
        lines.append(f"{bold}{head}{reset}" if c.old_value is None else head)
        if c.type == "moved":
            lines.append(f"  {dim}{_clip(c.new_text)}{reset}")
            continue
        if c.old_text:
            lines.append(f"  {red}- {_clip(c.old_text)}{reset}")
        if c.new_text:
            lines.append(f"  {green}+ {_clip(c.new_text)}{reset}")
    return "\n".join(lines) + "\n"


def _clip(text: str, limit: int = 400) -> str:
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_escape(text: str) -> str:
    """Text made inert for Markdown: HTML escaped, Markdown punctuation backslashed, one line."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text.replace("\n", " "), quote=False))


def render_markdown(
    result: DiffResult, *, old_label: str = "old", new_label: str = "new", color: bool = False
) -> str:
    """Markdown: a summary line, then one list entry per change (page text escaped)."""
    lines = [
        f"## Changes: {md_escape(old_label)} → {md_escape(new_label)}",
        "",
        f"*{_summary(result)}*",
        "",
    ]
    for c in result.changes:
        entry = f"- **{c.type}** `{_where(c).replace('`', '')}`"
        if c.old_value is not None:
            entry += f": {md_escape(c.old_value)} → {md_escape(c.new_value or '')}"
        lines.append(entry)
        if c.type == "moved":
            lines.append(f"  - {md_escape(_clip(c.new_text, 200))}")
            continue
        if c.old_text:
            lines.append(f"  - old: {md_escape(_clip(c.old_text))}")
        if c.new_text:
            lines.append(f"  - new: {md_escape(_clip(c.new_text))}")
    return "\n".join(lines) + "\n"


HTML_CSS = """body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}
td.old{background:#fff5f5}td.new{background:#f5fff5}del{background:#fbb;text-decoration:none}
ins{background:#bfb;text-decoration:none}.type{white-space:nowrap;font-weight:bold}
.quiet{color:#888}"""


def _highlight(old: str, new: str) -> tuple[str, str]:
    """Both texts escaped, with the characters that differ wrapped in <del>/<ins>."""
    if not old or not new or len(old) * len(new) > _HIGHLIGHT_MAX:
        return html.escape(old), html.escape(new)
    a, b = [], []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        x, y = html.escape(old[i1:i2]), html.escape(new[j1:j2])
        if tag == "equal":
            a.append(x)
            b.append(y)
            continue
        if x:
            a.append(f"<del>{x}</del>")
        if y:
            b.append(f"<ins>{y}</ins>")
    return "".join(a), "".join(b)


def html_fragment(result: DiffResult, *, old_label: str = "old", new_label: str = "new") -> str:
    """The diff as an HTML fragment (summary + side-by-side table), for embedding in a page."""
    esc = html.escape
    rows = []
    for c in result.changes:
        old, new = _highlight(c.old_text, c.new_text)
        if c.type == "moved":
            old, new = esc(c.old_text), esc(c.new_text)
        label = esc(c.type)
        if c.old_value is not None:
            label += f"<br>{esc(c.old_value)} → {esc(c.new_value or '')}"
        quiet = ' class="quiet"' if c.type in ("noise", "script_only") else ""
        rows.append(
            f"<tr{quiet}><td class=type>{label}</td><td>{esc(_where(c))}</td>"
            f'<td class="old">{old}</td><td class="new">{new}</td></tr>'
        )
    return (
        f"<p>{esc(_summary(result))}</p>"
        "<table><tr><th>change</th><th>section</th>"
        f"<th>{esc(old_label)}</th><th>{esc(new_label)}</th></tr>" + "".join(rows) + "</table>"
    )


def html_page(title: str, body: str) -> str:
    """A self-contained HTML page around ``body`` (``title`` is escaped here; body must be)."""
    esc_title = html.escape(title)
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>{esc_title}</title><style>{HTML_CSS}</style></head><body>"
        f"<h1>{esc_title}</h1>{body}</body></html>\n"
    )


def render_html(
    result: DiffResult, *, old_label: str = "old", new_label: str = "new", color: bool = False
) -> str:
    """A self-contained HTML page: one table row per change, old and new side by side."""
    return html_page(
        f"{old_label} → {new_label}",
        html_fragment(result, old_label=old_label, new_label=new_label),
    )


def render_json(
    result: DiffResult, *, old_label: str = "old", new_label: str = "new", color: bool = False
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
) -> str:
    """Render ``result`` with the renderer registered as ``fmt``."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        choices = ", ".join(sorted(RENDERERS))
        raise ValueError(f"diff format: unknown {fmt!r} (choose one of {choices})") from None
    return renderer(result, old_label=old_label, new_label=new_label, color=color)
