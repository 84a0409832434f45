"""Score the diff stage against the hand-written gold set and time it on large pairs.

Run: ``python benchmarks/eval_diff.py [--json] [--skip-timing]``.

Gold cases live in tests/gold/diff/<case>/{old.txt,new.txt,expected.json}. An expected
change is ``{"type", "section", "old_value"?, "new_value"?, "old"?, "new"?}``. A reported
change matches an expected one when

* the types are equal,
* the sections are equal (the new path; the old path for ``removed``),
* each expected value is contained in the reported one or the other way round
  (``15`` and ``15址`` match), and
* each expected snippet ``old`` / ``new`` occurs in the reported ``old_text`` / ``new_text``
  (spaces ignored; an empty snippet requires an empty text).

Only substantive changes are scored (``noise`` and ``script_only`` are never alarms).
*Any-match* precision counts reported changes that match some expected change, recall
expected changes matched by some reported one. *One-to-one* pairs them as a maximum
bipartite matching, so a change reported twice, or two edits reported as one, costs.

The timing part writes synthetic ~300 KB and ~1 MB pairs (seed sentences shuffled into a
plan of sections and numbered items, then edited: numbers, rewordings, removals,
additions, moves, renumbering) to a temporary directory, scores them the same way, and
times ``policywatch diff OLD NEW --format json`` in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.text.diff import NOISE_TYPES, Change, diff_texts  # noqa: E402
from archive.text.normalize import to_simplified  # noqa: E402
from archive.text.segment import split_sentences  # noqa: E402

GOLD = ROOT / "tests" / "gold" / "diff"
_CN = "一二三四五六七八九十"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def matches(expected: dict, got: Change) -> bool:
    """The matching rule of the module docstring."""
    if expected["type"] != got.type or expected.get("section", got.section) != got.section:
        return False
    for key in ("old_value", "new_value"):
        if key in expected:
            want, have = _squash(expected[key]), _squash(getattr(got, key) or "")
            if not have or (want not in have and have not in want):
                return False
    for key, attr in (("old", "old_text"), ("new", "new_text")):
        if key in expected:
            want, have = _squash(expected[key]), _squash(getattr(got, attr))
            if (want == "") != (have == "") or want not in have:
                return False
    return True


def _one_to_one(expected: list[dict], got: list[Change]) -> int:
    """Size of a maximum matching between expected and reported changes (Kuhn's algorithm)."""
    edges = [[j for j, g in enumerate(got) if matches(e, g)] for e in expected]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(expected)))


def score(expected: list[dict], got: list[Change]) -> dict:
    """Counts and figures for one pair."""
    got = [c for c in got if c.type not in NOISE_TYPES]
    tp_got = sum(any(matches(e, g) for e in expected) for g in got)
    tp_exp = sum(any(matches(e, g) for g in got) for e in expected)
    one = _one_to_one(expected, got)
    numbers = [e for e in expected if e["type"] == "number_changed"]
    caught = sum(any(matches(e, g) for g in got) for e in numbers)
    return {
        "expected": len(expected),
        "reported": len(got),
        "p": tp_got / len(got) if got else 1.0,
        "r": tp_exp / len(expected) if expected else 1.0,
        "p1": one / len(got) if got else 1.0,
        "r1": one / len(expected) if expected else 1.0,
        "numbers": (caught, len(numbers)),
        "misses": [e for e in expected if not any(matches(e, g) for g in got)],
        "extras": [g for g in got if not any(matches(e, g) for e in expected)],
    }


def f1(p: float, r: float) -> float:
    """Harmonic mean (0 when both are 0)."""
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate_gold() -> dict[str, dict]:
    """Score every gold case; returns case → figures."""
    out = {}
    for case in sorted(p for p in GOLD.iterdir() if (p / "expected.json").exists()):
        old = (case / "old.txt").read_text(encoding="utf-8")
        new = (case / "new.txt").read_text(encoding="utf-8")
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))["changes"]
        start = time.perf_counter()
        result = diff_texts(old, new)
        figures = score(expected, list(result.changes))
        figures["seconds"] = time.perf_counter() - start
        figures["substantive"] = result.substantive
        out[case.name] = figures
    return out


# --- synthetic large pairs ------------------------------------------------------------


def _sentence_pool() -> list[str]:
    pool: list[str] = []
    # The repo's own gold texts, so the pair is the same on every clone (../shared may be absent).
    for path in sorted(GOLD.glob("*/*.txt")):
        for line in to_simplified(path.read_text(encoding="utf-8")).splitlines():
            pool.extend(s for s in split_sentences(line) if 12 <= len(s) <= 160)
    return sorted(set(pool))


def _cn(n: int) -> str:
    if n <= 10:
        return _CN[n - 1]
    tens, ones = divmod(n, 10)
    return (_CN[tens - 1] if tens > 1 else "") + "十" + (_CN[ones - 1] if ones else "")


