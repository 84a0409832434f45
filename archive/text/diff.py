"""The diff stage: how a policy text changed between two versions, structure-aware.

Segment both texts (:mod:`archive.text.segment`), align their pieces (:mod:`archive.text.align`:
renumbered, reordered, reworded, split and merged items), then look inside each matched piece
sentence by sentence: a sentence dropped from an item is a ``removed`` sentence, a new one an
``added`` sentence (both with the item's old and new path), a reworded one a ``modified``
clause with the clause around it. A changed number is ``number_changed`` with its old and new
value, paired only with a quantity that measures the same thing (:mod:`archive.text.quantities`);
a target that appears or vanishes is ``target_added`` / ``target_removed``; years, dates and
session counters that advance with the plan are folded into one ``year_rollover``.
Everything is compared on comparison keys (:mod:`archive.text.normalize`), so whitespace,
character width, chrome and script are never substantive; they surface at most as one
``noise`` and one ``script_only`` change. Imports only stdlib and rapidfuzz (OpenCC lazily).
"""

from __future__ import annotations

import enum
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import pairwise
from math import log

from rapidfuzz import fuzz

from archive.text.align import Alignment, Unit, align, increasing
from archive.text.normalize import fold_punct, normalize, split_chrome, to_simplified
from archive.text.numbers import (
    Quantity,
    find_quantities,
    is_mask,
    mask,
    pair_quantities,
    pair_unique_units,
)
from archive.text.quantities import Kind, same_measure, same_subject, subject_of, subject_overlap
from archive.text.segment import Segment, clause_span, segment, split_sentences


class ChangeType(enum.StrEnum):
    """What happened to a piece of text; the values are the JSON's machine names."""

    ADDED = "added"  # an item, or a sentence inside an item (then both paths are set)
    REMOVED = "removed"
    MODIFIED = "modified"  # a reworded clause
    MOVED = "moved"  # an item at another place in the outline (its texts: the headings)
    SPLIT = "split"  # a new item that was split off an old one paired elsewhere
    MERGED = "merged"  # an old item joined into a new one paired elsewhere
    NUMBER_CHANGED = "number_changed"  # a target's value (old_value → new_value)
    TARGET_ADDED = "target_added"  # a target with no old counterpart
    TARGET_REMOVED = "target_removed"
    YEAR_ROLLOVER = "year_rollover"  # years/dates/session counters advanced: one record
    NOISE = "noise"
    SCRIPT_ONLY = "script_only"


CHANGE_TYPES = tuple(ChangeType)
NOISE_TYPES = frozenset({ChangeType.NOISE, ChangeType.SCRIPT_ONLY})
_LEAD_MAX = 40  # a first sentence this short is the item's heading phrase
_HEAD_MAX = 120  # a heading shown for a moved / split / merged item is clipped here
_CHAR_DIFF_MAX = 4_000_000  # characters² a character-level diff of one sentence run may cost
_CHAR_RATIO_MAX = 20_000  # a piece longer than this is compared sentence by sentence only
_SHORT_PIECE = 400  # a piece this short, rewritten beyond recognition, is one change
_RUN_MAX = 300  # consecutive added / removed sentences are one record up to this length
_GAP_PAIRS = 400  # sentence pairs scored inside one gap before falling back to position
_SENTENCE_PAIR = 40.0  # ratio at which an old and a new sentence of one gap are one sentence
_SUBJECT_MIN = 0.8  # share of a subject's characters that must recur to pair across pieces
# Counters too common to pair on their own when seen once per side (家, 个 …); 项次 is not.
_COMMON_COUNTERS = frozenset("个项家人名所处件次条座种类批台套户位")
_SUBJECT_PLACE = 0.6  # the same for two quantities standing in the same place
_SUBJECT_WITHIN = 0.75  # share of the shorter subject found in the other, inside one item pair
_NAMING = frozenset({Kind.YEAR, Kind.DATE, Kind.EDITION})


