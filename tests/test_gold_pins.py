"""The quality floors and the gold they are measured on cannot change silently.

A floor lowered to let a regression pass, or a gold file edited to match an extractor's
output, changes a digest here; the change must then be re-pinned on purpose with
``python -m tests.gold.pin --update``, in a commit that says why.
"""

from __future__ import annotations

import json

from tests.gold import pin


def test_gold_sets_and_floors_match_their_pins() -> None:
    assert pin.PINS.exists(), "run `python -m tests.gold.pin --update` once"
    drift = pin.changed()
    assert not drift, (
        f"gold or floors changed without re-pinning: {', '.join(drift)} "
        "(if on purpose: python -m tests.gold.pin --update, and say why in the commit)"
    )


def test_an_edit_to_a_gold_file_is_seen(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    gold = tmp_path / "gold"
    (gold / "diff" / "case").mkdir(parents=True)
    (gold / "diff" / "floors.json").write_text('{"f1": 0.97}', encoding="utf-8")
    (gold / "diff" / "case" / "old.txt").write_text("一、", encoding="utf-8")
    monkeypatch.setattr(pin, "GOLD", gold)
    monkeypatch.setattr(pin, "PINS", gold / "pins.json")
    pin.PINS.write_text(json.dumps(pin.corpus_digests()), encoding="utf-8")
    assert pin.changed() == []
    (gold / "diff" / "floors.json").write_text('{"f1": 0.90}', encoding="utf-8")
    assert pin.changed() == ["diff/floors.json"]
