"""Chrome for the extractor: the shared line vocabulary, plus the structural twins of its families.

What a chrome *line* is lives in :mod:`archive.text.chrome`, the one vocabulary the extractor
and the archive's normaliser share; it is re-exported here for the extraction modules. This
module adds what only an HTML extractor needs: the class/id words of blocks that hold only
chrome, pruned before extraction, so a new CMS quirk is one line of data, not code.
"""

from __future__ import annotations

from archive.text.chrome import (
    CHROME_LINE,
    CLOCK,
    DATE,
    DATE_LINE,
    FOOTER_STRONG,
    FOOTER_WEAK,
    INFO_TABLE_LABELS,
    INLINE_CHROME,
    both_scripts,
    chrome_flags,
    is_chrome_line,
    strip_chrome,
)

__all__ = [
    "BLOCK_FRAGMENTS",
    "BLOCK_WORDS",
    "CHROME_LINE",
    "CLOCK",
    "DATE",
    "DATE_LINE",
    "FOOTER_STRONG",
    "FOOTER_WEAK",
    "INFO_TABLE_LABELS",
    "INLINE_CHROME",
    "both_scripts",
    "chrome_flags",
    "is_chrome_line",
    "strip_chrome",
]

# class/id words of blocks that hold only chrome, for structural pruning before extraction.
# Matched against whole words of a class/id split on space, "-" and "_" ("nav" must not hit
# "canvas"): breadcrumbs, prev/next, toolbars, share/QR boxes, related lists, page frame.
BLOCK_WORDS = frozenset(
    {
        "crumb",
        "crumbs",
        "position",
        "location",
        "dqwz",
        "mbx",
        "weizhi",
        "wz",
        "prevnext",
        "prev",
        "next",
        "sxt",
        "sxp",
        "fanye",
        "fontsize",
        "zihao",
        "print",
        "share",
        "bdshare",
        "qrcode",
        "sweep",
        "erweima",
        "ewm",
        "related",
        "xgwz",
        "xgxw",
        "relative",
        "comment",
        "comments",
        "pinglun",
        "hits",
        "footer",
        "foot",
        "header",
        "topbar",
        "navbar",
        "nav",
        "menu",
        "copyright",
        "banquan",
        "sidebar",
        "friendlink",
        "yqlj",
        "toolbar",
        "tools",
        "top",
        "bottom",
        "statement",
    }
)
# Distinctive fragments that also match inside CamelCase names ("BreadcrumbNav").
BLOCK_FRAGMENTS = ("breadcrumb", "footer", "copyright", "friendlink", "bdshare", "qrcode")
