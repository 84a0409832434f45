"""``python -m tests.service_harness ARGS``: ``policywatch ARGS`` with a kill point armed.

$PW_DIE_AT names the moment the service SIGKILLs itself, for the kill -9 tests:
``planned`` (reports committed to the outbox, nothing sent), ``sent`` (a channel took a
report, the outbox not yet told). $PW_CHILD_DIE (read by the crawl child's sitecustomize,
see tests/test_service.py) kills a crawl child right after it committed a change event.
"""

from __future__ import annotations

import os
import signal
import sys


def _die() -> None:
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str | None) -> None:
    """Patch the service so that it dies at ``point``."""
    if point == "planned":
        from archive.service import runner

        real_plan = runner.plan_changes

        def plan_then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
            keys = real_plan(*args, **kwargs)
            if keys:
                _die()
            return keys

        runner.plan_changes = plan_then_die
    elif point == "sent":
        from archive.api import Archive

        def die_before_marking(self, delivery_id, now):  # type: ignore[no-untyped-def]
            _die()

        Archive.mark_delivered = die_before_marking  # type: ignore[method-assign]


if __name__ == "__main__":
    arm(os.environ.get("PW_DIE_AT"))
    import scheduler

    sys.exit(scheduler.main(sys.argv[1:]))
