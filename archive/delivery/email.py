"""The email channel: one multipart/alternative (text + HTML) message per report over SMTP."""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from ssl import create_default_context
from typing import ClassVar, Self

from archive.delivery import DeliveryError, RenderedReport, one_line
from archive.delivery.config import FieldError, Fields

# 7bit: non-ASCII bodies go out as base64/quoted-printable, so no relay has to support 8BITMIME.
# utf8 stays off: headers are RFC 2047-encoded and no server needs SMTPUTF8.
_POLICY = SMTP.clone(cte_type="7bit")


@dataclass(frozen=True, slots=True)
class EmailReporter:
    """Send each report as an email (plain text + HTML) through an SMTP server.

    Keys: host (default "localhost"), port (default 25, 465 with ssl, 587 with starttls),
    starttls / ssl (default false), from, to (list), username + password_env (the name of the
    environment variable holding the password), timeout (seconds, default 30).
    """

    kind: ClassVar[str] = "email"

    name: str
    sender: str
    to: tuple[str, ...]
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password_env: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_config(cls, name: str, fields: Fields) -> Self:
        """Build from one ``[[reporter]]`` table."""
        starttls = fields.flag("starttls", False)
        use_ssl = fields.flag("ssl", False)
        if starttls and use_ssl:
            raise FieldError("ssl", "cannot be combined with starttls (pick one)")
        username = fields.text("username", None)
        password_env = fields.env_name("password_env")
        if (username is None) != (password_env is None):
            missing = "password_env" if password_env is None else "username"
            raise FieldError(missing, "missing (username and password_env go together)")
        return cls(
            name=name,
            sender=_address(fields.text("from"), "from"),
            to=tuple(_address(a, "to") for a in fields.texts("to")),
            host=fields.text("host", "localhost"),
            port=fields.integer("port", 465 if use_ssl else 587 if starttls else 25, 1, 65535),
            starttls=starttls,
            ssl=use_ssl,
            username=username,
            password_env=password_env,
            timeout=fields.seconds("timeout", 30.0, 600),
        )

    def deliver(self, report: RenderedReport) -> None:
        """Send ``report`` to every recipient; raise DeliveryError naming what failed."""
        password = self._password()
        message = build_message(report, self.sender, self.to)
        where = f"{self.host}:{self.port}"
        try:
            with self._connect() as smtp:
                if self.starttls:
                    smtp.starttls(context=create_default_context())
                if self.username is not None and password is not None:
                    smtp.login(self.username, password)
                smtp.send_message(
                    message, parseaddr(self.sender)[1], [parseaddr(a)[1] for a in self.to]
                )
        except UnicodeError:
            # smtplib encodes AUTH as ASCII; the codec's message would quote part of the password.
            what = "username and password must be ASCII"
            raise self._error(f"cannot log in at {where}: {what}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise self._error(f"login refused by {where}: {_reply(exc)}", password) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(sorted(exc.recipients))
            raise self._error(f"{where} refused every recipient: {refused}", password) from None
        except smtplib.SMTPResponseException as exc:
            raise self._error(f"{where} answered {_reply(exc)}", password) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(
                f"cannot send via {where}: {exc or type(exc).__name__}", password
            ) from None

    def _connect(self) -> smtplib.SMTP:
        if self.ssl:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=create_default_context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _password(self) -> str | None:
        # Read at delivery, not at load: the secret is never held by the reporter object.
        if self.password_env is None:
            return None
        password = os.environ.get(self.password_env)
        if not password:
            raise self._error(f"environment variable {self.password_env} is not set or empty")
        return password

    def _error(self, what: str, secret: str | None = None) -> DeliveryError:
        text = one_line(what)
        if secret:
            text = text.replace(secret, "***")
        return DeliveryError(f'email "{self.name}": {text}')


def build_message(report: RenderedReport, sender: str, to: tuple[str, ...]) -> EmailMessage:
    """The multipart/alternative message for ``report`` (headers RFC 2047-encoded)."""
    message = EmailMessage(policy=_POLICY)
    # The subject comes from page text: a newline in it would be a header injection.
    message["Subject"] = one_line(report.subject) or "policywatch report"
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(report.created_at or datetime.now(UTC))
    if report.key:
        # Deterministic: a re-send after a crash is the same message to every mail client.
        message["Message-ID"] = f"<{report.key}.policywatch@{_domain(sender)}>"
    else:
        message["Message-ID"] = make_msgid("policywatch", domain=_domain(sender))
    message.set_content(report.text)
    message.add_alternative(report.html, subtype="html")
    return message


def _address(value: str, field: str) -> str:
    address = parseaddr(value)[1]
    if "@" not in address or any(c in value for c in "\r\n"):
        raise FieldError(field, "not an email address")
    return value


def _domain(sender: str) -> str:
    # make_msgid() would otherwise ask DNS for this host's FQDN, which can stall for seconds.
    domain = parseaddr(sender)[1].rpartition("@")[2]
    return domain if domain.isascii() and domain else "policywatch.invalid"


def _reply(exc: smtplib.SMTPResponseException) -> str:
    reply = exc.smtp_error
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{exc.smtp_code} {text}"
