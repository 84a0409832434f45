"""``python -m crawler.run``: crawl some sources now, in this process, into the archive.

One process per crawl run, because Scrapy's reactor cannot be restarted: the scheduler and
the CLI spawn this module instead of importing Scrapy. Writes one JSON summary per source
(to ``--summary`` or stdout) and exits 0 when every source ran, 1 when one could not,
2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict, replace
from pathlib import Path


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


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    from archive.errors import PolicywatchError
    from archive.store import Archive
    from seeds import SourceError, load_sources

    try:
        sources = load_sources(args.sources)
        if args.source:
            by_id = {s.id: s for s in sources}
            unknown = [i for i in args.source if i not in by_id]
            if unknown:
                raise SourceError(
                    f"--source: unknown source id {unknown[0]!r} "
                    f"(known: {', '.join(sorted(by_id))})"
                )
            sources = [by_id[i] for i in args.source]
        origin_map = _origins(args.origin)
        sources = [_override(s, args) for s in sources]
        archive = Archive.open(args.db)  # creates/upgrades the schema before Scrapy starts
    except (PolicywatchError, ValueError) as exc:
        # One line: some messages (SQLAlchemy's "Invalid SQLite URL") span several.
        print(f"policywatch crawl: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2

    from scrapy.crawler import AsyncCrawlerProcess
    from scrapy.settings import Settings

    from crawler.settings import BASE_SETTINGS, source_settings
    from crawler.spiders.bureau import BureauSpider

    settings = Settings(BASE_SETTINGS)
    settings.set("POLICYWATCH_DB", str(archive.engine.url.render_as_string(hide_password=False)))
    for name, value in (
        ("DOWNLOAD_TIMEOUT", args.timeout),
        ("POLICYWATCH_RETRY_BACKOFF_BASE", args.retry_backoff),
        ("POLICYWATCH_RETRY_BACKOFF_MAX", args.retry_backoff_max),
    ):
        if value is not None:
            settings.set(name, value)
    if not args.verbose:
        # Our own log lines are the progress output; Scrapy's INFO lines are for --verbose.
        # Scrapy's root handler gets WARNING, ours keeps INFO for the policywatch loggers.
        settings.set("LOG_LEVEL", "WARNING")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter(
                str(BASE_SETTINGS["LOG_FORMAT"]), str(BASE_SETTINGS["LOG_DATEFORMAT"])
            )
        )
        ours = logging.getLogger("policywatch")
        ours.addHandler(handler)
        ours.setLevel(logging.INFO)
        ours.propagate = False
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

    from archive.records import CrawlSummary

    summaries = []
    for source, crawler in crawlers:
        summary = getattr(crawler.spider, "archive_summary", None) if crawler.spider else None
        if summary is None:
            summary = CrawlSummary(
                source_id=source.id,
                status="failed",
                reason="the crawl did not start (see the log above)",
            )
        summaries.append(asdict(summary))
    out = json.dumps(summaries, ensure_ascii=False)
    if args.summary:
        Path(args.summary).write_text(out, encoding="utf-8")
    else:
        print(out)
    return 1 if any(s["status"] != "ok" for s in summaries) else 0


def _override(source, args):  # type: ignore[no-untyped-def]
    changes = {}
    if args.delay is not None:
        changes["delay"] = args.delay
    if args.concurrency is not None:
        changes["concurrency"] = args.concurrency
    if args.allow_private:
        changes["allow_private"] = True
    return replace(source, **changes) if changes else source


if __name__ == "__main__":
    sys.exit(main())
