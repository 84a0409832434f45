"""Adversarial inputs for every regular expression that runs on page text (tests only).

``vocabulary()`` collects the module-level compiled patterns of the modules that read what a
site sends (chrome, metadata, extraction, encoding, attachments, normalisation, segmentation,
numbers, alignment, lineage), so a family added later is probed without anyone listing it.
``adversarial()`` builds, for one pattern, long strings out of the pattern's own literal
characters and words: the inputs that make a backtracking engine try every partition of a
run ("打印" + 100 × "|" + " a"). Run as ``python -m tests.patternprobe N`` it searches every
pattern with every string of length about N and prints one JSON line per pattern, announcing
each pattern before it starts, so a parent that kills a hung probe knows which one hung.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import time
from collections.abc import Iterator

MODULES = (
    "archive.text.chrome",
    "crawler.chrome",
    "crawler.metadata",
    "crawler.extract",
    "crawler.encoding",
    "crawler.attachments",
    "archive.text.normalize",
    "archive.text.segment",
    "archive.text.numbers",
    "archive.text.align",
    "archive.text.lineage",
    "archive.text.clean",
)
# Patterns that only ever see a bounded input, with the bound their caller enforces:
# probing them beyond it would measure a length no page can make them see.
BOUNDED: dict[str, int] = {
    # is_chrome_line / _trim_footer_run look only at lines of at most _MAX_CHROME_LEN (120)
    "crawler.chrome.CHROME_LINE[0]": 120,
    "crawler.chrome._FOOTER_STRONG[0]": 120,
    "crawler.chrome._FOOTER_WEAK[0]": 120,
    "archive.text.chrome.CHROME_LINE[0]": 120,
    "archive.text.chrome._FOOTER_STRONG[0]": 120,
    "archive.text.chrome._FOOTER_WEAK[0]": 120,
    # chrome._strip_inline: only the tail of a line (_INLINE_TAIL)
    "crawler.chrome.INLINE_CHROME[0]": 200,
    "archive.text.chrome.INLINE_CHROME[0]": 200,
}

_META = set("\\^$.|?*+()[]{}")


def _patterns_in(value: object) -> Iterator[re.Pattern[str]]:
    if isinstance(value, re.Pattern):
        if isinstance(value.pattern, str):
            yield value
    elif isinstance(value, (tuple, list, frozenset, set)):
        for item in value:
            yield from _patterns_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item)


def vocabulary() -> dict[str, re.Pattern[str]]:
    """Every compiled text pattern at module level of :data:`MODULES`, by dotted name."""
    out: dict[str, re.Pattern[str]] = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            for i, pattern in enumerate(_patterns_in(value)):
                out[f"{name}.{attr}[{i}]"] = pattern
    return out


def _literals(source: str) -> tuple[list[str], list[str]]:
    """(single characters, words) written literally in a pattern's source."""
    chars: dict[str, None] = {}
    words: dict[str, None] = {}
    word = ""
    escaped = False
    for ch in source:
        if escaped:
            escaped = False
            if ch in "sdwSDWbBAZ":
                word = ""
                continue
            chars[ch] = None
            word += ch
            continue
        if ch == "\\":
            escaped = True
            continue
        if ch in _META:
            if len(word) >= 2:
                words[word] = None
            word = ""
            if ch in "|":
                chars[ch] = None
            continue
        chars[ch] = None
        word += ch
    if len(word) >= 2:
        words[word] = None
    return list(chars), list(words)[:16]


# What page text is full of, whatever the pattern: separators, spaces, digits, CJK.
_COMMON = [" ", "\t", "|", "｜", ":", "：", "1", "a", "字", "\u3000", "-", "[", "【", "(", "（"]


def adversarial(pattern: re.Pattern[str], n: int) -> Iterator[tuple[str, str]]:
    """(label, string) pairs of about ``n`` characters built to make ``pattern`` backtrack."""
    chars, words = _literals(pattern.pattern)
    alphabet = list(dict.fromkeys([*chars, *_COMMON]))
    # Characters no pattern expects, so the match must fail late; " a" after a run of
    # separators is the tail that made the toolbar pattern try every partition.
    tails = ("\x01!", " a")
    tail = tails[0]
    for c in alphabet:
        for t in tails:
            yield f"run {c!r}{t!r}", c * n + t
    for i, a in enumerate(alphabet):
        for b in alphabet[i + 1 : i + 8]:
            yield f"alt {a!r}{b!r}", (a + b) * (n // 2) + tail
    for w in words:
        for c in alphabet:
            for t in tails:
                yield f"{w!r}+run {c!r}{t!r}", w + c * n + t
        yield f"repeat {w!r}", (w + " | ") * (n // (len(w) + 3)) + tail
        yield f"repeat {w!r}:", (w + "：") * (n // (len(w) + 1)) + tail


def probe(n: int, budget: float) -> Iterator[dict[str, object]]:
    """Search every pattern with every adversarial string; the slowest per pattern."""
    for name, pattern in vocabulary().items():
        size = min(n, BOUNDED.get(name, n))
        print(json.dumps({"start": name}), flush=True)
        worst, worst_label = 0.0, ""
        cases = 0
        for label, text in adversarial(pattern, size):
            t0 = time.perf_counter()
            pattern.search(text)
            took = time.perf_counter() - t0
            cases += 1
            if took > worst:
                worst, worst_label = took, label
        yield {
            "name": name,
            "cases": cases,
            "length": size,
            "worst": round(worst, 4),
            "worst_input": worst_label,
            "over": worst > budget,
        }


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 20000
    budget = float(argv[1]) if len(argv) > 1 else 0.5
    for row in probe(n, budget):
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
