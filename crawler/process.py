"""Run one crawl in a child process (``python -m crawler.run``) and read back its result.

Also :func:`run_probe`: ``policywatch sources test`` in a child (``python -m crawler.probe``),
returning a typed :class:`ProbeResult`.

Scrapy's reactor cannot be restarted, so every crawl — from the CLI, the service or a worker —
is a child process. This module imports neither Scrapy nor Twisted: the scheduler may use it.
The request goes to the child as a JSON file, the database URL through its environment (a
password in argv would show in ``ps``), and the summaries come back through a file, so
nothing the child prints can corrupt them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from archive.errors import PolicywatchError, UsageError
from archive.records import CrawlRequest, CrawlResult, CrawlSummary
from crawler.lifetime import arm_parent_death

EXIT_USAGE = 2
_PROJECT = Path(__file__).resolve().parent.parent


class CrawlRefused(UsageError):
    """The crawl process refused its request (bad sources, bad database URL): exit status 2."""


class CrawlDied(PolicywatchError):
    """The crawl process ended without writing its summary (killed, crashed)."""


_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()


def _child_preexec() -> None:
    # Runs in the child before exec: on Linux the kernel kills the child when the parent
    # dies, so a service killed with -9 leaves no crawl behind (the child has its own process
    # group, so a terminal's ^C or a stray killpg never reaches it otherwise). SIGKILL, not
    # SIGTERM: a graceful Scrapy shutdown waits for its downloads and its extraction pool,
    # and an orphan has no one to report to; what it committed stays (one transaction each).
    arm_parent_death()
    # A Ctrl-C forwarded while the new interpreter is still starting would kill it with a
    # "Fatal Python error"; crawler.run takes SIGINT back as soon as it can handle it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # the parent held it back


def signal_crawls(sig: int) -> int:
    """Send ``sig`` to every running crawl's process group; how many crawls there were."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for proc in live:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
    return len(live)


def run_crawl(
    request: CrawlRequest, *, db: str | None = None, log_file: Path | None = None
) -> CrawlResult:
    """Crawl as ``request`` asks, in a child process; the archive at ``db`` records it.

    The child runs in a process group of its own (``signal_crawls`` reaches it and its
    children). ``log_file``: its stderr goes there instead of ours (the service keeps Scrapy's
    output out of its log and reports one line).
    """
    with tempfile.TemporaryDirectory(prefix="policywatch-") as tmp:
        request_path = Path(tmp) / "request.json"
        summary_path = Path(tmp) / "summary.json"
        request_path.write_text(request.to_json(), encoding="utf-8")
        cmd = [
            sys.executable,
            "-m",
            "crawler.run",
            "--request",
            str(request_path),
            "--summary",
            str(summary_path),
        ]
        env = _child_env()
        if db:
            env["POLICYWATCH_DB"] = db
        returncode = _run_child(cmd, env, log_file)
        if returncode == EXIT_USAGE:
            raise CrawlRefused("the crawl was refused (see the line above)")
        try:
            data = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise CrawlDied(
                f"the crawl process died (exit status {returncode}) before "
                "writing its summary; the archive keeps what was committed"
            ) from None
        return CrawlResult(returncode, tuple(CrawlSummary.from_dict(d) for d in data))


