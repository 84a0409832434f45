"""Search keys for Chinese text: script folding, word segmentation, snippets (no database).

The index and the query go through the same two steps, so they always agree:

* :func:`fold` — traditional → simplified (OpenCC t2s), NFKC, lower case and one bracket
  form for 〔〕/［］/[]/()/【】, *one character for one character*, so a position found in the
  folded text is the same position in the text as archived (snippets are cut from the
  original, highlights land on the right characters);
* :func:`tokens` — jieba in search mode over the folded text with a user dictionary of policy
  terms (双减, 课后服务 …; jieba's algorithm, run by :mod:`archive.text.wordcut`), HMM off:
  unknown words fall apart into single characters the same way in every context, which is
  what makes the query side predictable.

A query whose words the segmenter splits into single characters (津滨教体, 二幼) or that looks
like a document number is searched as an exact substring instead (:func:`plan_query`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .normalize import to_simplified
from .wordcut import SearchCut, is_word

USER_DICT = Path(__file__).with_name("policy_terms.txt")
SNIPPET_RADIUS = 40

_BRACKETS = {
    **dict.fromkeys("〔［[（(【〖", "["),
    **dict.fromkeys("〕］]）)】〗", "]"),
}
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}\s*\[\s*(?:19|20)\d{2}\s*\]\s*\d{1,5}\s*号?")


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    folded = _BRACKETS.get(c)
    if folded is not None:
        return folded
    folded = unicodedata.normalize("NFKC", c).lower()
    folded = _BRACKETS.get(folded, folded)
    return folded if len(folded) == 1 else c


def fold(text: str) -> str:
    """Script-, width- and case-neutral form of ``text``, exactly as long as ``text``."""
    if not text:
        return text
    simplified = to_simplified(text)
    if len(simplified) != len(text):
        # A phrase conversion changed the length: convert one character at a time instead,
        # which keeps positions (and loses only the rare multi-character phrase mappings).
        simplified = "".join(to_simplified(c) if len(to_simplified(c)) == 1 else c for c in text)
    return "".join(map(_fold_char, simplified))


@lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    # A tokenizer of our own: the user dictionary never leaks into another user of jieba.
    tk = jieba.Tokenizer()
    tk.initialize()
    with USER_DICT.open("rb") as words:  # jieba would leave a path's file open
        tk.load_userdict(words)
    return tk


@lru_cache(maxsize=1)
def _search_cut() -> SearchCut:
    return SearchCut(_tokenizer())


def release_dictionary() -> None:
    """Let go of the word dictionary (about 70 MB in a process): for a process that has
    handed its indexing to another (the crawl process, once its recorder runs). Loaded again
    by the next call that needs it."""
    _search_cut.cache_clear()
    _tokenizer.cache_clear()


def tokens(text: str) -> list[str]:
    """Index tokens of a text: folded, segmented in search mode (words and their parts)."""
    return _search_cut().words(fold(text))


# Word segmentation (jieba, pure Python) runs at about 0.2-0.5 M characters a second: a 3 M
# character page took 15-30 s to index. Words are indexed in the first 200,000 characters
# (a long 实施方案 is 20,000-60,000; PostgreSQL keeps no position past 16,383 anyway); the
# whole text is archived, and the archive notes the cut on the record.
MAX_WORD_INDEX_CHARS = 200_000


def index_head(title: str, doc_number: str | None) -> str:
    """What a version's title field of the index holds: its title and its 文号."""
    return f"{title}\n{doc_number}" if doc_number else title


def index_terms(title: str, doc_number: str | None, body: str) -> tuple[str, str, str, str]:
    """A version's index entry: folded head and body, and their space-joined tokens.

    Pure, so that it can run where the text was extracted (the crawler's worker processes)
    and travel with the capture, instead of in the one process that writes the archive.
    """
    head = fold(index_head(title, doc_number))
    body = fold(body)  # as long as the text: its head is the fold of the text's head
    cut = _search_cut()
    return head, body, " ".join(cut.words(head)), " ".join(cut.words(body[:MAX_WORD_INDEX_CHARS]))


def query_tokens(text: str) -> list[str]:
    """Tokens of a query: folded, segmented in precise mode (each is also an index token)."""
    return [t.strip() for t in _tokenizer().cut(fold(text), HMM=False) if is_word(t.strip())]


