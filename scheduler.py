"""policywatch's composition root: the ``policywatch`` command and the cron-style service.

It composes the stages and decides nothing itself: sources come from ``seeds``, crawls run
``python -m crawler.run`` in a child process (Scrapy's reactor cannot be restarted, so this
process never imports Scrapy or Twisted), and diffs, reports and queries come from
``archive``. Imports are lazy so that quick commands (``diff`` on two files) start fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

EXIT_USAGE = 2


class UserError(click.ClickException):
    """A one-line error for the user; exit status 2 (usage/config) unless told otherwise."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dump_json(data: Any) -> str:
    """JSON for ``--format json``: UTF-8 text as is, dates as ISO 8601."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def _open_archive(db: str | None, *, create: bool = False):  # type: ignore[no-untyped-def]
    from archive.errors import PolicywatchError
    from archive.store import Archive

    try:
        return Archive.open(db, create=create)
    except PolicywatchError as exc:
        raise UserError(str(exc)) from None


def _when(value: str | None, *, end_of_day: bool = False) -> datetime | None:
    if value is None:
        return None
    from archive.errors import UsageError
    from archive.query import parse_when

    try:
        return parse_when(value, end_of_day=end_of_day)
    except UsageError as exc:
        raise UserError(str(exc)) from None


def db_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        envvar="POLICYWATCH_DB",
        metavar="URL",
        help="Database URL or SQLite path [env POLICYWATCH_DB; default: a SQLite file in "
        "the user data directory].",
    )(f)


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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="policywatch")
def cli() -> None:
    """Track what changed in Chinese education-bureau policy pages.

    Crawls bureau sites (Scrapy), extracts the policy text (trafilatura plus a
    government-site chrome filter), archives a new version only when the substance
    changes, and reports what changed: new, changed and withdrawn pages, with a
    structure-aware diff (items added/removed/moved, targets like 40处 → 50处).

    Start with `policywatch demo`: it crawls a bundled offline mirror of five bureau sites.
    """


# -- crawling ------------------------------------------------------------------------------------


def run_crawl(
    *,
    sources: str | None,
    ids: Sequence[str],
    db: str | None,
    delay: float | None = None,
    concurrency: int | None = None,
    origins: dict[str, str] | None = None,
    allow_private: bool = False,
    verbose: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    """Crawl in a child process; return its exit status and one summary dict per source."""
    with tempfile.TemporaryDirectory(prefix="policywatch-") as tmp:
        summary_path = Path(tmp) / "summary.json"
        cmd = [sys.executable, "-m", "crawler.run", "--summary", str(summary_path)]
        if sources:
            cmd += ["--sources", sources]
        for i in ids:
            cmd += ["--source", i]
        if delay is not None:
            cmd += ["--delay", str(delay)]
        if concurrency is not None:
            cmd += ["--concurrency", str(concurrency)]
        for real, mirror in (origins or {}).items():
            cmd += ["--origin", f"{real}={mirror}"]
        if allow_private:
            cmd.append("--allow-private")
        if verbose:
            cmd.append("--verbose")
        # The child's log lines (stderr) are the progress output; the summary comes back
        # through a file so that nothing the child prints can corrupt it.
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH", "")]
            ).rstrip(os.pathsep),
        }
        if db:
            # Through the environment, not argv: a URL's password would show in `ps`.
            env["POLICYWATCH_DB"] = db
        proc = subprocess.run(cmd, env=env, check=False)
        if proc.returncode == EXIT_USAGE:
            raise UserError("the crawl was refused (see the line above)")
        try:
            summaries = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UserError(
                f"the crawl process died (exit status {proc.returncode}) before "
                "writing its summary; the archive keeps what was committed",
                exit_code=1,
            ) from None
        return proc.returncode, summaries


SUMMARY_COLUMNS = ("fetched", "new", "changed", "unchanged", "withdrawn", "errors")


def format_summaries(summaries: list[dict[str, Any]]) -> str:
    """A per-source table of a crawl's counts, then its errors and failures."""
    width = max([len("source"), *(len(s["source_id"]) for s in summaries)])
    lines = ["source".ljust(width) + "".join(f"{c:>10}" for c in SUMMARY_COLUMNS)]
    for s in summaries:
        lines.append(s["source_id"].ljust(width) + "".join(f"{s[c]:>10}" for c in SUMMARY_COLUMNS))
    for s in summaries:
        if s["status"] != "ok":
            lines.append(f"{s['source_id']}: FAILED: {s['reason']}")
        for err in s["error_samples"][:5]:
            lines.append(f"{s['source_id']}: error: {err}")
    return "\n".join(lines)


