"""The PIV data objects a card holds, encoded as SP 800-73-4 Part 1 §3 and Appendix A describe.

Each function returns the complete object as GET DATA answers it (a ``53`` container, or ``7E``
for Discovery). Tags of the containers are in ``OBJECT_TAGS``.
"""

from __future__ import annotations

from datetime import date

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from bitaqa.vcard.tlv import encode_tlv

__all__ = [
    "FACIAL_IMAGE_JPEG_OFFSET",
    "PIV_AID",
    "application_property_template",
    "card_capability_container",
    "card_holder_unique_id",
    "certificate_object",
    "discovery_object",
    "facial_image",
    "fasc_n",
    "jpeg_size",
    "key_history",
    "printed_information",
]

PIV_AID = bytes.fromhex("A000000308000010000100")
"""The PIV application identifier with its version (SP 800-73-4 Part 1 §2.2)."""

# Algorithm identifiers (SP 800-78-4 Table 6-2) announced in the APT.
_ALGORITHMS = (0x07, 0x11, 0x14)
_END = encode_tlv(0xFE, b"")  # error detection code, always empty in PIV


def application_property_template() -> bytes:
    """The answer to SELECT: tag 61 with the AID, the NIST authority, a label and algorithms."""
    algorithms = b"".join(encode_tlv(0x80, bytes([alg])) for alg in _ALGORITHMS)
    return encode_tlv(
        0x61,
        encode_tlv(0x4F, PIV_AID[5:])
        + encode_tlv(0x79, encode_tlv(0x4F, PIV_AID[:5]))
        + encode_tlv(0x50, b"Bitaqa Virtual PIV")
        + encode_tlv(0xAC, algorithms + encode_tlv(0x06, b"")),
    )


def discovery_object() -> bytes:
    """Discovery (7E): the PIV AID and a PIN usage policy of "PIV application PIN only"."""
    return encode_tlv(0x7E, encode_tlv(0x4F, PIV_AID) + encode_tlv(0x5F2F, b"\x40\x00"))


def fasc_n(agency_code: str, system_code: str, credential_number: str) -> bytes:
    """Encode a FASC-N (TIG SCEPACS v2.3 §6): 40 five-bit BCD characters with odd parity, 25 bytes.

    Credential series, individual credential issue, person identifier, organisational category,
    organisation identifier and association category are fixed test values.
    """
    start, separator, end = 0xB, 0xD, 0xF
    characters = [start, *_digits(agency_code), separator, *_digits(system_code), separator]
    characters += [*_digits(credential_number), separator, 0, separator, 1, separator]
    characters += [*_digits("0000000001"), 1, *_digits(agency_code), 1, end]
    check = 0
    for value in characters:
        check ^= value
    characters.append(check)
    bits = "".join(_five_bits(value) for value in characters)
    return int(bits, 2).to_bytes(25, "big")


def card_holder_unique_id(fascn: bytes, guid: bytes, expiry: date) -> bytes:
    """CHUID (5FC102): FASC-N, GUID, expiration date; the issuer signature field is left empty."""
    return encode_tlv(
        0x53,
        encode_tlv(0x30, fascn)
        + encode_tlv(0x34, guid)
        + encode_tlv(0x35, expiry.strftime("%Y%m%d").encode("ascii"))
        + encode_tlv(0x3E, b"")
        + _END,
    )


def card_capability_container(guid: bytes) -> bytes:
    """CCC (5FC107): card identifier derived from the GUID, container versions, no extensions."""
    card_identifier = bytes.fromhex("A0000001 16FF02".replace(" ", "")) + guid[:14]
    fields = [
        (0xF0, card_identifier),
        (0xF1, b"\x21"),
        (0xF2, b"\x21"),
        (0xF3, b""),
        (0xF4, b"\x00"),
        (0xF5, b"\x10"),
        (0xF6, b""),
        (0xF7, b""),
        (0xFA, b""),
        (0xFB, b""),
        (0xFC, b""),
        (0xFD, b""),
    ]
    return encode_tlv(0x53, b"".join(encode_tlv(tag, value) for tag, value in fields) + _END)


def key_history() -> bytes:
    """Key History (5FC10C): no retired keys on or off the card."""
    return encode_tlv(0x53, encode_tlv(0xC1, b"\x00") + encode_tlv(0xC2, b"\x00") + _END)