def words(text: str) -> list[str]:
    """``text`` cut into words (for word-level diff highlights), in its own script.

    The cut is made on the folded text and applied to the original: fold keeps positions,
    so traditional-script text is cut into words as well as simplified.
    """
    out, pos = [], 0
    for tok in _tokenizer().cut(fold(text), HMM=False):
        out.append(text[pos : pos + len(tok)])
        pos += len(tok)
    return out


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """How a query is answered: by words (``tokens``), or as exact substrings (``needles``)."""

    tokens: tuple[str, ...] = ()
    needles: tuple[str, ...] = ()

    @property
    def substring(self) -> bool:
        return bool(self.needles)

    @property
    def marks(self) -> tuple[str, ...]:
        """What to highlight in a snippet (folded forms)."""
        return self.needles or self.tokens


def plan_query(text: str) -> QueryPlan:
    """Split a query on spaces; every part must match. Substring search when the segmenter
    would split a part into single characters, or the part has punctuation (a 文号)."""
    parts = [p for p in fold(text).split() if p]
    words: list[str] = []
    needles: list[str] = []
    for part in parts:
        toks = query_tokens(part)
        cjk_singles = any(len(t) == 1 and not t.isascii() for t in toks)
        # Punctuation inside a part (a%b, 12.5%, [2022]) means the user wants it literally.
        literal = not all(c.isalnum() for c in part)
        if _DOC_NUMBER.fullmatch(part) or cjk_singles or literal or not toks:
            needles.append(part)
        else:
            words.extend(toks)
    if needles:
        # One mode per query keeps ranking simple: the word parts become substrings too.
        return QueryPlan(needles=tuple(needles + [p for p in parts if p not in needles]))
    return QueryPlan(tokens=tuple(dict.fromkeys(words)))


@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of the archived text around the first hit, with the hits' spans in it."""

    text: str
    marks: tuple[tuple[int, int], ...]


def snippet(original: str, folded: str, marks: tuple[str, ...]) -> Snippet:
    """Cut a snippet of ``original`` around the earliest of ``marks`` found in ``folded``."""
    hits = [(folded.find(m), m) for m in marks if m]
    hits = [(p, m) for p, m in hits if p >= 0]
    if not hits:
        text = original[: 2 * SNIPPET_RADIUS].replace("\n", " ")
        return Snippet(text, ())
    pos, first = min(hits)
    start = max(0, pos - SNIPPET_RADIUS)
    end = min(len(original), pos + len(first) + SNIPPET_RADIUS)
    window = folded[start:end]
    spans: list[tuple[int, int]] = []
    for m in marks:
        i = window.find(m)
        while i >= 0 and m:
            spans.append((i, i + len(m)))
            i = window.find(m, i + len(m))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return Snippet(original[start:end].replace("\n", " "), tuple(merged))


def highlight(snip: Snippet, before: str = "【", after: str = "】") -> str:
    """The snippet with its hits wrapped (plain text; the web UI escapes and uses <mark>)."""
    out, last = [], 0
    for a, b in snip.marks:
        out += [snip.text[last:a], before, snip.text[a:b], after]
        last = b
    out.append(snip.text[last:])
    return "".join(out)


# -- document numbers (文号) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocNumber:
    """A parsed 文号: 津滨教体〔2022〕12号 → issuer 津滨教体, year 2022, sequence 12."""

    issuer: str
    year: int
    sequence: int

    def __str__(self) -> str:
        return f"{self.issuer}〔{self.year}〕{self.sequence}号"


_DOC_PARTS = re.compile(r"^\s*(\D+?)\s*\[\s*(\d{4})\s*\]\s*第?\s*0*(\d{1,5})\s*号?\s*$")


def parse_doc_number(text: str | None) -> DocNumber | None:
    """Parse a 文号 in any bracket style or script; None when it is not one."""
    if not text:
        return None
    m = _DOC_PARTS.match(fold(text))
    if m is None:
        return None
    return DocNumber(m.group(1), int(m.group(2)), int(m.group(3)))


def doc_number_matches(wanted: str, actual: str | None) -> bool:
    """Whether ``actual`` is the document number ``wanted`` (a full 文号, or an issuer prefix
    with an optional year: 津滨教体, 津滨教体〔2022〕)."""
    if not actual:
        return False
    got = parse_doc_number(actual)
    full = parse_doc_number(wanted)
    if full is not None:
        return got == full
    w = fold(wanted).strip()
    m = re.match(r"^(\D+?)\s*(?:\[\s*(\d{4})\s*\]?)?\s*$", w)
    if got is None or m is None:
        return bool(w) and w in fold(actual)
    return got.issuer.startswith(m.group(1)) and (m.group(2) is None or got.year == int(m.group(2)))
