"""The read-only web UI and JSON API: a small Starlette app over the archive's views.

Every page is a view (:mod:`archive.views`, :mod:`archive.views_web`) rendered by a Jinja2
template; the same dict is served as JSON at ``/api/<page>`` and at ``<page>?format=json``,
and ``/openapi.json`` describes the API from the same route table. Nothing writes: only GET
(and HEAD) routes exist. Page text is untrusted, so templates autoescape everything, and a
Content-Security-Policy without ``'unsafe-inline'`` (no script at all) stops anything that
slipped through from running.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .. import views, views_web
from ..api import Archive
from ..errors import NotFoundError, PolicywatchError, UsageError
from ..timefmt import resolve_when, show_time, zone

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True, slots=True)
class Param:
    """A query parameter of a page (also its OpenAPI description)."""

    name: str
    description: str
    kind: str = "string"  # OpenAPI type: string, integer, boolean
    required: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """One screen: where it lives, how its data is made, which template shows it."""

    path: str
    name: str
    title: str
    template: str
    data: Callable[[Archive, Mapping[str, Any], Mapping[str, str]], Any]
    params: tuple[Param, ...] = ()
    path_params: tuple[Param, ...] = field(default_factory=tuple)


def _int(args: Mapping[str, str], name: str) -> int | None:
    raw = args.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise UsageError(f"{name}: not a number: {raw!r}") from None


def _bool(args: Mapping[str, str], name: str) -> bool | None:
    raw = (args.get(name) or "").lower()
    if raw in ("", "any"):
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"{name}: expected true or false, got {raw!r}")


def _when(
    archive: Archive, args: Mapping[str, str], name: str, *, end: bool = False
) -> datetime | None:
    raw = args.get(name)
    if not raw:
        return None
    return resolve_when(raw, end_of_day=end, crawl_times=archive.crawl_times)


def _search(a: Archive, ctx: Mapping[str, Any], args: Mapping[str, str]) -> Any:
    q = (args.get("q") or "").strip()
    if not q:
        return []
    return views.search(
        a,
        q,
        source=args.get("source") or None,
        since=_when(a, args, "since"),
        until=_when(a, args, "until", end=True),
        all_versions=bool(_bool(args, "all_versions")),
        limit=_int(args, "limit") or 50,
    )


def _diff(a: Archive, ctx: Mapping[str, Any], args: Mapping[str, str]) -> Any:
    series = _int(args, "series")
    if series is not None:
        return views_web.compare_series(a, series, _int(args, "from"), _int(args, "to"))
    old, new = _int(args, "old"), _int(args, "new")
    if old is None or new is None:
        raise UsageError("diff: give old and new version ids, or series (with from and to)")
    return views_web.compare(a, old, new)


def _document(a: Archive, ctx: Mapping[str, Any], args: Mapping[str, str]) -> Any:
    url = args.get("url")
    if not url:
        raise UsageError("document: give url")
    return views_web.timeline(a, url)


_SOURCE = Param("source", "只看此来源 · only this source id")
PAGES: tuple[Page, ...] = (
    Page("/sources", "sources", "来源", "sources.html",
         lambda a, ctx, args: views_web.sources(a, ctx["source_names"])),
    Page("/documents", "documents", "文件", "documents.html",
         lambda a, ctx, args: views.documents(
             a, source=args.get("source") or None, doc_number=args.get("doc_number") or None,
             withdrawn=_bool(args, "withdrawn"), title=args.get("title") or None),
         (_SOURCE, Param("withdrawn", "已撤下 true / 未撤下 false", "boolean"),
          Param("title", "标题包含 · title contains (either script)"),
          Param("doc_number", "文号或发文机关代字 · 津滨教体〔2022〕12号 or 津滨教体"))),
    Page("/document", "document", "文件时间线", "document.html", _document,
         (Param("url", "文件网址 · the document's URL", required=True),)),
    Page("/version/{id:int}", "version", "版本", "version.html",
         lambda a, ctx, args: views_web.version(a, int(args["id"])),
         path_params=(Param("id", "版本号 · version id", "integer", True),)),
    Page("/diff", "diff", "对比", "diff.html", _diff,
         (Param("old", "旧版本号 · old version id", "integer"),
          Param("new", "新版本号 · new version id", "integer"),
          Param("series", "系列号 · series id (two years of a plan)", "integer"),
          Param("from", "旧年份 · older year", "integer"),
          Param("to", "新年份 · newer year", "integer"))),
    Page("/search", "search", "检索", "search.html", _search,
         (Param("q", "检索词 · words (either script), 文号, or a short word"), _SOURCE,
          Param("since", "起 · since: ISO date, 7d, last-crawl, last-report"),
          Param("until", "止 · until"),
          Param("all_versions", "含历史版本 · every version", "boolean"),
          Param("limit", "最多条数 · at most this many", "integer"))),
    Page("/changes", "changes", "最近变化", "changes.html",
         lambda a, ctx, args: views.changes(
             a, _when(a, args, "since"), args.get("source") or None,
             limit=_int(args, "limit") or 200, newest_first=True),
         (Param("since", "起 · since: ISO date, 7d, last-crawl, last-report"), _SOURCE,
          Param("limit", "最多条数（最新的）· the newest this many [200]", "integer"))),
    Page("/series", "series", "年度系列", "series.html",
         lambda a, ctx, args: views.series(a, args.get("source") or None), (_SOURCE,)),
)  # fmt: skip


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = show_time
    env.globals["kind_label"] = lambda k: views_web.KIND_LABELS.get(k, k)
    return env


class SecurityHeaders(BaseHTTPMiddleware):
    """CSP and friends on every response."""

    async def dispatch(self, request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response


def create_app(archive: Archive, *, source_names: Mapping[str, str] | None = None) -> Starlette:
    """The web app over an open archive (the caller closes it)."""
    env = _environment()
    ctx = {"source_names": dict(source_names or {})}

    def error(request: Request, status: int, message: str, as_json: bool) -> Response:
        if as_json:
            return Response(
                views.dump_json({"error": message}), status, media_type="application/json"
            )
        body = env.get_template("error.html").render(
            title="出错了", message=message, status=status, pages=PAGES, path=request.url.path
        )
        return HTMLResponse(body, status)

    def handler(page: Page, api: bool) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            as_json = api or request.query_params.get("format") == "json"
            args = dict(request.query_params) | {k: str(v) for k, v in request.path_params.items()}
            try:
                data = page.data(archive, ctx, args)
            except NotFoundError as exc:
                return error(request, 404, str(exc), as_json)
            except UsageError as exc:
                return error(request, 400, str(exc), as_json)
            except PolicywatchError as exc:
                return error(request, 500, str(exc), as_json)
            if as_json:
                return Response(views.dump_json(data), media_type="application/json")
            html = env.get_template(page.template).render(
                data=data,
                args=args,
                title=page.title,
                page=page,
                pages=PAGES,
                zone=str(zone()),
                json_url=_json_url(request),
                source_names=ctx["source_names"],
            )
            return HTMLResponse(html)

        endpoint.__name__ = f"{'api_' if api else ''}{page.name}"
        return endpoint

    def feed(request: Request) -> Response:
        entries = views_web.feed(archive)
        base = str(request.base_url).rstrip("/")
        updated = entries[0]["detected_at"] if entries else datetime.now(UTC)
        xml = env.get_template("feed.xml").render(entries=entries, base=base, updated=updated)
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    def openapi(request: Request) -> Response:
        return Response(views.dump_json(openapi_spec()), media_type="application/json")

    def home(request: Request) -> Response:
        return RedirectResponse("/sources", 303)

    routes: list[BaseRoute] = [Route("/", home, methods=["GET"])]
    for page in PAGES:
        routes.append(Route(page.path, handler(page, False), methods=["GET"]))
        routes.append(Route("/api" + page.path, handler(page, True), methods=["GET"]))
    routes += [
        Route("/feed.atom", feed, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])


def _json_url(request: Request) -> str:
    query = request.url.query
    return request.url.path + "?" + (query + "&" if query else "") + "format=json"


def openapi_spec() -> dict[str, Any]:
    """OpenAPI 3.1 description of the JSON API, made from the route table."""
    paths: dict[str, Any] = {}
    for page in PAGES:
        path = "/api" + page.path.replace("{id:int}", "{id}")
        params = [
            {
                "name": p.name,
                "in": "query",
                "required": p.required,
                "description": p.description,
                "schema": {"type": p.kind},
            }
            for p in page.params
        ] + [
            {
                "name": p.name,
                "in": "path",
                "required": True,
                "description": p.description,
                "schema": {"type": p.kind},
            }
            for p in page.path_params
        ]
        paths[path] = {
            "get": {
                "operationId": page.name,
                "summary": page.title,
                "description": (page.data.__doc__ or "").strip() or page.title,
                "parameters": params,
                "responses": {
                    "200": {"description": "the view's data (what `--format json` prints)"},
                    "400": {"description": 'bad input: {"error": one line}'},
                    "404": {"description": 'not in the archive: {"error": one line}'},
                },
            }
        }
    paths["/feed.atom"] = {
        "get": {
            "operationId": "feed",
            "summary": "Atom feed of the latest changes",
            "responses": {"200": {"description": "application/atom+xml"}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "policywatch archive API",
            "version": "1",
            "description": "Read-only: every page of the web UI as JSON. Times are UTC.",
        },
        "paths": paths,
    }
