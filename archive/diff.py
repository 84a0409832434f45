"""The diff stage: how a policy text changed between two versions, structure-aware.

Segment both texts (:mod:`archive.segment`), align their pieces (:mod:`archive.align`),
then look inside each matched piece sentence by sentence: a changed number is reported
as ``number_changed`` with its old and new value (:mod:`archive.numbers`), any other
edit as ``modified`` with the clause or sentence around it, never the whole paragraph.
Everything is compared on comparison keys (:mod:`archive.normalize`), so whitespace,
character width, chrome and script are never substantive; they surface at most as one
``noise`` and one ``script_only`` change. Imports only stdlib and rapidfuzz (OpenCC lazily).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from rapidfuzz import fuzz

from archive.align import Alignment, Unit, align
from archive.normalize import fold_punct, normalize, split_chrome, to_simplified
from archive.numbers import (
    changed_quantities,
    find_quantities,
    is_mask,
    mask,
    pair_unique_units,
)
from archive.segment import Segment, clause_span, segment, split_sentences

CHANGE_TYPES = ("added", "removed", "modified", "moved", "number_changed", "noise", "script_only")
NOISE_TYPES = frozenset({"noise", "script_only"})
_LEAD_MAX = 40  # a first sentence this short is the item's heading phrase
_CHAR_DIFF_MAX = 4_000_000  # characters² a character-level diff of one sentence run may cost


@dataclass(frozen=True, slots=True)
class Change:
    """One reported change; ``section`` is the new path when there is one, else the old."""

    type: str  # added|removed|modified|moved|number_changed|noise|script_only
    section: str
    old_text: str
    new_text: str
    old_value: str | None = None
    new_value: str | None = None
    old_section: str | None = None  # the old path when it differs (moved, renumbered)

    def to_dict(self) -> dict[str, str]:
        """The JSON shape of one change (values only when set)."""
        out = {
            "type": self.type,
            "section": self.section,
            "old_text": self.old_text,
            "new_text": self.new_text,
        }
        if self.old_value is not None:
            out["old_value"] = self.old_value
        if self.new_value is not None:
            out["new_value"] = self.new_value
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


def _unit(piece: _Piece) -> Unit:
    head, dot, _ = piece.key.partition("。")
    lead = head if dot and len(head) <= _LEAD_MAX else ""
    return Unit(piece.key, piece.seg.level, piece.seg.parent, lead)


def _prepare(text: str) -> tuple[list[_Piece], list[str]]:
    body, chrome = split_chrome(normalize(text).split("\n"))
    return [_piece(s) for s in segment("\n".join(body))], chrome


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
    changes: list[tuple[float, Change]] = []
    quiet: dict[str, Change] = {}  # first sample of each noise type
    kept = 0.0
    before = _new_position_before(alignment, len(olds))
    for pair in alignment.pairs:
        o, n = olds[pair.old], news[pair.new]
        old_path = o.seg.path if o.seg.path != n.seg.path else None
        if pair.moved:
            moved = Change("moved", n.seg.path, o.seg.text, n.seg.text, old_section=o.seg.path)
            changes.append((pair.new, moved))
        if o.key == n.key:
            kept += 2 * len(o.key)
            if o.display != n.display:
                _note_quiet(quiet, o, n)
            continue
        kept += fuzz.ratio(o.key, n.key) / 100 * (len(o.key) + len(n.key))
        for change in _inside(o, n, opts, old_path):
            if change.type in NOISE_TYPES:
                quiet.setdefault(change.type, change)
            else:
                changes.append((pair.new, change))
    for n in alignment.added:
        changes.append((n, Change("added", news[n].seg.path, "", news[n].seg.text)))
    for o in alignment.removed:
        removed = Change("removed", olds[o].seg.path, olds[o].seg.text, "")
        changes.append((before[o] + 0.5, removed))
    if old_chrome != new_chrome:
        quiet.setdefault(
            "noise", Change("noise", "chrome", "\n".join(old_chrome), "\n".join(new_chrome))
        )
    ordered = [c for _, c in sorted(changes, key=lambda t: t[0])]
    if opts.report_noise:
        if not ordered and not quiet and old != new and normalize(old) == normalize(new):
            quiet["noise"] = _raw_noise(old, new)
        ordered.extend(quiet.values())
    total = sum(len(p.key) for p in olds) + sum(len(p.key) for p in news)
    return DiffResult(
        substantive=any(c.type not in NOISE_TYPES for c in ordered),
        similarity=kept / total if total else 1.0,
        changes=tuple(ordered),
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
    kind = "script_only" if spaced else "noise"
    quiet.setdefault(kind, Change(kind, n.seg.path, o.display, n.display))


def _raw_noise(old: str, new: str) -> Change:
    """Texts equal once normalized (width, spacing): show the first raw line that differs."""
    for a, b in zip(old.splitlines(), new.splitlines(), strict=False):
        if a != b:
            return Change("noise", "", a, b)
    return Change("noise", "", old[-80:], new[-80:])


def _inside(o: _Piece, n: _Piece, opts: DiffOptions, old_path: str | None) -> list[Change]:
    """Changes inside one matched piece: numbers first, then the reworded clauses."""
    if fuzz.ratio(o.key, n.key) < opts.rewrite_below:
        # Reworded beyond recognition: one change for the piece, plus the numbers that
        # still stand in the same place.
        whole = Change("modified", n.seg.path, o.display, n.display, old_section=old_path)
        numbers = _numbers(o, n, 0, len(o.key), 0, len(n.key), old_path, rewritten=True)
        return [*numbers, whole]
    out: list[Change] = []
    for a1, a2, b1, b2 in _changed_sentences(o.key, n.key):
        out.extend(_numbers(o, n, a1, a2, b1, b2, old_path))
        out.extend(_wording(o, n, a1, a2, b1, b2, old_path))
    return out


def _changed_sentences(old: str, new: str) -> list[tuple[int, int, int, int]]:
    """Key offsets of each run of sentences that differ: a 7,000-character paragraph with
    one changed digit costs one short character diff, not a quadratic one."""
    so, sn = split_sentences(old), split_sentences(new)
    off_o, off_n = _offsets(so), _offsets(sn)
    matcher = SequenceMatcher(None, so, sn, autojunk=False)
    return [
        (off_o[i1], off_o[i2], off_n[j1], off_n[j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _offsets(parts: list[str]) -> list[int]:
    out = [0]
    for part in parts:
        out.append(out[-1] + len(part))
    return out


def _numbers(o, n, a1, a2, b1, b2, old_path, rewritten=False) -> list[Change]:  # type: ignore[no-untyped-def]
    old, new = o.key[a1:a2], n.key[b1:b2]
    pairs = changed_quantities(old, new)
    if rewritten:  # little context is left to pair by: fall back on units seen once
        used_o, used_n = {a.start for a, _ in pairs}, {b.start for _, b in pairs}
        pairs += [
            (a, b)
            for a, b in pair_unique_units(old, new)
            if a.text != b.text and a.start not in used_o and b.start not in used_n
        ]
    out = []
    for qa, qb in pairs:
        sa, ea, sb, eb = a1 + qa.start, a1 + qa.end, b1 + qb.start, b1 + qb.end
        out.append(
            Change(
                "number_changed",
                n.seg.path,
                o.show(*clause_span(o.key, sa, ea)),
                n.show(*clause_span(n.key, sb, eb)),
                old_value=o.show(sa, ea),
                new_value=n.show(sb, eb),
                old_section=old_path,
            )
        )
    return out


def _wording(o, n, a1, a2, b1, b2, old_path) -> list[Change]:  # type: ignore[no-untyped-def]
    """The reworded clauses of one sentence run, numbers masked out.

    Edits separated by at least one untouched clause are separate changes; each is
    widened to the clauses it touches.
    """
    mo, off_o = _masked(o.key[a1:a2])
    mn, off_n = _masked(n.key[b1:b2])
    if mo == mn:
        return []  # only numbers changed, and those are reported on their own
    if _unpunctuated(mo) == _unpunctuated(mn):
        return [Change("noise", n.seg.path, o.show(a1, a2), n.show(b1, b2))]
    if a1 == a2 or b1 == b2:  # whole sentences added to or dropped from the piece
        return [
            Change("modified", n.seg.path, o.show(a1, a2), n.show(b1, b2), old_section=old_path)
        ]
    out = []
    for i1, i2, j1, j2 in _clusters(
        o.key, n.key, a1 + off_o[0], b1 + off_n[0], mo, mn, off_o, off_n
    ):
        out.append(
            Change(
                "modified",
                n.seg.path,
                o.show(*clause_span(o.key, i1, i2)),
                n.show(*clause_span(n.key, j1, j2)),
                old_section=old_path,
            )
        )
    return out


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
