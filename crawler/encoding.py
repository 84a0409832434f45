"""Decoding stage: page bytes + HTTP header → text, with a record of how.

Order of evidence: an operator override, a byte-order mark, the HTTP ``Content-Type``
charset, the ``<meta>`` charset, then detection among the encodings Chinese bureau sites
actually use (UTF-8, GB18030, Big5). A declared charset is only *evidence*: real pages
label GB2312 bytes as UTF-8 and UTF-8 bytes as GB2312, so every candidate must decode the
bytes strictly and read as plausible Chinese before it is used. Only when no candidate
decodes strictly is a handful of damaged bytes tolerated (real servers send pages with a
truncated character or two): the candidate that replaces fewest bytes, under 0.5% of the
page, still reading as plausible Chinese, is used and the count is recorded. Anything more
damaged is another encoding or binary: :class:`DecodeError` says why.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass
from functools import cache

__all__ = ["DecodeError", "Decoded", "decode_html", "normalize_label"]


class DecodeError(ValueError):
    """The bytes cannot be decoded honestly; the message is one line with the reason."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded page text, the codec used and the evidence that chose it."""

    text: str
    encoding: str
    how: str  # "override" | "bom" | "header" | "meta" | "detected"
    replaced_bytes: int = 0  # undecodable bytes shown as U+FFFD (only on a damaged page)