@dataclass(frozen=True, slots=True)
class Change:
    """One reported change; ``section`` is the new path when there is one, else the old.

    ``old_section`` and ``new_section`` are the piece's path on each side (None on the side
    it is missing from); ``count`` is how many occurrences a folded record stands for.
    """

    type: ChangeType | str
    section: str
    old_text: str
    new_text: str
    old_value: str | None = None
    new_value: str | None = None
    old_section: str | None = None
    new_section: str | None = None
    count: int = 1

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of one change (values and count only when set)."""
        out: dict[str, object] = {
            "type": str(self.type),
            "section": self.section,
            "old_section": self.old_section,
            "new_section": self.new_section,
            "old_text": self.old_text,
            "new_text": self.new_text,
        }
        if self.old_value is not None:
            out["old_value"] = self.old_value
        if self.new_value is not None:
            out["new_value"] = self.new_value
        if self.count != 1:
            out["count"] = self.count
        return out


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """Knobs of the diff; the defaults are the ones the gold set is measured with."""

    local_cutoff: float = 35.0  # rapidfuzz ratio to pair leftovers between the same anchors
    move_cutoff: float = 60.0  # ratio to pair leftovers anywhere (a moved item)
    lead_cutoff: float = 85.0  # ratio of item heading phrases that pairs a reworded item
    rewrite_below: float = 50.0  # a matched item this dissimilar is reported as one change
    report_noise: bool = True  # emit one noise / script_only change when there was any


@dataclass(frozen=True, slots=True)
class DiffResult:
    """What changed from old to new."""

    substantive: bool
    similarity: float  # 0..1, share of characters that stayed
    changes: tuple[Change, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """``{"substantive", "similarity", "changes": [...]}``: the JSON of ``--format json``."""
        return {
            "substantive": self.substantive,
            "similarity": round(self.similarity, 4),
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class _Piece:
    seg: Segment
    display: str  # the body as shown: normalized, in its own script when OpenCC kept lengths
    key: str  # the body as compared: simplified, punctuation unified, no spaces
    pos: tuple[int, ...] | None  # key offset → display offset; None when they coincide

    def show(self, start: int, end: int) -> str:
        if self.pos is None or start >= end:
            return self.display[start:end]
        return self.display[self.pos[start] : self.pos[end - 1] + 1]


def _piece(seg: Segment) -> _Piece:
    simplified = to_simplified(seg.body)
    # OpenCC maps character for character nearly always; when it does not, positions
    # cannot be carried back, so the simplified form is shown instead.
    display = seg.body if len(simplified) == len(seg.body) else simplified
    folded = fold_punct(simplified)
    if " " not in folded:
        return _Piece(seg, display, folded, None)
    pos = tuple(i for i, ch in enumerate(folded) if ch != " ")
    return _Piece(seg, display, "".join(folded[i] for i in pos), pos)


def _lead(key: str) -> str:
    """An item's heading phrase: its heading line, else a short first sentence or clause."""
    first, nl, _ = key.partition("\n")
    if nl and len(first) <= 2 * _LEAD_MAX:
        return first
    for stop in ("。", ",", "；", ";"):
        head, found, _ = first.partition(stop)
        if found and len(head) <= _LEAD_MAX:
            return head
    return first[:_LEAD_MAX]  # a short heading line is its own phrase


def _unit(piece: _Piece) -> Unit:
    return Unit(piece.key, piece.seg.level, piece.seg.parent, _lead(piece.key))


def _heading(piece: _Piece) -> str:
    """What names a piece in a moved / split / merged record: its heading, clipped at a clause."""
    text = piece.seg.text
    first, nl, _ = text.partition("\n")
    if not nl:
        end = next((i + 1 for i, ch in enumerate(first) if ch in "。；;"), len(first))
        first = first[:end]
    if len(first) <= _HEAD_MAX:
        return first
    cut = max(first.rfind(ch, 0, _HEAD_MAX) for ch in "，,；;、")
    return first[: cut + 1 if cut > 0 else _HEAD_MAX] + "…"


def _prepare(text: str) -> tuple[list[_Piece], list[str]]:
    body, chrome = split_chrome(normalize(text).split("\n"))
    return [_piece(s) for s in segment("\n".join(body))], chrome


def segments_for_diff(text: str) -> list[Segment]:
    """The segments the diff compares (chrome lines dropped), with the paths it reports."""
    return [p.seg for p in _prepare(text)[0]]


# A target-like quantity waiting for cross-piece pairing: (order, piece, quantity, offset of
# the quantity's text in the piece key, path of the piece on the other side or None).
_Lone = tuple[float, "_Piece", Quantity, int, str | None]


@dataclass(slots=True)
class _Collect:
    """What the pieces' diffs hand up: records, folded rollovers, targets not yet paired."""

    records: list[tuple[float, Change]] = field(default_factory=list)
    rollover: list[tuple[str, str, str]] = field(default_factory=list)  # (path, old, new)
    lone_old: list[_Lone] = field(default_factory=list)
    lone_new: list[_Lone] = field(default_factory=list)
    # targets of a matched piece its counterpart did not account for, by piece index
    left_o: dict[int, list[_Lone]] = field(default_factory=dict)
    left_n: dict[int, list[_Lone]] = field(default_factory=dict)
    # ids of quantities inside a reworded sentence: there a new or dropped target would be
    # hidden in a "modified" clause, so it gets its own record; in a wholly added or dropped
    # sentence or item the record of that text already shows it
    hidden: set[int] = field(default_factory=set)


