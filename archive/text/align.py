"""Alignment: which piece of the old text became which piece of the new one.

Cheap passes first, so cost stays close to linear in the text length:

1. exact: identical comparison keys (marker stripped, so renumbered items match here);
2. digits masked: the same text with other numbers (40处 → 50处);
3. similar: level by level from the outermost, the leftovers of one level against each
   other anywhere in the text, scored by what they are about (a TF-IDF cosine of character
   bigrams, found through an inverted index so cost stays near-linear) plus how alike their
   heading phrases are, plus a bonus when their parents were paired; the best pairs are
   taken first. A real plan renumbers, reorders and rewords its items from one year to the
   next: a whole-text ratio falls under any fixed cut-off there, the topic does not;
4. splits and merges: a leftover that scores well against a piece already paired is the
   other half of a split (one old item became two) or a merge (two became one).

A matched pair is *moved* when its heading changed or its order among its siblings did.
Pure: takes keys, returns indices.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from math import log, sqrt

from rapidfuzz import fuzz, process

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_LEAD_MIN = 4  # a lead phrase shorter than this is not evidence
_LEAD_BONUS = 30.0  # score added when item heading phrases match
_WINDOW = 40  # neighbours scored on each side when a gap is long
# Measured on the six real pairs (benchmarks/eval_diff_real.py): true counterparts score
# 0.38-1.5, the best wrong candidate of a piece without counterpart 0.05-0.27.
SIMILAR_ACCEPT = 0.3
_LEAD_WEIGHT = 0.5  # weight of the heading-phrase ratio (0..1) added to the cosine
_PARENT_BONUS = 0.1  # both parents paired with each other: the same place in the outline
SIMILAR_FLOOR = 0.2  # mutual best under paired headings, and merged parts
_SPLIT_SHARE = 0.6  # a split-off part scores at least this share of the main part
_PART_COSINE = 0.1  # a split or merged part shares its topic, not only its heading
_CANDIDATES = 10
_EXACT_MAX = 600  # leftovers up to this many are scored against each other exactly
_SIGNATURE = 12  # else: heaviest bigrams per piece, and pieces per bigram, looked up
_POSTING_CAP = 200  # a bigram in more pieces than this says nothing about a piece's topic


@dataclass(frozen=True, slots=True)
class Unit:
    """What alignment needs to know about one segment."""

    key: str  # comparison key of the body (no marker, no spaces, simplified)
    level: int  # nesting level; -1 for title and preamble
    parent: int | None  # index of the enclosing heading on the same side
    lead: str = ""  # the item's heading phrase (text up to the first 。), if any


@dataclass(frozen=True, slots=True)
class Pair:
    """An old piece matched to a new one."""

    old: int
    new: int
    score: float  # 0..100, 100 for identical keys
    moved: bool


@dataclass(frozen=True, slots=True)
class Alignment:
    """The result: pairs in new-text order, and what only one side has."""

    pairs: tuple[Pair, ...]
    removed: tuple[int, ...]
    added: tuple[int, ...]
    merged: tuple[tuple[int, int], ...] = ()  # (old, new): old joined a new piece paired elsewhere
    split: tuple[tuple[int, int], ...] = ()  # (old, new): new is a part split off a paired old


def align(
    old: Sequence[Unit],
    new: Sequence[Unit],
    *,
    local_cutoff: float = 35.0,
    move_cutoff: float = 60.0,
    lead_cutoff: float = 85.0,
) -> Alignment:
    """Match the units of two versions; see the module docstring for the passes."""
    match: dict[int, int] = {}
    score: dict[int, float] = {}
    _match_by_hash(old, new, match, score, lambda u: u.key)
    _match_by_hash(old, new, match, score, lambda u: _DIGITS.sub("#", u.key), value=99.0)
    scorer = _Similar(old, new, match)
    for level in sorted({u.level for u in old} | {u.level for u in new}):
        scorer.match_level(level, match, score)
    _match_global(old, new, match, score, move_cutoff)
    merged, split = scorer.parts(match)
    moved = _find_moved(old, new, match)
    pairs = sorted(
        (Pair(o, n, score[o], o in moved) for o, n in match.items()), key=lambda p: p.new
    )
    taken = set(match.values())
    joined_o, joined_n = {o for o, _ in merged}, {n for _, n in split}
    return Alignment(
        pairs=tuple(pairs),
        removed=tuple(o for o in range(len(old)) if o not in match and o not in joined_o),
        added=tuple(n for n in range(len(new)) if n not in taken and n not in joined_n),
        merged=tuple(merged),
        split=tuple(split),
    )


def _bigrams(key: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for i in range(len(key) - 1):
        pair = key[i : i + 2]
        if "\n" not in pair:
            out[pair] += 1
    return out


def _lead_key(unit: Unit) -> str:
    return _DIGITS.sub("#", unit.lead)


class _Similar:
    """The "similar" and "splits and merges" passes (see the module docstring)."""

    def __init__(self, old: Sequence[Unit], new: Sequence[Unit], match: dict[int, int]) -> None:
        self.old, self.new = old, new
        taken = set(match.values())
        # Only leftovers are compared; their bigram statistics are what tells topics apart.
        self.free_o = [o for o in range(len(old)) if o not in match and old[o].key]
        self.free_n = [n for n in range(len(new)) if n not in taken and new[n].key]
        counts_o = {o: _bigrams(old[o].key) for o in self.free_o}
        counts_n = {n: _bigrams(new[n].key) for n in self.free_n}
        df: dict[str, int] = defaultdict(int)
        for counts in (*counts_o.values(), *counts_n.values()):
            for gram in counts:
                df[gram] += 1
        total = len(counts_o) + len(counts_n)
        cap = max(20, min(total // 4, _POSTING_CAP))
        # A heading is compared by everything under it: "2025年重点工作" with ten task items
        # is "2026年重点工作" with its ten, whatever a short preamble of either says.
        keep = None if total <= _EXACT_MAX else _SIGNATURE * 4  # many leftovers: a sketch
        self.vec_o = {
            o: _weigh(c, df, total, cap, keep) for o, c in _subtrees(old, counts_o).items()
        }
        self.vec_n = {
            n: _weigh(c, df, total, cap, keep) for n, c in _subtrees(new, counts_n).items()
        }
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for n, vec in self.vec_n.items():
            for gram, w in vec.items():
                self.postings[gram].append((n, w))
        self.best: dict[int, list[tuple[float, int, float]]] = {}  # old → [(score, new, cos)]
        # A heading phrase many pieces share (工作任务#落实, 主要措施) says nothing about
        # which piece is which: only a phrase unique on both sides counts.
        lead_o: dict[str, int] = defaultdict(int)
        lead_n: dict[str, int] = defaultdict(int)
        for u in old:
            lead_o[_lead_key(u)] += 1
        for u in new:
            lead_n[_lead_key(u)] += 1
        self.distinct_o = {i for i, u in enumerate(old) if u.lead and lead_o[_lead_key(u)] == 1}
        self.distinct_n = {i for i, u in enumerate(new) if u.lead and lead_n[_lead_key(u)] == 1}

    def _cosines(self, o: int) -> dict[int, float]:
        vec = self.vec_o.get(o, {})
        if len(self.vec_o) + len(self.vec_n) <= _EXACT_MAX:
            dots: dict[int, float] = defaultdict(float)
            for gram, w in vec.items():
                for n, wn in self.postings.get(gram, ()):
                    dots[n] += w * wn
            return dots
        # Many leftovers (two texts that share little): candidates come from the piece's
        # few heaviest bigrams only, so the pass stays linear in the text.
        heavy = sorted(vec, key=vec.__getitem__, reverse=True)[:_SIGNATURE]
        found = {n for g in heavy for n, _ in self.postings.get(g, ())[:_SIGNATURE]}
        return {n: _dot(vec, self.vec_n[n]) for n in found}

    def score(self, o: int, n: int, cos: float, match: dict[int, int]) -> float:
        a, b = self.old[o], self.new[n]
        s = cos
        if o in self.distinct_o and n in self.distinct_n:
            s += _LEAD_WEIGHT * fuzz.ratio(_lead_key(a), _lead_key(b)) / 100
        if (a.parent is None and b.parent is None) or (
            a.parent is not None and match.get(a.parent, -1) == b.parent
        ):
            s += _PARENT_BONUS
        return s

    def match_level(self, level: int, match: dict[int, int], score: dict[int, float]) -> None:
        taken = set(match.values())
        olds = [o for o in self.free_o if o not in match and self.old[o].level == level]
        news = {n for n in self.free_n if n not in taken and self.new[n].level == level}
        if not olds or not news:
            return
        candidates: list[tuple[float, int, int]] = []
        for o in olds:
            cos = {n: c for n, c in self._cosines(o).items() if n in news}
            top = sorted(cos.items(), key=lambda kv: -kv[1])[:_CANDIDATES]
            lead = self.old[o].lead
            if lead and len(news) <= 4 * _CANDIDATES:  # same heading, new body: still it
                top += [(n, 0.0) for n in news if n not in cos]
            scored = sorted(((self.score(o, n, c, match), n, c) for n, c in top), reverse=True)
            self.best[o] = scored
            candidates.extend((s, o, n) for s, n, _ in scored if s >= SIMILAR_ACCEPT)
        _take_best(candidates, match, score, taken, scale=100 / 1.6)
        # Below the bar, a pair is still taken when each is the other's best and both sit
        # under paired headings: an item split in two shares half its topic with each part.
        best_of_n: dict[int, tuple[float, int]] = {}
        best_of_o: dict[int, tuple[float, int]] = {}
        for o in olds:
            # Not for unmarked paragraphs (no outline to trust), nor when the piece's best
            # counterpart is already paired: then it was merged into that one.
            if o in match or level < 0 or not self.best[o] or self.best[o][0][1] in taken:
                continue
            for s, n, _ in self.best[o][:1]:
                if n in taken or s < SIMILAR_FLOOR or not self._same_parent(o, n, match):
                    continue
                if s > best_of_o.get(o, (0.0, -1))[0]:
                    best_of_o[o] = (s, n)
                if s > best_of_n.get(n, (0.0, -1))[0]:
                    best_of_n[n] = (s, o)
        mutual = [(s, o, n) for o, (s, n) in best_of_o.items() if best_of_n[n][1] == o]
        _take_best(mutual, match, score, taken, scale=100 / 1.6)

    def _same_parent(self, o: int, n: int, match: dict[int, int]) -> bool:
        po, pn = self.old[o].parent, self.new[n].parent
        return po == pn if po is None or pn is None else match.get(po) == pn

    def parts(self, match: dict[int, int]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(merged, split): leftovers whose best counterpart is already paired."""
        taken = {n: o for o, n in match.items()}
        merged = []
        for o, scored in self.best.items():
            if o in match:
                continue
            for s, n, cos in scored:
                # Only within the same place in the outline: a plan's review and its tasks
                # share topics without one being a part of the other.
                if (
                    s >= SIMILAR_FLOOR
                    and cos >= _PART_COSINE
                    and n in taken
                    and self._same_parent(o, n, match)
                ):
                    merged.append((o, n))
                    break
        left_n = [n for n in self.free_n if n not in taken]
        by_new: dict[int, tuple[float, int]] = {}
        for o, scored in self.best.items():
            if o not in match:
                continue
            main = next((s for s, n, _ in scored if n == match[o]), 0.0)
            for s, n, cos in scored:
                if (
                    s >= max(SIMILAR_FLOOR, _SPLIT_SHARE * main)
                    and cos >= _PART_COSINE
                    and n in left_n
                    and s > by_new.get(n, (0.0, -1))[0]
                    and self._same_parent(o, n, match)
                ):
                    by_new[n] = (s, o)
        # A part split off is closer to its source than to any other old piece.
        best_old: dict[int, float] = {}
        for scored in self.best.values():
            for s, n, _ in scored:
                best_old[n] = max(best_old.get(n, 0.0), s)
        split = sorted((o, n) for n, (s, o) in by_new.items() if s >= best_old.get(n, 0.0))
        return merged, split