@cli.command()
@click.option(
    "--sources", metavar="PATH", help="Sources TOML file or directory [default: seeds/sources/]."
)
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
    _check_sources(sources, ids)
    # A bad --db is answered here in one line, not by the child plus "the crawl was refused".
    _open_archive(db, create=True).close()
    rc, summaries = run_crawl(
        sources=sources, ids=ids, db=db, delay=delay, concurrency=concurrency, verbose=verbose
    )
    click.echo(dump_json(summaries) if fmt == "json" else format_summaries(summaries))
    sys.exit(rc)


def _check_sources(sources: str | None, ids: Sequence[str]) -> list[Any]:
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


@cli.command()
@click.option(
    "--sources", metavar="PATH", help="Sources TOML file or directory [default: seeds/sources/]."
)
@format_option("text", "json")
def sources(sources: str | None, fmt: str) -> None:
    """Validate and list the configured sources."""
    loaded = _check_sources(sources, ())
    if fmt == "json":
        click.echo(dump_json([asdict(s) for s in loaded]))
        return
    for s in loaded:
        click.echo(f"{s.id:<16} {s.schedule:<14} {s.name}  {' '.join(s.start_urls)}")


# -- the demo ------------------------------------------------------------------------------------


def demo_db_path() -> Path:
    """The demo's own SQLite file, beside the default archive and never mixed with it."""
    from archive.db import default_db_path

    return default_db_path().with_name("policywatch-demo.db")


@cli.command()
@click.option(
    "--db",
    metavar="URL",
    help="Database for the demo [default: policywatch-demo.db "
    "in the user data directory, emptied first].",
)
@format_option("text", "json")
def demo(db: str | None, fmt: str) -> None:
    """Crawl the bundled offline mirror twice (2022, then 2023) and print what changed.

    Serves seeds/mirror/ on 127.0.0.1, crawls generation 2022 into the demo database,
    switches the mirror to 2023, crawls again and prints the change report. The demo keeps
    its own database so that mirror captures never mix with a real archive.
    """
    from archive.report import build_report, render_report
    from seeds.mirror import serve_mirror

    if db is None:
        path = demo_db_path()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = f"sqlite:///{path}"
    archive = _open_archive(db, create=True)
    from archive import query

    if query.changes(archive):
        raise UserError(
            f"demo: {db} already holds an archive; the demo needs an empty "
            "database (omit --db to use its own)"
        )
    say = (lambda m: click.echo(m, err=True)) if fmt == "json" else click.echo
    with serve_mirror(generation="2022") as mirror:
        for gen in ("2022", "2023"):
            mirror.set_generation(gen)
            say(f"\n== Crawling the offline mirror, generation {gen} ==")
            started = datetime.now(UTC)
            # Our own mirror on loopback: no need to wait between requests.
            rc, summaries = run_crawl(
                sources=None,
                ids=(),
                db=db,
                delay=0.0,
                concurrency=4,
                origins=mirror.origins,
                allow_private=True,
            )
            say(format_summaries(summaries))
            if rc != 0:
                raise UserError(f"the {gen} crawl did not complete", exit_code=1)
    report = build_report(archive, since=started)
    if fmt == "json":
        click.echo(render_report(report, "json"))
        return
    click.echo("\n== What changed between the 2022 and 2023 crawls ==\n")
    click.echo(render_report(report, "text", color=sys.stdout.isatty()))
    db_arg = f"--db {db}" if db else ""
    sample = next((i.event.url for i in report.items if i.event.kind == "changed"), None)
    click.echo("Next, try:")
    click.echo(f"  policywatch changes {db_arg}")
    if sample:
        click.echo(f"  policywatch history {db_arg} {sample}")
        click.echo(f"  policywatch show {db_arg} {sample} --at {date.today().isoformat()}")
    click.echo(f"  policywatch series {db_arg}")
    for chain in query.series(archive):
        if len(chain) > 1:
            click.echo(
                f"  policywatch diff {db_arg} --series {chain[0].document_id} --from 2022 --to 2023"
            )
            break