def synthetic_pair(target_bytes: int, seed: int = 7) -> tuple[str, str, list[dict]]:
    """An old plan of about ``target_bytes`` UTF-8 bytes, an edited new one, and its edits."""
    rng = random.Random(seed)
    pool = _sentence_pool()
    numbered = [s for s in pool if _NUMBER.search(s)]
    sections: list[list[str]] = []
    size, count = 0, 0
    while size < target_bytes:
        items = []
        for _ in range(rng.randint(30, 60)):
            count += 1
            body = rng.sample(pool, rng.randint(2, 5))
            if rng.random() < 0.5:
                body[rng.randrange(len(body))] = rng.choice(numbered)
            # a unique heading phrase, as real plans have: items are told apart
            items.append(f"工作任务{count}落实。" + "".join(body))
            size += len(items[-1].encode())
        sections.append(items)
    old_text, old_paths = _render([[{"text": t} for t in items] for items in sections])
    new = [
        [{"text": t, "old_path": old_paths[(s, k)], "kind": None} for k, t in enumerate(items)]
        for s, items in enumerate(sections)
    ]
    for items in new:
        for item in items:
            _edit(item, rng)
        if rng.random() < 0.3 and len(items) > 3:
            victim = rng.choice([i for i in items if i["kind"] is None] or items)
            victim["kind"] = "removed"
        if rng.random() < 0.3:
            added = {"text": "新增重点任务。" + "".join(rng.sample(pool, 3)), "kind": "added"}
            items.insert(rng.randrange(len(items) + 1), added)
    for _ in range(max(1, count // 150)):
        s, t = rng.sample(range(len(new)), 2)
        plain = [i for i in new[s] if i["kind"] is None]
        if plain:
            item = rng.choice(plain)
            new[s].remove(item)
            item["kind"] = "moved"
            new[t].insert(rng.randrange(len(new[t]) + 1), item)
    new_text, _ = _render(new)
    return old_text, new_text, _expected(new)


_NUMBER = re.compile(r"(\d+)(个|所|名|项|人次|家|处|%)")
_EXTRA = "并建立季度通报和年度考核制度。"


def _edit(item: dict, rng: random.Random) -> None:
    roll, text = rng.random(), item["text"]
    m = _NUMBER.search(text)
    if roll < 0.04 and m and text.count(m.group()) == 1:
        value = str(int(m.group(1)) + rng.randint(1, 9)) + m.group(2)
        item.update(text=text.replace(m.group(), value), kind="number", old=m.group(), new=value)
    elif roll < 0.07:
        sentences = split_sentences(text)
        j = rng.randrange(1, len(sentences))
        sentences[j] = sentences[j].rstrip("。；;!?！？") + "," + _EXTRA
        item.update(text="".join(sentences), kind="modified")


def _render(sections: list[list[dict]]) -> tuple[str, dict[tuple[int, int], str]]:
    lines, paths, n = ["某区教育体育工作要点"], {}, 0
    for s, items in enumerate(sections):
        lines.append(f"{_cn(s + 1)}、第{_cn(s + 1)}方面重点工作")
        for k, item in enumerate(items):
            if item.get("kind") == "removed":
                continue
            n += 1
            paths[(s, k)] = item["path"] = f"{_cn(s + 1)}.{n}"
            lines.append(f"{n}.{item['text']}")
    return "\n".join(lines) + "\n", paths


def _expected(sections: list[list[dict]]) -> list[dict]:
    out: list[dict] = []
    for item in (i for items in sections for i in items):
        kind = item["kind"]
        if kind == "removed":
            out.append({"type": "removed", "section": item["old_path"]})
        elif kind in ("added", "moved"):
            out.append({"type": kind, "section": item["path"]})
        elif kind == "number":
            out.append({"type": "number_changed", "section": item["path"],
                        "old_value": item["old"], "new_value": item["new"]})  # fmt: skip
        elif kind == "modified":
            out.append({"type": "modified", "section": item["path"], "new": _EXTRA})
    return out


def time_cli(old: Path, new: Path, runs: int = 3) -> float:
    """Best wall time of ``policywatch diff OLD NEW --format json`` (start-up included)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "scheduler", "diff", str(old), str(new), "--format", "json"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        best = min(best, time.perf_counter() - start)
    return best


def evaluate_large(tmp: Path) -> dict[str, dict]:
    """Score and time the synthetic pairs."""
    out = {}
    for name, size in (("300KB", 300_000), ("1MB", 1_000_000)):
        old, new, expected = synthetic_pair(size)
        po, pn = tmp / f"{name}.old.txt", tmp / f"{name}.new.txt"
        po.write_text(old, encoding="utf-8")
        pn.write_text(new, encoding="utf-8")
        start, cpu = time.perf_counter(), time.process_time()
        result = diff_texts(old, new)
        figures = score(expected, list(result.changes))
        figures["in_process"] = time.perf_counter() - start
        figures["cpu"] = time.process_time() - cpu  # what the diff costs when cores are shared
        figures["cli"] = time_cli(po, pn)
        figures["bytes"] = (len(old.encode()), len(new.encode()))
        out[name] = figures
    return out


def single_item_pairs() -> dict[str, tuple[str, str]]:
    """Worst cases for the sentence step: one item made of one sentence repeated (96 KB took
    37 s when sentences were diffed with a quadratic matcher), and of distinct sentences,
    at 1 MB, each with one sentence changed in the middle and one dropped near the end."""
    out = {}
    same = "坚持以人民为中心发展教育,加快推进教育现代化。"
    pool = _sentence_pool()
    for name, size, make in (
        ("96KB repeated", 96_000, lambda k: same),
        ("1MB repeated", 1_000_000, lambda k: same),
        ("1MB distinct", 1_000_000, lambda k: f"{pool[k % len(pool)].rstrip('。')}第{k}项。"),
    ):
        sentences, total, k = [], 0, 0
        while total < size:
            sentences.append(make(k))
            total += len(sentences[-1].encode())
            k += 1
        new = list(sentences)
        new[len(new) // 2] = "新增一句关于学校建设的安排,建成学校12所。"
        del new[-3]
        out[name] = ("标题\n1.加强教育" + "".join(sentences), "标题\n1.加强教育" + "".join(new))
    return out


def time_single_items() -> dict[str, dict]:
    """In-process seconds and record count of :func:`single_item_pairs`."""
    out = {}
    for name, (old, new) in single_item_pairs().items():
        start, cpu = time.perf_counter(), time.process_time()
        result = diff_texts(old, new)
        out[name] = {
            "seconds": time.perf_counter() - start,
            "cpu": time.process_time() - cpu,
            "changes": len(result.changes),
            "longest_text": max(
                (len(c.old_text) + len(c.new_text) for c in result.changes), default=0
            ),
        }
    return out


def _line(name: str, f: dict) -> str:
    caught, total = f["numbers"]
    return (
        f"{name:22} exp {f['expected']:3} got {f['reported']:3}  "
        f"P {f['p']:.3f} R {f['r']:.3f} F1 {f1(f['p'], f['r']):.3f}  "
        f"1:1 P {f['p1']:.3f} R {f['r1']:.3f} F1 {f1(f['p1'], f['r1']):.3f}  "
        f"numbers {caught}/{total}"
    )


def main(argv: list[str] | None = None) -> int:
    """Print the figures (or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--skip-timing", action="store_true", help="gold set only")
    parser.add_argument("--verbose", action="store_true", help="list misses and extras")
    args = parser.parse_args(argv)
    gold = evaluate_gold()
    large: dict[str, dict] = {}
    single: dict[str, dict] = {}
    if not args.skip_timing:
        with tempfile.TemporaryDirectory() as tmp:
            large = evaluate_large(Path(tmp))
        single = time_single_items()
    if args.json:
        strip = {"misses", "extras"}
        print(json.dumps({
            "gold": {k: {x: y for x, y in v.items() if x not in strip} for k, v in gold.items()},
            "large": {k: {x: y for x, y in v.items() if x not in strip} for k, v in large.items()},
            "single_item": single,
        }, ensure_ascii=False, indent=2))  # fmt: skip
        return 0
    print("gold set (tests/gold/diff)")
    for name, f in gold.items():
        print(_line(name, f) + f"  {f['seconds'] * 1000:.0f} ms")
        if args.verbose:
            for e in f["misses"]:
                print("    miss ", e)
            for g in f["extras"]:
                print("    extra", g.type, g.section, g.old_value, g.new_value, g.new_text[:40])
    noise = [n for n, f in gold.items() if f["expected"] == 0]
    alarms = sum(gold[n]["reported"] for n in noise)
    print(f"false alarms on no-change pairs ({', '.join(noise)}): {alarms}")
    caught = sum(f["numbers"][0] for f in gold.values())
    total = sum(f["numbers"][1] for f in gold.values())
    print(f"numbers caught with old and new values: {caught}/{total}")
    for name, f in large.items():
        print(_line(f"synthetic {name}", f))
        print(
            f"{'':22} {f['bytes'][0] / 1000:.0f} KB old / {f['bytes'][1] / 1000:.0f} KB new: "
            f"in-process {f['in_process']:.3f} s (CPU {f['cpu']:.3f} s), "
            f"`policywatch diff` {f['cli']:.3f} s"
        )
    for name, f in single.items():
        print(
            f"single item {name:14} in-process {f['seconds']:.3f} s (CPU {f['cpu']:.3f} s), "
            f"{f['changes']} changes, "
            f"longest change {f['longest_text']} chars"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
