"""Server-side request forgery: where a subscription's URL may point, checked when it is saved
and again on every connection (a name may resolve elsewhere later). http(s) only; no
loopback, private, link-local, multicast, reserved or unspecified address unless the host is
listed in WEBHOOK_ALLOWED_HOSTS."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(NewConnectionError):
    """The URL's host resolves to an address a webhook may not reach."""


def _host_allowed(host: str) -> bool:
    allowed = {h.strip().lower().strip("[]") for h in settings.WEBHOOK_ALLOWED_HOSTS if h.strip()}
    return host.lower().strip("[]") in allowed


def address_is_public(ip: IpAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def host_addresses(host: str, port: int) -> list[IpAddress]:
    """Every address `host` resolves to (socket.gaierror when it does not)."""
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def allowed_addresses(host: str, port: int) -> list[IpAddress]:
    """The addresses of `host` a webhook may connect to: all of them for a listed host, else
    the public ones. Raises socket.gaierror when the name does not resolve."""
    addresses = host_addresses(host, port)
    if _host_allowed(host) or any(_host_allowed(str(ip)) for ip in addresses):
        return addresses
    return [ip for ip in addresses if address_is_public(ip)]


def url_problem(url: str) -> str:
    """Why a subscription may not use `url` ("" when it may)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "Enter a valid URL."
    if parts.scheme not in ("http", "https"):
        return "Only http and https URLs are allowed."
    if not parts.hostname:
        return "The URL has no host."
    if parts.username or parts.password:
        return "Credentials in the URL are not allowed; the signature authenticates requests."
    try:
        addresses = host_addresses(parts.hostname, port)
    except (socket.gaierror, UnicodeError):
        return f"The host {parts.hostname} does not resolve."
    if len(allowed_addresses(parts.hostname, port)) < len(addresses):
        return (
            f"The host {parts.hostname} resolves to a loopback, private, link-local or "
            "reserved address; an administrator may allow it in WEBHOOK_ALLOWED_HOSTS."
        )
    return ""


class _Guarded:
    """Connect only to an allowed address of the host, the very one that was checked (no
    second lookup for a rebinding name to answer differently). TLS still checks the name."""

    host: str
    port: int

    def _new_conn(self):
        try:
            permitted = allowed_addresses(self.host, self.port)
        except socket.gaierror:
            permitted = None
        if permitted == []:
            raise BlockedAddress(
                self,  # type: ignore[arg-type]
                f"{self.host} resolves to an address webhooks may not reach "
                "(not in WEBHOOK_ALLOWED_HOSTS).",
            )
        if permitted:
            self._dns_host = str(permitted[0])
        return super()._new_conn()  # type: ignore[misc]


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def guarded_session() -> requests.Session:
    """A requests session whose every connection passes the address check; no proxy from the
    environment (it would connect for us, unchecked)."""
    session = requests.Session()
    session.trust_env = False
    adapter = _GuardedAdapter(pool_connections=20, pool_maxsize=20, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