def diff_texts(old: str, new: str, options: DiffOptions | None = None) -> DiffResult:
    """Diff two plain texts (title line + one paragraph per line)."""
    opts = options or DiffOptions()
    olds, old_chrome = _prepare(old)
    news, new_chrome = _prepare(new)
    alignment = align(
        [_unit(p) for p in olds],
        [_unit(p) for p in news],
        local_cutoff=opts.local_cutoff,
        move_cutoff=opts.move_cutoff,
        lead_cutoff=opts.lead_cutoff,
    )
    out = _Collect()
    quiet: dict[str, Change] = {}  # first sample of each noise type
    kept = 0.0
    before = _new_position_before(alignment, len(olds))
    for pair in alignment.pairs:
        op, np_ = olds[pair.old], news[pair.new]
        if pair.moved:
            out.records.append((pair.new, _between(ChangeType.MOVED, op, np_)))
        if op.key == np_.key:
            kept += 2 * len(op.key)
            if op.display != np_.display:
                _note_quiet(quiet, op, np_)
            continue
        kept += _kept(op.key, np_.key)
        for change in _inside(op, np_, opts, pair.new, out, pair.old, pair.new):
            if change.type in NOISE_TYPES:
                quiet.setdefault(change.type, change)
            else:
                out.records.append((pair.new, change))
    # A merged or split record shows headings only: a target of the joined (or split-off)
    # piece that its partner does not account for, and that stands nowhere on the other
    # side, was dropped (or added) unseen, and gets its own record.
    stated_n = _stated(news) if alignment.merged else set()
    stated_o = _stated(olds) if alignment.split else set()
    for o, n in alignment.merged:
        out.records.append((n + 0.25, _between(ChangeType.MERGED, olds[o], news[n])))
        found, left, out.left_n[n] = _pair_loose(
            _all_targets(n, olds[o], news[n]), out.left_n.get(n, [])
        )
        out.records.extend((n + 0.25, c) for c in found)
        out.left_o[o] = left
        out.hidden.update(id(item[2]) for item in left if _statement(item) not in stated_n)
    for o, n in alignment.split:
        out.records.append((n, _between(ChangeType.SPLIT, olds[o], news[n])))
        found, out.left_o[o], left = _pair_loose(
            out.left_o.get(o, []), _all_targets(n, news[n], olds[o])
        )
        out.records.extend((n, c) for c in found)
        out.left_n[n] = left
        out.hidden.update(id(item[2]) for item in left if _statement(item) not in stated_o)
    for leftover, lone in ((out.left_o, out.lone_old), (out.left_n, out.lone_new)):
        for items in leftover.values():
            lone.extend(items)
    for n in alignment.added:
        p = news[n]
        out.records.append(
            (n, Change(ChangeType.ADDED, p.seg.path, "", p.seg.text, new_section=p.seg.path))
        )
        _lone_targets(out.lone_new, n, p, 0, len(p.key), None)
    for o in alignment.removed:
        p = olds[o]
        change = Change(ChangeType.REMOVED, p.seg.path, p.seg.text, "", old_section=p.seg.path)
        out.records.append((before[o] + 0.5, change))
        _lone_targets(out.lone_old, before[o] + 0.5, p, 0, len(p.key), None)
    out.records.extend(_pair_lone_targets(out))
    out.records = _drop_shown_twice(out.records)
    if out.rollover:
        path, a, b = out.rollover[0]
        folded = Change(ChangeType.YEAR_ROLLOVER, path, a, b, a, b, count=len(out.rollover))
        out.records.append((-1, folded))
    if old_chrome != new_chrome:
        chrome = Change(ChangeType.NOISE, "chrome", "\n".join(old_chrome), "\n".join(new_chrome))
        quiet.setdefault(ChangeType.NOISE, chrome)
    ordered = [c for _, c in sorted(out.records, key=lambda t: t[0])]
    if opts.report_noise:
        if not ordered and not quiet and old != new and normalize(old) == normalize(new):
            quiet[ChangeType.NOISE] = _raw_noise(old, new)
        ordered.extend(quiet.values())
    total = sum(len(p.key) for p in olds) + sum(len(p.key) for p in news)
    return DiffResult(
        substantive=any(c.type not in NOISE_TYPES for c in ordered),
        similarity=min(kept / total, 1.0) if total else 1.0,
        changes=tuple(ordered),
    )


def _drop_shown_twice(records: list[tuple[float, Change]]) -> list[tuple[float, Change]]:
    """A reworded clause that a new or dropped target's record already shows in full
    (再提高 → 达到55%以上) is that target, not a second change."""
    shown = {
        (c.new_section, c.new_text)
        if c.type == ChangeType.TARGET_ADDED
        else (c.old_section, c.old_text)
        for _, c in records
        if c.type in (ChangeType.TARGET_ADDED, ChangeType.TARGET_REMOVED)
    }
    return [
        (at, c)
        for at, c in records
        if c.type != ChangeType.MODIFIED
        or ((c.new_section, c.new_text) not in shown and (c.old_section, c.old_text) not in shown)
    ]


