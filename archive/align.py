"""Alignment: which piece of the old text became which piece of the new one.

Cheap passes first, so cost stays close to linear in the text length:

1. exact: identical comparison keys (marker stripped, so renumbered items match here);
2. digits masked: the same text with other numbers (40处 → 50处);
3. local: leftovers between the same two anchors, scored with rapidfuzz, at a low bar:
   a heavily reworded item under the same heading stays one piece, not removed + added;
4. global: the few leftovers that remain, against each other at a high bar: moves.

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

from rapidfuzz import fuzz, process

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_LEAD_MIN = 4  # a lead phrase shorter than this is not evidence
_LEAD_BONUS = 30.0  # score added when item heading phrases match
_WINDOW = 40  # neighbours scored on each side when a gap is long


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
    _match_local(old, new, match, score, local_cutoff, lead_cutoff)
    _match_global(old, new, match, score, move_cutoff)
    moved = _find_moved(old, new, match)
    pairs = sorted(
        (Pair(o, n, score[o], o in moved) for o, n in match.items()), key=lambda p: p.new
    )
    taken = set(match.values())
    return Alignment(
        pairs=tuple(pairs),
        removed=tuple(o for o in range(len(old)) if o not in match),
        added=tuple(n for n in range(len(new)) if n not in taken),
    )


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
    anchors = _increasing(sorted(match.items()))
    bounds = [(-1, -1), *anchors, (len(old), len(new))]
    taken = set(match.values())
    for (o1, n1), (o2, n2) in pairwise(bounds):
        olds = [o for o in range(o1 + 1, o2) if o not in match and old[o].key]
        news = [n for n in range(n1 + 1, n2) if n not in taken and new[n].key]
        if not olds or not news:
            continue
        candidates = []
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


def _take_best(candidates, match, score, taken) -> None:  # type: ignore[no-untyped-def]
    for s, o, n in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if o not in match and n not in taken:
            match[o] = n
            score[o] = min(s, 100.0)
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
        keep = set(_increasing(members))
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


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
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
