"""Quantities in policy text (40处, 97%以上, 3-5个, 第十五届, 2022年2月25日) and how they changed.

A plan's targets are its numbers, so a changed number is reported as the number, with
its unit, not as a changed sentence. :func:`pair_quantities` lines up the quantities of two
versions of a passage by their place in the text around them; each quantity is masked to
one private-use character per unit, so the wording and the numbers are compared apart.
Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from archive.text.quantities import Meaning, parse_quantity

# Longest first: the regex alternation takes the first unit that fits (人次 before 人). A
# magnitude (万, 亿, 万亿) is read apart, so 1.6万亿元 keeps its 元 and 1800亿元 is not 1.6万.
UNITS = (
    "人次", "千瓦时", "千瓦", "美元", "元", "个百分点", "百分点", "课时", "学时",
    "平方公里", "平方米", "立方米", "公顷", "公里", "公斤", "亩", "斤", "吨", "瓦", "处", "名",
    "所", "项次", "个", "项", "节", "家", "人", "届", "年", "个月", "月", "日", "天", "周",
    "小时", "分钟", "次", "场", "间", "支", "门", "类", "种", "批", "条", "座", "套", "台", "期",
    "号线", "号", "倍", "级", "岁", "篇", "本", "册", "部", "件", "位", "户", "班", "张", "%", "‰",
)  # fmt: skip
_UNIT_RE = "|".join(re.escape(u) for u in UNITS)
_MAG = r"(?:万亿|亿|万|千)"
_AR = r"\d+(?:,\d{3})*(?:\.\d+)?"
# A Chinese numeral must start with a digit word, so 千家万户 or 百姓 are not quantities.
# Bounded: a written-out number has a dozen characters at most, and an unbounded run made
# every position of a long numeral run rescan it looking for a unit (quadratic).
_CN = r"[〇零一二两三四五六七八九十][〇零一二两三四五六七八九十百千万亿]{0,15}"
_QUAL = r"(?:及以上|以上|以下|以内|左右)?"
_RANGE = r"\s*[-~—至到]\s*"
_QUANTITY = re.compile(
    # dates first, so 2022年2月25日 is one value and not three
    r"(?P<date>\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}-\d{1,2}-\d{1,2})"
    # arabic: the unit is optional (a bare 2.0 or 1+X still counts), a range keeps its ends
    rf"|(?P<ar>第?{_AR}(?:%?{_RANGE}{_AR})?(?:多|余)?(?P<aru>{_MAG}?(?:{_UNIT_RE})|{_MAG})?{_QUAL})"
    # Chinese numerals only with a unit: 一 alone is a word, 两项 is a quantity
    rf"|(?P<cn>第?{_CN}(?:{_RANGE}{_CN})?(?:多|余)?(?P<cnu>{_UNIT_RE}){_QUAL})"
)
_BARE = "#"
_DATE = "date"
# One private-use character per unit stands in for a quantity in masked text; units are
# unit words with an optional magnitude, a bounded set, numbered as they are first seen.
_MASK_BASE = 0xE000
_MASK_END = 0xF8FF
_MASK_OF: dict[str, str] = {}


def _mask_char(unit: str) -> str:
    char = _MASK_OF.get(unit)
    if char is None:
        char = chr(min(_MASK_BASE + len(_MASK_OF), _MASK_END))
        _MASK_OF[unit] = char
    return char


_mask_char(_BARE)
_mask_char(_DATE)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit or context, found at ``text[start:end]``."""

    start: int
    end: int
    text: str  # as written: "40处", "97%以上", "3-5个", "第十五届"
    unit: str  # "处", "%", "亿元", "date", or "#" for a bare number
    meaning: Meaning | None = None  # value, family, kind: see archive.text.quantities


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text``, left to right."""
    found = []
    for m in _QUANTITY.finditer(text):
        if m.group("date"):
            unit = _DATE
        else:
            unit = m.group("aru") or m.group("cnu") or _BARE
        before, after = text[max(0, m.start() - 2) : m.start()], text[m.end() : m.end() + 8]
        meaning = parse_quantity(m.group(), before, after)
        found.append(Quantity(m.start(), m.end(), m.group(), unit, meaning))
    return found


def mask(text: str, quantities: list[Quantity], *, by_unit: bool = True) -> tuple[str, list[int]]:
    """``text`` with each quantity replaced by its unit's mask character (or one shared one).

    Returns the masked text and, for each masked position, the index of its quantity
    (-1 for ordinary characters).
    """
    parts: list[str] = []
    owner: list[int] = []
    last = 0
    for i, q in enumerate(quantities):
        parts.append(text[last : q.start])
        owner.extend([-1] * (q.start - last))
        parts.append(_mask_char(q.unit if by_unit else _BARE))
        owner.append(i)
        last = q.end
    parts.append(text[last:])
    owner.extend([-1] * (len(text) - last))
    return "".join(parts), owner


def is_mask(char: str) -> bool:
    """True for a character :func:`mask` put in place of a quantity."""
    return _MASK_BASE <= ord(char) <= _MASK_END


def pair_quantities(old: str, new: str) -> list[tuple[Quantity, Quantity]]:
    """Quantities of ``old`` and ``new`` that stand in the same place (changed or not).

    A quantity pairs with the one in the same unchanged context; inside a rewritten
    stretch, quantities of the same unit pair in order when each side has as many.
    """
    qo, qn = find_quantities(old), find_quantities(new)
    if not qo or not qn:
        return []
    mo, owner_o = mask(old, qo)
    mn, owner_n = mask(new, qn)
    pairs: list[tuple[Quantity, Quantity]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, mo, mn, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs.extend(
                (qo[owner_o[i1 + k]], qn[owner_n[j1 + k]])
                for k in range(i2 - i1)
                if owner_o[i1 + k] >= 0
            )
        elif tag == "replace":
            pairs.extend(_pair_by_unit(
                [qo[k] for k in owner_o[i1:i2] if k >= 0], [qn[k] for k in owner_n[j1:j2] if k >= 0]
            ))  # fmt: skip
    return pairs


def _pair_by_unit(old: list[Quantity], new: list[Quantity]) -> list[tuple[Quantity, Quantity]]:
    if len(old) == len(new):  # as many on each side: in order, even across a unit change
        return list(zip(old, new, strict=True))
    pairs: list[tuple[Quantity, Quantity]] = []
    for unit in dict.fromkeys(q.unit for q in old):
        a = [q for q in old if q.unit == unit]
        b = [q for q in new if q.unit == unit]
        if len(a) == len(b) and unit != _BARE:  # a bare number has no context to trust
            pairs.extend(zip(a, b, strict=True))
    return pairs


def pair_unique_units(old: str, new: str) -> list[tuple[Quantity, Quantity]]:
    """Pair the quantities whose unit occurs exactly once on each side (bare numbers never).

    For text rewritten beyond a common context: 35项次 → 40项次 is still the target changing.
    """
    qo, qn = find_quantities(old), find_quantities(new)
    once_o = {q.unit: q for q in qo if sum(r.unit == q.unit for r in qo) == 1}
    once_n = {q.unit: q for q in qn if sum(r.unit == q.unit for r in qn) == 1}
    return [(q, once_n[u]) for u, q in once_o.items() if u in once_n and u != _BARE]


def changed_quantities(old: str, new: str) -> list[tuple[Quantity, Quantity]]:
    """The pairs from :func:`pair_quantities` whose values differ."""
    return [(a, b) for a, b in pair_quantities(old, new) if a.text != b.text]
