"""The private-address rule at connect time: a DNS answer is checked before it is used.

``allow_private = false`` must hold for the address actually connected to, not only for
literal addresses in URLs: ``127.1``, ``2130706433``, ``0x7f000001`` and ``0`` are resolved by
the C library to loopback, and any host name (an allowed bureau domain included) may answer
with a private address. Twisted connects to a literal dotted-quad or IPv6 address without
resolving it, and everything else through the reactor's resolver: literals are refused by
:func:`crawler.middlewares.boundary_violation` (all spellings), everything else here. Redirect
targets take the same path, so they are covered too.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

__all__ = ["GuardedResolver", "allow_private_host", "as_ip", "is_private_ip", "refusal"]

_lock = threading.Lock()
# Host names (lower case) of the sources that set allow_private (mirrors, test sites): the
# resolver is one per process, the rule one per source.
_PRIVATE_OK: set[str] = set()
# Why a name was refused: Twisted turns a resolver error into "no results for hostname
# lookup", so the crawl asks here for the reason to record.
_REFUSED: dict[str, str] = {}


def allow_private_host(host: str) -> None:
    """Let ``host`` resolve to a private address (its source set ``allow_private``)."""
    with _lock:
        _PRIVATE_OK.add(host.lower().rstrip("."))


def refusal(host: str) -> str | None:
    """The reason ``host`` was refused by the resolver in this process, if it was."""
    with _lock:
        return _REFUSED.get(host.lower().rstrip("."))


def as_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an address when it is one in any spelling the C library accepts
    (``127.1``, ``2130706433``, ``0x7f000001``, ``0``, ``0177.0.0.1``, ``[::1]``), else None."""
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_private_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local (cloud metadata), reserved, unspecified or multicast;
    an IPv4-mapped or 6to4 IPv6 address by the IPv4 address inside it."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None and is_private_ip(inner):
            return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_multicast
    )


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing private answers for hosts not allowed them."""

    def getHostByName(self, name, timeout=()):  # type: ignore[no-untyped-def]
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    @staticmethod
    def _check(address: str, name: str) -> str:
        with _lock:
            allowed = name.lower().rstrip(".") in _PRIVATE_OK
        ip = as_ip(address)
        if not allowed and (ip is None or is_private_ip(ip)):
            reason = f"refused: {name} resolves to {address}, a private or loopback address"
            with _lock:
                _REFUSED[name.lower().rstrip(".")] = reason
            raise DNSLookupError(reason)
        return address
