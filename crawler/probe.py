"""``python -m crawler.probe``: test a source's patterns on its live listing pages (crawler stage).

What ``policywatch sources test`` runs in a child process (Scrapy's reactor cannot be
restarted). It fetches the listing pages as a crawl would — robots.txt obeyed, the source's
delay, the same boundary middleware — classifies every link with the crawl's own rules
(:class:`crawler.links.LinkRules`, through :meth:`BureauSpider.page_links`), and extracts one
policy page through the crawl's own extraction (:func:`crawler.pipelines.to_capture`). No item
pipeline runs: nothing is written to the archive. Exit 0 with a result file, 2 on a bad request.
The spider is in :mod:`crawler.spiders.probe`, imported only once the request is read, so a
Ctrl-C while Scrapy loads ends this process quietly (the parent prints the one line).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from dataclasses import asdict, replace
from pathlib import Path

from crawler.links import LinkRole
from crawler.process import ProbeListing, ProbeRequest, ProbeResult
from seeds.source import Source


def problems(source: Source, listings: list[ProbeListing]) -> list[str]:
    """What stops this source from archiving anything, in words that say what to change."""
    fetched = [p for p in listings if p.status is not None and p.error is None]
    if not fetched:
        reasons = "; ".join(f"{p.url}: {p.error or 'not fetched'}" for p in listings)
        return [f"no listing page could be fetched ({reasons})"]
    links = [link for p in fetched for link in p.links]
    if not any(link.role == LinkRole.DOCUMENT for link in links):
        on_host = len({link.url for link in links if not link.reason.startswith("off-host")})
        patterns = ", ".join("'" + p + "'" for p in source.documents)
        return [
            f"no policy page matches: none of the {on_host} on-host URL(s) matches `documents` "
            f"({patterns}); compare it with the links above"
        ]
    return []


def probe(request: ProbeRequest) -> ProbeResult:
    """Run the probe spider for ``request`` in this process and return what it found."""
    from scrapy.crawler import AsyncCrawlerProcess
    from scrapy.settings import Settings

    from crawler.logs import quiet_scrapy
    from crawler.settings import BASE_SETTINGS, source_settings
    from crawler.spiders.probe import ProbeSpider
    from seeds import load_sources

    by_id = {s.id: s for s in load_sources(request.sources)}
    if request.source_id not in by_id:
        known = ", ".join(sorted(by_id))
        raise ValueError(f"unknown source id {request.source_id!r} (known: {known})")
    source = by_id[request.source_id]
    if request.delay is not None:
        source = replace(source, delay=request.delay)
    if request.allow_private:
        source = replace(source, allow_private=True)
    settings = Settings(BASE_SETTINGS)
    settings.set("ITEM_PIPELINES", {})  # nothing reaches the archive
    settings.set("POLICYWATCH_PROGRESS", 0)
    if not request.verbose:
        quiet_scrapy(settings)
    cls = type(
        f"ProbeSpider_{source.id}",
        (ProbeSpider,),
        {
            "name": source.id,
            "custom_settings": source_settings(
                source.delay, source.concurrency, source.max_page_bytes
            ),
        },
    )
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(cls)
    process.crawl(crawler, source=source, request=request)
    process.start()
    spider = crawler.spider
    assert isinstance(spider, ProbeSpider)
    listings = list(spider.listings.values())
    return ProbeResult(
        source_id=source.id,
        name=source.name,
        listings=tuple(listings),
        document=spider.document,
        problems=tuple(problems(source, listings)),
    )


def main(argv: list[str] | None = None) -> int:
    """Read the request, probe, write the result; exit 0, or 2 on a bad request."""
    from crawler.process import read_probe_request
    from seeds import SourceError

    p = argparse.ArgumentParser(prog="python -m crawler.probe", description=__doc__.splitlines()[0])
    p.add_argument("--request", required=True, help="the ProbeRequest as JSON (crawler.process)")
    p.add_argument("--result", help="write the ProbeResult JSON here instead of stdout")
    args = p.parse_args(argv)
    try:
        request = read_probe_request(Path(args.request).read_text(encoding="utf-8"))
        if request.mirror:
            from seeds.mirror import serve_mirror

            # The mirror's threads serve while Scrapy's reactor runs in this same process.
            with serve_mirror(generation="2022") as mirror:
                origins = tuple(mirror.origins.items())
                result = probe(replace(request, origins=origins, allow_private=True, delay=0.0))
        else:
            result = probe(request)
    except (SourceError, ValueError, OSError) as exc:
        print(f"policywatch sources test: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    out = json.dumps(asdict(result), ensure_ascii=False)
    if args.result:
        Path(args.result).write_text(out, encoding="utf-8")
    else:
        print(out)
    return 0


if __name__ == "__main__":
    # Started with SIGINT ignored, like a crawl (crawler.process): take it back now.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
