"""What a link on a source's page is, and why: the one decision the spider and the probe share.

A crawl (:mod:`crawler.spiders.bureau`) acts on the role; ``policywatch sources test``
(:mod:`crawler.probe`) prints the role and the reason, so a source's patterns can be checked
before anything is archived. Pure: no Scrapy, no I/O.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.attachments import EXTRACTABLE_SUFFIXES
from seeds.patterns import MATCH_TIMEOUT, compile_bounded
from seeds.source import Source, path_and_query

logger = logging.getLogger("policywatch.crawl")
# A listing's own size, as government CMSs print it under the list: "共12页" (12 pages).
_TOTAL_PAGES = re.compile(r"共\s*(\d+)\s*页")


def listing_size(text: str) -> int | None:
    """How many pages a listing says it has ("共12页"), or None when it does not say."""
    match = _TOTAL_PAGES.search(text)
    return int(match.group(1)) if match else None


class LinkRole(enum.StrEnum):
    """What the crawl does with a link."""

    LISTING = "listing"  # a listing or pagination page: followed, its links classified
    DOCUMENT = "document"  # a policy page: fetched and archived
    ATTACHMENT = "attachment"  # a PDF/DOCX of a policy page: fetched and archived with it
    IGNORED = "ignored"  # not fetched


class PageKind(enum.StrEnum):
    """The kind of page a link was found on: the patterns that apply depend on it."""

    LISTING = "listing"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class LinkVerdict:
    """A link's role and the reason for it (the pattern that matched, or why none applies)."""

    role: LinkRole
    reason: str


class LinkRules:
    """A source's link patterns, compiled once, applied in the crawl's order of precedence."""

    def __init__(self, source: Source, allowed_netlocs: frozenset[str]) -> None:
        self.allowed_netlocs = allowed_netlocs
        self._documents = _compiled("documents", source.documents)
        self._follow = _compiled("follow", source.follow)
        self._attachments = _compiled("attachments", source.attachments)
        self.timeouts = 0  # links a pattern could not decide within MATCH_TIMEOUT

    def classify(self, url: str, on: PageKind) -> LinkVerdict:
        """What the crawl does with ``url`` found on a page of kind ``on``, and why."""
        netloc = urlsplit(url).netloc.lower()
        if netloc not in self.allowed_netlocs:
            return LinkVerdict(LinkRole.IGNORED, f"off-host: {netloc or url} is not a source host")
        target = path_and_query(url)
        if on is PageKind.DOCUMENT:
            return self._on_document(url, target)
        if hit := self._first(self._documents, target):
            return LinkVerdict(LinkRole.DOCUMENT, hit)
        if hit := self._first(self._follow, target):
            return LinkVerdict(LinkRole.LISTING, hit)
        if hit := self._first(self._attachments, target):
            return LinkVerdict(
                LinkRole.IGNORED, f"{hit}, but attachments are only fetched from policy pages"
            )
        return LinkVerdict(LinkRole.IGNORED, "matches no documents or follow pattern")

    def _on_document(self, url: str, target: str) -> LinkVerdict:
        hit = self._first(self._attachments, target)
        if hit is None:
            return LinkVerdict(LinkRole.IGNORED, "matches no attachments pattern")
        if not urlsplit(url).path.lower().endswith(EXTRACTABLE_SUFFIXES):
            return LinkVerdict(LinkRole.IGNORED, f"{hit}, but only PDF and DOCX text is extracted")
        return LinkVerdict(LinkRole.ATTACHMENT, hit)

    def _first(self, patterns: list[tuple[str, Any]], target: str) -> str | None:
        for label, rx in patterns:
            try:
                if rx.search(target, timeout=MATCH_TIMEOUT):
                    return label
            except TimeoutError:
                # A link an operator's pattern cannot decide quickly is not followed: the
                # crawl goes on, and the log says which pattern and how long the link was.
                self.timeouts += 1
                logger.warning(
                    "%s took over %gs on a %d-character link: not followed",
                    label,
                    MATCH_TIMEOUT,
                    len(target),
                )
        return None


def _compiled(field: str, patterns: tuple[str, ...]) -> list[tuple[str, Any]]:
    # The pattern as written in the TOML (single-quoted literal strings), not Python's repr.
    # Compiled with the `regex` module: operator patterns run under a time limit per link.
    return [(f"{field}[{i}] '{p}'", compile_bounded(p)) for i, p in enumerate(patterns)]
