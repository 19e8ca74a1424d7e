"""Network I/O for OCSP: the one module of the validator that opens a socket.

:class:`OcspTransport` is the interface :mod:`bitaqa.validator.revocation` uses; a portal may pass
its own (a proxy-aware HTTP client, a cache) and tests pass canned answers.  The default
:class:`HttpOcspTransport` POSTs with ``http.client`` (RFC 6960 Appendix A.1), directly to the
responder (no proxy, no redirects), refuses anything but ``http``/``https`` URLs, bounds the
response size and turns every transport failure into
:class:`~bitaqa.validator.errors.OcspCheckFailed`.

``timeout`` is a deadline for the whole exchange, not per socket operation: a responder that
drips its answer a byte at a time would otherwise hold a login for as long as it likes.  Each
connect, send and read gets only what remains of it (name resolution is left to the system
resolver's own limits).
"""

from __future__ import annotations

import http.client
import io
import socket
import time
import urllib.parse
from typing import TYPE_CHECKING, Protocol, cast

from bitaqa.validator.errors import OcspCheckFailed

if TYPE_CHECKING:
    import ssl

    from _typeshed import ReadableBuffer, WriteableBuffer

__all__ = ["MAX_RESPONSE_BYTES", "HttpOcspTransport", "OcspTransport"]

MAX_RESPONSE_BYTES = 64 * 1024
"""Larger OCSP responses are refused (real ones are a few kilobytes)."""


class OcspTransport(Protocol):
    """Sends one DER OCSP request to a responder and returns the DER response body."""

    def post(self, url: str, request: bytes, *, timeout: float) -> bytes:
        """Return the response body, or raise :class:`OcspCheckFailed`."""


class HttpOcspTransport:
    """OCSP over HTTP POST; no redirects, at most ``MAX_RESPONSE_BYTES``, ``timeout`` in total."""

    def post(self, url: str, request: bytes, *, timeout: float) -> bytes:
        """See :meth:`OcspTransport.post`."""
        deadline = _Deadline(timeout)
        try:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise OcspCheckFailed("OCSP URL is not http or https")
            connection_class = _HttpsConnection if parts.scheme == "https" else _HttpConnection
            connection = connection_class(parts.hostname, parts.port, deadline)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            try:
                connection.request(
                    "POST",
                    target,
                    body=request,
                    headers={
                        "Content-Type": "application/ocsp-request",
                        "Accept": "application/ocsp-response",
                    },
                )
                response = connection.getresponse()
                if not 200 <= response.status < 300:
                    raise OcspCheckFailed(f"OCSP responder answered HTTP {response.status}")
                body = response.read(MAX_RESPONSE_BYTES + 1)
            finally:
                connection.close()
        except (http.client.HTTPException, OSError, ValueError) as error:
            raise OcspCheckFailed(f"OCSP request failed: {type(error).__name__}") from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise OcspCheckFailed("OCSP response too large")
        return body


class _Deadline:
    """A point in ``time.monotonic()`` after which no socket operation may start or go on."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError("OCSP deadline passed")
        return left


class _DeadlineSocket:
    """The socket operations ``http.client`` uses after connecting, each bounded by the deadline.

    A socket's own timeout restarts with every operation; setting it to what remains of the
    deadline before each one makes it a bound on the whole exchange.
    """

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def sendall(self, data: ReadableBuffer) -> None:
        self._sock.settimeout(self._deadline.remaining())
        self._sock.sendall(data)

    def makefile(self, mode: str) -> io.BufferedReader:
        if mode != "rb":
            raise ValueError(f"unsupported mode {mode!r}")
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        self._sock.close()


class _DeadlineReader(io.RawIOBase):
    # Reads through the socket's own unbuffered file, which keeps the socket open until the
    # response is read even when the connection closes it first ("Connection: close").
    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._sock = sock
        self._file = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        self._sock.settimeout(self._deadline.remaining())
        return self._file.readinto(buffer)

    def close(self) -> None:
        self._file.close()
        super().close()


def _bounded_connect(connection: http.client.HTTPConnection, deadline: _Deadline) -> socket.socket:
    # What the connection's connect() returns becomes its socket; TCP (and TLS) setup each get
    # only the time that remains.
    address = (connection.host, connection.port)
    sock = socket.create_connection(address, deadline.remaining())
    sock.settimeout(deadline.remaining())
    return sock


class _HttpConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int | None, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.remaining())
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = _bounded_connect(self, self._deadline)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = cast("socket.socket", _DeadlineSocket(self.sock, self._deadline))


class _HttpsConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.remaining())
        self._deadline = deadline

    def connect(self) -> None:
        sock = _bounded_connect(self, self._deadline)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The handshake runs under the socket's timeout, which ssl applies to it as a whole.
        tls = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
        self.sock = cast("ssl.SSLSocket", _DeadlineSocket(tls, self._deadline))
