"""policywatch's composition root: the ``policywatch`` command, the demo and the service wiring.

Each command is a thin adapter: parse → :class:`archive.api.Archive` → a view
(:mod:`archive.views`) → render. Crawls run ``python -m crawler.run`` in a child process
(:mod:`crawler.process`; Scrapy's reactor cannot be restarted, so this process never imports
Scrapy or Twisted). Imports are lazy so that quick commands (``diff`` on two files) start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from archive.api import Archive
    from archive.records import CrawlRequest, CrawlResult
    from seeds.source import Source

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# The one exit-status table: every command's --help ends with it, the README repeats it, and
# tests/test_exit_codes.py runs every command against it. "\b" keeps click from rewrapping.
EXIT_CODES_HELP = """\b
Exit status (every command):
  0    ok (a crawl whose pages had errors is ok: they are reported)
  1    runtime failure: a source could not be crawled, nothing archived at
       that URL, check found a problem, sources test found no policy page
  2    bad input: usage, sources/reporters file, date, database URL, file
  130  interrupted (Ctrl-C); the archive keeps what was committed"""


class UserError(click.ClickException):
    """A one-line error for the user; exit status 2 (bad input) unless told otherwise."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Interrupted(click.ClickException):
    """Ctrl-C: one line instead of a KeyboardInterrupt traceback."""

    exit_code = EXIT_INTERRUPTED


class PolicywatchGroup(click.Group):
    """A click group whose commands all end their --help with the exit-status table."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if cmd.epilog is None:
            cmd.epilog = EXIT_CODES_HELP
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        # Caught here, not by click: click would print a blank line and raise a bare Abort.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted("interrupted; the archive keeps what was committed") from None


@contextmanager
def errors_as_lines() -> Iterator[None]:
    """Turn the archive's errors into one-line user errors: not found → 1, bad input → 2."""
    from archive.errors import NotFoundError, PolicywatchError, UsageError

    try:
        yield
    except NotFoundError as exc:
        raise UserError(str(exc), exit_code=EXIT_FAILURE) from None
    except UsageError as exc:
        raise UserError(str(exc)) from None
    except PolicywatchError as exc:
        raise UserError(str(exc), exit_code=EXIT_FAILURE) from None


def open_archive(db: str | None, *, create: bool = False) -> Archive:
    """The archive at ``db`` (read-only commands refuse an empty database)."""
    from archive.api import Archive
    from archive.errors import PolicywatchError

    try:
        return Archive.open(db, create=create)
    except PolicywatchError as exc:  # a bad URL, an unreachable server, no archive yet
        raise UserError(str(exc)) from None


def _source_names(path: str | None = None) -> dict[str, str]:
    """Source id → bureau name, for reports (the archive does not know the names)."""
    from seeds import SourceError, load_sources

    try:
        return {s.id: s.name for s in load_sources(path)}
    except (SourceError, OSError):
        return {}  # a report still works with ids


def _when(value: str | None, *, end_of_day: bool = False, db: str | None = None) -> datetime | None:
    """A --since/--until/--at value: ISO date (in --tz), 7d, last-crawl, last-report."""
    if value is None:
        return None
    from archive.timefmt import resolve_when

    def crawl_times() -> tuple[datetime | None, datetime | None]:
        with open_archive(db) as archive:
            return archive.crawl_times()

    with errors_as_lines():
        return resolve_when(value, end_of_day=end_of_day, crawl_times=crawl_times)


def db_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        envvar="POLICYWATCH_DB",
        metavar="URL",
        help="Database URL or SQLite path; `demo` is the demo's archive [env POLICYWATCH_DB; "
        "default: a SQLite file in the user data directory].",
    )(f)


def _use_color(ctx: click.Context, param: click.Parameter, value: str | None) -> bool:
    import os

    if value == "never" or ctx.params.get("no_color"):
        return False
    if value == "always":
        return True
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def color_option(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        callback=_use_color,
        help="Colour the text output: auto = on a terminal, unless NO_COLOR is set.",
    )(f)
    # The old spelling; eager so that --color sees it whatever the order on the line.
    return click.option("--no-color", is_flag=True, hidden=True, is_eager=True)(f)


