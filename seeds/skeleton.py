"""A commented skeleton source (TOML) for a new bureau, from its listing page's URL.

``policywatch sources new URL`` prints it. The patterns are first guesses from the URL's shape
(pagination as ``index_1.html`` / ``9930_2.html``, policy pages below the listing's folder);
the comments say how to check them with ``policywatch sources test``. The skeleton always
parses (:func:`seeds.source.parse_sources`), so a user starts from a valid file.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from seeds.source import _ID_RE

__all__ = ["SkeletonError", "skeleton_id", "skeleton_toml", "write_new"]

# Host parts that say nothing about which bureau it is.
_GENERIC_HOST_PARTS = ("www", "gov", "cn", "com", "org", "net", "edu")


class SkeletonError(ValueError):
    """The URL or id cannot make a source; ``str()`` is one line."""


def skeleton_id(url: str) -> str:
    """A source id from the listing URL's host: ``jtj.tjbh.gov.cn`` → ``jtj_tjbh``."""
    host = (urlsplit(url).hostname or "").lower()
    parts = [p for p in re.split(r"[.-]", host) if p and p not in _GENERIC_HOST_PARTS]
    candidate = "_".join(re.sub(r"[^a-z0-9]", "", p) for p in parts) or "bureau"
    return candidate if candidate[0].isalpha() else f"s_{candidate}"


def _follow_body(path: str) -> str:
    folder, _, name = path.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    if not dot:  # a folder URL: its index page and numbered siblings
        return f"{re.escape(path.rstrip('/'))}/(index(_\\d+)?\\.s?html?)?"
    # index.html → index_1.html (TRS), 9930.html → 9930_2.html (SiteServer)
    return f"{re.escape(folder)}/{re.escape(stem)}([_-]\\d+)?\\.{re.escape(ext)}"


def _documents_pattern(path: str, follow_body: str) -> str:
    folder = path.rpartition("/")[0] if "." in path.rpartition("/")[2] else path.rstrip("/")
    # `documents` is tried before `follow`: the guess must not swallow the listing pages.
    return f"^(?!{follow_body}$){re.escape(folder)}/.+\\.s?html?$"


def skeleton_toml(url: str, *, source_id: str | None = None, name: str = "") -> str:
    """The commented TOML text of a new source whose listing page is ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SkeletonError(f"URL: not an http(s) URL: {url!r}")
    source_id = source_id or skeleton_id(url)
    if not _ID_RE.fullmatch(source_id):
        raise SkeletonError(f"--id: not ASCII snake_case: {source_id!r} (e.g. tj_binhai)")
    path = parts.path or "/"
    follow = _follow_body(path)
    quoted_name = (name or "TODO 教育局的名称").replace("\\", "\\\\").replace('"', '\\"')
    return f"""\
# {name or source_id}: a new source, made by `policywatch sources new`.
# The patterns below are guesses from the listing URL's shape. Check them against the real
# pages before the first crawl (nothing is archived by the test):
#   policywatch sources test {source_id} --sources THIS_FILE
# It lists every link of the listing pages with what the crawl would do with it and why.

[[source]]
id = "{source_id}"                      # ASCII snake_case, unique among your sources
name = "{quoted_name}"
start_urls = ["{url}"]   # listing pages; their hosts are the hosts the crawl may visit
# Listing and pagination pages to follow (regex on path + query). Common forms:
# index.html → index_1.html (TRS), 9930.html → 9930_2.html (SiteServer), list.htm?page=2.
follow = ['^{follow}$']
# Policy pages to archive: usually narrower than this guess,
# e.g. '^/zwgk/tzgg/\\d{{6}}/t\\d+_\\d+\\.html$'.
documents = ['{_documents_pattern(path, follow)}']
schedule = "17 6 * * *"                 # 5-field cron for `policywatch serve` (Asia/Shanghai)
delay = 1.0                             # seconds between requests: be polite to the site
concurrency = 1
max_pages = 500
# attachments = ['(?i)\\.(pdf|docx?)$']  # files linked from policy pages (the default)
# encoding = "gb18030"                   # only when detection gets it wrong
# prune_xpath = ["//div[@class='share']"]  # site chrome the generic filter misses
# withdraw_after = 2                     # 404s in a row before a page counts as withdrawn
# reporters = ["team-mail"]              # see seeds/reporters.example.toml
"""


def write_new(path: Path, text: str) -> None:
    """Write ``text`` to a new file at ``path``; an existing file is never overwritten."""
    try:
        with path.open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise SkeletonError(f"--output: {path} exists; not overwritten") from None
    except OSError as exc:
        raise SkeletonError(f"--output: cannot write {path}: {exc.strerror}") from None
