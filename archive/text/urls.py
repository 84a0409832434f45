"""One spelling per URL: the canonical form a URL takes before it becomes a document.

Bureau CMSs print the same page as ``HTTP://Jyj.Gov.cn:80/a.html``, ``…/a.html?b=2&a=1`` and
``…/a.html?a=1&b=2``, or with ``%31`` for ``1``; without one spelling each variant becomes a
document of its own, with its own versions, and fills ``max_pages``. Rules (RFC 3986 §6.2.2
plus the query order): scheme and host in lower case; the default port dropped; percent-
escapes of unreserved characters decoded and the others in upper case; an empty path is "/";
query parameters sorted (unless the source keeps their order: some CMSs route by the first
one); empty parameters and the fragment dropped. A trailing slash is kept: ``/a`` and ``/a/``
are different resources on enough servers that merging them would be a guess.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["canonical_url"]

_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _escapes(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        char = chr(int(m.group(1), 16))
        return char if char in _UNRESERVED else f"%{m.group(1).upper()}"

    return _ESCAPE.sub(one, text)


def canonical_url(url: str, *, sort_query: bool = True) -> str:
    """The canonical spelling of ``url`` (see the module docstring); unparseable URLs as is."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return url
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = _escapes(parts.path) or "/"
    params = [_escapes(p) for p in parts.query.split("&") if p]
    if sort_query:
        params.sort()
    return urlunsplit((scheme, netloc, path, "&".join(params), ""))
