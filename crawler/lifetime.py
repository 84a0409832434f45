"""Helper processes end with their parent and say what they are (Linux ``prctl``; a no-op
elsewhere).

Every process policywatch starts under a crawl — the crawl child itself when a worker starts
it, the extraction pool and its fork server, the recorder, the watchdog's worker — arms
``PR_SET_PDEATHSIG``: a parent killed with SIGKILL cannot stop its helpers, and an orphan has
no one to report to. SIGKILL, not SIGTERM: a graceful stop would wait for downloads and pools,
and what was committed stays committed (one transaction each). The name (``PR_SET_NAME``) is
what ``ps -o comm``, ``top`` and the benchmarks show, so a helper's CPU can be told apart.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15


def _load_prctl() -> Callable[..., Any] | None:
    # Resolved at import, in the parent: a child between fork and exec (a preexec_fn) must
    # not import or load a library (another thread may hold the import lock at the fork).
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def arm_parent_death() -> None:
    """Have the kernel SIGKILL this process when its parent ends; safe in a preexec_fn."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def die_with_parent() -> None:
    """:func:`arm_parent_death`, and end at once if the parent is already gone."""
    if _PRCTL is None:
        return
    arm_parent_death()
    if os.getppid() == 1:  # the parent died before the death signal was armed
        os._exit(1)


def name_process(name: str) -> None:
    """Name this process (at most 15 bytes) as ``ps`` and ``top`` show it."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_NAME, name.encode()[:15])