# -- extraction and diff -------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="The page's URL (resolves links; dates in the URL path).")
@click.option("--encoding", help="Decode with this codec instead of detecting it.")
@format_option("text", "json")
def extract(file: Path, url: str | None, encoding: str | None, fmt: str) -> None:
    """Print the policy text of a saved page: title line, then one paragraph per line."""
    from crawler.encoding import DecodeError
    from crawler.extract import extract as run_extract

    try:
        doc = run_extract(file.read_bytes(), url=url, encoding=encoding)
    except (DecodeError, LookupError) as exc:
        raise UserError(f"{file}: {exc}", exit_code=1) from None
    if fmt == "json":
        click.echo(dump_json(asdict(doc)))
    else:
        click.echo(doc.title)
        if doc.text:
            click.echo(doc.text)


def _read_text_file(path: Path) -> str:
    data = path.read_bytes()
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise UserError(f"{path}: neither UTF-8 nor GB18030 text")


@cli.command()
@click.argument("old", required=False)
@click.argument("new", required=False)
@db_option
@click.option(
    "--series", "series_id", type=int, help="Diff two years of a plan series (see `series`)."
)
@click.option("--from", "from_year", type=int, help="With --series: the older year.")
@click.option("--to", "to_year", type=int, help="With --series: the newer year.")
@click.option(
    "--color/--no-color", default=None, help="Colour the text output [default: when a tty]."
)
@format_option("text", "json", "html", "markdown")
def diff(
    old: str | None,
    new: str | None,
    db: str | None,
    series_id: int | None,
    from_year: int | None,
    to_year: int | None,
    color: bool | None,
    fmt: str,
) -> None:
    """Compare two texts: files, archived versions (id or URL@DATE), or two years of a series.

    Items are aligned across sections (renumbering alone is no change); changed targets
    such as 40处 → 50处 are reported with old and new values.
    """
    from archive.diff import diff_texts
    from archive.render import render_diff

    if series_id is not None:
        old_text, new_text, old_label, new_label = _series_pair(db, series_id, from_year, to_year)
    elif old and new:
        old_text, new_text, old_label, new_label = _pair(db, old, new)
    else:
        raise UserError("diff: give OLD and NEW (files or version refs), or --series ID")
    result = diff_texts(old_text, new_text)
    use_color = sys.stdout.isatty() if color is None else color
    click.echo(
        render_diff(result, fmt, old_label=old_label, new_label=new_label, color=use_color).rstrip(
            "\n"
        )
    )


def _pair(db: str | None, old: str, new: str) -> tuple[str, str, str, str]:
    if Path(old).is_file() and Path(new).is_file():
        return _read_text_file(Path(old)), _read_text_file(Path(new)), old, new
    from archive.errors import PolicywatchError
    from archive.query import version
    from archive.report import version_text

    archive = _open_archive(db)
    try:
        a, b = version(archive, old), version(archive, new)
    except PolicywatchError as exc:
        code = EXIT_USAGE if isinstance(exc, ValueError) else 1
        raise UserError(str(exc), exit_code=code) from None
    return version_text(a), version_text(b), f"v{a.id} {a.url}", f"v{b.id} {b.url}"


