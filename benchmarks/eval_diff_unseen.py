"""Diff quality on a pair the diff was not tuned on: the mirror's 2022 → 2023 Binhai plan.

The 2023 plan was written by the mirror's author with its edits declared in
seeds/mirror/changes.json ("plan_edits"); the diff's own gold set was written separately.
Both pages go through the real extractor first. A reported change "explains" a declared
edit when it has the same kind (moved/added/removed) or shares the start of the edited
text; the match is loose, so read the printed lists, not only the counts.
Run: python benchmarks/eval_diff_unseen.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import json
import re

from archive.text.diff import diff_texts
from crawler.extract import extract

ROOT = Path(__file__).resolve().parents[1]
f = json.load(open(ROOT / "seeds/mirror/changes.json", encoding="utf-8"))


def page(gen, path):
    d = extract(
        open(ROOT / f"seeds/mirror/{gen}/jtj.tjbh.gov.cn/contents/9930/{path}", "rb").read()
    )
    return f"{d.title}\n{d.text}"


old = page("2022", "268903.html")
new = page("2023", "279415.html")
res = diff_texts(old, new)
changes = [c for c in res.changes if c.type not in ("noise", "script_only")]


def hits(c, e):
    if e["kind"] == "move":
        return (
            c.type == "moved"
            and (c.old_section or "").startswith("六")
            and c.section.startswith("四")
        )
    if e["kind"] == "add":
        return c.type == "added" and e["text"][:12] in c.new_text
    if e["kind"] == "remove":
        return c.type == "removed" and e["old"][:12] in c.old_text
    if c.type == "year_rollover":
        # Session counters and years that advance with the plan are folded into this one
        # record (第25届 → 第26届): it explains an edit that changes nothing else.
        masked = [re.sub(r"[\d〇一二三四五六七八九十]+", "#", e.get(k, "")) for k in ("old", "new")]
        return bool(e.get("old")) and masked[0] == masked[1]
    o, n = e.get("old", ""), e.get("new", "")

    def inn(a, b):
        return bool(a) and (a[:10] in b or (b[:10] in a and b))

    return (o and (o[:8] in c.old_text or (c.old_text and c.old_text[:8] in o))) or (
        n and (n[:8] in c.new_text or (c.new_text and c.new_text[:8] in n))
    )


found = [any(hits(c, e) for c in changes) for e in f["plan_edits"]]
explained = [any(hits(c, e) for e in f["plan_edits"]) for c in changes]
print("declared edits", len(found), "found", sum(found))
for e, ok in zip(f["plan_edits"], found, strict=True):
    if not ok:
        print("  MISSED", e)
print("reported", len(changes), "explained by a declared edit", sum(explained))
for c, ok in zip(changes, explained, strict=True):
    if not ok:
        print(
            "  UNEXPLAINED",
            c.type,
            c.section,
            c.old_text[:40],
            "->",
            c.new_text[:40],
            c.old_value,
            c.new_value,
        )
nums = [c for c in changes if c.type == "number_changed"]
print("number changes", [(c.old_value, c.new_value) for c in nums])
