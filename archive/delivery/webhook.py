"""The webhook channel: POST the report's JSON to a URL, signed with HMAC-SHA256 when configured."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from importlib.metadata import PackageNotFoundError, version
from typing import IO, ClassVar, Self
from urllib.parse import unquote, urlsplit, urlunsplit

from archive.delivery import DeliveryError, RenderedReport, chat, one_line
from archive.delivery.config import FieldError, Fields

SIGNATURE_HEADER = "X-Policywatch-Signature"
# Standard Webhooks (standardwebhooks.com): a stable id per message, the send time, and
# "v1,<base64 HMAC-SHA256 of id.timestamp.body>"; a "whsec_" secret is base64 key material.
ID_HEADER, TIMESTAMP_HEADER, STD_SIGNATURE_HEADER = (
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
)


def _user_agent() -> str:
    try:
        return f"policywatch/{version('policywatch')} (change-report webhook)"
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "policywatch (change-report webhook)"


USER_AGENT = _user_agent()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET without the body (301/302/303), so a
    # redirect is reported as a failure: the config should name the final URL.
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True, slots=True)
class WebhookReporter:
    """POST each report's JSON to an http(s) URL.

    Keys: url, secret_env (optional: the name of the environment variable holding the HMAC key;
    the body's HMAC-SHA256 is sent as ``X-Policywatch-Signature: sha256=<hex>``), timeout
    (seconds, default 10), retries (default 2; on 5xx and connection errors, never on 4xx),
    backoff (seconds before the first retry, doubling after each, default 1), format ("json",
    default: the report's JSON with Standard Webhooks headers; or a group bot: "dingtalk",
    "wecom", "feishu", signed with secret_env where the bot supports it).
    """

    kind: ClassVar[str] = "webhook"

    name: str
    url: str
    secret_env: str | None = None
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 1.0
    format: str = "json"

    def __repr__(self) -> str:
        # The URL may carry credentials (userinfo, query token): show only the safe form.
        return (
            f"WebhookReporter(name={self.name!r}, url={safe_url(self.url)!r}, "
            f"secret_env={self.secret_env!r}, timeout={self.timeout!r}, "
            f"retries={self.retries!r}, backoff={self.backoff!r})"
        )

    @classmethod
    def from_config(cls, name: str, fields: Fields) -> Self:
        """Build from one ``[[reporter]]`` table."""
        return cls(
            name=name,
            url=_http_url(fields.text("url")),
            secret_env=fields.env_name("secret_env"),
            timeout=fields.seconds("timeout", 10.0, 600),
            retries=fields.integer("retries", 2, 0, 10),
            backoff=fields.seconds("backoff", 1.0, 60),
            format=_format(fields.text("format", "json")),
        )

    def deliver(self, report: RenderedReport) -> None:
        """POST ``report.json``; retry 5xx and connection errors; raise DeliveryError at the end."""
        delay = self.backoff
        for attempt in range(1, self.retries + 2):
            # Rebuilt per attempt: webhook-timestamp is the send time (receivers reject stale ones).
            request = self._request_for(report)
            problem, retryable = self._post(request)
            if problem is None:
                return
            if not retryable or attempt > self.retries:
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                raise DeliveryError(
                    one_line(
                        f'webhook "{self.name}": POST {safe_url(self.url)} failed{tries}: {problem}'
                    )
                )
            time.sleep(delay)
            delay *= 2

    def _request_for(self, report: RenderedReport) -> urllib.request.Request:
        if self.format == "json":
            return self._request(report.json.encode("utf-8"), report.key)
        query, body = chat.build(self.format, report, self._secret())
        return self._request(body, None, query=query, sign=False)

    def _secret(self) -> str | None:
        if self.secret_env is None:
            return None
        secret = os.environ.get(self.secret_env)
        if not secret:
            raise DeliveryError(
                f'webhook "{self.name}": environment variable {self.secret_env} is not set or empty'
            )
        return secret

    def _request(
        self, body: bytes, key: str | None = None, *, query: str = "", sign: bool = True
    ) -> urllib.request.Request:
        parts = urlsplit(self.url)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
        }
        timestamp = str(int(time.time()))
        if key is not None:
            headers[ID_HEADER] = key
            headers[TIMESTAMP_HEADER] = timestamp
        secret = self._secret() if sign else None
        if secret is not None:
            digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
            if key is not None:
                headers[STD_SIGNATURE_HEADER] = standard_signature(secret, key, timestamp, body)
        if parts.username is not None:
            # urllib does not send URL userinfo itself; turn it into Basic auth and drop it.
            userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(userinfo.encode()).decode()
        netloc = parts.netloc.rpartition("@")[2]
        full_query = "&".join(q for q in (parts.query, query) if q)
        url = urlunsplit((parts.scheme, netloc, parts.path or "/", full_query, ""))
        return urllib.request.Request(url, data=body, headers=headers, method="POST")

    def _post(self, request: urllib.request.Request) -> tuple[str | None, bool]:
        """One attempt: (None, _) on success, else (what failed, whether to retry)."""
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                answer = response.read(65536)  # drain a little so the server sees a clean close
            if self.format != "json":
                problem = chat.answer_error(self.format, answer)
                if problem:
                    return problem, True  # rate limits among them: the outbox retries later
            return None, False
        except urllib.error.HTTPError as exc:
            exc.close()
            status = f"HTTP {exc.code} {exc.reason}".strip()
            if 300 <= exc.code < 400:
                return f"{status} (redirects are not followed)", False
            return status, exc.code >= 500
        except urllib.error.URLError as exc:
            return f"cannot connect: {exc.reason}", True
        except (OSError, http.client.HTTPException) as exc:  # failed while reading the response
            return f"{type(exc).__name__}: {exc}", True


def standard_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The Standard Webhooks ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256>``."""
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode("utf-8")
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def safe_url(url: str) -> str:
    """``url`` without userinfo, query or fragment: fit for error messages and logs."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _format(value: str) -> str:
    if value not in chat.FORMATS:
        raise FieldError("format", f'unknown format "{value}" (expected {", ".join(chat.FORMATS)})')
    return value


def _http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FieldError("url", "must be an http:// or https:// URL")
    try:
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise FieldError("url", "has an invalid port") from None
    if not parts.hostname:
        raise FieldError("url", "has no host")
    if any(c.isspace() for c in url):
        raise FieldError("url", "must not contain whitespace")
    return url
