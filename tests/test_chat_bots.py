"""DingTalk, WeCom and Feishu group bots as webhook formats, against a local receiver that
checks their signatures the way the bots document them and answers in their JSON."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from archive.delivery import DeliveryError, RenderedReport, ReporterConfigError, load_reporters

SECRET = "SEC0123456789abcdef-bot-secret"
REPORT = RenderedReport(
    subject="policywatch: 1 change(s) in 乌海市教育局 (nm_wuhai)",
    text="* Changed: 关于做好2026年义务教育招生工作的通知\n  建设40处 → 建设50处\n",
    html="<p>x</p>",
    json="{}",
    key="msg_0123456789abcdef0123456789abcdef",
)


class Bot:
    """What a bot server does: check the signature, answer {errcode: 0} or an error."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.seen: list[tuple[str, dict]] = []
        self.fail_with: dict | None = None

    def answer(self, path: str, body: dict) -> dict:
        self.seen.append((path, body))
        if self.fail_with:
            return self.fail_with
        if self.fmt == "dingtalk":
            q = parse_qs(urlsplit(path).query)
            ts, sign = q["timestamp"][0], q["sign"][0]
            mac = hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256)
            ok = sign == base64.b64encode(mac.digest()).decode()
            return {"errcode": 0 if ok else 310000, "errmsg": "ok" if ok else "sign not match"}
        if self.fmt == "feishu":
            mac = hmac.new(f"{body['timestamp']}\n{SECRET}".encode(), b"", hashlib.sha256)
            ok = body["sign"] == base64.b64encode(mac.digest()).decode()
            return {"code": 0 if ok else 19021, "msg": "success" if ok else "sign match fail"}
        return {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def bot_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[callable]:
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("PW_BOT_SECRET", SECRET)
    servers = []

    def start(fmt: str) -> tuple[Bot, str]:
        bot = Bot(fmt)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                out = json.dumps(bot.answer(self.path, body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return bot, f"http://127.0.0.1:{server.server_address[1]}/robot/send?access_token=t"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def _reporter(tmp_path: Path, url: str, fmt: str, secret: bool = True):  # type: ignore[no-untyped-def]
    extra = 'secret_env = "PW_BOT_SECRET"\n' if secret else ""
    path = tmp_path / "r.toml"
    path.write_text(
        f'[[reporter]]\nname = "bot"\nkind = "webhook"\nurl = "{url}"\nformat = "{fmt}"\n'
        f"retries = 0\ntimeout = 5\n{extra}",
        encoding="utf-8",
    )
    return load_reporters(path)["bot"]


@pytest.mark.parametrize("fmt", ["dingtalk", "feishu", "wecom"])
def test_bot_gets_its_own_json_signed_and_the_report_key(
    tmp_path: Path, bot_server, fmt: str
) -> None:
    bot, url = bot_server(fmt)
    _reporter(tmp_path, url, fmt, secret=fmt != "wecom").deliver(REPORT)
    ((path, body),) = bot.seen
    assert path.startswith("/robot/send?access_token=t")
    if fmt == "dingtalk":
        assert body["msgtype"] == "markdown" and "建设50处" in body["markdown"]["text"]
        text = body["markdown"]["text"]
    elif fmt == "wecom":
        assert body["msgtype"] == "markdown"
        text = body["markdown"]["content"]
    else:
        assert body["msg_type"] == "text"
        text = body["content"]["text"]
    assert text.startswith(REPORT.subject) and text.rstrip().endswith(f"report {REPORT.key}")


def test_a_bot_error_in_a_200_answer_is_a_delivery_error(tmp_path: Path, bot_server) -> None:
    bot, url = bot_server("dingtalk")
    bot.fail_with = {"errcode": 130101, "errmsg": "send too fast"}
    with pytest.raises(DeliveryError, match=r"bot answered error 130101: send too fast$"):
        _reporter(tmp_path, url, "dingtalk").deliver(REPORT)


def test_a_wrong_secret_is_caught_by_the_bot(tmp_path: Path, bot_server, monkeypatch) -> None:
    _, url = bot_server("feishu")
    monkeypatch.setenv("PW_BOT_SECRET", "not-the-secret")
    with pytest.raises(DeliveryError, match=r"bot answered error 19021"):
        _reporter(tmp_path, url, "feishu").deliver(REPORT)


def test_a_long_report_is_cut_to_the_bots_limit(tmp_path: Path, bot_server) -> None:
    bot, url = bot_server("wecom")
    long = RenderedReport(
        REPORT.subject, "修改：建设40处 → 建设50处\n" * 2000, "", "{}", REPORT.key
    )
    _reporter(tmp_path, url, "wecom", secret=False).deliver(long)
    text = bot.seen[0][1]["markdown"]["content"]
    assert len(text.encode()) <= 4096 and "truncated" in text and REPORT.key in text


def test_an_unknown_format_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('[[reporter]]\nname = "b"\nkind = "webhook"\nurl = "https://x.cn/h"\n'
                    'format = "slack"\n')  # fmt: skip
    with pytest.raises(ReporterConfigError, match=r'format: unknown format "slack"'):
        load_reporters(path)