def _kept(old: str, new: str) -> float:
    """Characters of both keys that stayed: a character ratio for short pieces; for long
    ones (a ratio of two 1 MB strings costs seconds) what the sentence step left equal."""
    if len(old) + len(new) <= 2 * _CHAR_RATIO_MAX:
        return fuzz.ratio(old, new) / 100 * (len(old) + len(new))
    changed = sum(a2 - a1 + b2 - b1 for _, a1, a2, b1, b2 in _changed_sentences(old, new))
    return max(len(old) + len(new) - changed, 0)


def _between(kind: ChangeType, o: _Piece, n: _Piece) -> Change:
    return Change(
        kind, n.seg.path, _heading(o), _heading(n), old_section=o.seg.path, new_section=n.seg.path
    )


def _new_position_before(alignment: Alignment, count: int) -> list[int]:
    """For each old index, the new index of the last matched piece before it (for ordering)."""
    where = {p.old: p.new for p in alignment.pairs}
    out, last = [], -1
    for o in range(count):
        out.append(last)
        last = max(last, where.get(o, last))
    return out


def _note_quiet(quiet: dict[str, Change], o: _Piece, n: _Piece) -> None:
    spaced = fold_punct(o.display).replace(" ", "") != fold_punct(n.display).replace(" ", "")
    kind = ChangeType.SCRIPT_ONLY if spaced else ChangeType.NOISE
    quiet.setdefault(kind, Change(kind, n.seg.path, o.display, n.display))


def _raw_noise(old: str, new: str) -> Change:
    """Texts equal once normalized (width, spacing): show the first raw line that differs."""
    for a, b in zip(old.splitlines(), new.splitlines(), strict=False):
        if a != b:
            return Change(ChangeType.NOISE, "", a, b)
    return Change(ChangeType.NOISE, "", old[-80:], new[-80:])


def _change(kind, o, n, old_text, new_text, **values) -> Change:  # type: ignore[no-untyped-def]
    return Change(
        kind,
        n.seg.path,
        old_text,
        new_text,
        old_section=o.seg.path,
        new_section=n.seg.path,
        **values,
    )


def _inside(
    o: _Piece, n: _Piece, opts: DiffOptions, at: int, out: _Collect, oi: int, ni: int
) -> list[Change]:
    """Changes inside one matched piece: sentences dropped, added and reworded; numbers."""
    short = len(o.key) <= _SHORT_PIECE and len(n.key) <= _SHORT_PIECE
    loose_o: list[_Lone] = []  # targets of this piece left without a partner so far
    loose_n: list[_Lone] = []
    if short and fuzz.ratio(o.key, n.key) < opts.rewrite_below:
        # A short piece reworded beyond recognition: one change, plus the numbers that
        # still stand in the same place.
        whole = _change(ChangeType.MODIFIED, o, n, o.display, n.display)
        sink = (loose_o, loose_n, out.rollover, out.hidden)
        numbers = _numbers(o, n, 0, len(o.key), 0, len(n.key), sink, at, True)
        changes = [*numbers, whole]
    else:
        changes = []
        for op, a1, a2, b1, b2 in _changed_sentences(o.key, n.key):
            if op == "delete":
                changes.append(_change(ChangeType.REMOVED, o, n, o.show(a1, a2), ""))
                _lone_targets(loose_o, at, o, a1, a2, n, any_target=True)
            elif op == "insert":
                changes.append(_change(ChangeType.ADDED, o, n, "", n.show(b1, b2)))
                _lone_targets(loose_n, at, n, b1, b2, o, any_target=True)
            else:
                sink = (loose_o, loose_n, out.rollover, out.hidden)
                changes.extend(_numbers(o, n, a1, a2, b1, b2, sink, at))
                changes.extend(_wording(o, n, a1, a2, b1, b2))
    paired, left_o, left_n = _pair_loose(loose_o, loose_n)
    out.left_o[oi], out.left_n[ni] = left_o, left_n
    return changes + paired


