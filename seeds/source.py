"""Source definitions: one bureau site described in TOML, validated into a frozen :class:`Source`.

A file holds one or more ``[[source]]`` tables. Every problem is reported as a :class:`SourceError`
whose message is one line naming the file, the source and the field, e.g.::

    seeds/sources/x.toml: source "tj_binhai": schedule: not a cron expression: "6 * *"

Reading the TOML text is the only I/O here; :func:`seeds.load_sources` walks files and directories.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime
import enum
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from apscheduler.triggers.cron import CronTrigger
from lxml import etree

from seeds.patterns import check_pattern

# File types bureaus attach: Office and WPS documents, spreadsheets, PDF/OFD, archives. The
# one list: the extractor lists links of these types as attachments, a source's default
# `attachments` pattern matches them, and crawler.attachments says which it can read.
ATTACHMENT_SUFFIXES = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "ofd", "zip", "rar")
# Case-insensitive because bureau sites link "通知.PDF" as often as "通知.pdf".
DEFAULT_ATTACHMENTS: tuple[str, ...] = (rf"(?i)\.(?:{'|'.join(ATTACHMENT_SUFFIXES)})$",)

_ID_RE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_HOST_RE = re.compile(r"[A-Za-z0-9.-]+")
_TOML_LINE_RE = re.compile(r"\s*\(at line (\d+), column \d+\)$")


class SourceError(ValueError):
    """A source file or field is invalid; ``str()`` is one line naming file, source and field."""


class LinkKind(enum.StrEnum):
    """What a URL found on a source's pages is, according to its patterns."""

    DOCUMENT = "document"
    ATTACHMENT = "attachment"
    FOLLOW = "follow"


@dataclass(frozen=True, slots=True)
class Source:
    """One bureau site: where to start, which links to follow and archive, and how politely."""

    id: str
    name: str
    start_urls: tuple[str, ...]
    follow: tuple[str, ...]
    documents: tuple[str, ...]
    schedule: str
    attachments: tuple[str, ...] = DEFAULT_ATTACHMENTS
    extra_hosts: tuple[str, ...] = ()
    delay: float = 1.0
    concurrency: int = 1
    max_pages: int = 500
    encoding: str | None = None
    prune_xpath: tuple[str, ...] = ()
    withdraw_after: int = 1
    max_page_bytes: int = 10_000_000
    # Wall-clock bound on one crawl of the source: pages not fetched by then are recorded
    # as fetch errors (deadline) and left for the next crawl. 500 slow pages ≈ 14 h otherwise.
    max_crawl_seconds: float = 4 * 3600.0
    # Document URLs are canonicalised (archive.text.urls); false keeps the query's order,
    # for a CMS that routes by the first parameter.
    sort_query: bool = True
    allow_private: bool = False
    reporters: tuple[str, ...] = ()
    notes: str = ""

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """Hostnames the crawl may visit: those of ``start_urls``, then ``extra_hosts``."""
        hosts = [urlsplit(url).hostname or "" for url in self.start_urls]
        return tuple(dict.fromkeys([*hosts, *self.extra_hosts]))

    def classify(self, url: str) -> LinkKind | None:
        """Say what ``url`` is for this source (document before attachment before follow)."""
        target = path_and_query(url)
        for kind, patterns in (
            (LinkKind.DOCUMENT, self.documents),
            (LinkKind.ATTACHMENT, self.attachments),
            (LinkKind.FOLLOW, self.follow),
        ):
            if any(re.search(pattern, target) for pattern in patterns):
                return kind
        return None

    def rebased(
        self, origin_map: Mapping[str, str], *, allow_private: bool | None = None
    ) -> Source:
        """Return a copy whose start URLs' origins are replaced via ``origin_map``.

        ``origin_map`` maps ``scheme://host[:port]`` to another origin (e.g. the offline mirror's
        ``http://127.0.0.1:PORT``); allowed hosts follow, since they are derived from the start
        URLs. ``allow_private`` overrides that flag when given (a loopback mirror needs it).
        """
        host_map = {
            urlsplit(old).hostname: urlsplit(new).hostname for old, new in origin_map.items()
        }
        extra = tuple(dict.fromkeys(host_map.get(h) or h for h in self.extra_hosts))
        changes: dict[str, Any] = {
            "start_urls": tuple(_rebase_url(url, origin_map) for url in self.start_urls),
            "extra_hosts": extra,
        }
        if allow_private is not None:
            changes["allow_private"] = allow_private
        return dataclasses.replace(self, **changes)


