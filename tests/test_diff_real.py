"""The diff on real restructured plans: six pairs of provincial work reports (../shared).

Scored by benchmarks/eval_diff_real.py against the hand-written gold in tests/gold/real_pairs;
the floors are in tests/gold/real_pairs/floors.json. Skipped when the pairs are absent.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FLOORS = json.loads((REPO / "tests/gold/real_pairs/floors.json").read_text(encoding="utf-8"))


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "eval_diff_real", REPO / "benchmarks" / "eval_diff_real.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def figures() -> dict[str, dict]:
    ev = _module()
    reason = ev.available()
    if reason:
        pytest.skip(reason)
    return ev.evaluate()


def test_every_pair_has_gold(figures: dict[str, dict]) -> None:
    assert len(figures) == 6


def test_real_pair_floors(figures: dict[str, dict]) -> None:
    for name, f in figures.items():
        assert f["recall"] >= FLOORS["per_pair"]["recall"], (name, f["problems"])
        assert f["precision"] >= FLOORS["per_pair"]["precision"], (name, f["wrong"])
    for part, keep in (("pooled", lambda f: True), ("blind", lambda f: f["blind"])):
        chosen = [f for f in figures.values() if keep(f)]
        found = sum(f["found"] for f in chosen) / sum(f["labelled"] for f in chosen)
        right = sum(f["correct"] for f in chosen) / sum(f["judged"] for f in chosen)
        assert found >= FLOORS[part]["recall"], part
        assert right >= FLOORS[part]["precision"], part
    wrong = sum(f["numbers_wrong"] for f in figures.values())
    assert wrong <= FLOORS["max_wrong_number_pairs"]
    if FLOORS.get("every_target_paired"):
        for name, f in figures.items():
            assert f["targets"][0] == f["targets"][1], (name, f["problems"])


def test_moved_items_are_not_removed_and_added(figures: dict[str, dict]) -> None:
    for name, f in figures.items():
        assert f["items"][0] == f["items"][1], (name, f["problems"])
