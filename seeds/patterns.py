"""Operator-written URL patterns (``documents``, ``follow``, ``attachments``), run bounded.

A source's patterns are matched against every link a site prints, and a site chooses its
links: one catastrophic pattern (``^/(\\w+\\s?)+$``) and a long link hang the crawl. So a
pattern is checked at load, by running it against long strings made of its own characters
under a time limit, and every match at crawl time runs under a limit too (the ``regex``
module's ``timeout``: same syntax as ``re``, and it can be interrupted).
"""

from __future__ import annotations

import re
import time

import regex

__all__ = ["MATCH_TIMEOUT", "check_pattern", "compile_bounded"]

MATCH_TIMEOUT = 0.25  # seconds one link may cost one pattern at crawl time
_PROBE_TIMEOUT = 0.25
_PROBE_LENGTH = 3000
_META = set("\\^$.|?*+()[]{}")


def compile_bounded(pattern: str) -> regex.Pattern[str]:
    """``pattern`` compiled by the ``regex`` module (match it with ``timeout=``)."""
    return regex.compile(pattern)


def _literals(pattern: str) -> tuple[list[str], list[str]]:
    """(characters, literal runs such as "/doc/") written in ``pattern``."""
    chars: dict[str, None] = {}
    words: dict[str, None] = {}
    word, escaped = "", False
    for ch in pattern:
        if escaped:
            escaped = False
            if ch.isalpha():  # \w \d \s …: a class, not a literal
                word = ""
                continue
        elif ch == "\\":
            escaped = True
            continue
        elif ch in _META:
            if word:
                words[word] = None
            word = ""
            continue
        chars[ch] = None
        word += ch
    if word:
        words[word] = None
    return list(chars), list(words)[:8]


def _probes(pattern: str) -> list[str]:
    chars, words = _literals(pattern)
    alphabet = dict.fromkeys([*chars, "a", "1", "/", ".", " ", "_", "-"])
    out = []
    for prefix in ["", "/", *words]:
        for c in alphabet:
            run = c * _PROBE_LENGTH
            out += [f"{prefix}{run}!", f"{prefix}{run}"]
    return out


# A group holding + or * that is itself repeated by +, * or {n,}: (\w+\s?)+, (a*)*, (x+){2,}.
_NESTED = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)(?:[+*]|\{\d*,\d*\})")


def check_pattern(pattern: str) -> regex.Pattern[str]:
    """Compile ``pattern`` and prove it quick on adversarial links; ``re.error`` if not."""
    try:
        re.compile(pattern)  # the syntax the documentation promises
        compiled = compile_bounded(pattern)
    except (re.error, regex.error) as exc:
        raise re.error(str(exc)) from None
    if _NESTED.search(pattern):
        # The probes below can miss a pattern that backtracks only on links they do not
        # build; a repeated group that itself holds a repeat is refused on sight.
        raise re.error(
            "nested quantifier: a repeated group holds a repeat, such as (a+)+ "
            "(catastrophic backtracking on a long link; rewrite it without the outer repeat)"
        )
    for probe in _probes(pattern):
        # regex's own guards turn some exponential cases polynomial (seconds, no timeout
        # raised): the wall time decides too. A sound pattern takes microseconds here.
        started = time.perf_counter()
        try:
            compiled.search(probe, timeout=_PROBE_TIMEOUT)
            slow = time.perf_counter() - started > _PROBE_TIMEOUT
        except TimeoutError:
            slow = True
        if slow:
            raise re.error(
                f"catastrophic backtracking: more than {_PROBE_TIMEOUT:g} s on a "
                f"{len(probe)}-character link (rewrite nested quantifiers such as (a+)+)"
            )
    return compiled