def _series_pair(
    db: str | None, series_id: int, y0: int | None, y1: int | None
) -> tuple[str, str, str, str]:
    from archive.lineage import mask_years
    from archive.query import series as list_series
    from archive.report import version_text

    chains = list_series(_open_archive(db))
    chain = next((c for c in chains if c and c[0].document_id == series_id), None)
    if chain is None:
        raise UserError(f"--series: no series {series_id} (see `policywatch series`)", exit_code=1)
    by_year = {mask_years(v.title)[1]: v for v in chain}
    y0 = y0 if y0 is not None else sorted(by_year)[-2] if len(by_year) > 1 else None
    y1 = y1 if y1 is not None else max(by_year)
    if y0 not in by_year or y1 not in by_year:
        raise UserError(
            f"--series {series_id}: years available: {', '.join(str(y) for y in sorted(by_year))}",
            exit_code=1,
        )
    a, b = by_year[y0], by_year[y1]
    return version_text(a), version_text(b), f"{y0} {a.url}", f"{y1} {b.url}"


# -- queries -------------------------------------------------------------------------------------


def _records(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [asdict(i) for i in items]


def _query(fn: Callable[[], Any]) -> Any:
    from archive.errors import NotFoundError, PolicywatchError

    try:
        return fn()
    except NotFoundError as exc:
        raise UserError(str(exc), exit_code=1) from None
    except PolicywatchError as exc:
        raise UserError(str(exc)) from None


@cli.command()
@click.argument("url")
@db_option
@format_option("text", "json")
def history(url: str, db: str | None, fmt: str) -> None:
    """List every archived version of the page at URL."""
    from archive import query

    versions = _query(lambda: query.history(_open_archive(db), url))
    if fmt == "json":
        click.echo(
            dump_json([{k: v for k, v in asdict(r).items() if k != "text"} for r in versions])
        )
        return
    for v in versions:
        click.echo(
            f"v{v.id}  #{v.seq}  first seen {v.first_seen:%Y-%m-%d %H:%M}  "
            f"last seen {v.last_seen:%Y-%m-%d %H:%M}  {len(v.text)} chars  {v.title}"
        )


@cli.command()
@click.argument("url")
@click.option("--at", "at", metavar="DATE", help="The version current at this ISO date/date-time.")
@db_option
@format_option("text", "json")
def show(url: str, at: str | None, db: str | None, fmt: str) -> None:
    """Print the archived text of URL (the latest, or as it was --at a date)."""
    from archive import query

    when = _when(at, end_of_day=True)
    v = _query(lambda: query.as_of(_open_archive(db), url, when))
    if fmt == "json":
        click.echo(dump_json(asdict(v)))
        return
    click.echo(f"{v.title}\n{v.text}")


@cli.command()
@click.option(
    "--since", metavar="DATE", help="Only changes detected at or after this date/date-time."
)
@click.option("--source", help="Only this source id.")
@db_option
@format_option("text", "json")
def changes(since: str | None, source: str | None, db: str | None, fmt: str) -> None:
    """List change events: new, changed, withdrawn and restored pages."""
    from archive import query

    when = _when(since)
    events = _query(lambda: query.changes(_open_archive(db), when, source=source))
    if fmt == "json":
        click.echo(dump_json(_records(events)))
        return
    if not events:
        click.echo("No changes.")
    for e in events:
        click.echo(
            f"{e.detected_at:%Y-%m-%d %H:%M}  {e.kind:<9} {e.source:<14} "
            f"v{e.old_version_id or '-'} → v{e.new_version_id or '-'}  {e.title}  {e.url}"
        )


@cli.command()
@click.option("--since", metavar="DATE", help="Changes detected at or after this date/date-time.")
@click.option("--source", help="Only this source id.")
@db_option
@format_option("text", "json", "markdown", "html")
def report(since: str | None, source: str | None, db: str | None, fmt: str) -> None:
    """Print the change report (per source: new, changed, withdrawn, with diffs)."""
    from archive.report import build_report, render_report

    when = _when(since)
    rep = _query(lambda: build_report(_open_archive(db), when, source=source))
    click.echo(render_report(rep, fmt, color=sys.stdout.isatty()).rstrip("\n"))


@cli.command()
@click.option("--source", help="Only this source id.")
@db_option
@format_option("text", "json")
def series(source: str | None, db: str | None, fmt: str) -> None:
    """List year-to-year series: the same plan published each year at another URL."""
    from archive import query
    from archive.lineage import mask_years

    chains = _query(lambda: query.series(_open_archive(db), source))
    if fmt == "json":
        click.echo(
            dump_json(
                [
                    {
                        "id": c[0].document_id,
                        "editions": [
                            {
                                "year": mask_years(v.title)[1],
                                "version_id": v.id,
                                "url": v.url,
                                "title": v.title,
                            }
                            for v in c
                        ],
                    }
                    for c in chains
                    if c
                ]
            )
        )
        return
    if not chains:
        click.echo("No series yet.")
    for c in chains:
        if c:
            click.echo(f"series {c[0].document_id}: {mask_years(c[-1].title)[0]}")
            for v in c:
                click.echo(f"  {mask_years(v.title)[1]}  v{v.id}  {v.url}")


@cli.command()
@db_option
@format_option("text", "json")
def check(db: str | None, fmt: str) -> None:
    """Verify the archive: captures, version chains, digests, change events.

    Exit status 0 when the archive is sound, 1 when a problem was found.
    """
    from archive.check import check_archive

    rep = check_archive(_open_archive(db))
    if fmt == "json":
        click.echo(dump_json(asdict(rep) | {"ok": rep.ok}))
    else:
        click.echo(
            f"{rep.documents} documents, {rep.versions} versions, {rep.captures} captures, "
            f"{rep.events} change events: {'ok' if rep.ok else 'PROBLEMS'}"
        )
        for p in rep.problems:
            click.echo(f"  {p}")
    sys.exit(0 if rep.ok else 1)


@cli.command()
@click.argument("terms", nargs=-1, required=True)
@click.option("--source", help="Only this source id.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@db_option
@format_option("text", "json")
def search(
    terms: tuple[str, ...], source: str | None, limit: int, db: str | None, fmt: str
) -> None:
    """Full-text search of the current texts (Chinese substrings; all terms must match)."""
    from archive import query

    hits = _query(
        lambda: query.search(_open_archive(db), " ".join(terms), source=source, limit=limit)
    )
    if fmt == "json":
        click.echo(
            dump_json(
                [
                    {
                        "url": v.url,
                        "title": v.title,
                        "version_id": v.id,
                        "source": v.source_id,
                        "snippet": snip,
                    }
                    for v, snip in hits
                ]
            )
        )
        return
    if not hits:
        click.echo("No matches.")
    for v, snip in hits:
        click.echo(f"v{v.id}  {v.title}  {v.url}\n    …{snip}…")


@cli.command()
@click.option("--source", help="Only this source id.")
@click.option("--all-versions", is_flag=True, help="Every version, not only the current ones.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write here instead of stdout."
)
@db_option
@format_option("jsonl", "csv")
def export(
    source: str | None, all_versions: bool, output: str | None, db: str | None, fmt: str
) -> None:
    """Export archived texts with their metadata as JSON Lines or CSV."""
    import csv
    import io

    from archive import query

    records = _query(
        lambda: list(query.export(_open_archive(db), source=source, all_versions=all_versions))
    )
    buf = io.StringIO()
    if fmt == "jsonl":
        for r in records:
            buf.write(json.dumps(asdict(r), ensure_ascii=False, default=_json_default) + "\n")
    else:
        fields = list(asdict(records[0])) if records else ["url"]
        writer = csv.DictWriter(buf, fieldnames=fields)
        writer.writeheader()
        for r in records:
            writer.writerow(
                {
                    k: (v.isoformat() if isinstance(v, date | datetime) else v)
                    for k, v in asdict(r).items()
                }
            )
    if output:
        Path(output).write_text(buf.getvalue(), encoding="utf-8")
        click.echo(f"wrote {len(records)} record(s) to {output}", err=True)
    else:
        click.echo(buf.getvalue(), nl=False)


# -- the service ---------------------------------------------------------------------------------


def run_source_job(
    source: Any, *, sources: str | None, db: str | None, reporters: dict[str, Any]
) -> dict[str, Any]:
    """One scheduled run: crawl one source, then deliver its change report if anything changed."""
    import logging

    from archive.delivery import RenderedReport, deliver
    from archive.report import build_report, render_report

    log = logging.getLogger("policywatch.serve")
    started = datetime.now(UTC)
    try:
        _rc, summaries = run_crawl(sources=sources, ids=[source.id], db=db)
    except click.ClickException as exc:
        log.error("[%s] crawl failed: %s", source.id, exc.format_message())
        return {"source_id": source.id, "status": "failed", "reason": exc.format_message()}
    summary = summaries[0]
    log.info(
        "[%s] crawl %s: %s",
        source.id,
        summary["status"],
        ", ".join(f"{summary[c]} {c}" for c in SUMMARY_COLUMNS),
    )
    # The service runs for months: each job closes what it opens.
    archive = _open_archive(db)
    try:
        rep = build_report(archive, since=started, source=source.id)
    finally:
        archive.close()
    if rep.empty:
        return summary
    targets = [reporters[n] for n in source.reporters if n in reporters] or list(reporters.values())
    rendered = RenderedReport(
        subject=f"policywatch: {len(rep.items)} change(s) in {source.name} ({source.id})",
        text=render_report(rep, "text"),
        html=render_report(rep, "html"),
        json=render_report(rep, "json"),
    )
    for err in deliver(rendered, targets):
        log.error("[%s] delivery failed: %s", source.id, err)
    log.info(
        "[%s] report with %d change(s) delivered to %d channel(s)",
        source.id,
        len(rep.items),
        len(targets),
    )
    return summary


@cli.command()
@click.option(
    "--sources", metavar="PATH", help="Sources TOML file or directory [default: seeds/sources/]."
)
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
@click.option("--once", is_flag=True, help="Run every source's job once now, then exit.")
def serve(
    sources: str | None, reporters_path: str | None, db: str | None, timezone: str, once: bool
) -> None:
    """Run as a background service: one cron schedule per source (APScheduler).

    Each job crawls its source in a child process, then delivers the change report to the
    source's reporters (all configured reporters when the source names none).
    """
    import logging

    from apscheduler.schedulers.blocking import BlockingScheduler

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    loaded = _check_sources(sources, ())
    _check_timezone(timezone)
    reporters: dict[str, Any] = {}
    if reporters_path:
        from archive.delivery import ReporterConfigError, load_reporters

        try:
            reporters = load_reporters(reporters_path)
        except (ReporterConfigError, OSError) as exc:
            raise UserError(str(exc)) from None
    _open_archive(db, create=True)
    if once:
        results = [run_source_job(s, sources=sources, db=db, reporters=reporters) for s in loaded]
        sys.exit(1 if any(r["status"] != "ok" for r in results) else 0)
    sched = BlockingScheduler(timezone=timezone)
    add_source_jobs(sched, loaded, sources=sources, db=db, reporters=reporters)
    for job in sched.get_jobs():
        click.echo(f"scheduled {job.id:<16} {job.args[0].schedule:<14} ({job.name})", err=True)
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass


def add_source_jobs(
    sched: Any,
    loaded: Sequence[Any],
    *,
    sources: str | None,
    db: str | None,
    reporters: dict[str, Any],
) -> None:
    """One cron job per source on an APScheduler scheduler, in the scheduler's time zone."""
    from apscheduler.triggers.cron import CronTrigger

    for s in loaded:
        # coalesce + max_instances=1: a crawl that overruns its slot is never doubled up;
        # a run missed while the machine slept is made up once, within an hour.
        sched.add_job(
            run_source_job,
            CronTrigger.from_crontab(s.schedule, timezone=sched.timezone),
            args=[s],
            kwargs={"sources": sources, "db": db, "reporters": reporters},
            id=s.id,
            name=s.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )


def _check_timezone(name: str) -> None:
    # Checked before anything runs: APScheduler would otherwise raise it as a traceback.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"--timezone: unknown time zone {name!r} (e.g. Asia/Shanghai)") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``policywatch`` command: every error is one line, never a traceback."""
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
    except click.Abort:
        click.echo("policywatch: aborted", err=True)
        return 130
    except click.ClickException as exc:
        msg = exc.format_message().replace("\n", " ")
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            msg = f"{exc.ctx.command_path}: {msg} (see --help)"
        click.echo(f"policywatch: error: {msg}", err=True)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