def _subtrees(units: Sequence[Unit], counts: dict[int, dict[str, int]]) -> dict[int, dict]:
    """For each piece in ``counts``: its bigram counts plus those of every piece under it
    (children come after their parent, so one backward pass completes each subtree)."""
    children: dict[int, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        if u.parent is not None:
            children[u.parent].append(i)
    needed: set[int] = set()
    stack = [i for i in counts if children.get(i)]
    while stack:
        i = stack.pop()
        if i not in needed:
            needed.add(i)
            stack.extend(children.get(i, ()))
    sub: dict[int, dict[str, int]] = {}
    for i in sorted(needed, reverse=True):
        total = dict(counts[i]) if i in counts else _bigrams(units[i].key)
        for c in children.get(i, ()):
            part = sub.get(c) or counts.get(c) or _bigrams(units[c].key)
            for gram, k in part.items():
                total[gram] = total.get(gram, 0) + k
        sub[i] = total
    return {i: sub.get(i, c) for i, c in counts.items()}


def _weigh(
    counts: dict[str, int], df: dict[str, int], total: int, cap: int, keep: int | None = None
) -> dict[str, float]:
    """TF-IDF weights of a piece's bigrams, unit length; only the ``keep`` heaviest if set."""
    # A bigram only matched text has (df 0) is as rare as one seen once.
    vec = {
        g: (1 + log(t)) * log((total + 1) / max(df.get(g, 0), 1))
        for g, t in counts.items()
        if df.get(g, 0) <= cap
    }
    if keep is not None and len(vec) > keep:
        vec = dict(sorted(vec.items(), key=lambda kv: -kv[1])[:keep])
    norm = sqrt(sum(w * w for w in vec.values())) or 1.0
    return {g: w / norm for g, w in vec.items()}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(g, 0.0) for g, w in a.items())