def _pair_loose(loose_o: list[_Lone], loose_n: list[_Lone]) -> tuple[list[Change], list, list]:
    """Targets of one item pair that moved between its sentences (造林120万亩, in a dropped
    sentence, is 造林100万亩 of an added one): same family, the shorter subject contained.

    Returns the number changes and what is left on each side.
    """
    changes = []
    used: set[int] = set()
    subjects_n = [subject_of(p.key, k1 + q.start) for _, p, q, k1, _ in loose_n]
    left_o = []
    for item in loose_o:
        _, po, qo, k1, _ = item
        subj = subject_of(po.key, k1 + qo.start)
        best, best_k = 0.0, -1
        for k, (_, _, qn, _, _) in enumerate(loose_n):
            # loose items only ever hold quantities with a meaning (see _lone_targets)
            assert qo.meaning is not None
            assert qn.meaning is not None
            if k in used or not same_measure(qo.meaning, qn.meaning):
                continue
            s = _contained(subj, subjects_n[k])
            if (
                s >= _SUBJECT_WITHIN
                and s > best
                and same_subject(subj, subjects_n[k], _SUBJECT_WITHIN)
            ):
                best, best_k = s, k
        if best_k < 0:
            left_o.append(item)
            continue
        used.add(best_k)
        _, pn, qn, k1n, _ = loose_n[best_k]
        so, eo, sn, en = k1 + qo.start, k1 + qo.end, k1n + qn.start, k1n + qn.end
        if po.show(so, eo) != pn.show(sn, en):
            changes.append(_change(
                ChangeType.NUMBER_CHANGED, po, pn,
                po.show(*clause_span(po.key, so, eo)), pn.show(*clause_span(pn.key, sn, en)),
                old_value=po.show(so, eo), new_value=pn.show(sn, en),
            ))  # fmt: skip
    return changes, left_o, [item for k, item in enumerate(loose_n) if k not in used]


def _distance(a: Quantity, b: Quantity) -> float:
    """A small penalty growing with how far apart two values are (0 for equal values)."""
    x, y = a.meaning.low if a.meaning else None, b.meaning.low if b.meaning else None
    if not x or not y or x <= 0 or y <= 0:
        return 0.05
    return min(abs(log(x / y)), 5.0) / 100


def _near(a: Quantity, b: Quantity) -> bool:
    """Values of the same order (within a factor of two)."""
    x, y = a.meaning.low if a.meaning else None, b.meaning.low if b.meaning else None
    return bool(x and y and 0.5 <= x / y <= 2)


