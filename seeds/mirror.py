"""Serve the bundled offline mirror of the bureau sites on 127.0.0.1 (demo and tests).

One ``ThreadingHTTPServer`` per host directory of ``seeds/mirror/<generation>/``, each on a free
port. Files are served as the raw bytes stored, with the Content-Type from the host's
``_headers.json``, a strong ETag and a Last-Modified fixed per generation, so conditional
requests get 304. ``python -m seeds.mirror [--generation 2022]`` serves until Ctrl-C.

A later generation is stored as an overlay: its directory names its base in ``_base.txt`` and
holds only the files that differ, plus ``_gone.json`` per host for the paths it withdrew. So
``seeds/mirror/2023/`` holds exactly what changed since 2022, nothing copied.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from seeds import MIRROR_DIR

__all__ = ["LAST_MODIFIED", "MirrorServer", "read_generation", "serve_mirror"]


# Fixed per generation so that rebuilding or restarting never changes what a crawler sees.
LAST_MODIFIED = {
    "2022": "Fri, 25 Feb 2022 08:00:00 GMT",
    "2023": "Mon, 20 Feb 2023 08:00:00 GMT",
}
_FALLBACK_LAST_MODIFIED = "Thu, 01 Jan 2015 00:00:00 GMT"
DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"

# host -> URL path -> (stored file, Content-Type)
Generation = dict[str, dict[str, tuple[Path, str]]]


def read_generation(root: Path, generation: str) -> Generation:
    """Every servable file of ``generation`` under ``root``, overlays resolved onto their base."""
    gen_dir = root / generation
    if not gen_dir.is_dir():
        raise ValueError(f"{root}: no generation {generation!r}")
    base_file = gen_dir / "_base.txt"
    files = (
        read_generation(root, base_file.read_text("utf-8").strip()) if base_file.is_file() else {}
    )
    for host_dir in sorted(p for p in gen_dir.iterdir() if p.is_dir()):
        entries = files.setdefault(host_dir.name, {})
        gone = host_dir / "_gone.json"
        for path in json.loads(gone.read_text("utf-8")) if gone.is_file() else []:
            entries.pop(path, None)
        headers_file = host_dir / "_headers.json"
        headers = json.loads(headers_file.read_text("utf-8")) if headers_file.is_file() else {}
        for file in sorted(host_dir.rglob("*")):
            rel = file.relative_to(host_dir).as_posix()
            if file.is_file() and not any(part.startswith("_") for part in rel.split("/")):
                path = "/" + rel
                ctype = headers.get(path, {}).get("Content-Type", DEFAULT_CONTENT_TYPE)
                entries[path] = (file, ctype)
    return files


@dataclass(slots=True)
class MirrorServer:
    """The running mirror: real origin → local origin, the generation served, and a request log."""

    root: Path
    generation: str
    origins: dict[str, str] = field(default_factory=dict)
    request_log: list[tuple[str, str, int]] = field(default_factory=list)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _files: dict[str, Generation] = field(default_factory=dict)

    def set_generation(self, generation: str) -> None:
        """Serve ``generation`` from the next request on."""
        self._generation_files(generation)  # raises for an unknown generation
        self.generation = generation

    def _generation_files(self, generation: str) -> Generation:
        with self._lock:
            if generation not in self._files:
                self._files[generation] = read_generation(self.root, generation)
            return self._files[generation]

    def url(self, real_url: str) -> str:
        """Rewrite a real URL (e.g. https://jtj.tjbh.gov.cn/x.html) to its mirror URL."""
        parts = urlsplit(real_url)
        local = self.origins[f"{parts.scheme}://{parts.netloc}"]
        return local + real_url[len(parts.scheme) + 3 + len(parts.netloc) :]

    def _log(self, host: str, path: str, status: int) -> None:
        with self._lock:
            self.request_log.append((host, path, status))

    def lookup(self, host: str, raw_path: str) -> tuple[bytes, str] | None:
        """The stored bytes and Content-Type for ``raw_path`` on ``host``, or None."""
        path = unquote(urlsplit(raw_path).path) or "/"
        parts = [part for part in path.split("/") if part]
        # Sidecar files start with "_" and are never served; ".." never leaves the host dir.
        if any(part in (".", "..") or part.startswith("_") for part in parts):
            return None
        key = "/" + "/".join(parts) + ("/index.html" if path.endswith("/") and parts else "")
        if path == "/":
            key = "/index.html"
        found = self._generation_files(self.generation).get(host, {}).get(key)
        if found is None:
            return None
        file, content_type = found
        return file.read_bytes(), content_type


def _handler(mirror: MirrorServer, host: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def version_string(self) -> str:
            return "policywatch-mirror"

        def do_GET(self) -> None:
            self._respond(send_body=True)

        def do_HEAD(self) -> None:
            self._respond(send_body=False)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: tests and the demo read request_log instead

        def _respond(self, *, send_body: bool) -> None:
            generation = mirror.generation
            found = mirror.lookup(host, self.path)
            if found is None:
                body = b"<html><body><h1>404 Not Found</h1></body></html>"
                self._send(404, {"Content-Type": DEFAULT_CONTENT_TYPE}, body, send_body)
                return
            data, content_type = found
            etag = '"' + hashlib.sha1(data).hexdigest() + '"'
            last_modified = LAST_MODIFIED.get(generation, _FALLBACK_LAST_MODIFIED)
            headers = {"Content-Type": content_type, "ETag": etag, "Last-Modified": last_modified}
            if _not_modified(
                self.headers.get("If-None-Match"),
                self.headers.get("If-Modified-Since"),
                etag,
                last_modified,
            ):
                self._send(304, {"ETag": etag, "Last-Modified": last_modified}, b"", False)
                return
            self._send(200, headers, data, send_body)

        def _send(self, status: int, headers: dict[str, str], body: bytes, send_body: bool) -> None:
            mirror._log(host, self.path, status)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

    return Handler


def _not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: str
) -> bool:
    """RFC 9110 §13.1: If-None-Match wins over If-Modified-Since when both are sent."""
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if if_modified_since is not None:
        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


def _origin(host_dir: Path) -> str:
    file = host_dir / "_origin.txt"
    return file.read_text("utf-8").strip() if file.is_file() else f"http://{host_dir.name}"


@contextmanager
def serve_mirror(root: Path = MIRROR_DIR, generation: str = "2022") -> Iterator[MirrorServer]:
    """Serve ``root``'s mirror of every host on 127.0.0.1 until the block exits."""
    mirror = MirrorServer(root=Path(root), generation=generation)
    mirror.set_generation(generation)
    # Hosts of every generation, so switching generations never needs a new server.
    host_dirs: dict[str, Path] = {}
    for gen_dir in sorted(p for p in mirror.root.iterdir() if p.is_dir()):
        for host_dir in sorted(p for p in gen_dir.iterdir() if p.is_dir()):
            host_dirs.setdefault(host_dir.name, host_dir)
    try:
        for host, host_dir in host_dirs.items():
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(mirror, host))
            server.daemon_threads = True
            thread = threading.Thread(
                target=server.serve_forever, name=f"mirror-{host}", daemon=True
            )
            thread.start()
            mirror._servers.append(server)
            mirror._threads.append(thread)
            mirror.origins[_origin(host_dir)] = f"http://127.0.0.1:{server.server_address[1]}"
        yield mirror
    finally:
        for server in mirror._servers:
            server.shutdown()
            server.server_close()
        for thread in mirror._threads:
            thread.join(timeout=5)


def main(argv: list[str] | None = None) -> None:
    """Serve the mirror until Ctrl-C, printing real origin → local origin."""
    parser = argparse.ArgumentParser(description="Serve the offline bureau-site mirror.")
    parser.add_argument(
        "--generation", default="2022", help="which snapshot to serve (default 2022)"
    )
    parser.add_argument("--root", type=Path, default=MIRROR_DIR)
    args = parser.parse_args(argv)
    with serve_mirror(args.root, args.generation) as mirror:
        for real, local in sorted(mirror.origins.items()):
            sys.stdout.write(f"{real} -> {local}\n")
        sys.stdout.write(f"serving generation {mirror.generation}; Ctrl-C to stop\n")
        sys.stdout.flush()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
