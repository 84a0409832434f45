"""The definition of "substance": what must change in a text for it to be a new version.

Noise never counts: whitespace, full-width vs half-width forms (punctuation included),
the script (traditional vs simplified) a text is published in, and site chrome that
slipped through extraction (visit counters, footer dates, 主办单位/网站标识码 lines).
The diff stage uses the same vocabulary, so "digest unchanged" and "no substantive
change" agree.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

_SPACE = re.compile(r"[ \t\u00a0\u3000\u200b\ufeff]+")

# One character in, one character out: the key keeps positions, so the diff can map a
# span found on keys back onto the displayed text. NFKC already folds the full-width
# ASCII block (，：（）％ → ,:()%); these are the look-alikes it leaves alone.
_PUNCT = str.maketrans(
    {
        **dict.fromkeys("“”„‟〝〞«»「」『』﹁﹂﹃﹄", '"'),
        **dict.fromkeys("‘’‚‛", "'"),
        **dict.fromkeys("—–―‐‑‒−﹣", "-"),
        **dict.fromkeys("〜～", "~"),
        **dict.fromkeys("•・‧∙", "·"),
        **dict.fromkeys("【〖［", "["),
        **dict.fromkeys("】〗］", "]"),
        "〔": "(",
        "〕": ")",
        "︰": ":",
    }
)

# Government-site chrome, grouped by family (trafilatura xpaths.py style). A line is chrome
# when it is short and, once these fragments are cut out, nothing but separators is left.
_CHROME_FRAGMENTS = (
    # visit counters: 浏览次数:1234 / 阅读量 56 / 点击数:[12]
    r"(?:浏览|阅读|点击|访问|查看)(?:次数|量|数|人次)?\s*[:：]?\s*[\[(]?\d+[\])]?\s*次?",
    # publication/update stamps with a label: 发布时间:2022-02-25 10:30
    r"(?:发布|更新|修改|成文|印发|录入)(?:时间|日期)\s*[:：]\s*[\d年月日\-/.: ]+",
    r"(?:来源|信息来源|作者|责任编辑|编辑|审核|校对)\s*[:：][^\s|]{0,30}",
    # buttons and bars
    r"[\[(]?(?:打印本页|打印|关闭窗口|关闭|收藏|分享到|返回顶部|扫一扫)[\])]?",
    r"[\[(]?字[体号]\s*[:：]?\s*[大中小 ]+[\])]?",
    r"(?:上一|下一)[篇条页]\s*[:：]?.{0,60}",
)
_CHROME_LABELS = (
    # footer lines whose label says it all, whatever follows
    "主办单位", "承办单位", "协办单位", "主管单位", "网站标识码", "网站地图", "联系方式",
    "联系电话", "联系我们", "技术支持", "版权所有", "copyright", "©", "推荐使用", "建议使用",
    "您现在的位置", "当前位置", "您的位置", "ICP备", "公网安备", "政府网站找错",
)  # fmt: skip
_CHROME_FRAGMENT_RE = re.compile("|".join(_CHROME_FRAGMENTS), re.IGNORECASE)
_CHROME_LABEL_RE = re.compile("|".join(re.escape(label) for label in _CHROME_LABELS), re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s|｜/·:：,，;；\-_=*>]+")
_CHROME_MAX_LEN = 120  # a real paragraph mentioning 版权所有 is longer than a footer line
_DATE_LINE = re.compile(
    r"^\s*\d{4}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日?|[-/.]\d{1,2}[-/.]\d{1,2})"
    r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
)


def normalize(text: str) -> str:
    """NFKC-fold, trim every line, collapse runs of spaces and drop blank lines."""
    text = unicodedata.normalize("NFKC", text)
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    # Imported lazily: only the diff and the digest need it, and it costs a few ms.
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Fold traditional script to simplified (OpenCC t2s)."""
    return str(_t2s().convert(text)) if text else text


def fold_punct(text: str) -> str:
    """Unify punctuation look-alikes one character for one character (length preserved)."""
    return text.translate(_PUNCT)


def is_chrome_line(line: str) -> bool:
    """True when a (normalized) line is site chrome: a counter, a stamp, a footer label."""
    if len(line) > _CHROME_MAX_LEN:
        return False
    line = fold_punct(line)  # 【打印】 and [打印] are the same button
    if _CHROME_LABEL_RE.match(line.lstrip("[( ")):
        return True
    rest = _CHROME_FRAGMENT_RE.sub("", line)
    return rest != line and not _SEPARATORS.sub("", rest)


def split_chrome(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split normalized lines into (body, chrome); date-only lines at the end are chrome too."""
    # Chrome is recognised in simplified script, so a traditional-script footer is chrome too;
    # only short lines can be chrome, and they are converted in one call.
    short = [i for i, line in enumerate(lines) if len(line) <= _CHROME_MAX_LEN]
    folded = to_simplified("\n".join(lines[i] for i in short)).split("\n")
    flagged = {i for i, line in zip(short, folded, strict=False) if is_chrome_line(line)}
    body = [line for i, line in enumerate(lines) if i not in flagged]
    chrome = [line for i, line in enumerate(lines) if i in flagged]
    # A bare date after the last paragraph is a page footer; inside the text it is a
    # notice's signature date and stays substantive.
    while body and _DATE_LINE.match(body[-1]):
        chrome.append(body.pop())
    return body, chrome


def comparison_key(text: str) -> str:
    """Script-neutral form of :func:`normalize`: simplified script, unified punctuation,
    no spaces and no chrome lines."""
    body, _ = split_chrome(normalize(text).split("\n"))
    return fold_punct(to_simplified("\n".join(body))).replace(" ", "")


def text_digest(title: str, text: str) -> str:
    """SHA-256 of the comparison key of a document's title and text.

    Equal digests, same substance: the digests are equal iff the comparison keys are.
    """
    key = comparison_key(f"{title}\n{text}")
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