def format_option(*choices: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=choices[0],
            show_default=True,
            help="Output format.",
        )(f)

    return deco


def lang_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--lang",
        type=click.Choice(["zh", "en"]),
        default="zh",
        show_default=True,
        envvar="POLICYWATCH_LANG",
        help="Labels of the text, Markdown and HTML output; JSON keeps its machine names "
        "[env POLICYWATCH_LANG].",
    )(f)


def sources_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--sources",
        metavar="PATH",
        help="Sources TOML file or directory [default: seeds/sources/].",
    )(f)


@click.group(
    cls=PolicywatchGroup,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(package_name="policywatch")
@click.option(
    "--tz",
    envvar="POLICYWATCH_TZ",
    default="Asia/Shanghai",
    show_default=True,
    help="Time zone for shown times and bare dates [env POLICYWATCH_TZ].",
)
def cli(tz: str) -> None:
    """Track what changed in Chinese education-bureau policy pages.

    Crawls bureau sites (Scrapy), extracts the policy text (trafilatura plus a
    government-site chrome filter), archives a new version only when the substance
    changes, and reports what changed: new, changed and withdrawn pages, with a
    structure-aware diff (items added/removed/moved, targets like 40处 → 50处).

    Start with `policywatch demo`: it crawls a bundled offline mirror of five bureau sites.
    """
    from archive.timefmt import set_zone

    with errors_as_lines():
        set_zone(tz)


# -- crawling ------------------------------------------------------------------------------------


def load_checked_sources(sources: str | None, ids: Sequence[str] = ()) -> list[Source]:
    """The configured sources (only ``ids`` when given); one-line error on a bad file or id."""
    from seeds import SourceError, load_sources

    try:
        loaded = load_sources(sources)
    except SourceError as exc:
        raise UserError(str(exc)) from None
    known = {s.id for s in loaded}
    for i in ids:
        if i not in known:
            raise UserError(
                f"--source: unknown source id {i!r} (known: {', '.join(sorted(known))})"
            )
    return [s for s in loaded if not ids or s.id in ids]


def crawl_now(request: CrawlRequest, db: str | None) -> CrawlResult:
    """Run one crawl process; its refusals and deaths become one-line user errors.

    With a broker configured (``$POLICYWATCH_BROKER``), the crawl is enqueued instead, one
    task per source, and run by ``policywatch worker`` processes against their shared
    archive; this waits for their results.
    """
    from crawler.process import run_crawl

    if broker := os.environ.get("POLICYWATCH_BROKER"):
        return enqueue_and_wait(request, broker)
    with child_errors():
        return run_crawl(request, db=db)


@contextmanager
def child_errors() -> Iterator[None]:
    """A child process (crawl, probe) that refused its request → exit 2; that died → exit 1."""
    from crawler.process import CrawlDied, CrawlRefused

    try:
        yield
    except CrawlRefused as exc:
        raise UserError(str(exc)) from None
    except CrawlDied as exc:
        raise UserError(str(exc), exit_code=EXIT_FAILURE) from None


def enqueue_and_wait(request: CrawlRequest, broker: str) -> CrawlResult:
    """The crawl as Celery tasks, one per source (every configured source when none named)."""
    from dataclasses import replace

    from crawler.worker import crawl_via_broker

    if not request.source_ids:
        ids = tuple(s.id for s in load_checked_sources(request.sources))
        request = replace(request, source_ids=ids)
    return crawl_via_broker(request, broker=broker)


@cli.command()
@click.option(
    "--broker",
    metavar="URL",
    envvar="POLICYWATCH_BROKER",
    required=True,
    help="Redis URL of the Celery broker (default: $POLICYWATCH_BROKER).",
)
@db_option
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Crawls at once in this worker (each in its own child process).",
)
@click.option("--name", help="This worker's name (default: celery@<host>).")
def worker(broker: str, db: str | None, concurrency: int, name: str | None) -> None:
    """Run crawl tasks from the broker against the shared archive (distributed crawling).

    Start one scheduler (`policywatch serve` with POLICYWATCH_BROKER set) and any number of
    workers on any machines, all with the same --db (PostgreSQL) and --broker (Redis).
    """
    from crawler.worker import run_worker

    if db:
        os.environ["POLICYWATCH_DB"] = db
    open_archive(db, create=True).close()  # a bad --db: one line now, not per task
    run_worker(broker=broker, concurrency=concurrency, hostname=name)