def _contained(a: str, b: str) -> float:
    """Share of the shorter subject's characters found in the longer (0 for one character)."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return subject_overlap(short, long_) if len(short) >= 2 else 0.0


def _statement(item: _Lone) -> tuple[str, str]:
    """A target as it is stated: its subject and its figure (单位地区生产总值能耗, 3.5%左右)."""
    _, piece, q, k1, _ = item
    return subject_of(piece.key, k1 + q.start), q.text


def _stated(pieces: list[_Piece]) -> set[tuple[str, str]]:
    """Every target of one side as it is stated (one pass over the side's text)."""
    return {
        _statement((0.0, p, q, 0, None))
        for p in pieces
        for q in find_quantities(p.key)
        if q.meaning is not None and q.meaning.kind is Kind.TARGET
    }


def _all_targets(at: float, piece: _Piece, other: _Piece | None) -> list[_Lone]:
    found: list[_Lone] = []
    _lone_targets(found, at, piece, 0, len(piece.key), other, any_target=True)
    return found


def _changed_sentences(old: str, new: str) -> list[tuple[str, int, int, int, int]]:
    """Key offsets of what differs, sentence by sentence: ("delete", a1, a2, b, b),
    ("insert", a, a, b1, b2) or ("replace", a1, a2, b1, b2) for one reworded sentence.

    Near-linear whatever the text: equal sentences are matched through a hash index
    (unique ones first, as anchors in increasing order), and only the few sentences left
    between two matches are compared with each other.
    """
    so, sn = split_sentences(old), split_sentences(new)
    off_o, off_n = _offsets(so), _offsets(sn)
    ops: list[tuple[str, int, int, int, int]] = []
    for i1, i2, j1, j2 in _sentence_gaps(so, sn):
        for op, a1, a2, b1, b2 in _pair_gap(so, sn, i1, i2, j1, j2):
            ops.append((op, off_o[a1], off_o[a2], off_n[b1], off_n[b2]))
    return ops


def _sentence_gaps(so: list[str], sn: list[str]) -> list[tuple[int, int, int, int]]:
    """Runs (i1, i2, j1, j2) of sentences between equal, in-order matched sentences."""
    count_o: dict[str, int] = defaultdict(int)
    count_n: dict[str, int] = defaultdict(int)
    for x in so:
        count_o[x] += 1
    first_n: dict[str, int] = {}
    for j, x in enumerate(sn):
        count_n[x] += 1
        first_n.setdefault(x, j)
    unique = [(i, first_n[x]) for i, x in enumerate(so) if count_o[x] == 1 == count_n[x]]
    anchors = increasing(unique)
    matched: list[tuple[int, int]] = []
    bounds = [(-1, -1), *anchors, (len(so), len(sn))]
    for (i1, j1), (i2, j2) in pairwise(bounds):
        if i1 >= 0:
            matched.append((i1, j1))
        # Between two anchors: equal sentences, greedily in order (repeated text lands here).
        queues: dict[str, deque[int]] = defaultdict(deque)
        for j in range(j1 + 1, j2):
            queues[sn[j]].append(j)
        last = j1
        for i in range(i1 + 1, i2):
            q = queues.get(so[i])
            while q and q[0] <= last:
                q.popleft()
            if q:
                last = q.popleft()
                matched.append((i, last))
    gaps = []
    prev_i, prev_j = -1, -1
    for i, j in [*matched, (len(so), len(sn))]:
        if i > prev_i + 1 or j > prev_j + 1:
            gaps.append((prev_i + 1, i, prev_j + 1, j))
        prev_i, prev_j = i, j
    return gaps


def _pair_gap(so, sn, i1, i2, j1, j2):  # type: ignore[no-untyped-def]
    """Inside one gap: reworded sentences as pairs, the rest dropped or added (in order)."""
    if i1 == i2:
        return _runs("insert", sn, j1, j2, i1)
    if j1 == j2:
        return _runs("delete", so, i1, i2, j1)
    if i2 - i1 == 1 and j2 - j1 == 1:
        return [("replace", i1, i2, j1, j2)]
    pairs: list[tuple[int, int]] = []
    if (i2 - i1) * (j2 - j1) <= _GAP_PAIRS:
        scored = sorted(
            (-fuzz.ratio(so[i], sn[j]), i, j) for i in range(i1, i2) for j in range(j1, j2)
        )
        used_i: set[int] = set()
        used_j: set[int] = set()
        for s, i, j in scored:
            if -s < _SENTENCE_PAIR:
                break
            if i not in used_i and j not in used_j:
                pairs.append((i, j))
                used_i.add(i)
                used_j.add(j)
        pairs = increasing(sorted(pairs))
    else:  # a long rewritten stretch: neighbours by position only
        for k in range(min(i2 - i1, j2 - j1)):
            if fuzz.ratio(so[i1 + k], sn[j1 + k]) >= _SENTENCE_PAIR:
                pairs.append((i1 + k, j1 + k))
    ops = []
    ci, cj = i1, j1
    for i, j in [*pairs, (i2, j2)]:
        ops.extend(_runs("delete", so, ci, i, cj))
        ops.extend(_runs("insert", sn, cj, j, i))
        if i < i2:
            ops.append(("replace", i, i + 1, j, j + 1))
        ci, cj = i + 1, j + 1
    return ops


def _runs(kind, parts, lo, hi, at):  # type: ignore[no-untyped-def]
    """Consecutive dropped (or added) sentences in records of at most _RUN_MAX characters."""
    spans = []
    start, size = lo, 0
    for k in range(lo, hi):
        if k > start and size + len(parts[k]) > _RUN_MAX:
            spans.append((start, k))
            start, size = k, 0
        size += len(parts[k])
    if hi > lo:
        spans.append((start, hi))
    if kind == "delete":
        return [("delete", a, b, at, at) for a, b in spans]
    return [("insert", at, at, a, b) for a, b in spans]


def _offsets(parts: list[str]) -> list[int]:
    out = [0]
    for part in parts:
        out.append(out[-1] + len(part))
    return out


def _is_target_like(q: Quantity) -> bool:
    """A figure a plan sets: a target with a qualifier (以上, 左右, 以内 …) or a range."""
    m = q.meaning
    return bool(m and m.kind is Kind.TARGET and (m.qualifier or m.low != m.high))


def _lone_targets(into, at, piece, k1, k2, other, any_target=False) -> None:  # type: ignore[no-untyped-def]
    """Note the target-like quantities of ``piece.key[k1:k2]`` for cross-piece pairing
    (every target when ``any_target``: for pairing inside one item pair)."""
    for q in find_quantities(piece.key[k1:k2]):
        m = q.meaning
        if _is_target_like(q) or (any_target and m is not None and m.kind is Kind.TARGET):
            into.append((at, piece, q, k1, other.seg.path if other else None))


def _pair_lone_targets(out: _Collect) -> list[tuple[float, Change]]:
    """Targets of dropped text against targets of added text: the same subject and family
    anywhere in the document is the same target moved (粮食产量 476亿斤以上 → 485亿斤左右);
    the rest are new or dropped targets."""
    records: list[tuple[float, Change]] = []
    used_new: set[int] = set()
    by_family: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for k, (_, p, q, k1, _) in enumerate(out.lone_new):
        assert q.meaning is not None  # lone items always carry a meaning
        by_family[q.meaning.family].append((k, subject_of(p.key, k1 + q.start)))
    for at, po, qo, k1, other_o in out.lone_old:
        subj_o = subject_of(po.key, k1 + qo.start)
        best, best_k = 0.0, -1
        like_o = _is_target_like(qo)
        assert qo.meaning is not None  # lone items always carry a meaning
        for k, subj_n in by_family.get(qo.meaning.family, ()):
            if k in used_new or len(subj_o) < 2 or len(subj_n) < 2:
                continue
            qn = out.lone_new[k][2]
            if not like_o:
                continue
            if not _is_target_like(qn) and (subj_o != subj_n or not _near(qo, qn)):
                # Far apart, a plan's target (5%以上) is a bare figure only under the very
                # same subject and of the same size: 按增长5%安排, not a result of 690万人.
                continue
            s = min(subject_overlap(subj_o, subj_n), subject_overlap(subj_n, subj_o))
            if s < _SUBJECT_MIN or not same_subject(subj_o, subj_n, _SUBJECT_MIN):
                continue
            s -= _distance(qo, qn)  # the same subject twice: the figure of the same size
            if s > best:
                best, best_k = s, k
        so, eo = k1 + qo.start, k1 + qo.end
        if best_k < 0:
            if id(qo) not in out.hidden or not like_o:
                continue
            records.append((at, Change(
                ChangeType.TARGET_REMOVED, other_o or po.seg.path,
                po.show(*clause_span(po.key, so, eo)), "", old_value=po.show(so, eo),
                old_section=po.seg.path, new_section=other_o,
            )))  # fmt: skip
            continue
        used_new.add(best_k)
        at_n, pn, qn, k1n, _ = out.lone_new[best_k]
        sn, en = k1n + qn.start, k1n + qn.end
        if po.show(so, eo) == pn.show(sn, en):
            continue  # the same figure, in other words or another place
        records.append((at_n, Change(
            ChangeType.NUMBER_CHANGED, pn.seg.path,
            po.show(*clause_span(po.key, so, eo)), pn.show(*clause_span(pn.key, sn, en)),
            old_value=po.show(so, eo), new_value=pn.show(sn, en),
            old_section=po.seg.path, new_section=pn.seg.path,
        )))  # fmt: skip
    for k, (at, pn, qn, k1, other_n) in enumerate(out.lone_new):
        if k in used_new or id(qn) not in out.hidden or not _is_target_like(qn):
            continue
        sn, en = k1 + qn.start, k1 + qn.end
        records.append((at, Change(
            ChangeType.TARGET_ADDED, pn.seg.path, "", pn.show(*clause_span(pn.key, sn, en)),
            new_value=pn.show(sn, en), old_section=other_n, new_section=pn.seg.path,
        )))  # fmt: skip
    return records


def _numbers(o, n, a1, a2, b1, b2, loose, at, rewritten=False) -> list[Change]:  # type: ignore[no-untyped-def]
    """Number changes between ``o.key[a1:a2]`` and ``n.key[b1:b2]``: rollovers folded,
    pairs that do not measure the same thing shown as reworded clauses, targets left
    without a partner noted for cross-piece pairing."""
    old, new = o.key[a1:a2], n.key[b1:b2]
    loose_o, loose_n, rollover, hidden = loose
    placed = pair_quantities(old, new)
    pairs = [(a, b) for a, b in placed if a.text != b.text]
    unique: set[int] = set()  # old starts of pairs whose unit occurs once per side
    if rewritten:  # little context is left to pair by: fall back on units seen once
        used_o, used_n = {a.start for a, _ in placed}, {b.start for _, b in placed}
        extra = [
            (a, b)
            for a, b in pair_unique_units(old, new)
            if a.start not in used_o and b.start not in used_n
        ]
        placed += extra
        unique = {a.start for a, _ in extra}
        pairs += [(a, b) for a, b in extra if a.text != b.text]
    changes = []
    unmeasured: set[tuple[int, int]] = set()
    for qa, qb in pairs:
        sa, ea, sb, eb = a1 + qa.start, a1 + qa.end, b1 + qb.start, b1 + qb.end
        ma, mb = qa.meaning, qb.meaning
        if ma and mb and ma.kind in _NAMING and mb.kind in _NAMING:
            rollover.append((n.seg.path, o.show(sa, ea), n.show(sb, eb)))
            continue
        old_clause = o.show(*clause_span(o.key, sa, ea))
        new_clause = n.show(*clause_span(n.key, sb, eb))
        if ma is None or mb is None or not same_measure(ma, mb):
            changes.append(_change(ChangeType.MODIFIED, o, n, old_clause, new_clause))
            continue
        subj_a, subj_b = subject_of(o.key, sa), subject_of(n.key, sb)
        # A counter seen once on each side (35项次 → 40项次) is its own evidence; a percent
        # or an amount needs its subject to agree.
        trusted = (
            qa.start in unique
            and ma.family.startswith("count:")
            and ma.unit not in _COMMON_COUNTERS
        )
        if not trusted and not same_subject(subj_a, subj_b, _SUBJECT_PLACE):
            unmeasured.update(((0, qa.start), (1, qb.start)))
            continue  # the same place, another subject: 连续12年超430亿斤 is not 连续19年提高
        changes.append(_change(
            ChangeType.NUMBER_CHANGED, o, n, old_clause, new_clause,
            old_value=o.show(sa, ea), new_value=n.show(sb, eb),
        ))  # fmt: skip
    done_o = {a.start for a, b in placed if _measure_pair(a, b)} - {
        k for s, k in unmeasured if s == 0
    }
    done_n = {b.start for a, b in placed if _measure_pair(a, b)} - {
        k for s, k in unmeasured if s == 1
    }
    for q in find_quantities(old):
        if q.start not in done_o and q.meaning is not None and q.meaning.kind is Kind.TARGET:
            loose_o.append((at, o, q, a1, n.seg.path))
            hidden.add(id(q))
    for q in find_quantities(new):
        if q.start not in done_n and q.meaning is not None and q.meaning.kind is Kind.TARGET:
            loose_n.append((at, n, q, b1, o.seg.path))
            hidden.add(id(q))
    return changes


def _measure_pair(a: Quantity, b: Quantity) -> bool:
    return bool(a.meaning and b.meaning and same_measure(a.meaning, b.meaning))


def _wording(o, n, a1, a2, b1, b2) -> list[Change]:  # type: ignore[no-untyped-def]
    """The reworded clauses of one sentence pair, numbers masked out.

    Edits separated by at least one untouched clause are separate changes; each is
    widened to the clauses it touches.
    """
    mo, off_o = _masked(o.key[a1:a2])
    mn, off_n = _masked(n.key[b1:b2])
    if mo == mn:
        return []  # only numbers changed, and those are reported on their own
    if _unpunctuated(mo) == _unpunctuated(mn):
        return [Change(ChangeType.NOISE, n.seg.path, o.show(a1, a2), n.show(b1, b2))]
    return [
        _change(
            ChangeType.MODIFIED,
            o,
            n,
            o.show(*clause_span(o.key, i1, i2)),
            n.show(*clause_span(n.key, j1, j2)),
        )
        for i1, i2, j1, j2 in _clusters(
            o.key, n.key, a1 + off_o[0], b1 + off_n[0], mo, mn, off_o, off_n
        )
    ]


def _clusters(ko, kn, a1, b1, mo, mn, off_o, off_n):  # type: ignore[no-untyped-def]
    """Key ranges of the masked edits, merged while their clauses touch on either side."""
    head = _common_prefix(mo, mn)
    tail = _common_prefix(mo[head:][::-1], mn[head:][::-1])
    mid_o, mid_n = mo[head : len(mo) - tail], mn[head : len(mn) - tail]
    if len(mid_o) * len(mid_n) > _CHAR_DIFF_MAX:  # too long to diff finely: one stretch
        ops = [(0, len(mid_o), 0, len(mid_n))]
    else:
        matcher = SequenceMatcher(None, mid_o, mid_n, autojunk=False)
        ops = [(i1, i2, j1, j2) for t, i1, i2, j1, j2 in matcher.get_opcodes() if t != "equal"]
    merged: list[list[int]] = []
    for i1, i2, j1, j2 in ops:
        span = [
            a1 + off_o[head + i1],
            a1 + off_o[head + i2],
            b1 + off_n[head + j1],
            b1 + off_n[head + j2],
        ]
        co, cn = clause_span(ko, span[0], span[1]), clause_span(kn, span[2], span[3])
        if merged:
            last = merged[-1]
            lo, ln = clause_span(ko, last[0], last[1]), clause_span(kn, last[2], last[3])
            if co[0] <= lo[1] or cn[0] <= ln[1]:
                last[1], last[3] = max(last[1], span[1]), max(last[3], span[3])
                continue
        merged.append(span)
    return [tuple(m) for m in merged]


def _unpunctuated(text: str) -> str:
    # Unicode categories, not \\W: the mask characters are private-use, not punctuation.
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZC" or is_mask(ch))


def _masked(text: str) -> tuple[str, list[int]]:
    """Masked text plus, for each masked offset (and the end), the offset in ``text``."""
    quantities = find_quantities(text)
    # One mask for every quantity: a value or unit change is the number's to report;
    # the wording differs only where quantities appear or vanish.
    masked, owner = mask(text, quantities, by_unit=False)
    offsets, at = [], 0
    for k in owner:
        offsets.append(at)
        at += 1 if k < 0 else quantities[k].end - quantities[k].start
    offsets.append(at)
    return masked, offsets


def _common_prefix(a: str, b: str) -> int:
    i, limit = 0, min(len(a), len(b))
    while i < limit and a[i] == b[i]:
        i += 1
    return i