# GB2312 and GBK are subsets of GB18030: decoding with the superset never loses a page
# that uses a GBK-only character while labelled GB2312 (very common on bureau sites).
# Big5 pages often carry HKSCS/cp950 extras, so the superset codec decodes them too.
_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "cp950": "big5hkscs",
    "utf8": "utf-8",
    "utf-8": "utf-8",
}
# Western single-byte labels decode *any* bytes, so on a page with non-ASCII bytes they are
# a misconfigured server default rather than evidence (they would yield silent mojibake).
_WEAK_LABELS = frozenset(
    {"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "ascii", "us-ascii"}
)
# Detection order: UTF-8 first because valid UTF-8 almost never happens by accident.
_DETECT_ORDER = ("utf-8", "gb18030", "big5hkscs")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
# <meta charset=x> and <meta http-equiv content="…; charset=x">, read from the first 4 KiB
# as ASCII like browsers do (the label itself is always ASCII).
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_CJK = re.compile(r"[\u3400-\u9fff]")
# Below this share of common characters a decoding is mojibake, not text: measured on GB
# and Big5 pages decoded both ways (right codec ≥ 0.97, wrong codec ≤ 0.6).
_MIN_COMMON_SHARE = 0.8
_SAMPLE_CHARS = 20_000  # of page text, where the share of common hanzi is measured
# A page whose undecodable bytes stay under this share is damaged, not in another encoding:
# a GBK page with 12 bad bytes in 38 KB is 0.03%; a wrong codec fails on several percent.
_MAX_DAMAGE_SHARE = 0.005
_REPLACE_HANDLER = "policywatch-count-replace"
_damage = threading.local()


def _count_replace(exc: UnicodeError) -> tuple[str, int]:
    """Replace each undecodable byte with U+FFFD and count it (one count per byte)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _damage.count += exc.end - exc.start
    return "\ufffd" * (exc.end - exc.start), exc.end


codecs.register_error(_REPLACE_HANDLER, _count_replace)


def normalize_label(label: str) -> str | None:
    """Map a charset label to the codec we decode it with, or None if Python lacks it."""
    key = label.strip().strip("\"'").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


@cache
def _common_chars() -> frozenset[str]:
    """GB2312 level-1 hanzi plus Big5 frequently-used hanzi: the characters real text uses."""
    # One decode per table, not one per character: building the set is start-up time.
    gb = bytes(b for lead in range(0xB0, 0xD8) for t in range(0xA1, 0xFF) for b in (lead, t))
    trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    big5 = bytes(b for lead in range(0xA4, 0xC7) for t in trails for b in (lead, t))
    # GB2312 level 1 (3,755 most frequent simplified), Big5 level 1 (5,401 traditional).
    chars = set(gb.decode("gb2312", "ignore")) | set(big5.decode("big5", "ignore"))
    return frozenset(chars)


def _common_share(text: str) -> float:
    """Share of CJK characters that are common ones; 1.0 for text without CJK."""
    # A sample decides as well as the whole page (right codec ≥ 0.97, wrong ≤ 0.6) at a
    # fraction of the cost: the first _SAMPLE hanzi, which the markup head rarely holds.
    cjk = _CJK.findall(text, 0, _SAMPLE_CHARS)
    if not cjk:
        cjk = _CJK.findall(text)
        if not cjk:
            return 1.0
    return sum(map(_common_chars().__contains__, cjk)) / len(cjk)


def _try(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _try_damaged(body: bytes, codec: str) -> tuple[str, int] | None:
    """Decode with replacement; (text, replaced bytes), or None for an unknown codec."""
    _damage.count = 0
    try:
        text = body.decode(codec, errors=_REPLACE_HANDLER)
    except LookupError:
        return None
    return text, _damage.count


def _damaged_fallback(
    body: bytes, candidates: list[tuple[str, str]], tried: list[str]
) -> Decoded | None:
    """The candidate that replaces fewest bytes, if few enough and the text reads as Chinese."""
    best: Decoded | None = None
    limit = int(len(body) * _MAX_DAMAGE_SHARE)  # a page under 200 bytes may have none
    for codec, how in candidates:
        got = _try_damaged(body, codec)
        if got is None:
            continue
        text, replaced = got
        if replaced > limit:
            tried.append(f"{codec}({how}): {replaced} undecodable bytes of {len(body)}")
            continue
        if (share := _common_share(text)) < _MIN_COMMON_SHARE:
            tried.append(f"{codec}({how}): reads as mojibake ({share:.0%} common hanzi)")
            continue
        if best is None or replaced < best.replaced_bytes:
            name = "utf-8" if codec == "utf-8-sig" else codec
            best = Decoded(text.lstrip("\ufeff"), name, how, replaced)
    return best


def _declared(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """Candidates (codec, how) from BOM, HTTP header and meta, strongest first."""
    found: list[tuple[str, str]] = []
    for bom, codec in _BOMS:
        if body.startswith(bom):
            found.append((codec, "bom"))
    non_ascii = not body.isascii()
    labels: list[tuple[bytes | str, str]] = []
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        labels.append((m.group(1), "header"))
    if mb := _META_CHARSET.search(body[:4096]):
        labels.append((mb.group(1), "meta"))
    for raw, how in labels:
        label = raw.decode("ascii", "ignore") if isinstance(raw, bytes) else raw
        if non_ascii and label.lower() in _WEAK_LABELS:
            continue
        if named := normalize_label(label):
            found.append((named, how))
    return found


def decode_html(
    body: bytes, content_type: str | None = None, override: str | None = None
) -> Decoded:
    """Decode page bytes without mojibake; raise DecodeError when impossible.

    U+FFFD appears only for the few bytes of a damaged page, counted in ``replaced_bytes``.
    """
    if override:
        codec = normalize_label(override)
        if codec is None:
            raise DecodeError(f"unknown override encoding {override!r}")
        text = _try(body, codec)
        if text is not None:
            return Decoded(text.lstrip("\ufeff"), codec, "override")
        failed: list[str] = []
        if damaged := _damaged_fallback(body, [(codec, "override")], failed):
            return damaged
        raise DecodeError(f"bytes are not valid {codec} (override {override!r}): {failed[0]}")
    tried: list[str] = []
    candidates = [*_declared(body, content_type), *((c, "detected") for c in _DETECT_ORDER)]
    for codec, how in candidates:
        text = _try(body, codec)
        if text is None or ("\ufffd" in text and codec != "utf-8"):
            tried.append(f"{codec}({how}): invalid bytes")
            continue
        share = _common_share(text)
        if share < _MIN_COMMON_SHARE:
            tried.append(f"{codec}({how}): reads as mojibake ({share:.0%} common hanzi)")
            continue
        name = "utf-8" if codec == "utf-8-sig" else codec
        return Decoded(text.lstrip("\ufeff"), name, how)
    if damaged := _damaged_fallback(body, candidates, tried):
        return damaged
    raise DecodeError("no encoding decodes the page cleanly: " + "; ".join(dict.fromkeys(tried)))
