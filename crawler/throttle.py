"""AutoThrottle that lets a 304 bring the delay back down (crawler stage).

Scrapy's AutoThrottle only ever *raises* a site's delay on a response other than a 200: small
error pages would otherwise make it speed up against a failing site. A 304 is no error page:
it is the whole answer to a conditional request, and an unchanged re-crawl of a site that
honours ``If-None-Match`` gets little else. Under the stock rule one slow answer (the server, or
our own busy process, taking a second) set the delay for the rest of the crawl: on the
generated mirror the sites answering 304 were still crawled at the pace of their slowest
moment. Here a 304 adjusts the delay as a 200 does, both ways; everything else as in Scrapy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.extensions.throttle import AutoThrottle

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.http import Response

# Statuses whose latency is the site's true pace, not an error page's.
ANSWERS = frozenset({200, 304})


class Throttle(AutoThrottle):
    """Scrapy's AutoThrottle with :data:`ANSWERS` trusted in both directions."""

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        if response.status not in ANSWERS:
            super()._adjust_delay(slot, latency, response)
            return
        # Scrapy's policy (target = latency / concurrency, moved halfway there, never below
        # the target), within the source's bounds.
        target = latency / self.target_concurrency
        delay = max(target, (slot.delay + target) / 2.0)
        slot.delay = min(max(self.mindelay, delay), self.maxdelay)
