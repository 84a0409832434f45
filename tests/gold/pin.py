"""Digests of the gold corpora and their floors: a floor lowered or a gold file edited must say so.

``python -m tests.gold.pin`` prints what changed; ``python -m tests.gold.pin --update`` rewrites
``pins.json`` after a deliberate change (the commit message then says why). The test
``tests/test_gold_pins.py`` fails while ``pins.json`` disagrees with the files.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

GOLD = Path(__file__).resolve().parent
PINS = GOLD / "pins.json"


def corpus_digests() -> dict[str, str]:
    """sha256 over every file of each gold set (a set is a folder under tests/gold/<kind>/)."""
    out: dict[str, str] = {}
    for path in sorted(p for p in GOLD.rglob("*") if p.is_file()):
        rel = path.relative_to(GOLD)
        if rel.name == PINS.name or "__pycache__" in rel.parts or rel.suffix == ".pyc":
            continue
        if len(rel.parts) < 2:
            continue  # this module and pins.json
        key = "/".join(rel.parts[:2]) if len(rel.parts) > 2 else rel.parts[0] + "/" + rel.name
        h = hashlib.sha256()
        if key in out:
            h = hashlib.sha256(bytes.fromhex(out[key]))
        h.update(str(rel).encode())
        h.update(path.read_bytes())
        out[key] = h.hexdigest()
    return out


def changed() -> list[str]:
    """The sets whose files differ from the pinned digests (added, removed or edited)."""
    pinned = json.loads(PINS.read_text(encoding="utf-8")) if PINS.exists() else {}
    now = corpus_digests()
    return sorted(k for k in pinned.keys() | now.keys() if pinned.get(k) != now.get(k))


def main(argv: list[str]) -> int:
    if "--update" in argv:
        PINS.write_text(json.dumps(corpus_digests(), indent=1, sort_keys=True) + "\n", "utf-8")
        print(f"pinned {len(corpus_digests())} gold sets in {PINS}")
        return 0
    diff = changed()
    print("\n".join(diff) if diff else "gold and floors match their pins")
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
