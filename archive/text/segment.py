"""Segmentation: a policy text → its pieces (title, preamble, sections, items) with paths.

A path names where a piece sits, built from the markers of its ancestors: "二" is the
section 二、, "二.(三).2" item 2. under sub-item (三) of section 二, "preamble.1" the first
unmarked paragraph before any section. A paragraph without a marker continues the piece
above it, so a numbered item keeps its follow-on paragraphs and moves as one. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive.text.normalize import normalize

_CN = "〇零一二两三四五六七八九十百"

# (level, kind, pattern) from outermost to innermost; the first match wins. Levels order
# the nesting: a marker closes every open piece of its own level or deeper.
_MARKERS: tuple[tuple[int, str, re.Pattern[str]], ...] = (
    (0, "chapter", re.compile(rf"^(第[{_CN}\d]+(?:章|部分|编))\s*")),
    (1, "section", re.compile(rf"^([{_CN}]+)\s*[、.](?![{_CN}]+(?:年级|、))\s*")),
    (2, "subsection", re.compile(rf"^\(([{_CN}]+)\)\s*")),
    # 14.2025年… is item 14 about 2025, not the number 14.2025
    (3, "item", re.compile(r"^(\d{1,4})\s*(?:[、]|\.(?!\d)|\.(?=\d{4}年))\s*")),
    (3, "item", re.compile(rf"^(第[{_CN}\d]+条)\s*")),
    (4, "subitem", re.compile(r"^\((\d{1,3})\)\s*")),
    (5, "point", re.compile(r"^([\u2460-\u2473])\s*")),
)
_TITLE_MAX = 80  # a first line longer than this is a paragraph, not a title

# A sentence ends at 。！？；(or ! ? ;) plus any closing quotes/brackets, or at a line end.
_SENTENCE = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+[”’\"'」』)\]》]*|\n|$)")
_CLAUSE_END = frozenset("。！？!?；;，,：:\n")


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of a policy text: a heading or item with its continuation paragraphs."""

    index: int
    path: str  # "二.7", "二.(三).2", "preamble.1", "title"
    kind: str  # title | preamble | chapter | section | subsection | item | subitem | point
    level: int  # nesting depth of the marker; -1 for title and preamble
    marker: str  # the marker as written ("7.", "(三)"); "" when unmarked
    text: str  # normalized text, marker included, paragraphs joined by "\n"
    body: str  # text without the marker: what alignment compares, so renumbering is free
    parent: int | None  # index of the enclosing heading, None at top level


def _match_marker(line: str) -> tuple[int, str, str, str] | None:
    for level, kind, pattern in _MARKERS:
        m = pattern.match(line)
        if m and len(line) > m.end():
            label = m.group(1)
            if kind in ("subsection", "subitem"):
                label = f"({label})"
            return level, kind, label, line[: m.end()]
    return None


def segment(text: str) -> list[Segment]:
    """Split a text (title line? + one paragraph per line) into segments with paths."""
    lines = normalize(text).split("\n") if text.strip() else []
    raw: list[list] = []  # [path, kind, level, marker, lines, parent]
    stack: list[tuple[int, str, int]] = []  # (level, label, raw index) of open headings
    seen: dict[str, int] = {}
    preamble = 0
    for n, line in enumerate(lines):
        found = _match_marker(line)
        if found is None:
            if raw and raw[-1][1] not in ("title", "preamble"):
                raw[-1][4].append(line)
                continue
            if n == 0 and len(lines) > 1 and len(line) <= _TITLE_MAX:
                raw.append(["title", "title", -1, "", [line], None])
            else:
                preamble += 1
                raw.append([f"preamble.{preamble}", "preamble", -1, "", [line], None])
            continue
        level, kind, label, marker = found
        while stack and stack[-1][0] >= level:
            stack.pop()
        path = ".".join([*(lab for _, lab, _ in stack), label])
        seen[path] = seen.get(path, 0) + 1
        if seen[path] > 1:  # a restarted list under the same parent: keep paths unique
            path = f"{path}#{seen[path]}"
        parent = stack[-1][2] if stack else None
        stack.append((level, label, len(raw)))
        raw.append([path, kind, level, marker, [line], parent])
    segments = []
    for i, (path, kind, level, marker, body_lines, parent) in enumerate(raw):
        full = "\n".join(body_lines)
        segments.append(Segment(i, path, kind, level, marker, full, full[len(marker) :], parent))
    return segments


def split_sentences(text: str) -> list[str]:
    """Split Chinese text into sentences (ending punctuation kept); never on whitespace."""
    return [s for s in _SENTENCE.findall(text) if s]


def clause_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``text[start:end]`` to the clause(s) around it (between ，；。 and the like)."""
    lo = start
    while lo > 0 and text[lo - 1] not in _CLAUSE_END:
        lo -= 1
    hi = max(end, lo)
    while hi < len(text) and text[hi] not in _CLAUSE_END:
        hi += 1
    if hi < len(text) and text[hi] != "\n":
        hi += 1  # keep the clause's own punctuation
    return lo, hi
