"""Word segmentation for the search index: jieba's search mode (HMM off), in half the time.

Segmenting a new version's text with ``jieba.Tokenizer.cut_for_search`` was three quarters of
the extraction worker's CPU on a first crawl (about 10 ms of a 2,500-character page), the
largest single cost of archiving a page. :class:`SearchCut` runs jieba's own algorithm on
jieba's own dictionary (the tokenizer it is given, user dictionary included), so the tokens
are the same, token for token (``tests/test_wordcut.py`` holds it against jieba): the
maximum-probability route over the prefix dictionary, ties going to the longer word, single
ASCII letters and digits run together, and search mode's dictionary 2- and 3-grams of every
longer word. Only the bookkeeping is ours: one backward pass that scores each word while the
prefix scan finds it (jieba builds a DAG dict, then scores it through a generator), memoised
log-probabilities, and no tokens made for spaces and punctuation, which the index drops.
"""

from __future__ import annotations

import re
from math import log
from typing import Any

_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# Log-probabilities are below 0: this marks a dictionary entry that is only a prefix.
_PREFIX_ONLY = 1.0
_NO_ROUTE = float("-inf")  # below every route's score


def is_word(token: str) -> bool:
    """Whether a token is indexed: it holds a letter or a digit (punctuation is not)."""
    return token.isalnum() or any(c.isalnum() for c in token)


class SearchCut:
    """``[t for t in tokenizer.cut_for_search(text, HMM=False) if is_word(t)]``, faster."""

    def __init__(self, tokenizer: Any) -> None:
        tokenizer.check_initialized()
        self._freq: dict[str, int] = tokenizer.FREQ
        self._logtotal = log(tokenizer.total)
        # Only words the texts use get an entry: bounded by the dictionary's size.
        self._logp: dict[str, float] = {}
        import jieba

        self._han: re.Pattern[str] = jieba.re_han_default

    def words(self, text: str) -> list[str]:
        """The index tokens of ``text`` (already folded), in jieba's search-mode order."""
        out: list[str] = []
        add = out.append
        freq = self._freq
        han = self._han
        for block in han.split(text):
            if not block:
                continue
            if not han.match(block):
                # jieba yields such a block one character at a time (spaces whole).
                out.extend(c for c in block if c.isalnum())
                continue
            # Only a block holding one of the symbols jieba keeps inside (+#&._%-) can yield
            # a token that is no word: the others need no filtering, token by token.
            kept = out if block.isalnum() else []
            add = kept.append
            for w in self._cut(block):
                n = len(w)
                if n > 2:
                    for i in range(n - 1):
                        if freq.get(w[i : i + 2]):
                            add(w[i : i + 2])
                    if n > 3:
                        for i in range(n - 2):
                            if freq.get(w[i : i + 3]):
                                add(w[i : i + 3])
                add(w)
            if kept is not out:
                out.extend(t for t in kept if is_word(t))
        return out

    def _cut(self, s: str) -> list[str]:
        """jieba's ``__cut_DAG_NO_HMM`` of one block of Han characters, letters and digits."""
        n = len(s)
        best = [0.0] * (n + 1)  # best log-probability of s[k:]
        end = [0] * (n + 1)  # where the first word of that best route ends
        freq, logp, logtotal = self._freq, self._logp, self._logtotal
        floor = 0.0 - logtotal  # a character that is no word: frequency 1
        for k in range(n - 1, -1, -1):
            score = _NO_ROUTE
            stop = k + 1
            i = k + 1
            frag = s[k]
            while True:
                # One lookup per prefix once seen: logp holds prefix-only entries too.
                lp = logp.get(frag)
                if lp is None:
                    f = freq.get(frag)
                    if f is None:
                        break
                    lp = logp[frag] = (log(f) - logtotal) if f else _PREFIX_ONLY
                if lp != _PREFIX_ONLY:
                    v = lp + best[i]
                    if v >= score:  # a tie goes to the longer word
                        score, stop = v, i
                if i >= n:
                    break
                i += 1
                frag = s[k:i]
            best[k] = floor + best[k + 1] if score == _NO_ROUTE else score
            end[k] = stop
        words: list[str] = []
        x, run = 0, ""
        while x < n:
            y = end[x]
            if y - x == 1 and s[x] in _ASCII_ALNUM:
                run += s[x]
            else:
                if run:
                    words.append(run)
                    run = ""
                words.append(s[x:y])
            x = y
        if run:
            words.append(run)
        return words
