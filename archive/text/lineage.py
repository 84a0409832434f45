"""Year-to-year series: link this year's plan to last year's, which lives at another URL."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

# A year in a title: 2022年 / 2022-2023学年 / （2022） — the only part of a plan's title
# that should differ from one year to the next.
_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")
_SPACE = re.compile(r"\s+")

# Masked titles this close (0-100) are the same plan with a slightly reworded title.
FUZZY_TITLE_SCORE = 92.0


@lru_cache(maxsize=8192)  # every new document is compared with every title of its source
def mask_years(title: str) -> tuple[str, int | None]:
    """The title with every year replaced by "{Y}", and its largest year (None if it has none)."""
    years = [int(m.group(0)) for m in _YEAR.finditer(title)]
    masked = _YEAR.sub("{Y}", _SPACE.sub("", title))
    return masked, max(years) if years else None


def is_previous_year(old_title: str, new_title: str) -> bool:
    """Whether ``old_title`` names the plan that ``new_title`` follows, one year earlier."""
    old_masked, old_year = mask_years(old_title)
    new_masked, new_year = mask_years(new_title)
    if old_year is None or new_year is None or new_year - old_year != 1:
        return False
    if old_masked == new_masked:
        return True
    return fuzz.ratio(old_masked, new_masked) >= FUZZY_TITLE_SCORE


def pick_previous_year(new_title: str, candidates: list[tuple[int, str]]) -> int | None:
    """Among (id, title) candidates, the id of last year's edition of ``new_title``, if any."""
    new_masked, new_year = mask_years(new_title)
    if new_year is None:  # no year in the title: not part of a yearly series
        return None
    best: tuple[float, int] | None = None
    for cid, title in candidates:
        if is_previous_year(title, new_title):
            score = fuzz.ratio(mask_years(title)[0], new_masked)
            if best is None or score > best[0]:
                best = (score, cid)
    return best[1] if best else None
