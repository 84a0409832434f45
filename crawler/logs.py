"""Log output of a crawl process (crawler stage): our lines at INFO, Scrapy's when they matter.

Without ``--verbose`` a crawl prints policywatch's own lines (new/changed/withdrawn pages,
errors, progress) and Scrapy's warnings and errors. A DNS failure or a refused connection is
an expected event for a crawler: the spider records it and the summary reports it in one line,
so Scrapy's own report of it (with a traceback, from the robots.txt middleware) is dropped.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping

from archive.text.clean import for_terminal

# Loggers whose failures the spider's errbacks record anyway (a listing or page that cannot be
# fetched ends up in the summary with its reason): their lines would say it twice.
_REDUNDANT = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry")


def _drop(record: logging.LogRecord) -> bool:
    return False


class TerminalSafeFormatter(logging.Formatter):
    """Log lines carry page titles and URLs: escape sequences in them are removed."""

    def format(self, record: logging.LogRecord) -> str:
        return for_terminal(super().format(record))


def quiet_scrapy(settings: MutableMapping[str, object]) -> None:
    """Settings and handlers for a non-verbose crawl process (call before the crawl starts)."""
    # Scrapy's root handler gets WARNING; ours keeps INFO for the policywatch loggers.
    settings["LOG_LEVEL"] = "WARNING"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        TerminalSafeFormatter(str(settings["LOG_FORMAT"]), str(settings["LOG_DATEFORMAT"]))
    )
    ours = logging.getLogger("policywatch")
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False
    # On the loggers themselves: Scrapy replaces its root handler for every crawler it starts.
    for name in _REDUNDANT:
        logging.getLogger(name).addFilter(_drop)
