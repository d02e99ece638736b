"""Where a webhook may be sent: to a public address on the internet, never into the network the
portal runs in (a private, loopback, link-local, shared or reserved address: the cloud's
metadata service, a database, the admin of a router). An endpoint's URL is checked when it is
saved, and the address each delivery actually connects to is checked again when it is sent,
so a name that resolves to a public address on saving and to a private one later (DNS
rebinding) is refused too. settings.WEBHOOK_ALLOW_PRIVATE_URLS switches the check off, for a
receiver on this machine or the local network while trying things out."""

import contextlib
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class PrivateAddress(Exception):
    """A delivery would connect to an address that is not public."""


def address_is_public(address: str) -> bool:
    """Whether an IP address is a public one on the internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def host_is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_is_local_name(host: str) -> bool:
    """Names that mean this machine (RFC 6761), whatever a resolver says."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def addresses_of(host: str, port: int | None) -> list[str]:
    """The addresses a host name resolves to; an address is its own. Raises OSError when the
    name does not resolve."""
    if host_is_address(host):
        return [host]
    infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def private_address_of(host: str, port: int | None) -> str | None:
    """The first address of the host that is not public (the host itself for a local name),
    None when all are public. A name that does not resolve has none: nothing can be sent to
    it either."""
    if host_is_local_name(host):
        return host
    try:
        addresses = addresses_of(host, port)
    except OSError:
        return None
    return next((address for address in addresses if not address_is_public(address)), None)


def webhook_url_check(url: str) -> None:
    """Refuse a URL that is not https (plain http only to this machine: localhost or a
    loopback address, and only when settings.DEBUG or WEBHOOK_ALLOW_HTTP_LOOPBACK), and,
    unless WEBHOOK_ALLOW_PRIVATE_URLS, one whose host is or resolves to an address that is
    not public. A name that does not resolve yet is let through: its deliveries are checked
    when they are sent."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a port number: the URL field refuses it
        port = None
    if parts.scheme == "http" and parts.hostname:
        loopback = host_is_local_name(parts.hostname)
        with contextlib.suppress(ValueError):  # a host name, not an address
            loopback = loopback or ipaddress.ip_address(parts.hostname).is_loopback
        if not (loopback and (settings.DEBUG or settings.WEBHOOK_ALLOW_HTTP_LOOPBACK)):
            raise ValidationError(_("A webhook URL must start with https://."), code="https")
    elif parts.scheme != "https" or not parts.hostname:
        raise ValidationError(_("A webhook URL must start with https://."), code="https")
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return
    private = private_address_of(parts.hostname, port)
    if private is not None:
        raise ValidationError(
            _(
                "A webhook URL must point at a public address on the internet, not at "
                "%(address)s (a private, loopback or link-local address)."
            )
            % {"address": private},
            code="private",
        )


class _PublicOnly:
    """A connection that checks the address it connected to before it sends anything."""

    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if not address_is_public(peer):
            sock.close()
            raise PrivateAddress(f"{self.host} is at {peer}, which is not a public address")
        return sock


class _PublicHTTPConnection(_PublicOnly, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicOnly, HTTPSConnection):
    pass


class _PublicHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    """requests' adapter whose direct connections reach public addresses only (a connection
    through a proxy goes to the proxy, which decides; the URL's host is checked before)."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPConnectionPool,
            "https": _PublicHTTPSConnectionPool,
        }