def path_and_query(url: str) -> str:
    """The part of ``url`` that the source's patterns are matched against."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def _rebase_url(url: str, origin_map: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    new = origin_map.get(f"{parts.scheme}://{parts.netloc}")
    if new is None:
        return url
    target = urlsplit(new)
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, parts.fragment))


# --- parsing -------------------------------------------------------------------------------------


def parse_sources(text: str, file: str) -> list[Source]:
    """Parse the TOML ``text`` of one file (named ``file`` in messages) into sources."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(_toml_message(file, exc)) from None
    for key in data:
        if key != "source":
            raise SourceError(f"{file}: {key}: unknown key (expected [[source]] tables)")
    tables = data.get("source")
    if tables is None:
        raise SourceError(f"{file}: no [[source]] tables")
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise SourceError(f"{file}: source: expected [[source]] tables")
    return [_parse_table(table, file, n) for n, table in enumerate(tables, 1)]


def _toml_message(file: str, exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc).splitlines()[0]
    match = _TOML_LINE_RE.search(message)
    if match is None:
        return f"{file}: {message}"
    return f"{file}: line {match.group(1)}: {message[: match.start()]}"


class _Fields:
    """Reads one ``[[source]]`` table, raising one-line errors prefixed with file and source."""

    def __init__(self, table: dict[str, Any], where: str) -> None:
        self.table = table
        self.where = where

    def fail(self, field: str, message: str) -> SourceError:
        return SourceError(f"{self.where}: {field}: {message}")

    def get(self, field: str, kind: type | tuple[type, ...], label: str, default: Any) -> Any:
        if field not in self.table:
            if default is _REQUIRED:
                raise self.fail(field, "missing (required)")
            return default
        value = self.table[field]
        # bool is an int subclass; `delay = true` is a mistake, not 1 second.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            raise self.fail(field, f"expected {label}, got {_type_name(value)}")
        return value

    def strings(self, field: str, default: Any = (), *, nonempty: bool = False) -> tuple[str, ...]:
        value = self.get(field, list, "a list of strings", default)
        if value is default:
            return tuple(default)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{field}[{i}]", f"expected a string, got {_type_name(item)}")
        if nonempty and not value:
            raise self.fail(field, "must not be empty")
        return tuple(value)

    def number(self, field: str, default: Any, minimum: float, *, integer: bool) -> Any:
        kind: type | tuple[type, ...] = int if integer else (int, float)
        value = self.get(field, kind, "an integer" if integer else "a number", default)
        if value < minimum:
            raise self.fail(field, f"must be at least {minimum:g}, got {value}")
        return value


_REQUIRED = object()


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _type_name(value: object) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list"}
    return names.get(type(value), "table" if isinstance(value, dict) else type(value).__name__)


