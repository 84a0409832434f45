"""Decoding stage: page bytes + HTTP header → text, with a record of how.

Order of evidence: an operator override, a byte-order mark, the HTTP ``Content-Type``
charset, the ``<meta>`` charset, then detection among the encodings Chinese bureau sites
actually use (UTF-8, GB18030, Big5). A declared charset is only *evidence*: real pages
label GB2312 bytes as UTF-8 and UTF-8 bytes as GB2312, so every candidate must decode the
bytes strictly and read as plausible Chinese before it is used. Nothing is ever decoded
with ``errors="replace"``: when no candidate fits, :class:`DecodeError` says why.
"""

from __future__ import annotations

import codecs
import re
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
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):  # GB2312 level 1 (3,755 most frequent simplified)
        chars.update(bytes([lead, t]).decode("gb2312", "ignore") for t in range(0xA1, 0xFF))
    trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    for lead in range(0xA4, 0xC7):  # Big5 level 1 (5,401 frequently used traditional)
        chars.update(bytes([lead, t]).decode("big5", "ignore") for t in trails)
    chars.discard("")
    return frozenset(chars)


def _common_share(text: str) -> float:
    """Share of CJK characters that are common ones; 1.0 for text without CJK."""
    cjk = _CJK.findall(text)
    if not cjk:
        return 1.0
    common = _common_chars()
    return sum(c in common for c in cjk) / len(cjk)


def _try(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _declared(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """Candidates (codec, how) from BOM, HTTP header and meta, strongest first."""
    found: list[tuple[str, str]] = []
    for bom, codec in _BOMS:
        if body.startswith(bom):
            found.append((codec, "bom"))
    non_ascii = any(b > 0x7F for b in body)
    labels: list[tuple[bytes | str, str]] = []
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        labels.append((m.group(1), "header"))
    if m := _META_CHARSET.search(body[:4096]):
        labels.append((m.group(1), "meta"))
    for raw, how in labels:
        label = raw.decode("ascii", "ignore") if isinstance(raw, bytes) else raw
        if non_ascii and label.lower() in _WEAK_LABELS:
            continue
        if codec := normalize_label(label):
            found.append((codec, how))
    return found


def decode_html(
    body: bytes, content_type: str | None = None, override: str | None = None
) -> Decoded:
    """Decode page bytes without mojibake or U+FFFD; raise DecodeError when impossible."""
    if override:
        codec = normalize_label(override)
        if codec is None:
            raise DecodeError(f"unknown override encoding {override!r}")
        text = _try(body, codec)
        if text is None:
            raise DecodeError(f"bytes are not valid {codec} (override {override!r})")
        return Decoded(text.lstrip("\ufeff"), codec, "override")
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
    raise DecodeError("no encoding decodes the page cleanly: " + "; ".join(dict.fromkeys(tried)))
