"""The definition of "substance": what must change in a text for it to be a new version.

Noise never counts: whitespace, full-width vs half-width forms (punctuation included),
the script (traditional vs simplified) a text is published in, and site chrome that
slipped through extraction (visit counters, footer dates, 主办单位/网站标识码 lines).
What counts as chrome is decided once, in :mod:`archive.text.chrome`, for the extractor
and this module alike; the diff stage uses this module, so "digest unchanged" and "no
substantive change" agree.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from .chrome import chrome_flags
from .clean import strip_invisible

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


def normalize(text: str) -> str:
    """NFKC-fold, drop invisible format characters, trim every line, collapse runs of spaces
    and drop blank lines."""
    # Zero-width characters and bidi overrides change the bytes, never the wording: a site
    # that sprinkles them must not make versions (archive.text.clean.INVISIBLE).
    text = unicodedata.normalize("NFKC", strip_invisible(text))
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


def split_chrome(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split normalized lines into (body, chrome) by the shared vocabulary (archive.text.chrome).

    The same rules as the extractor's, so "digest unchanged" and "no chrome in the text" can
    never disagree: a contact line or a 落款 date is body unless it sits in the site footer.
    """
    flags = chrome_flags(lines)
    body = [line for line, chrome in zip(lines, flags, strict=True) if not chrome]
    return body, [line for line, chrome in zip(lines, flags, strict=True) if chrome]


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