def _parse_table(table: dict[str, Any], file: str, number: int) -> Source:
    # Until the id is known, the source is named by its position in the file.
    f = _Fields(table, f"{file}: source #{number}")
    source_id = f.get("id", str, "a string", _REQUIRED)
    if not _ID_RE.fullmatch(source_id):
        raise f.fail("id", f"not ASCII snake_case: {_quote(source_id)}")
    f.where = f"{file}: source {_quote(source_id)}"
    unknown = [key for key in table if key not in _FIELD_NAMES]
    if unknown:
        raise f.fail(unknown[0], "unknown key")
    name = f.get("name", str, "a string", _REQUIRED).strip()
    if not name:
        raise f.fail("name", "must not be empty")
    start_urls = f.strings("start_urls", _REQUIRED, nonempty=True)
    for i, url in enumerate(start_urls):
        _check_url(f, f"start_urls[{i}]", url)
    return Source(
        id=source_id,
        name=name,
        start_urls=start_urls,
        follow=_patterns(f, "follow", ()),
        documents=_patterns(f, "documents", _REQUIRED, nonempty=True),
        schedule=_schedule(f),
        attachments=_patterns(f, "attachments", DEFAULT_ATTACHMENTS),
        extra_hosts=_hosts(f),
        delay=float(f.number("delay", 1.0, 0, integer=False)),
        concurrency=f.number("concurrency", 1, 1, integer=True),
        max_pages=f.number("max_pages", 500, 1, integer=True),
        encoding=_encoding(f),
        prune_xpath=_checked(f, "prune_xpath", _compile_xpath, "not an XPath expression"),
        withdraw_after=f.number("withdraw_after", 1, 1, integer=True),
        max_page_bytes=f.number("max_page_bytes", 10_000_000, 1, integer=True),
        max_crawl_seconds=float(f.number("max_crawl_seconds", 4 * 3600.0, 1, integer=False)),
        sort_query=f.get("sort_query", bool, "a boolean", True),
        allow_private=f.get("allow_private", bool, "a boolean", False),
        reporters=f.strings("reporters"),
        notes=f.get("notes", str, "a string", ""),
    )


_FIELD_NAMES = frozenset(field.name for field in dataclasses.fields(Source))


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check_url(f: _Fields, field: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise f.fail(field, f"not an http(s) URL: {_quote(url)}")


def _checked(
    f: _Fields, field: str, check: Callable[[str], object], label: str, default: Any = ()
) -> tuple[str, ...]:
    values = f.strings(field, default)
    for i, value in enumerate(values):
        try:
            check(value)
        except (re.error, etree.XPathError) as exc:
            raise f.fail(f"{field}[{i}]", f"{label}: {_quote(value)} ({exc})") from None
    return values


def _patterns(f: _Fields, field: str, default: Any, *, nonempty: bool = False) -> tuple[str, ...]:
    if nonempty:
        f.strings(field, default, nonempty=True)
    return _checked(f, field, check_pattern, "not a regular expression", default)


def _compile_xpath(expression: str) -> object:
    return etree.XPath(expression)


def _schedule(f: _Fields) -> str:
    schedule: str = f.get("schedule", str, "a string", _REQUIRED)
    try:
        # A fixed timezone keeps validation independent of the machine's local zone.
        CronTrigger.from_crontab(schedule, timezone=datetime.UTC)
    except ValueError:
        raise f.fail("schedule", f"not a cron expression: {_quote(schedule)}") from None
    return schedule


def _encoding(f: _Fields) -> str | None:
    encoding: str | None = f.get("encoding", str, "a string", None)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise f.fail("encoding", f"unknown codec: {_quote(encoding)}") from None
    return encoding


def _hosts(f: _Fields) -> tuple[str, ...]:
    hosts = f.strings("extra_hosts")
    for i, host in enumerate(hosts):
        if not _HOST_RE.fullmatch(host):
            raise f.fail(f"extra_hosts[{i}]", f"not a hostname: {_quote(host)}")
    return tuple(host.lower() for host in hosts)


def read_source_file(path: Path, display: str) -> list[Source]:
    """Read and parse one TOML file; ``display`` is how the file is named in messages."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{display}: no such file or directory") from None
    try:
        # utf-8-sig: Windows Notepad starts a UTF-8 file with a byte-order mark, which TOML
        # would otherwise reject as "line 1: Invalid statement".
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{display}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    return parse_sources(text, display)
