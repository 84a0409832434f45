"""Delivery: hand a rendered change report to the channels a source names (email, webhook, files).

The scheduler renders a report once (``RenderedReport``), loads the configured channels with
``load_reporters(path)`` and calls ``deliver(report, reporters)``, which tries every channel and
returns one line per failure. Channels are a registry keyed by the ``kind`` string in the config
file; each class docstring is its help text.

Errors (both one line; neither ever contains a password or secret)::

    PolicywatchError
     ├── DeliveryError          a channel failed to deliver one report
     └── UsageError
          └── ReporterConfigError   the reporters file is unreadable or a field is wrong
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Protocol

from archive.errors import PolicywatchError, UsageError

__all__ = [
    "REPORTERS",
    "DeliveryError",
    "EmailReporter",
    "FilesReporter",
    "RenderedReport",
    "Reporter",
    "ReporterConfigError",
    "WebhookReporter",
    "deliver",
    "load_reporters",
    "reporter_help",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RenderedReport:
    """One change report, rendered once and handed to every channel as is."""

    subject: str  # built from page text: untrusted, may hold newlines or anything else
    text: str
    html: str  # self-contained and already escaped by the renderer
    json: str
    # The outbox's idempotency key for this report on this channel: every re-send carries the
    # same one (webhook-id, Message-ID, file name), so receivers can drop the duplicates.
    key: str | None = None
    created_at: datetime | None = None  # when the report was planned (file names, Date)


class DeliveryError(PolicywatchError):
    """A channel could not deliver a report; ``str()`` names the channel and what failed."""


class ReporterConfigError(UsageError):
    """The reporters file is invalid: ``<path>: reporter "<name>": <field>: <what is wrong>``."""


class Reporter(Protocol):
    """What ``deliver()`` needs from a channel."""

    kind: ClassVar[str]

    @property
    def name(self) -> str: ...

    def deliver(self, report: RenderedReport) -> None:
        """Send ``report``; raise ``DeliveryError`` on failure."""


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) so a message stays on one line."""
    return " ".join(text.split())


# The channel modules import the types above, so they are imported only once those exist.
from archive.delivery.config import read_reporters  # noqa: E402
from archive.delivery.email import EmailReporter  # noqa: E402
from archive.delivery.files import FilesReporter  # noqa: E402
from archive.delivery.webhook import WebhookReporter  # noqa: E402

REPORTERS: dict[str, type] = {
    EmailReporter.kind: EmailReporter,
    WebhookReporter.kind: WebhookReporter,
    FilesReporter.kind: FilesReporter,
}


def reporter_help() -> dict[str, str]:
    """Kind -> help text (the class docstring), for ``--help`` listings and the docs test."""
    return {kind: (cls.__doc__ or "").strip() for kind, cls in sorted(REPORTERS.items())}


def load_reporters(path: str | Path, digests: dict[str, str] | None = None) -> dict[str, Reporter]:
    """Read a reporters TOML file into name -> configured reporter; raises ReporterConfigError.

    ``digests`` receives name -> "HH:MM" for the reporters in daily-digest mode.
    """
    return read_reporters(path, REPORTERS, digests)


def deliver(report: RenderedReport, reporters: Iterable[Reporter]) -> list[str]:
    """Give ``report`` to every reporter; return one line per failure (never raises for one)."""
    errors: list[str] = []
    for reporter in reporters:
        try:
            reporter.deliver(report)
        except DeliveryError as exc:
            message = one_line(str(exc))
        except Exception as exc:
            # A bug in one channel must not cost the others their report; the type name is
            # enough to find it, and the text is left out in case it carries something private.
            log.exception("%s %r: unexpected error", reporter.kind, reporter.name)
            message = f'{reporter.kind} "{reporter.name}": unexpected {type(exc).__name__}'
        else:
            continue
        log.warning("delivery failed: %s", message)
        errors.append(message)
    return errors