def _match_by_hash(old, new, match, score, key_of, value=100.0) -> None:  # type: ignore[no-untyped-def]
    taken = set(match.values())
    free: dict[str, deque[int]] = defaultdict(deque)
    for n, unit in enumerate(new):
        if n not in taken and unit.key:
            free[key_of(unit)].append(n)
    for o, unit in enumerate(old):
        if o in match or not unit.key:
            continue
        queue = free.get(key_of(unit))
        if queue:
            match[o] = queue.popleft()
            score[o] = value


def _compatible(a: Unit, b: Unit) -> bool:
    # Headings pair with headings, items with items; the title and preamble with each other.
    return a.level == b.level


def _match_local(old, new, match, score, cutoff, lead_cutoff) -> None:  # type: ignore[no-untyped-def]
    anchors = increasing(sorted(match.items()))
    bounds = [(-1, -1), *anchors, (len(old), len(new))]
    taken = set(match.values())
    for (o1, n1), (o2, n2) in pairwise(bounds):
        olds = [o for o in range(o1 + 1, o2) if o not in match and old[o].key]
        news = [n for n in range(n1 + 1, n2) if n not in taken and new[n].key]
        if not olds or not news:
            continue
        candidates: list[tuple[float, int, int]] = []
        for rank, o in enumerate(olds):
            near = _window(news, rank, len(olds))
            found = dict(_scan(old[o].key, [new[n].key for n in near], near, cutoff))
            if len(old[o].lead) >= _LEAD_MIN:
                leads = [new[n].lead for n in near]
                for n, _ in _scan(old[o].lead, leads, near, lead_cutoff):
                    # Same item heading: a reworded body stays this item, and this
                    # candidate beats one that merely shares more characters.
                    found[n] = max(found.get(n, 0.0), cutoff) + _LEAD_BONUS
            candidates.extend((s, o, n) for n, s in found.items() if _compatible(old[o], new[n]))
        _take_best(candidates, match, score, taken)


