"""Group-bot webhooks Chinese teams use: DingTalk (钉钉), WeCom (企业微信), Feishu (飞书).

Each takes its own JSON and answers HTTP 200 with an error code in the body, so success is
read from the body. DingTalk signs ``timestamp\\nsecret`` (HMAC-SHA256 keyed by the secret,
base64, in the URL); Feishu signs the same string as the HMAC *key* of an empty message (in
the body); WeCom's key is part of its URL. Bots cap a message's size: the text is cut to fit,
with the report's key at the end so that a re-sent copy can be recognised.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import quote_plus

from archive.delivery import RenderedReport

FORMATS = ("json", "dingtalk", "wecom", "feishu")
# Bytes of message text each bot takes (DingTalk 20000, WeCom markdown 4096, Feishu ~30k),
# less room for the key line.
_LIMITS = {"dingtalk": 18000, "wecom": 3800, "feishu": 28000}


def _fit(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    cut = data[:limit].decode("utf-8", "ignore")
    return cut.rsplit("\n", 1)[0] + "\n…(truncated; the full report is in the other channels)"


def _text(report: RenderedReport, fmt: str) -> str:
    body = f"{report.subject}\n\n{report.text}"
    body = _fit(body, _LIMITS[fmt])
    return f"{body}\n\nreport {report.key}" if report.key else body


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """DingTalk's ``sign``: base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret))."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_sign(secret: str, timestamp_s: str) -> str:
    """Feishu's ``sign``: base64(HMAC-SHA256(key=timestamp + "\\n" + secret, msg=b""))."""
    mac = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def build(fmt: str, report: RenderedReport, secret: str | None) -> tuple[str, bytes]:
    """(query string to append to the URL, body) for one chat-bot message."""
    text = _text(report, fmt)
    query = ""
    if fmt == "dingtalk":
        payload: dict[str, object] = {
            "msgtype": "markdown",
            "markdown": {"title": report.subject[:60], "text": text.replace("\n", "  \n")},
        }
        if secret:
            ts = str(int(time.time() * 1000))
            query = f"timestamp={ts}&sign={quote_plus(dingtalk_sign(secret, ts))}"
    elif fmt == "wecom":
        payload = {"msgtype": "markdown", "markdown": {"content": text}}
    else:  # feishu
        payload = {"msg_type": "text", "content": {"text": text}}
        if secret:
            ts = str(int(time.time()))
            payload = {"timestamp": ts, "sign": feishu_sign(secret, ts), **payload}
    return query, json.dumps(payload, ensure_ascii=False).encode("utf-8")


def answer_error(fmt: str, body: bytes) -> str | None:
    """None when the bot's answer says ok, else its error code and message (one line)."""
    try:
        data = json.loads(body.decode("utf-8", "replace") or "{}")
    except ValueError:
        return "answer is not JSON"
    if not isinstance(data, dict):
        return "answer is not a JSON object"
    code = data.get("errcode", data.get("code", data.get("StatusCode", 0)))
    if code in (0, "0", None):
        return None
    message = data.get("errmsg", data.get("msg", data.get("StatusMessage", "")))
    return f"bot answered error {code}: {str(message)[:200]}"
