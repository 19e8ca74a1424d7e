"""Web origins: parsing and the one normal form the agent compares and signs (SPEC.md §4.3).

The origin a signature binds and a dialog shows is always the handshake's ``Origin`` header,
normalised by :func:`parse_origin` and written back by :meth:`Origin.serialize` (invariant 3).
Trust-list entries go through the same function, so comparison is plain string equality.

Normal form: scheme lower case; host lower case, internationalised names as punycode (UTS #46,
non-transitional, as browsers do), IPv4 dotted-quad, IPv6 compressed inside brackets; the
scheme's default port left out; no path, query, fragment, user info or trailing dot.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import NoReturn

import idna

from bitaqa.protocol.errors import ErrorCode, OriginError

__all__ = ["LOOPBACK_HOSTS", "MAX_ORIGIN_LENGTH", "Origin", "parse_origin"]

#: Longest origin accepted, in characters, before and after normalisation.
MAX_ORIGIN_LENGTH = 255

#: Hosts an ``http`` origin may name when ``allow_insecure_localhost`` is set (local development).
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

_DEFAULT_PORTS = {"https": 443, "http": 80}
_SHAPE = re.compile(
    r"([A-Za-z][A-Za-z0-9+.\-]*)://(\[[0-9A-Fa-f:.]+\]|[^\[\]/?#@:\\]+)(?::(\d{1,5}))?"
)
_NUMERIC_LAST_LABEL = re.compile(r"(?:^|\.)(?:\d+|0x[0-9a-f]*)\.?$")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class Origin:
    """A normalised web origin.

    Attributes:
        scheme: ``https`` (or ``http`` for a development origin on a loopback host).
        host: lower-case ASCII: a DNS name (punycode), a dotted-quad IPv4 address, or an IPv6
            address without brackets.
        port: the port, or ``None`` when it is the scheme's default.
    """

    scheme: str
    host: str
    port: int | None = None

    def serialize(self) -> str:
        """The ASCII serialisation (RFC 6454 §6.2), e.g. ``https://xn--mgbh0fb.example:8443``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}://{host}{port}"

    @property
    def is_loopback(self) -> bool:
        """Whether the host is ``localhost``, ``127.0.0.1`` or ``::1``."""
        return self.host in LOOPBACK_HOSTS


def parse_origin(text: str, *, allow_insecure_localhost: bool = False) -> Origin:
    """Parse and normalise an origin such as a handshake ``Origin`` header or a trust-list entry.

    Args:
        text: ``scheme://host[:port]`` and nothing else.  ``null`` and the empty string are refused.
        allow_insecure_localhost: also accept ``http://localhost``, ``http://127.0.0.1`` and
            ``http://[::1]`` (any port); only for explicit local trust-list entries (SPEC.md §13).

    Raises:
        OriginError: with ``ORIGIN_NOT_ALLOWED`` for anything that is not such an origin.
    """
    if not isinstance(text, str) or not text or len(text) > MAX_ORIGIN_LENGTH:
        _refuse("origin is missing or longer than 255 characters")
    if not text.isprintable() or any(character.isspace() for character in text):
        _refuse("origin holds spaces or control characters")
    shape = _SHAPE.fullmatch(text)
    if shape is None:
        _refuse("origin is not scheme://host[:port]")
    scheme = shape.group(1).lower()
    host = _normalise_host(shape.group(2))
    port = _port(shape.group(3), scheme)
    if scheme == "http" and allow_insecure_localhost:
        if host not in LOOPBACK_HOSTS:
            _refuse("http origins are only allowed on localhost, 127.0.0.1 and [::1]")
    elif scheme != "https":
        _refuse("origin scheme must be https")
    origin = Origin(scheme, host, port)
    if len(origin.serialize()) > MAX_ORIGIN_LENGTH:
        _refuse("normalised origin longer than 255 characters")
    return origin


def _normalise_host(host: str) -> str:
    if host.startswith("["):
        try:
            return ipaddress.IPv6Address(host[1:-1]).compressed
        except ValueError:
            _refuse("bracketed host is not an IPv6 address")
    candidate = host.lower() if host.isascii() else _to_ascii(host)
    if _NUMERIC_LAST_LABEL.search(candidate):
        # Browsers read a name whose last label is numeric as IPv4; accept only the plain form.
        try:
            return str(ipaddress.IPv4Address(candidate))
        except ValueError:
            _refuse("numeric host is not a dotted-quad IPv4 address")
    ascii_host = _to_ascii(candidate)
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        _refuse("host is not a valid DNS name")
    return ascii_host


def _to_ascii(host: str) -> str:
    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        _refuse("host is not a valid internationalised domain name")


def _port(digits: str | None, scheme: str) -> int | None:
    if digits is None:
        return None
    port = int(digits)
    if not 1 <= port <= 65535:
        _refuse("port outside 1..65535")
    return None if port == _DEFAULT_PORTS.get(scheme) else port


def _refuse(reason: str) -> NoReturn:
    raise OriginError(ErrorCode.ORIGIN_NOT_ALLOWED, reason)