@cli.command()
@sources_option
@click.option("--source", "ids", multiple=True, metavar="ID", help="Only this source (repeatable).")
@db_option
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    help="Seconds between requests to a site (overrides the sources).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    help="Requests at once per site (overrides the sources).",
)
@click.option("--verbose", is_flag=True, help="Show Scrapy's own log lines.")
@format_option("text", "json")
def crawl(
    sources: str | None,
    ids: tuple[str, ...],
    db: str | None,
    delay: float | None,
    concurrency: int | None,
    verbose: bool,
    fmt: str,
) -> None:
    """Crawl the configured bureau sites now and archive what changed.

    Prints a per-source summary: pages fetched, new, changed, unchanged, withdrawn, errors.
    Exit status 0 when every source ran (page errors are reported, not fatal), 1 when a
    source could not run, 2 for a usage or configuration error.
    """
    from archive import views
    from archive.records import CrawlRequest
    from archive.service.lock import LockHeld, holding_crawls

    chosen = load_checked_sources(sources, ids)
    # A bad --db is answered here in one line, not by the child plus "the crawl was refused".
    archive = open_archive(db, create=True)
    request = CrawlRequest(
        sources=sources, source_ids=ids, delay=delay, concurrency=concurrency, verbose=verbose
    )
    try:
        with holding_crawls(archive, [s.id for s in chosen]):
            result = crawl_now(request, db)
    except LockHeld as exc:
        raise UserError(
            f"crawl: {exc}; try again when it is done", exit_code=EXIT_FAILURE
        ) from None
    finally:
        archive.close()
    click.echo(views.render("crawl", views.crawl(result), fmt))
    sys.exit(result.exit_status)