def certificate_object(certificate: x509.Certificate) -> bytes:
    """A certificate container: ``53 { 70 <DER>, 71 01 00 (not compressed), FE 00 }``."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return encode_tlv(0x53, encode_tlv(0x70, der) + encode_tlv(0x71, b"\x00") + _END)


def printed_information(
    *,
    name: str,
    affiliation: str,
    organization: str,
    expiry: date,
    card_serial: str,
    issuer: str,
) -> bytes:
    """Printed Information (5FC109): name, affiliations, expiry (YYYYMMMDD), serial, issuer.

    Text is UTF-8 (SP 800-73-4 asks for ASCII, a subset). Tag 07 is Organization Affiliation
    Line 1, as the standard defines it; PIV has no field for a name in Arabic.
    """
    fields = [
        (0x01, name.encode("utf-8")[:125]),
        (0x02, affiliation.encode("utf-8")[:20]),
        (0x04, expiry.strftime("%Y%b%d").upper().encode("ascii")),
        (0x05, card_serial.encode("ascii")[:20]),
        (0x06, issuer.encode("utf-8")[:15]),
        (0x07, organization.encode("utf-8")[:20]),
    ]
    return encode_tlv(0x53, b"".join(encode_tlv(tag, value) for tag, value in fields) + _END)


def facial_image(jpeg: bytes, fascn: bytes, created: date, width: int, height: int) -> bytes:
    """Facial Image (5FC108): ``53 { BC <CBEFF record>, FE 00 }``.

    The CBEFF record follows the SP 800-76-2 patron format: an 88-byte header, the biometric data
    block (an ISO/IEC 19794-5:2005 facial record with one JPEG image) and an empty signature block
    (the Security Object protects the container instead; the header's security options say
    "not signed"). The JPEG starts at byte ``FACIAL_IMAGE_JPEG_OFFSET`` of the record.
    """
    image_information = bytes([0x01, 0x00]) + width.to_bytes(2, "big") + height.to_bytes(2, "big")
    image_information += bytes([0x01, 0x02]) + bytes(4)  # sRGB, digital still camera
    facial_header = (20 + 12 + len(jpeg)).to_bytes(4, "big") + bytes(16)  # no feature points
    record = facial_header + image_information + jpeg
    general_header = b"FAC\x00010\x00" + (14 + len(record)).to_bytes(4, "big") + b"\x00\x01"
    biometric_data = general_header + record
    timestamp = _cbeff_time(created)
    header = b"".join(
        [
            b"\x03\x00",  # patron header version 3; security options: neither signed nor encrypted
            len(biometric_data).to_bytes(4, "big"),
            b"\x00\x00",  # signature block length
            b"\x00\x1b",  # BDB format owner: INCITS Technical Committee M1
            b"\x05\x01",  # BDB format type: face image
            timestamp,
            timestamp + _cbeff_time(date(created.year + 10, created.month, created.day)),
            b"\x00\x00\x02",  # biometric type: face
            b"\x02",  # biometric data type: processed
            b"\x64",  # quality 100
            b"Bitaqa Virtual".ljust(18, b"\x00"),
            fascn,
            bytes(4),
        ]
    )
    return encode_tlv(0x53, encode_tlv(0xBC, header + biometric_data) + _END)


FACIAL_IMAGE_JPEG_OFFSET = 88 + 14 + 20 + 12
"""Where the JPEG starts inside the CBEFF record (the value of tag BC) of the Facial Image."""


def jpeg_size(jpeg: bytes) -> tuple[int, int]:
    """Return (width, height) from a baseline or progressive JPEG's frame header.

    Raises ``ValueError`` when ``jpeg`` is not a JPEG or has no frame header.
    """
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG image")
    offset = 2
    while offset + 9 <= len(jpeg):
        if jpeg[offset] != 0xFF:
            raise ValueError("JPEG segment expected")
        marker = jpeg[offset + 1]
        length = int.from_bytes(jpeg[offset + 2 : offset + 4], "big")
        if marker in _FRAME_MARKERS:
            height = int.from_bytes(jpeg[offset + 5 : offset + 7], "big")
            width = int.from_bytes(jpeg[offset + 7 : offset + 9], "big")
            return width, height
        offset += 2 + length
    raise ValueError("JPEG without a frame header")


_FRAME_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD})


def _cbeff_time(moment: date) -> bytes:
    """An 8-byte CBEFF date-time (year as two bytes, month, day, hour, minute, second, 'Z')."""
    return moment.year.to_bytes(2, "big") + bytes([moment.month, moment.day, 0, 0, 0]) + b"Z"


def _digits(text: str) -> list[int]:
    return [int(character) for character in text]


def _five_bits(value: int) -> str:
    data = "".join(str((value >> bit) & 1) for bit in range(4))  # least significant bit first
    parity = "1" if data.count("1") % 2 == 0 else "0"
    return data + parity
