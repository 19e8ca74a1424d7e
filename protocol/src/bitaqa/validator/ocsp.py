"""Network I/O for OCSP: the one module of the validator that opens a socket.

:class:`OcspTransport` is the interface :mod:`bitaqa.validator.revocation` uses; a portal may pass
its own (a proxy-aware HTTP client, a cache) and tests pass canned answers.  The default
:class:`HttpOcspTransport` POSTs with ``urllib`` (RFC 6960 Appendix A.1), refuses redirects and
anything but ``http``/``https`` URLs, bounds the response size and turns every transport failure
into :class:`~bitaqa.validator.errors.OcspCheckFailed`.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

from bitaqa.validator.errors import OcspCheckFailed

__all__ = ["MAX_RESPONSE_BYTES", "HttpOcspTransport", "OcspTransport"]

MAX_RESPONSE_BYTES = 64 * 1024
"""Larger OCSP responses are refused (real ones are a few kilobytes)."""


class OcspTransport(Protocol):
    """Sends one DER OCSP request to a responder and returns the DER response body."""

    def post(self, url: str, request: bytes, *, timeout: float) -> bytes:
        """Return the response body, or raise :class:`OcspCheckFailed`."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_arguments: object, **_keywords: object) -> None:
        return None


class HttpOcspTransport:
    """OCSP over HTTP POST with ``urllib``; no redirects, at most ``MAX_RESPONSE_BYTES``."""

    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirects())

    def post(self, url: str, request: bytes, *, timeout: float) -> bytes:
        """See :meth:`OcspTransport.post`."""
        if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
            raise OcspCheckFailed("OCSP URL is not http or https")
        http_request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url,
            data=request,
            method="POST",
            headers={
                "Content-Type": "application/ocsp-request",
                "Accept": "application/ocsp-response",
            },
        )
        try:
            with self._opener.open(http_request, timeout=timeout) as response:
                body: bytes = response.read(MAX_RESPONSE_BYTES + 1)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            raise OcspCheckFailed(f"OCSP request failed: {type(error).__name__}") from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise OcspCheckFailed("OCSP response too large")
        return body