@cli.group(cls=PolicywatchGroup, invoke_without_command=True)
@sources_option
@format_option("text", "json")
@click.pass_context
def sources(ctx: click.Context, sources: str | None, fmt: str) -> None:
    """Validate and list the configured sources (`sources list`), test one, or start a new one.

    `policywatch sources` alone is `policywatch sources list`.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(sources_list, sources=sources, fmt=fmt)


@sources.command("list")
@sources_option
@format_option("text", "json")
def sources_list(sources: str | None, fmt: str) -> None:
    """Validate and list the configured sources."""
    from archive.views import dump_json

    loaded = load_checked_sources(sources)
    if fmt == "json":
        click.echo(dump_json([asdict(s) for s in loaded]))
        return
    for s in loaded:
        click.echo(f"{s.id:<16} {s.schedule:<14} {s.name}  {' '.join(s.start_urls)}")


@sources.command("test")
@click.argument("source_id", metavar="ID")
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="LISTING",
    help="Test this listing page instead of the source's start_urls (repeatable).",
)
@sources_option
@click.option(
    "--pages",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Listing pages to fetch at most (following `follow` links).",
)
@click.option("--mirror", is_flag=True, help="Test against the bundled offline mirror.")
@click.option("--verbose", is_flag=True, help="Show Scrapy's own log lines.")
@format_option("text", "json")
def sources_test(
    source_id: str,
    urls: tuple[str, ...],
    sources: str | None,
    pages: int,
    mirror: bool,
    verbose: bool,
    fmt: str,
) -> None:
    """Fetch a source's listing pages and say what each link would be, and why.

    Polite like a crawl (robots.txt, the source's delay) and writes nothing to the archive:
    every link with its role (listing to follow, policy page, attachment, ignored) and the
    pattern that decided it, then one policy page as extracted (title, date, first lines).
    Exit status 1 when no link is a policy page (check the `documents` patterns).
    """
    from archive import views
    from crawler.process import ProbeRequest, run_probe

    load_checked_sources(sources, [source_id])
    request = ProbeRequest(source_id, sources, urls, pages, mirror=mirror, verbose=verbose)
    with child_errors():
        result = run_probe(request)
    click.echo(views.render("sources_test", asdict(result), fmt))
    sys.exit(EXIT_OK if result.ok else EXIT_FAILURE)


@sources.command("new")
@click.argument("listing_url", metavar="URL")
@click.option("--id", "source_id", help="The source id [default: derived from the host].")
@click.option("--name", default="", help="The bureau's name (e.g. 天津市和平区教育局).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the TOML here (refuses to overwrite) instead of stdout.",
)
def sources_new(listing_url: str, source_id: str | None, name: str, output: Path | None) -> None:
    """Print a commented skeleton source (TOML) for a bureau, from its listing page's URL.

    Fill in the patterns, then try them with `policywatch sources test ID --sources FILE`.
    """
    from seeds.skeleton import SkeletonError, skeleton_id, skeleton_toml, write_new

    source_id = source_id or skeleton_id(listing_url)
    try:
        text = skeleton_toml(listing_url, source_id=source_id, name=name)
        if output is not None:
            write_new(output, text)
    except SkeletonError as exc:
        raise UserError(str(exc)) from None
    if output is None:
        click.echo(text, nl=False)
    else:
        click.echo(
            f"wrote {output}; next: policywatch sources test {source_id} --sources {output}",
            err=True,
        )


# -- the demo ------------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--db",
    metavar="URL",
    help="Database for the demo [default: policywatch-demo.db "
    "in the user data directory, emptied first].",
)
@color_option
@format_option("text", "json")
def demo(db: str | None, color: bool, no_color: bool, fmt: str) -> None:
    """Crawl the bundled offline mirror twice (2022, then 2023) and print what changed.

    Serves seeds/mirror/ on 127.0.0.1, crawls generation 2022 into the demo database,
    switches the mirror to 2023, crawls again and prints the change report. The demo keeps
    its own database so that mirror captures never mix with a real archive; other commands
    reach it with `--db demo`.
    """
    from archive import views
    from archive.api import DEMO_DB, demo_db_path
    from archive.records import CrawlRequest, EventKind
    from archive.report import render_report
    from seeds.mirror import serve_mirror

    if db is None or db == DEMO_DB:
        path = demo_db_path()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = DEMO_DB
    archive = open_archive(db, create=True)
    if not archive.is_empty():
        raise UserError(
            f"demo: {archive.url} already holds an archive; the demo needs an empty "
            "database (omit --db to use its own)"
        )
    say = (lambda m: click.echo(m, err=True)) if fmt == "json" else click.echo
    names = {s.id: s.name for s in load_checked_sources(None)}
    with serve_mirror(generation="2022") as mirror:
        for gen in ("2022", "2023"):
            mirror.set_generation(gen)
            say(f"\n== Crawling the offline mirror, generation {gen} ==")
            started = datetime.now(UTC)
            # Our own mirror on loopback: no need to wait between requests.
            request = CrawlRequest(
                delay=0.0, concurrency=4, origins=tuple(mirror.origins.items()), allow_private=True
            )
            result = crawl_now(request, db)
            say(views.render("crawl", views.crawl(result), "text"))
            if result.exit_status != 0:
                raise UserError(f"the {gen} crawl did not complete", exit_code=EXIT_FAILURE)
    report = archive.report(since=started, source_names=names)
    if fmt == "json":
        click.echo(render_report(report, "json"))
        return
    click.echo("\n== What changed between the 2022 and 2023 crawls ==\n")
    click.echo(render_report(report, "text", color=color), color=color)
    db_arg = f"--db {db}"
    sample = next((i.event.url for i in report.items if i.event.kind is EventKind.CHANGED), None)
    click.echo("Next, try:")
    click.echo(f"  policywatch changes {db_arg}")
    if sample:
        click.echo(f"  policywatch history {db_arg} {sample}")
        # Today in the display zone, the zone --at reads a date in: the machine's own date
        # (UTC here) named a day that had ended in Shanghai for eight hours of every day.
        from archive.timefmt import local_date

        today = local_date(datetime.now(UTC)).isoformat()
        click.echo(f"  policywatch show {db_arg} {sample} --at {today}")
    click.echo(f"  policywatch series {db_arg}")
    for s in archive.series():
        if len(s.editions) > 1:
            click.echo(f"  policywatch diff {db_arg} --series {s.id} --from 2022 --to 2023")
            break
    archive.close()


# -- extraction and diff -------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="The page's URL (resolves links; dates in the URL path).")
@click.option("--encoding", help="Decode with this codec instead of detecting it.")
@format_option("text", "json")
def extract(file: Path, url: str | None, encoding: str | None, fmt: str) -> None:
    """Print the policy text of a saved page: title line, then one paragraph per line."""
    from archive.views import dump_json
    from crawler.encoding import DecodeError
    from crawler.extract import extract as run_extract

    data = file.read_bytes()
    if not data.strip():
        raise UserError(f"{file}: empty file (nothing to extract)")
    try:
        doc = run_extract(data, url=url, encoding=encoding)
    except (DecodeError, LookupError) as exc:  # a binary, or an unknown --encoding: bad input
        raise UserError(f"{file}: {exc}") from None
    if fmt == "json":
        click.echo(dump_json(asdict(doc)))
    else:
        click.echo(doc.title)
        if doc.text:
            click.echo(doc.text)


@cli.command()
@click.argument("old", required=False)
@click.argument("new", required=False)
@db_option
@click.option(
    "--series",
    "series_id",
    type=int,
    help="Diff two years of a plan series (ids: `policywatch series`); without --from/--to, "
    "its latest two years.",
)
@click.option(
    "--from",
    "from_year",
    type=int,
    help="With --series: the older year [default: the latest year before --to].",
)
@click.option(
    "--to", "to_year", type=int, help="With --series: the newer year [default: the latest]."
)
@color_option
@lang_option
@format_option("text", "json", "html", "markdown")
def diff(
    old: str | None,
    new: str | None,
    db: str | None,
    series_id: int | None,
    from_year: int | None,
    to_year: int | None,
    color: bool,
    no_color: bool,
    lang: str,
    fmt: str,
) -> None:
    """Compare two texts: files, archived versions (id or URL@DATE), or two years of a series.

    Items are aligned across sections (renumbering alone is no change); changed targets
    such as 40处 → 50处 are reported with old and new values. `--series ID` alone compares
    the series' latest two years.
    """
    from archive.compare import resolve_pair, series_pair
    from archive.render import render_diff
    from archive.text.diff import diff_texts

    with errors_as_lines():
        if series_id is not None:
            archive = open_archive(db)
            try:
                pair = series_pair(archive, series_id, from_year, to_year)
            finally:
                archive.close()
        elif old and new:
            pair = resolve_pair(old, new, lambda: open_archive(db))
        else:
            raise UserError("diff: give OLD and NEW (files or version refs), or --series ID")
    result = diff_texts(pair.old_text, pair.new_text)
    out = render_diff(
        result, fmt, old_label=pair.old_label, new_label=pair.new_label, color=color, lang=lang
    )
    click.echo(out.rstrip("\n"), color=color)  # click strips colours when piped unless told


# -- queries -------------------------------------------------------------------------------------


def _view(
    view: str, fmt: str, db: str | None, call: Callable[[Archive], Any], source: str | None = None
) -> None:
    """Open the archive, run one view, print it in ``fmt``, close the archive."""
    from archive import views

    archive = open_archive(db)
    try:
        with errors_as_lines():
            archive.check_source(source, _source_names())
            data = call(archive)
    finally:
        archive.close()
    click.echo(views.render(view, data, fmt))


@cli.command()
@click.argument("url")
@db_option
@format_option("text", "json")
def history(url: str, db: str | None, fmt: str) -> None:
    """List every archived version of the page at URL."""
    from archive import views

    _view("history", fmt, db, lambda a: views.history(a, url))


@cli.command()
@click.argument("url")
@click.option("--at", "at", metavar="DATE", help="The version current at this ISO date/date-time.")
@db_option
@format_option("text", "json")
def show(url: str, at: str | None, db: str | None, fmt: str) -> None:
    """Print the archived text of URL (the latest, or as it was --at a date)."""
    from archive import views

    when = _when(at, end_of_day=True, db=db)
    _view("show", fmt, db, lambda a: views.show(a, url, when))


@cli.command()
@click.option("--since", metavar="WHEN", help="Only changes detected at or after WHEN (7d, …).")
@click.option("--source", help="Only this source id.")
@db_option
@format_option("text", "json")
def changes(since: str | None, source: str | None, db: str | None, fmt: str) -> None:
    """List change events: new, changed, withdrawn and restored pages."""
    from archive import views

    when = _when(since, db=db)
    _view("changes", fmt, db, lambda a: views.changes(a, when, source), source)


@cli.command()
@click.option(
    "--since",
    metavar="WHEN",
    help="Changes detected at or after WHEN (7d, 2023-02-20, last-crawl, …; `all`: from the "
    "beginning) [default: what no earlier `report` showed].",
)
@click.option("--source", help="Only this source id.")
@db_option
@color_option
@lang_option
@format_option("text", "json", "markdown", "html")
def report(
    since: str | None,
    source: str | None,
    db: str | None,
    color: bool,
    no_color: bool,
    lang: str,
    fmt: str,
) -> None:
    """Print the change report: a summary, then per bureau its new, changed and withdrawn
    pages with their diffs.

    Without --since it shows what no earlier `report` (of all sources, or of this --source)
    has shown, and remembers that it has; with --since it shows that period and remembers
    nothing.
    """
    from archive.report import render_report

    when = None if since is None or since.strip().lower() == "all" else _when(since, db=db)
    names = _source_names()
    archive = open_archive(db)
    try:
        with errors_as_lines():
            archive.check_source(source, names)
            if since is None:
                rep = archive.unreported(source=source, source_names=names)
            else:
                rep = archive.report(when, source=source, source_names=names)
            out = render_report(rep, fmt, color=color, lang=lang).rstrip("\n")
            click.echo(out, color=color)
            if since is None:
                shown = out if fmt == "text" else render_report(rep, "text", lang=lang)
                archive.mark_reported(
                    rep, source=source, text=click.unstyle(shown), json=render_report(rep, "json")
                )
    finally:
        archive.close()


@cli.command()
@click.option("--source", help="Only this source id.")
@db_option
@format_option("text", "json")
def series(source: str | None, db: str | None, fmt: str) -> None:
    """List year-to-year series: the same plan published each year at another URL."""
    from archive import views

    _view("series", fmt, db, lambda a: views.series(a, source), source)


@cli.command()
@db_option
@format_option("text", "json")
def check(db: str | None, fmt: str) -> None:
    """Verify the archive: captures, version chains, digests, change events.

    Exit status 0 when the archive is sound, 1 when a problem was found.
    """
    from archive import views

    archive = open_archive(db)
    try:
        data = views.check(archive)
    finally:
        archive.close()
    click.echo(views.render("check", data, fmt))
    sys.exit(EXIT_OK if data["ok"] else EXIT_FAILURE)


@cli.command()
@click.argument("terms", nargs=-1, required=True)
@click.option("--source", help="Only this source id.")
@click.option("--since", metavar="WHEN", help="Versions current at or after WHEN (7d, …).")
@click.option("--until", metavar="WHEN", help="Versions current at or before WHEN.")
@click.option("--all-versions", is_flag=True, help="Search every version, not only current ones.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="At most this many hits.",
)
@db_option
@format_option("text", "json")
def search(terms: tuple[str, ...], source: str | None, since: str | None, until: str | None,
           all_versions: bool, limit: int, db: str | None, fmt: str) -> None:  # fmt: skip
    """Ranked full-text search (either script; 文号 and short words as exact substrings)."""
    from archive import views

    opts: dict[str, Any] = {"source": source, "all_versions": all_versions, "limit": limit}
    opts |= {"since": _when(since, db=db), "until": _when(until, end_of_day=True, db=db)}
    _view("search", fmt, db, lambda a: views.search(a, " ".join(terms), **opts), source)


@cli.command()
@click.option("--source", help="Only this source id.")
@click.option(
    "--doc-number", metavar="文号", help="A 文号 (津滨教体〔2022〕12号) or issuer (津滨教体)."
)
@click.option("--withdrawn/--not-withdrawn", default=None, help="Only withdrawn (or live) ones.")
@click.option("--title", help="Only titles containing this (either script).")
@db_option
@format_option("text", "json")
def documents(source: str | None, doc_number: str | None, withdrawn: bool | None,
              title: str | None, db: str | None, fmt: str) -> None:  # fmt: skip
    """List archived documents with their 文号 (issuer, year, sequence) and withdrawal state."""
    from archive import views

    filters: dict[str, Any] = {
        "source": source,
        "doc_number": doc_number,
        "withdrawn": withdrawn,
        "title": title,
    }
    _view("documents", fmt, db, lambda a: views.documents(a, **filters), source)


@cli.command()
@click.option("--source", help="Only this source id.")
@click.option("--all-versions", is_flag=True, help="Every version, not only the current ones.")
@click.option("--excel", is_flag=True, help="CSV: start with a BOM so that Excel reads UTF-8.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here, not stdout.")
@db_option
@format_option("jsonl", "csv", "warc")
def export(source: str | None, all_versions: bool, excel: bool, output: str | None,
           db: str | None, fmt: str) -> None:  # fmt: skip
    """Export texts with their metadata (JSON Lines, CSV) or every capture as WARC."""
    from archive.export import export_to

    if output and not Path(output).resolve().parent.is_dir():
        raise UserError(f"--output: folder {Path(output).parent} does not exist")
    with open_archive(db) as archive, errors_as_lines():
        archive.check_source(source, _source_names())
        count = export_to(archive, fmt, output, source=source, all_versions=all_versions,
                          excel=excel)  # fmt: skip
    if output:
        click.echo(f"wrote {count} record(s) to {output}", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8011, show_default=True)
@db_option
def web(host: str, port: int, db: str | None) -> None:
    """Serve the read-only web UI and JSON API (/api/…, /openapi.json) on HOST:PORT."""
    from archive.web import serve

    with open_archive(db) as archive, errors_as_lines():
        click.echo(f"policywatch web: http://{host}:{port}/ (Ctrl-C stops)", err=True)
        serve(archive, host=host, port=port, source_names=_source_names())


# -- the service ---------------------------------------------------------------------------------


def service_setup(
    sources: str | None, reporters_path: str | None, *, routes: bool = True
) -> tuple[list[Any], dict, dict[str, str]]:
    """The sources as the service sees them, the reporters and their digest times; one-line
    error on a bad file."""
    from archive.delivery import ReporterConfigError, load_reporters
    from archive.service import ServiceSource, check_routes

    loaded = [
        ServiceSource(s.id, s.name, s.schedule, tuple(s.reporters))
        for s in load_checked_sources(sources)
    ]
    reporters: dict[str, Any] = {}
    digests: dict[str, str] = {}
    if reporters_path:
        try:
            reporters = dict(load_reporters(reporters_path, digests))
        except (ReporterConfigError, OSError) as exc:
            raise UserError(str(exc)) from None
    problem = check_routes(loaded, reporters) if routes else None
    if problem:
        raise UserError(problem)
    return loaded, reporters, digests


def _log_setup(verbose: bool) -> None:
    import logging

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",  # the time zone too: logs outlive the server's TZ
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


@cli.command()
@sources_option
@click.option(
    "--reporters",
    "reporters_path",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="Reporters TOML (email, webhook, files); see seeds/reporters.example.toml.",
)
@db_option
@click.option(
    "--timezone",
    default="Asia/Shanghai",
    show_default=True,
    help="Time zone the sources' cron schedules are read in.",
)
@click.option("--once", is_flag=True, help="Run every source once now, send what is due, exit.")
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds running crawls get after SIGTERM/SIGINT before they are killed.",
)
@click.option(
    "--jitter",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    help="Spread sources sharing a schedule over this many seconds.",
)
@click.option(
    "--misfire-grace",
    type=click.FloatRange(min=0),
    default=6.0,
    show_default=True,
    help="Hours: a run missed while the service was down runs once on start.",
)
@click.option(
    "--fail-after",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Failed runs in a row before a source is reported as failing.",
)
@click.option(
    "--retry-first",
    type=click.FloatRange(min=0.01),
    default=30.0,
    show_default=True,
    help="Seconds before a failed delivery is retried (doubling, jittered).",
)
@click.option(
    "--give-up-after",
    type=click.FloatRange(min=0),
    default=24.0,
    show_default=True,
    help="Hours a delivery is retried before it is marked failed.",
)
@click.option("--verbose", is_flag=True, help="Show the crawls' own (Scrapy) log lines.")
def serve(
    sources: str | None,
    reporters_path: str | None,
    db: str | None,
    timezone: str,
    once: bool,
    grace: float,
    jitter: float,
    misfire_grace: float,
    fail_after: int,
    retry_first: float,
    give_up_after: float,
    verbose: bool,
) -> None:
    """Run as a service: crawl each source on its cron schedule and deliver every change report.

    Reports go through an outbox in the archive: retried with backoff until delivered, never
    lost to a crash. One service per archive. SIGTERM/SIGINT stop it cleanly, SIGHUP reloads.
    """
    from archive.errors import PolicywatchError
    from archive.service import ServiceConfig, run_service
    from crawler.process import ProcessCrawler

    _log_setup(verbose)
    _check_timezone(timezone)
    loaded, reporters, digests = service_setup(sources, reporters_path)
    config = ServiceConfig(
        timezone=timezone,
        grace=grace,
        jitter=jitter,
        misfire_grace=misfire_grace * 3600,
        fail_after=fail_after,
        retry_first=retry_first,
        retry_max=max(3600.0, retry_first),
        give_up_after=give_up_after * 3600,
    )
    archive = open_archive(db, create=True)
    crawler = ProcessCrawler(sources=sources, db=db, verbose=verbose)
    try:
        code = run_service(
            archive,
            loaded,
            reporters,
            crawler,
            config,
            once=once,
            reload=lambda: service_setup(sources, reporters_path),
            digests=digests,
        )
    except PolicywatchError as exc:
        raise UserError(f"serve: {exc}", exit_code=EXIT_FAILURE) from None
    finally:
        archive.close()
    sys.exit(code)


@cli.command()
@sources_option
@db_option
@format_option("text", "json")
def status(sources: str | None, db: str | None, fmt: str) -> None:
    """Show the service: who holds it, each source's last and next run, the deliveries."""
    from archive import views

    loaded = service_setup(sources, None, routes=False)[0]
    _view("status", fmt, db, lambda a: views.status(a, loaded))


def _check_timezone(name: str) -> None:
    # Checked before anything runs: APScheduler would otherwise raise it as a traceback.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"--timezone: unknown time zone {name!r} (e.g. Asia/Shanghai)") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``policywatch`` command: every error is one line, never a traceback."""
    from archive.text.clean import TerminalSafeStream

    # Page text (titles, OSC/CSI escapes in them) must never drive the operator's terminal.
    real = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalSafeStream(sys.stdout), TerminalSafeStream(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = real


def _undecodable_argument(argv: Sequence[str]) -> str | None:
    """The first argument that was not valid UTF-8 (Python keeps its bytes as surrogates),
    unless it names an existing file: a file name may be any bytes."""
    for arg in argv:
        if any("\udc80" <= c <= "\udcff" for c in arg) and not os.path.exists(arg):
            return arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return None


def _main(argv: Sequence[str] | None) -> int:
    bad = _undecodable_argument(sys.argv[1:] if argv is None else argv)
    if bad is not None:
        click.echo(f"policywatch: error: argument {bad!r} is not valid UTF-8", err=True)
        return 2
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="policywatch",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # commands that set their own status (crawl, check, serve --once)
        return exc.code if isinstance(exc.code, int) else 1
    except click.exceptions.NoArgsIsHelpError as exc:
        # `policywatch` alone: the whole help, readable, on stdout (asking for help is no error).
        click.echo(exc.ctx.get_help())
        return EXIT_OK
    except click.Abort:
        click.echo("policywatch: aborted", err=True)
        return EXIT_INTERRUPTED
    except Interrupted as exc:
        click.echo(f"policywatch: {exc.format_message()}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        msg = exc.format_message().replace("\n", " ")
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            msg = f"{exc.ctx.command_path}: {msg} (see --help)"
        click.echo(f"policywatch: error: {msg}", err=True)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