def _window(news: list[int], rank: int, count: int) -> list[int]:
    # A gap is usually a handful of pieces. When two texts share almost nothing it is the
    # whole document: then look only near the same relative position, to stay linear.
    if len(news) <= 2 * _WINDOW:
        return news
    centre = rank * len(news) // count
    return news[max(0, centre - _WINDOW) : centre + _WINDOW]


def _scan(query: str, choices: list[str], ids: list[int], cutoff: float) -> list[tuple[int, float]]:
    """(id, score) of every choice scoring at least ``cutoff`` against ``query`` (one C call)."""
    hits = process.extract(query, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
    return [(ids[k], s) for _, s, k in hits]


def _match_global(old, new, match, score, cutoff) -> None:  # type: ignore[no-untyped-def]
    taken = set(match.values())
    olds = [o for o in range(len(old)) if o not in match and old[o].key]
    news = [n for n in range(len(new)) if n not in taken and new[n].key]
    if not olds or not news:
        return
    choices = [new[n].key for n in news]
    candidates = []
    for o in olds:
        # C-level scan with a cutoff: lengths alone rule most choices out.
        for _, s, k in process.extract(
            old[o].key, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5
        ):
            candidates.append((s, o, news[k]))
    _take_best(candidates, match, score, taken)


def _take_best(candidates, match, score, taken, scale=1.0) -> None:  # type: ignore[no-untyped-def]
    for s, o, n in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if o not in match and n not in taken:
            match[o] = n
            score[o] = min(s * scale, 100.0)
            taken.add(n)


def _find_moved(old: Sequence[Unit], new: Sequence[Unit], match: dict[int, int]) -> set[int]:
    """Old indices of pairs that changed heading, or order among their siblings."""
    parent_map = _parent_map(old, new, match)
    moved: set[int] = set()
    groups: dict[int | None, list[tuple[int, int]]] = defaultdict(list)
    for o, n in sorted(match.items()):
        po, pn = old[o].parent, new[n].parent
        if (parent_map.get(po) if po is not None else None) != pn:
            moved.add(o)
        else:
            groups[pn].append((o, n))
    for members in groups.values():
        keep = set(increasing(members))
        moved.update(o for o, n in members if (o, n) not in keep)
    return moved


def _parent_map(old, new, match) -> dict[int, int | None]:  # type: ignore[no-untyped-def]
    """Where each old heading went: its match, else where most of its children went."""
    votes: dict[int, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    for o, n in match.items():
        if old[o].parent is not None:
            votes[old[o].parent][new[n].parent] += 1
    result: dict[int, int | None] = {}
    for heading, tally in votes.items():
        if heading in match:
            result[heading] = match[heading]
        else:
            result[heading] = max(tally.items(), key=lambda kv: kv[1])[0]
    return result


def increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest run of pairs (sorted by old index) whose new indices also increase."""
    tails: list[int] = []  # smallest new index ending an increasing run of each length
    tail_at: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for i, (_, n) in enumerate(pairs):
        k = bisect_left(tails, n)
        if k == len(tails):
            tails.append(n)
            tail_at.append(i)
        else:
            tails[k] = n
            tail_at[k] = i
        back[i] = tail_at[k - 1] if k else -1
    out = []
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        out.append(pairs[i])
        i = back[i]
    return out[::-1]
