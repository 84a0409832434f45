"""Score the diff on real restructured documents: six pairs of provincial work reports.

Run: ``python benchmarks/eval_diff_real.py [--verbose] [--json] [PAIR ...]``.

Texts: ``../shared/real-plan-pairs/<pair>/{old,new}.txt`` (skipped with a reason when absent).
Gold: ``tests/gold/real_pairs/<pair>.json``, written by hand from reading both texts. The gold is
*partial*: it labels a sample (the task sections' items, the main targets, the numbers that
must not be paired), and only labelled things are counted:

* ``items``: ``[old heading prefix, new heading prefix (or a list of acceptable ones)]``. A
  prefix names the segment whose normalized text starts with it. An item is *found* when a
  change record links the two paths (``old_section`` → ``new_section``; any type but added /
  removed), or when neither path appears in any record at all and the texts are equal.
* ``added`` / ``removed``: segments that only one side has; found when reported so.
* ``targets``: ``{subject, old, new}`` quantities; found when a ``number_changed`` record has
  those values (spaces and punctuation look-alikes folded) and the subject in its old or new
  clause. ``dropped_targets`` / ``new_targets``: found as ``target_removed`` / ``target_added``
  with the value (or inside a removed / added record, which also says it).
* ``not_pairs``: ``[old value, new value]`` that must never be a ``number_changed`` pair.
* ``number_labels``: ``[old value, new value, right?]``: a labelled sample of the number pairs
  the diff reported (for some pairs), read in context.

Recall = found labelled things / labelled things. Precision is over the *labelled sample of
records*: every record that touches a labelled item path or carries a labelled value is judged;
it is correct when it is one of the gold's pairings (or a gold added / removed / target), wrong
otherwise (an added record for a gold-paired new item, a pair of a labelled old item with
another new item, a number pair in ``not_pairs``, a number pair whose one side is a gold target
value in its subject's clause with a different counterpart). Besides, every ``number_changed``
record whose two values measure different unit families, or whose value is an ordinal, an edition,
an identifier, a date or a year, is wrong wherever it is: those need no gold to judge.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.text.diff import Change, diff_texts, segments_for_diff  # noqa: E402
from archive.text.normalize import fold_punct, normalize  # noqa: E402
from archive.text.quantities import parse_quantity  # noqa: E402

GOLD = ROOT / "tests" / "gold" / "real_pairs"
PAIRS = ROOT.parent / "shared" / "real-plan-pairs"


def available() -> str | None:
    """None when the pairs can be scored, else the reason they cannot."""
    if not PAIRS.is_dir():
        return f"{PAIRS} is absent (the real pairs live in ../shared, outside the repository)"
    return None


def _fold(text: str) -> str:
    return fold_punct(normalize(text or "")).replace(" ", "").replace("\n", "")


def _path_of(segments, prefix: str) -> str | None:  # type: ignore[no-untyped-def]
    want = _fold(prefix)
    for seg in segments:
        if _fold(seg.text).startswith(want):
            return seg.path
    return None


def _bad_number(c: Change) -> str | None:
    """Why a number record is wrong on its face (None when it may be right)."""
    a, b = parse_quantity(c.old_value or ""), parse_quantity(c.new_value or "")
    if a is None or b is None:
        return "unparsed value"
    if not a.is_target or not b.is_target:
        return f"not a target ({a.kind}/{b.kind})"
    if a.family != b.family:
        return f"unit families differ ({a.family}/{b.family})"
    return None


def score_pair(name: str, gold: dict, verbose: bool = False) -> dict:
    """Figures for one pair (see the module docstring for how things are counted)."""
    old = (PAIRS / name / "old.txt").read_text(encoding="utf-8")
    new = (PAIRS / name / "new.txt").read_text(encoding="utf-8")
    start = time.perf_counter()
    result = diff_texts(old, new)
    seconds = time.perf_counter() - start
    so, sn = segments_for_diff(old), segments_for_diff(new)
    texts_o = {s.path: s.body for s in so}  # without the marker: a renumbering is no change
    texts_n = {s.path: s.body for s in sn}
    records = [c for c in result.changes if c.type not in ("noise", "script_only")]

    def ends(c: Change) -> tuple[str | None, str | None]:
        # Records carry both paths (None on the side a piece is missing from); the diff
        # before this benchmark set old_section only when it differed.
        if c.new_section is not None or (c.old_section is not None and c.type == "removed"):
            return c.old_section, c.new_section
        if c.type == "added":
            return None, c.section
        if c.type == "removed":
            return c.section, None
        return c.old_section or c.section, c.section

    judged: dict[int, bool] = {}  # record index → correct?
    why: dict[int, str] = {}
    problems: list[str] = []

    # items
    gold_pairs: set[tuple[str, str]] = set()
    labelled_o: set[str] = set()
    labelled_n: set[str] = set()
    items_found = 0
    for entry in gold["items"]:
        po = _path_of(so, entry[0])
        alts = entry[1] if isinstance(entry[1], list) else [entry[1]]
        pns = [p for p in (_path_of(sn, a) for a in alts) if p]
        if po is None or not pns:
            problems.append(f"gold prefix not found: {entry}")
            continue
        labelled_o.add(po)
        labelled_n.update(pns)
        gold_pairs.update((po, pn) for pn in pns)
        hit = any(ends(c) in {(po, pn) for pn in pns} for c in records)
        if not hit:
            untouched = not any(po in ends(c) or any(p in ends(c) for p in pns) for c in records)
            hit = untouched and any(_fold(texts_o[po]) == _fold(texts_n[p]) for p in pns)
        items_found += hit
        if not hit:
            problems.append(f"item not paired: {po} → {'|'.join(pns)}  ({entry[0]})")
    added = {p for p in (_path_of(sn, a) for a in gold.get("added", [])) if p}
    removed = {p for p in (_path_of(so, r) for r in gold.get("removed", [])) if p}
    ar_found = 0
    for p in added:
        ok = any(c.type == "added" and ends(c) == (None, p) for c in records)
        ar_found += ok
        if not ok:
            problems.append(f"not reported added: {p}")
    for p in removed:
        ok = any(c.type == "removed" and ends(c) == (p, None) for c in records)
        ar_found += ok
        if not ok:
            problems.append(f"not reported removed: {p}")
    for i, c in enumerate(records):
        if c.type in ("number_changed", "target_added", "target_removed", "year_rollover"):
            continue
        if c.type in ("added", "removed") and None not in ends(c):
            continue  # a sentence inside a paired item: not an item-level decision
        o, n = ends(c)
        if (c.type == "added" and n in added) or (c.type == "removed" and o in removed):
            judged[i] = True
        elif (o, n) in gold_pairs:
            judged[i] = True
        elif (
            o is not None
            and n is not None
            and (o, n) not in gold_pairs
            and (o in labelled_o or n in labelled_n)
        ):
            judged[i] = False
            why[i] = "pairs a labelled item with another"
        elif (o is None and n in labelled_n) or (n is None and o in labelled_o):
            judged[i] = False
            why[i] = "reports a labelled item as added or removed"

    # numbers
    targets = gold.get("targets", [])
    t_found = 0
    for t in targets:
        want = (_fold(t["old"]), _fold(t["new"]))
        ok = False
        for i, c in enumerate(records):
            if c.type != "number_changed":
                continue
            if (_fold(c.old_value), _fold(c.new_value)) == want and (
                t["subject"] in _fold(c.old_text) or t["subject"] in _fold(c.new_text)
            ):
                ok = True
                judged[i] = True
        t_found += ok
        if not ok:
            problems.append(f"target not paired: {t['subject']} {t['old']} → {t['new']}")
    not_pairs = {(_fold(a), _fold(b)) for a, b in gold.get("not_pairs", [])}
    labels = {(_fold(a), _fold(b)): ok for a, b, ok in gold.get("number_labels", [])}
    for i, c in enumerate(records):
        if c.type != "number_changed" or judged.get(i):
            continue
        pair = (_fold(c.old_value), _fold(c.new_value))
        bad = _bad_number(c)
        if pair in labels:
            judged[i] = labels[pair]
            if not labels[pair]:
                why[i] = "labelled wrong"
        elif pair in not_pairs or any(a in pair[0] and b in pair[1] for a, b in not_pairs):
            judged[i], why[i] = False, "a not_pairs pair"
        elif bad:
            judged[i], why[i] = False, bad
        else:
            for t in targets:
                in_old = _fold(t["old"]) == pair[0] and t["subject"] in _fold(c.old_text)
                in_new = _fold(t["new"]) == pair[1] and t["subject"] in _fold(c.new_text)
                if in_old != in_new:
                    judged[i], why[i] = False, f"wrong counterpart for {t['subject']}"
    lone = [("dropped_targets", "target_removed", "old"), ("new_targets", "target_added", "new")]
    lone_found = lone_total = 0
    for key, kind, side in lone:
        for t in gold.get(key, []):
            lone_total += 1
            value = _fold(t[side])
            ok = False
            for i, c in enumerate(records):
                v = c.old_value if side == "old" else c.new_value
                text = c.old_text if side == "old" else c.new_text
                if c.type == kind and _fold(v) == value:
                    ok = True
                    judged[i] = True
                elif c.type in ("removed", "added") and value in _fold(text):
                    ok = True
            lone_found += ok
            if not ok:
                problems.append(f"{kind} not reported: {t['subject']} {t[side]}")

    structure = gold.get("splits", []) + gold.get("merges", [])
    sm_found = sum(
        any(c.type in ("split", "merged") for c in records) for _ in structure
    )  # coarse: reported at all
    labelled = len(gold["items"]) + len(added) + len(removed) + len(targets) + lone_total
    found = items_found + ar_found + t_found + lone_found
    correct = sum(judged.values())
    numbers = [i for i, c in enumerate(records) if c.type == "number_changed"]
    n_right = sum(judged.get(i) is True for i in numbers)
    n_wrong = sum(judged.get(i) is False for i in numbers)
    out = {
        "pair": name,
        "blind": bool(gold.get("blind")),
        "seconds": seconds,
        "records": len(records),
        "labelled": labelled,
        "found": found,
        "recall": found / labelled if labelled else 1.0,
        "judged": len(judged),
        "correct": correct,
        "precision": correct / len(judged) if judged else 1.0,
        "items": (items_found, len(gold["items"])),
        "targets": (t_found, len(targets)),
        "numbers_right": n_right,
        "numbers_wrong": n_wrong,
        "numbers_unjudged": len(numbers) - n_right - n_wrong,
        "moved": sum(c.type == "moved" for c in records),
        "split_merge": (sm_found, len(structure)),
        "problems": problems,
        "wrong": [
            f"{records[i].type} {ends(records[i])} {records[i].old_value or ''}"
            f"→{records[i].new_value or ''}: {why.get(i, '')}"
            for i, ok in judged.items()
            if not ok
        ],
    }
    return out


def evaluate(names: list[str] | None = None) -> dict[str, dict]:
    """Score every pair that has gold (or the ones named)."""
    out = {}
    for path in sorted(GOLD.glob("*.json")):
        if names and path.stem not in names:
            continue
        if not (PAIRS / path.stem / "old.txt").exists():
            continue
        out[path.stem] = score_pair(path.stem, json.loads(path.read_text(encoding="utf-8")))
    return out


def _line(f: dict) -> str:
    return (
        f"{f['pair']:24} {'blind' if f['blind'] else '     '} "
        f"R {f['recall']:.3f} ({f['found']}/{f['labelled']})  "
        f"P {f['precision']:.3f} ({f['correct']}/{f['judged']})  "
        f"items {f['items'][0]}/{f['items'][1]}  targets {f['targets'][0]}/{f['targets'][1]}  "
        f"numbers right {f['numbers_right']} wrong {f['numbers_wrong']} "
        f"unjudged {f['numbers_unjudged']}  moved {f['moved']}  "
        f"split/merge {f['split_merge'][0]}/{f['split_merge'][1]}  "
        f"{f['records']} records  {f['seconds'] * 1000:.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    """Print the figures per pair, then the blind part and all pairs pooled."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pairs", nargs="*", help="pair names (default: every pair with gold)")
    parser.add_argument("--verbose", action="store_true", help="list misses and wrong records")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    reason = available()
    if reason:
        print(f"skipped: {reason}")
        return 0
    figures = evaluate(args.pairs or None)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    for f in figures.values():
        print(_line(f))
        if args.verbose:
            for p in f["problems"]:
                print("    miss ", p)
            for w in f["wrong"]:
                print("    wrong", w)
    for label, keep in (("blind", lambda f: f["blind"]), ("all", lambda f: True)):
        part = [f for f in figures.values() if keep(f)]
        if not part:
            continue
        found, labelled = sum(f["found"] for f in part), sum(f["labelled"] for f in part)
        correct, judged = sum(f["correct"] for f in part), sum(f["judged"] for f in part)
        print(
            f"{label:6} pooled: R {found / labelled:.3f} ({found}/{labelled})  "
            f"P {correct / max(judged, 1):.3f} ({correct}/{judged})  "
            f"numbers wrong {sum(f['numbers_wrong'] for f in part)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
