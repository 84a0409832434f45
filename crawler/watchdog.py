"""A watchdog for extraction: each page is read in a worker process that is killed when it
takes longer than the bound (crawler stage).

A regular expression, a parser or a PDF reader stuck in C code ignores signals and cannot be
interrupted in-process (a backtracking pattern once held a crawl child at 100% CPU for good).
The worker is forked once and reused; a page over the time bound kills it (SIGKILL) and the
next page forks a fresh one. The worker's address space is capped too, so a page that would
exhaust memory fails with MemoryError in the worker instead of taking the crawl down.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Callable
from typing import Any

from crawler.lifetime import die_with_parent, name_process

__all__ = ["ExtractionFailed", "Watchdog"]

# Address space the worker may add to what it inherits (a forked Scrapy process maps a
# few hundred MB already): an extraction needing more fails instead of swapping the box.
MEMORY_HEADROOM = 768 * 1024 * 1024


class ExtractionFailed(Exception):
    """The worker ran out of time or memory, or died; ``str()`` is the one-line reason."""


def _vm_size() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _serve(conn: Any, other_end: Any, headroom: int) -> None:
    # Without closing the parent's end here, recv() would never see EOF when the parent dies.
    other_end.close()
    # A crawl killed with SIGKILL must not leave its worker behind (holding its pipes).
    die_with_parent()
    name_process("pw-watchdog")
    size = _vm_size()
    if size:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (size + headroom, size + headroom))
        except (ValueError, OSError):
            pass
    while True:
        try:
            fn, args = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, fn(*args)))
        except MemoryError:
            conn.send((False, "out of memory (the page needs more than the worker's bound)"))
        except Exception as exc:
            conn.send((False, f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"))


class Watchdog:
    """Runs functions in a forked worker, each bounded by ``timeout`` seconds."""

    def __init__(self, timeout: float, headroom: int = MEMORY_HEADROOM) -> None:
        self.timeout = timeout
        self.headroom = headroom
        self._proc: Any = None
        self._conn: Any = None
        self.kills = 0

    def _start(self) -> None:
        # fork: the worker inherits the imported extractor, so a restart costs milliseconds.
        # It never touches the inherited database connections, and exits with os._exit.
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, parent, self.headroom), daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in the worker; ExtractionFailed on timeout, memory or a crash."""
        if self._proc is None or not self._proc.is_alive():
            self._start()
        try:
            self._conn.send((fn, args))
            if not self._conn.poll(self.timeout):
                self._kill()
                raise ExtractionFailed(f"took longer than {self.timeout:g} s (watchdog)")
            ok, value = self._conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._kill()
            raise ExtractionFailed("the extraction worker died (out of memory?)") from None
        if not ok:
            if value.startswith("out of memory"):
                self._kill()  # its heap may be fragmented near the cap: start afresh
            raise ExtractionFailed(value)
        return value

    def _kill(self) -> None:
        if self._proc is not None:
            self.kills += 1
            self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        """Stop the worker (end of the crawl).

        Killed, not asked to finish: it holds nothing but a copy of the crawl process, and a
        forked copy's own exit (its inherited finalizers) took up to the 2 s it was given, per
        source, in the reactor thread at the end of every crawl.
        """
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(2)
        self._proc = self._conn = None
