"""What a number in a plan means: its value, unit family, kind and subject.

:mod:`archive.text.numbers` finds quantities in text; this module says what each one is, so
the diff pairs an old and a new quantity only when they measure the same thing:

* **value and magnitude**: 1.6万亿元 is 1.6e12 元, 3-5个 a range, 不少于2课时 a floor;
* **family**: what the unit measures (percent, percentage points, money, area, weight, a count
  of 个 …); 5% and 2个百分点 never pair, nor 四个 and 29;
* **kind**: a *target* (a figure a plan commits to or reports), or a number that only names
  something — a *year* or *date*, an *edition* (第十五届, 十届十二次全会), an *ordinal*
  (第2位), an *identifier* (12号线, 〔2022〕12号, “1269”行动计划, “两个维护”);
* **subject**: the words before it in its clause (地区生产总值增长 → 地区生产总值), which
  is what it counts.

Pure: stdlib, and jieba (through :func:`archive.text.search.words`) to read a subject's words.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from .search import words

_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGIT |= {"七": 7, "八": 8, "九": 9}
_CN_SCALE = {"十": 10, "百": 100, "千": 1000}
MAGNITUDE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2}

# unit → family. A count is a family of its own per counter word (个 and 家 are not the same
# thing counted); people are one family whatever the counter.
_FAMILY = {
    "%": "percent", "‰": "permille", "个百分点": "points", "百分点": "points",
    "元": "money", "美元": "money",
    "亩": "area", "公顷": "area", "平方公里": "area", "平方米": "area",
    "斤": "weight", "公斤": "weight", "吨": "weight",
    "千瓦": "power", "瓦": "power", "千瓦时": "energy",
    "公里": "length", "米": "length",
    "立方米": "volume",
    "人": "people", "名": "people", "人次": "visits",
    "年": "years", "个月": "months", "月": "months", "日": "days", "天": "days", "周": "weeks",
    "小时": "hours", "分钟": "minutes", "课时": "lessons", "学时": "lessons",
    "倍": "times", "岁": "age",
}  # fmt: skip
_EDITION_NEXT = re.compile(
    r"^[、,，和及至]*(?:第?[〇零一二两三四五六七八九十百\d]+次)*(?:全会|会议|代表大会|党代会|全体会议|常委会)"
)
_TARGET_VERBS = re.compile(
    r"(?:同比|分别|力争|确保|预计|全年|全省|全市|全区|全疆|今年|按)?"
    r"(?:增长|下降|提高到|提高|提升到|提升|降低到|降低|减少|增加|达到|达|突破|超过|控制在|"
    r"稳定在|保持在|保持|完成|实现|建成|改造|培育|实施|为|约|在|至|到)+$"
)
_LEADING_VERBS = re.compile(r"^(?:完成|实现|建成|建设|推进|开展|实施|力争|确保|全年|年度|今年)+")
_PERIOD = ("年均", "累计", "五年")  # a figure over several years, not one year's
_INCREMENT = ("新增", "净增", "新建", "新开工")  # what is added, not the total reached
# Words that only say where or when a figure holds (全省地区生产总值 is 地区生产总值): a
# subject may lack them and still name the same thing.
_SCOPE_WORDS = frozenset({
    "全省", "全市", "全区", "全县", "全州", "全盟", "全疆", "全国", "我省", "我市", "我区",
    "今年", "全年", "年度", "其中", "总体", "力争", "确保",
})  # fmt: skip
_CLAUSE_START = re.compile(r"[。！？!?；;，,：:、\n(（“\"]")


class Kind(enum.StrEnum):
    """What a number is for."""

    TARGET = "target"  # a figure with a unit: what plans set and reports measure
    BARE = "bare"  # a number without a unit (提升工程2.0): paired only in unchanged context
    YEAR = "year"
    DATE = "date"
    EDITION = "edition"  # 第十五届, 十届十二次全会, 第3期
    ORDINAL = "ordinal"  # 第2位, 第13位
    IDENTIFIER = "identifier"  # 12号线, 〔2022〕12号, “1269”行动计划, “两个维护”


NAMING_KINDS = frozenset({Kind.YEAR, Kind.DATE, Kind.EDITION, Kind.ORDINAL, Kind.IDENTIFIER})


@dataclass(frozen=True, slots=True)
class Meaning:
    """The reading of one quantity (see the module docstring)."""

    kind: Kind
    family: str  # "percent", "money", "count:个", "bare", "year", …
    unit: str  # base unit without magnitude: "元", "%", "个"
    low: float | None  # value (low end of a range) in base units; None when unreadable
    high: float | None  # high end of a range (= low for a single value)
    qualifier: str  # 以上 / 左右 / 以内 / 不少于 … or ""

    @property
    def is_target(self) -> bool:
        """True for figures a plan commits to or reports (counted, measured, priced)."""
        return self.kind in (Kind.TARGET, Kind.BARE)


def cn_number(text: str) -> float | None:
    """Value of a Chinese numeral (十二, 一百零五, 两千, 三万); None if it is not one."""
    if not text:
        return None
    total, section, digit = 0.0, 0.0, None
    for ch in text:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in _CN_SCALE:
            section += (digit if digit is not None else 1) * _CN_SCALE[ch]
            digit = None
        elif ch in ("万", "亿"):
            section += digit or 0
            total = (total + section) * MAGNITUDE[ch]
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0)


_NUM = r"(?:\d+(?:,\d{3})*(?:\.\d+)?|[〇零一二两三四五六七八九十百千]+)"
_PARSE = re.compile(
    rf"^(?P<pre>不少于|不低于|不超过|不高于|超过|约|近)?(?P<ord>第)?(?P<a>{_NUM})"
    rf"(?P<ra>%?(?:\s*[-~—至到]\s*)(?P<b>{_NUM}))?(?P<more>多|余)?"
    r"(?P<mag>万亿|亿|万|千|百)?(?P<unit>.*?)"
    r"(?P<post>及以上|以上|以下|以内|左右|多|余)?$"
)


def _value(text: str) -> float | None:
    if not text:
        return None
    if text[0].isdigit():
        return float(text.replace(",", ""))
    return cn_number(text)


def parse_quantity(text: str, before: str = "", after: str = "") -> Meaning | None:
    """Read one quantity as found by :func:`archive.text.numbers.find_quantities`.

    ``before`` and ``after`` are the text around it (a few characters suffice); they tell an
    edition (十二次全会), an identifier (12号线, “1269”) or a slogan (“两个维护”) from a target.
    """
    text = text.strip()
    if re.fullmatch(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}-\d{1,2}-\d{1,2}", text):
        return Meaning(Kind.DATE, "date", "date", None, None, "")
    m = _PARSE.match(text)
    if m is None:
        return None
    unit = m.group("unit") or ""
    mag = m.group("mag") or ""
    if unit == "" and mag in ("千", "百"):  # 两千 is a numeral, not a magnitude
        mag = ""
    low = _value(m.group("a"))
    if low is None and m.group("a"):  # e.g. 千 alone
        return None
    high = _value(m.group("b")) if m.group("b") else low
    scale = MAGNITUDE.get(mag, 1.0)
    if low is not None:
        low *= scale
    if high is not None:
        high *= scale
    if "%" in text and not unit:
        unit = "%"
    unit = unit.removesuffix("%") or unit
    qualifier = (m.group("pre") or "") + (m.group("post") or "") + (m.group("more") or "")
    kind = _kind(m, unit, low, before, after)
    if unit == "":
        family = "magnitude" if mag else "bare"
    else:
        family = _FAMILY.get(unit, f"count:{unit}")
    if kind is Kind.YEAR:
        family = "year"
    return Meaning(kind, family, unit, low, high, qualifier)


def _kind(m: re.Match[str], unit: str, low: float | None, before: str, after: str) -> Kind:
    quoted = before.endswith(("“", '"', "「", "‘")) and after.startswith(("”", '"', "」", "’"))
    if quoted or (before.endswith(("“", '"')) and unit in ("个", "项", "大", "")):
        return Kind.IDENTIFIER  # “1269”行动计划, “两个维护”, “四个中心”
    if unit.startswith("号") or (before.endswith(("〕", "]", ")")) and unit == "号"):
        return Kind.IDENTIFIER
    if unit in ("届", "期", "批", "轮") or (
        unit == "次" and (before.endswith("届") or _EDITION_NEXT.match(after))
    ):
        return Kind.EDITION
    if m.group("a") == "一" and not m.group("ra"):
        return Kind.IDENTIFIER  # 一件事, 一批, 一个口子: a word, not a count
    if m.group("ord"):
        return Kind.EDITION if unit in ("次", "届", "期", "批") else Kind.ORDINAL
    if low is not None and unit in ("年", "") and 1900 <= low <= 2100 and "." not in m.group("a"):
        if unit == "年" or not m.group("ra"):
            return Kind.YEAR
    if unit == "":
        return Kind.BARE
    return Kind.TARGET


# A figure standing alone between 、 (600公里), and the first of a run with its words before it.
_LISTED_FIGURE = re.compile(r"\d[\d.]*(?P<unit>\D{0,4})")
_RUN_HEAD = re.compile(r"(?P<words>\D+)(?P<fig>\d[\d.]*(?P<unit>\D{0,4}))$")
_LIST_CLAUSE_START = re.compile(r"[。！？!?；;，,：:\n(（“\"]")


def _listed_subject(text: str, start: int, limit: int) -> str | None:
    """The subject of one figure of a distributive list: 改造供热、燃气、排水管网800公里、
    600公里、300公里 gives 600公里 to 燃气管网. None when ``start`` is not in such a list.

    The nouns are as many as the figures, and the shared tail (管网) follows the last noun;
    parallel nouns being of one length, the last noun is taken as long as the one before it.
    """
    lo = start
    while lo > 0 and not _LIST_CLAUSE_START.match(text[lo - 1]) and start - lo < 80:
        lo -= 1
    hi = start
    while hi < len(text) and not _LIST_CLAUSE_START.match(text[hi]) and hi - start < 80:
        hi += 1
    parts, offsets, at = text[lo:hi].split("、"), [], lo
    for part in parts:
        offsets.append(at)
        at += len(part) + 1
    for j, part in enumerate(parts):
        first = _RUN_HEAD.search(part)
        if first is None:
            continue  # the run starts at a part with words before its figure
        run = [offsets[j] + first.start("fig")]
        for k in range(j + 1, len(parts)):
            f = _LISTED_FIGURE.fullmatch(parts[k])
            if f is None or f.group("unit") != first.group("unit"):
                break
            run.append(offsets[k])
        n = len(run)
        if start not in run:
            continue
        nouns, prefix = parts[j - n + 1 : j], first.group("words")
        if n < 2 or j < n - 1 or any(not p or any(c.isdigit() for c in p) for p in nouns):
            return None
        width = len(nouns[-1])
        if len(prefix) <= width:
            return None
        nouns = [*nouns, prefix[:width]]
        nouns[0] = nouns[0][-len(nouns[1]) :]  # 改造老旧供热: the verbs before the first noun
        return (nouns[run.index(start)] + prefix[width:])[-limit:]
    return None


def subject_of(text: str, start: int, *, limit: int = 12) -> str:
    """The words a quantity at ``text[start:]`` measures: its clause up to it, verbs dropped.

    In a distributive list (供热、燃气、排水管网800公里、600公里、300公里) each figure's
    subject is its own noun with the shared tail: 燃气管网 for 600公里.
    """
    listed = _listed_subject(text, start, limit)
    if listed is not None:
        return listed
    lo = start
    while lo > 0 and not _CLAUSE_START.match(text[lo - 1]) and start - lo < 40:
        lo -= 1
    head = text[lo:start]
    head = _LEADING_VERBS.sub("", _TARGET_VERBS.sub("", head))
    return head[-limit:]


def same_measure(a: Meaning, b: Meaning) -> bool:
    """Whether two quantities can be an old and a new value of one thing."""
    if a.kind in NAMING_KINDS or b.kind in NAMING_KINDS:
        return False
    if a.family == "bare" or b.family == "bare":
        return a.family == b.family
    return a.family == b.family


def same_subject(a: str, b: str, threshold: float) -> bool:
    """Whether two subjects name the same thing: the shorter mostly found in the longer, and
    their last words (the head noun: 能耗 is not 二氧化碳排放) alike. Unknown (a subject of
    fewer than two characters) counts as the same."""
    for markers in (_PERIOD, _INCREMENT):
        if any(m in a for m in markers) != any(m in b for m in markers):
            return False  # 年均增长5%左右 is not this year's 5%以上, 新增12家 not 达到17家
    if min(len(a), len(b)) < 2:
        # Unknown on both sides (分别增长5%、6.5%): the same place decides; unknown on one
        # side only (…管网800公里、600公里) is no evidence for a pair.
        return len(a) < 2 and len(b) < 2
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) <= 2 < len(long_) - 1 and threshold > 0:
        return False  # 占比 alone is not 数字经济增加值占比: too little to be sure
    if subject_overlap(short, long_) < threshold:
        return False
    if threshold > 0 and not words_recur(short, long_):
        return False
    return subject_overlap(a[-4:], b[-4:]) >= 0.5


def words_recur(short: str, long_: str) -> bool:
    """Whether every word of ``short`` (scope words aside) recurs in ``long_``: more than half
    of its characters do. Characters alone are order-free: 制造业技改投资 has six of its seven
    in 高技术制造业投资 (技 from 高技术), yet the word 技改 is not there, and it is another
    quantity. A longer word may be reworded after its first character (粮食产量, 粮食总产;
    贸易总额, 进出口总额), and reordered words (城镇新增就业, 新增城镇就业) still name the same
    thing; a word whose first character is gone (供水管 in 排水管网) names another."""
    for w in (t.strip() for t in words(short)):
        if len(w) < 2 or w in _SCOPE_WORDS or w in long_ or any(c.isdigit() for c in w):
            continue  # a figure in a subject (压减至11家) is another quantity's
        if w[0] not in long_ or 2 * sum(c in long_ for c in w) <= len(w):
            return False  # a compound's first characters say which (供水管网, 排水管网)
    return True


def subject_overlap(a: str, b: str) -> float:
    """Share of the shorter subject's characters found in the other (0..1), order-free."""
    if not a or not b:
        return 0.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    pool = list(long_)
    hit = 0
    for ch in short:
        if ch in pool:
            pool.remove(ch)
            hit += 1
    return hit / len(short)