def _run_child(cmd: list[str], env: dict[str, str], log_file: Path | None = None) -> int:
    """Run a crawl or probe child in a process group of its own; its exit status.

    Its own group, so that ``signal_crawls`` reaches it and its children (and a service
    killed with -9 takes it along: ``_child_preexec``); a Ctrl-C that reaches only us is
    passed on (``_stop``). ``log_file``: its stderr goes there instead of ours.
    """
    stderr = open(log_file, "ab") if log_file else None
    # A Ctrl-C while Popen is still starting the child would leave a child we cannot stop:
    # it is held back until ``proc`` exists, then raised where ``_stop`` can pass it on.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        try:
            proc = subprocess.Popen(
                cmd, env=env, stderr=stderr, start_new_session=True, preexec_fn=_child_preexec
            )
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            raise
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            return proc.wait()
        except KeyboardInterrupt:
            _stop(proc)
            raise
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
    finally:
        if stderr:
            stderr.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the child's group: SIGINT (a clean Scrapy shutdown), then SIGTERM, then SIGKILL."""
    # SIGINT may land before the child listens for it (it starts with SIGINT ignored), and
    # Scrapy takes a first signal as "finish what is in flight", a second as "stop now":
    # so SIGTERM follows, twice, then SIGKILL if even that is not heard.
    steps = ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0), (signal.SIGTERM, 10.0))
    for sig, wait in (*steps, (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _child_env() -> dict[str, str]:
    """The environment of a child process: ours, with this project importable."""
    path = os.pathsep.join([str(_PROJECT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path}


# -- probing a source (`policywatch sources test`) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProbeRequest:
    """What ``python -m crawler.probe`` is asked to check: one source's listing pages."""

    source_id: str
    sources: str | None = None  # a TOML file or directory; None: the bundled seeds
    urls: tuple[str, ...] = ()  # listing pages to test instead of the source's start_urls
    max_listings: int = 3  # listing pages fetched at most (start pages and followed ones)
    mirror: bool = False  # probe the bundled offline mirror (served by the probe process)
    origins: tuple[tuple[str, str], ...] = ()  # (real origin, mirror origin), as for crawls
    allow_private: bool = False
    delay: float | None = None  # overrides the source's delay (a loopback mirror needs none)
    verbose: bool = False


@dataclass(frozen=True, slots=True)
class ProbeLink:
    """One link of a tested page: what the crawl would do with it (``role``) and why."""

    url: str
    text: str
    role: str  # a crawler.links.LinkRole value: listing, document, attachment, ignored
    reason: str


@dataclass(frozen=True, slots=True)
class ProbeListing:
    """One listing page fetched by the probe, with its links in page order."""

    url: str
    status: int | None = None
    error: str | None = None
    total_pages: int | None = None  # what the page says ("共12页"), when it says it
    links: tuple[ProbeLink, ...] = ()


@dataclass(frozen=True, slots=True)
class ProbeDocument:
    """The sample policy page as the crawl would extract it."""

    url: str
    status: int | None = None
    error: str | None = None
    title: str = ""
    published: str | None = None  # ISO date
    doc_number: str | None = None
    chars: int = 0
    first_lines: tuple[str, ...] = ()
    attachments: tuple[ProbeLink, ...] = ()


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What ``sources test`` found: the listings' links, one policy page, and the problems."""

    source_id: str
    name: str
    listings: tuple[ProbeListing, ...] = ()
    document: ProbeDocument | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when a listing was fetched and at least one of its links is a policy page."""
        return not self.problems

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeResult:
        """Read back the JSON the probe process wrote."""

        def links(items: list[dict[str, Any]]) -> tuple[ProbeLink, ...]:
            return tuple(ProbeLink(**i) for i in items)

        doc = data.get("document")
        return cls(
            source_id=data["source_id"],
            name=data["name"],
            listings=tuple(
                ProbeListing(**(d | {"links": links(d["links"])})) for d in data["listings"]
            ),
            document=ProbeDocument(
                **(
                    doc
                    | {
                        "first_lines": tuple(doc["first_lines"]),
                        "attachments": links(doc["attachments"]),
                    }
                )
            )
            if doc
            else None,
            problems=tuple(data["problems"]),
        )


def run_probe(request: ProbeRequest) -> ProbeResult:
    """Test a source's listing pages in a child process; nothing is written to the archive."""
    with tempfile.TemporaryDirectory(prefix="policywatch-") as tmp:
        request_path = Path(tmp) / "request.json"
        result_path = Path(tmp) / "result.json"
        request_path.write_text(json.dumps(asdict(request), ensure_ascii=False), "utf-8")
        cmd = [sys.executable, "-m", "crawler.probe", "--request", str(request_path),
               "--result", str(result_path)]  # fmt: skip
        returncode = _run_child(cmd, _child_env())
        if returncode == EXIT_USAGE:
            raise CrawlRefused("the test was refused (see the line above)")
        try:
            return ProbeResult.from_dict(json.loads(result_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            raise CrawlDied(
                f"the probe process died (exit status {returncode}) before writing its result"
            ) from None


def read_probe_request(text: str) -> ProbeRequest:
    """Parse the JSON :func:`run_probe` writes for the child."""
    data = json.loads(text)
    data["urls"] = tuple(data.get("urls", ()))
    data["origins"] = tuple(tuple(p) for p in data.get("origins", ()))
    return ProbeRequest(**data)


class ProcessCrawler:
    """The service's "crawl this source": one child process per crawl (see ``run_crawl``)."""

    def __init__(
        self,
        *,
        sources: str | None,
        db: str | None,
        verbose: bool = False,
        request: CrawlRequest | None = None,
    ) -> None:
        self.db = db
        self.verbose = verbose
        self.request = replace(request or CrawlRequest(), sources=sources, verbose=verbose)

    def crawl(self, source_id: str) -> CrawlResult:
        """Crawl one source now; CrawlDied/CrawlRefused as for ``run_crawl``."""
        request = replace(self.request, source_ids=(source_id,))
        if broker := os.environ.get("POLICYWATCH_BROKER"):
            # Distributed: a worker (policywatch worker) crawls it under the source's lease.
            from crawler.worker import crawl_via_broker

            return crawl_via_broker(request, broker=broker)
        if self.verbose:
            return run_crawl(request, db=self.db)
        with tempfile.TemporaryDirectory(prefix="policywatch-log-") as tmp:
            log = Path(tmp) / "stderr.log"
            try:
                return run_crawl(request, db=self.db, log_file=log)
            except PolicywatchError as exc:
                raise type(exc)(f"{exc}: {_last_line(log)}") from None

    def signal(self, sig: int) -> int:
        """Forward ``sig`` to every running crawl; how many there were."""
        return signal_crawls(sig)


def _last_line(log: Path) -> str:
    # The child's last words (Scrapy's traceback ends with the exception line).
    try:
        lines = [ln for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln]
    except OSError:
        return "no log"
    return lines[-1].strip()[:300] if lines else "no output"
