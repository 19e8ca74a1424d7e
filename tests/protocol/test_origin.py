"""Origin parsing and normalisation: the one form the agent compares, shows and signs."""

from __future__ import annotations

import pytest

from bitaqa.protocol.errors import ErrorCode, OriginError
from bitaqa.protocol.origin import Origin, parse_origin


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("https://portal.example", "https://portal.example"),
        ("HTTPS://Portal.EXAMPLE", "https://portal.example"),
        ("https://portal.example:443", "https://portal.example"),
        ("https://portal.example:0443", "https://portal.example"),
        ("https://portal.example:8443", "https://portal.example:8443"),
        ("https://بطاقة.example", "https://xn--mgbbe8cyc.example"),
        ("https://BÜCHER.example", "https://xn--bcher-kva.example"),
        ("https://faß.de", "https://xn--fa-hia.de"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("https://127.0.0.1:27360", "https://127.0.0.1:27360"),
        ("https://１２７.0.0.1", "https://127.0.0.1"),
        ("https://[0:0::1]", "https://[::1]"),
        ("https://[2001:DB8::1]:8443", "https://[2001:db8::1]:8443"),
    ],
)
def test_normal_form(text: str, normal: str) -> None:
    """Scheme and host are lower case, names are punycode, default ports go, IPv6 is compressed."""
    origin = parse_origin(text)
    assert origin.serialize() == normal
    assert parse_origin(normal) == origin


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "portal.example",
        "http://portal.example",
        "wss://portal.example",
        "file:///etc/passwd",
        "https://portal.example/",
        "https://portal.example/path",
        "https://portal.example?q",
        "https://portal.example#f",
        "https://user@portal.example",
        "https://user:pw@portal.example",
        "https://portal.example:",
        "https://portal.example:0",
        "https://portal.example:65536",
        "https://portal.example:123456",
        "https://portal.example.",
        "https://portal..example",
        "https://-portal.example",
        "https://portal_x.example",
        "https://por tal.example",
        "https://portal.example\n",
        "https://portal.example\\",
        "https://xn--zz.example",
        "https://1.2.3",
        "https://0x7f.0.0.1",
        "https://256.0.0.1",
        "https://01.2.3.4",
        "https://portal.123",
        "https://[::1",
        "https://[fe80::1%25eth0]",
        "https://[1.2.3.4]",
        "https://" + "a" * 64 + ".example",
        "https://" + "a." * 127 + "b",
        "https://" + "a" * 300,
    ],
)
def test_refused(text: str) -> None:
    """Anything but scheme://host[:port] with an https scheme and a valid host is refused."""
    with pytest.raises(OriginError) as caught:
        parse_origin(text)
    assert caught.value.code is ErrorCode.ORIGIN_NOT_ALLOWED


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://LOCALHOST", "http://localhost"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        ("https://localhost:8443", "https://localhost:8443"),
    ],
)
def test_development_origins_need_the_explicit_flag(text: str, normal: str) -> None:
    """http is allowed only on loopback hosts and only with allow_insecure_localhost."""
    assert parse_origin(text, allow_insecure_localhost=True).serialize() == normal
    if text.startswith("http:"):
        with pytest.raises(OriginError):
            parse_origin(text)


@pytest.mark.parametrize(
    "text",
    ["http://portal.example", "http://10.0.0.1", "http://localhost.example", "ftp://localhost"],
)
def test_the_flag_does_not_admit_http_elsewhere(text: str) -> None:
    """The development flag does not relax anything for non-loopback hosts."""
    with pytest.raises(OriginError):
        parse_origin(text, allow_insecure_localhost=True)


def test_non_string_is_refused() -> None:
    """A missing header (None) is refused like any malformed origin."""
    with pytest.raises(OriginError):
        parse_origin(None)  # type: ignore[arg-type]


def test_origin_is_loopback() -> None:
    """is_loopback names the three loopback hosts only."""
    assert Origin("https", "::1", 8443).is_loopback
    assert not Origin("https", "portal.example").is_loopback


def test_serialised_length_is_bounded() -> None:
    """A Unicode host that grows past 255 characters as punycode is refused."""
    host = ".".join(["ب" * 21] * 9)  # 197 characters, 251 as punycode
    assert len("https://" + host) <= 255
    with pytest.raises(OriginError):
        parse_origin("https://" + host)
