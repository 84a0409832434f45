"""``python -m crawler.run``: crawl some sources now, in this process, into the archive.

One process per crawl run, because Scrapy's reactor cannot be restarted: the scheduler and
the CLI spawn this module instead of importing Scrapy. Writes one JSON summary per source
(to ``--summary`` or stdout) and exits 0 when every source ran, 1 when one could not,
2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from archive.records import CrawlRequest, CrawlStatus, CrawlSummary

if TYPE_CHECKING:
    from seeds.source import Source


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[no-untyped-def]
        # One line, like every other policywatch error: argparse's usage block is noise here.
        self.exit(2, f"policywatch crawl: {message} (see --help)\n")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = _Parser(prog="python -m crawler.run", description=__doc__.splitlines()[0])
    p.add_argument("--sources", help="a sources TOML file or directory (default: bundled seeds)")
    p.add_argument("--source", action="append", default=[], help="source id (repeatable)")
    p.add_argument("--db", help="database URL (default: $POLICYWATCH_DB or the user data dir)")
    p.add_argument("--delay", type=float, help="override every source's delay (seconds)")
    p.add_argument("--concurrency", type=int, help="override every source's concurrency")
    p.add_argument(
        "--origin",
        action="append",
        default=[],
        help="REAL=MIRROR: fetch REAL origin from MIRROR instead (offline mirrors)",
    )
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="allow loopback/private addresses (mirrors and test sites)",
    )
    # Timing knobs for the reliability tests (and impatient operators): the defaults in
    # crawler.settings are right for real bureau sites.
    p.add_argument("--timeout", type=_positive, help="download timeout per request (seconds)")
    p.add_argument(
        "--retry-backoff",
        type=_positive,
        help="first wait before a retry (seconds; doubles for each further retry)",
    )
    p.add_argument(
        "--retry-backoff-max",
        type=_positive,
        help="longest wait before a retry, Retry-After included (seconds)",
    )
    p.add_argument(
        "--extract-timeout",
        type=_positive,
        help="longest one page's extraction may take (seconds; the watchdog kills it)",
    )
    p.add_argument(
        "--request",
        help="read the whole CrawlRequest from this JSON file (what crawler.process writes)",
    )
    p.add_argument("--summary", help="write the JSON summaries here instead of stdout")
    p.add_argument("--verbose", action="store_true", help="show Scrapy's own log lines")
    return p.parse_args(argv)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _origins(pairs: list[str]) -> dict[str, str]:
    origins = {}
    for pair in pairs:
        real, sep, mirror = pair.partition("=")
        if not sep or "://" not in real or "://" not in mirror:
            raise ValueError(
                f"--origin: expected REAL=MIRROR origins "
                f"(e.g. https://x.gov.cn=http://127.0.0.1:8000), got {pair!r}"
            )
        origins[real] = mirror
    return origins


def _request(args: argparse.Namespace) -> CrawlRequest:
    if args.request:
        return CrawlRequest.from_json(Path(args.request).read_text(encoding="utf-8"))
    return CrawlRequest(
        sources=args.sources,
        source_ids=tuple(args.source),
        delay=args.delay,
        concurrency=args.concurrency,
        origins=tuple(_origins(args.origin).items()),
        allow_private=args.allow_private,
        verbose=args.verbose,
        timeout=args.timeout,
        retry_backoff=args.retry_backoff,
        retry_backoff_max=args.retry_backoff_max,
        extract_timeout=args.extract_timeout,
    )


def main(argv: list[str] | None = None) -> int:
    """Run one crawl as asked (flags or ``--request FILE``); exit 0 / 1 / 2 as documented."""
    args = _parse(argv)
    if os.environ.get("POLICYWATCH_DIE_WITH_PARENT"):
        _die_with_parent()
    from archive.api import Archive
    from archive.errors import PolicywatchError
    from seeds import SourceError, load_sources

    try:
        request = _request(args)
        sources = load_sources(request.sources)
        if request.source_ids:
            by_id = {s.id: s for s in sources}
            unknown = [i for i in request.source_ids if i not in by_id]
            if unknown:
                raise SourceError(
                    f"--source: unknown source id {unknown[0]!r} "
                    f"(known: {', '.join(sorted(by_id))})"
                )
            sources = [by_id[i] for i in request.source_ids]
        origin_map = dict(request.origins)
        sources = [_override(s, request) for s in sources]
        archive = Archive.open(args.db)  # creates/upgrades the schema before Scrapy starts
    except (PolicywatchError, ValueError) as exc:
        # One line: some messages (SQLAlchemy's "Invalid SQLite URL") span several.
        print(f"policywatch crawl: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2

    from scrapy.crawler import AsyncCrawlerProcess
    from scrapy.settings import Settings

    from crawler.logs import quiet_scrapy
    from crawler.settings import BASE_SETTINGS, source_settings
    from crawler.spiders.bureau import BureauSpider

    settings = Settings(BASE_SETTINGS)
    settings.set("POLICYWATCH_DB", archive.connection_url())
    for name, value in (
        ("DOWNLOAD_TIMEOUT", request.timeout),
        ("POLICYWATCH_RETRY_BACKOFF_BASE", request.retry_backoff),
        ("POLICYWATCH_RETRY_BACKOFF_MAX", request.retry_backoff_max),
        ("POLICYWATCH_EXTRACT_TIMEOUT", request.extract_timeout),
    ):
        if value is not None:
            settings.set(name, value)
    if not request.verbose:
        # Our own log lines are the progress output; Scrapy's INFO lines are for --verbose.
        quiet_scrapy(settings)
    process = AsyncCrawlerProcess(settings)
    crawlers = []
    for source in sources:
        known = archive.known_documents(source.id)
        # A subclass per source carries its own politeness settings into its own crawler.
        cls = type(
            f"BureauSpider_{source.id}",
            (BureauSpider,),
            {
                "name": source.id,
                "custom_settings": source_settings(
                    source.delay, source.concurrency, source.max_page_bytes
                ),
            },
        )
        crawler = process.create_crawler(cls)
        crawlers.append((source, crawler))
        process.crawl(crawler, source=source, known=known, origin_map=origin_map)
    archive.close()
    process.start()

    from crawler.pipelines import SUMMARY_STAT

    summaries, unclosed = [], []
    for source, crawler in crawlers:
        summary = crawler.stats.get_value(SUMMARY_STAT) if crawler.stats else None
        if not isinstance(summary, CrawlSummary):
            summary = CrawlSummary(
                source_id=source.id,
                status=CrawlStatus.FAILED,
                reason="the crawl did not start (see the log above)",
            )
        elif summary.status is CrawlStatus.RUNNING:
            # A signal between the spider's opening and the engine's start: Scrapy stops
            # without closing the spider, so its crawl is closed here.
            summary.status = CrawlStatus.INTERRUPTED
            summary.reason = "stopped by a signal before the crawl finished"
            unclosed.append(summary)
        summaries.append(summary)
    if unclosed:
        with Archive.open(args.db, create=False) as archive:
            for summary in unclosed:
                if summary.crawl_id is not None:
                    archive.finish_crawl(summary.crawl_id, summary)
    out = json.dumps([asdict(s) for s in summaries], ensure_ascii=False)
    if args.summary:
        Path(args.summary).write_text(out, encoding="utf-8")
    else:
        print(out)
    return 1 if any(s.status is not CrawlStatus.OK for s in summaries) else 0


def _die_with_parent() -> None:
    """End with the process that started us (a Celery worker): no orphan crawl after a kill."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the prctl
        os._exit(1)


def _override(source: Source, request: CrawlRequest) -> Source:
    return replace(
        source,
        delay=source.delay if request.delay is None else request.delay,
        concurrency=source.concurrency if request.concurrency is None else request.concurrency,
        allow_private=source.allow_private or request.allow_private,
    )


if __name__ == "__main__":
    # crawler.process starts us with SIGINT ignored (a Ctrl-C during interpreter start-up
    # would be a fatal error): from here on it is a KeyboardInterrupt we handle.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # Ctrl-C before Scrapy installs its own handler (while importing): the parent says it.
        sys.exit(130)
