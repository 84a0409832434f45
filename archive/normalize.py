"""The definition of "substance": what must change in a text for it to be a new version.

Noise never counts: whitespace, full-width vs half-width forms, and the script
(traditional vs simplified) a text is published in.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

_SPACE = re.compile(r"[ \t\u00a0\u3000\u200b\ufeff]+")


def normalize(text: str) -> str:
    """NFKC-fold, trim every line, collapse runs of spaces and drop blank lines."""
    text = unicodedata.normalize("NFKC", text)
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def comparison_key(text: str) -> str:
    """Script-neutral form of :func:`normalize`: traditional folded to simplified, no spaces."""
    return _t2s().convert(normalize(text)).replace(" ", "")


def text_digest(title: str, text: str) -> str:
    """SHA-256 of the comparison key of a document's title and text: equal digests, same substance."""
    key = comparison_key(f"{title}\n{text}")
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
