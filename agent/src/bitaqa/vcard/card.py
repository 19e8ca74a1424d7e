"""``VirtualPivCard``: a PIV card application (NIST SP 800-73-4 Part 2) as a pure object.

Contract: ``atr`` is the card's answer to reset; ``process_apdu(command) -> response`` takes one
command APDU (short or extended) and returns the response data followed by SW1 SW2. There is no
I/O: the vpcd transport (``bitaqa.vcard.vpcd``) and the agent's in-process reader wrap the same
object. ``power_on()`` and ``reset()`` clear the volatile state (security status, pending
response, command chain) the way a real card forgets it; retry counters persist.

Commands: SELECT (A4), GET DATA (CB), VERIFY (20), CHANGE REFERENCE DATA (24), RESET RETRY
COUNTER (2C), GENERAL AUTHENTICATE (87), GET RESPONSE (C0); command chaining with CLA 0x10;
answers longer than Le come in parts with 61xx. The PIV application is selected at power-on
(OpenSC sends GET DATA 7E without SELECT), and a SELECT of another AID leaves it selected.

Security: 9A and 9D need the PIN verified; 9C needs a successful VERIFY as the command just
before each GENERAL AUTHENTICATE (PIN always: a GET RESPONSE or the status form of VERIFY in
between does not count as a command); 9E needs nothing. Printed Information and Facial Image need
the PIN. Status words: see ``bitaqa.vcard.apdu``; 63Cx carries the tries left.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bitaqa.vcard import keys, objects
from bitaqa.vcard.apdu import (
    SW_BLOCKED,
    SW_CLA_NOT_SUPPORTED,
    SW_CONDITIONS_NOT_SATISFIED,
    SW_INCORRECT_DATA,
    SW_INS_NOT_SUPPORTED,
    SW_LAST_COMMAND_EXPECTED,
    SW_NOT_FOUND,
    SW_OK,
    SW_REFERENCE_NOT_FOUND,
    SW_SECURITY_STATUS,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    CardStatus,
    CommandApdu,
    parse_command,
)
from bitaqa.vcard.pin import ReferenceData
from bitaqa.vcard.profile import CardProfile
from bitaqa.vcard.security_object import security_object
from bitaqa.vcard.tlv import TlvError, encode_tlv, parse_tlv

__all__ = ["ATR", "OBJECT_TAGS", "ApduCounters", "VirtualPivCard"]

_HISTORICAL_BYTES = b"BitaqaPIV"


def _build_atr() -> bytes:
    # TS=3B, T0 says TD1 follows and 9 historical bytes; TD1 -> TD2, TD2 announces T=1; TCK.
    body = bytes([0x80 | len(_HISTORICAL_BYTES), 0x80, 0x01]) + _HISTORICAL_BYTES
    check = 0
    for byte in body:
        check ^= byte
    return b"\x3b" + body + bytes([check])


ATR = _build_atr()
"""3B 89 80 01 "BitaqaPIV" TCK: a T=1 card that OpenSC treats as a generic PIV card."""

OBJECT_TAGS: dict[str, int] = {
    "discovery": 0x7E,
    "chuid": 0x5FC102,
    "ccc": 0x5FC107,
    "key_history": 0x5FC10C,
    "certificate_9a": 0x5FC105,
    "certificate_9c": 0x5FC10A,
    "certificate_9d": 0x5FC10B,
    "certificate_9e": 0x5FC101,
    "printed_information": 0x5FC109,
    "facial_image": 0x5FC108,
    "security_object": 0x5FC106,
}
"""GET DATA tags of every object this card can hold (SP 800-73-4 Part 1 Table 3)."""

# Printed Information, Organization Affiliation Line 1 (at most 20 bytes in SP 800-73-4).
PRINTED_ORGANIZATION = "Bitaqa Test Issuer"
_CERTIFICATE_TAGS = {0x9A: 0x5FC105, 0x9C: 0x5FC10A, 0x9D: 0x5FC10B, 0x9E: 0x5FC101}
_PIN_PROTECTED = frozenset({0x5FC109, 0x5FC108})
# Key references (SP 800-73-4 Part 1 Table 4b): 9A-9E, the retired 82-95, F9 attestation.
_KEY_REFERENCES = frozenset({0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0xF9, *range(0x82, 0x96)})
_MAX_CHAIN = 65536
_PIN_REFERENCE, _PUK_REFERENCE = 0x80, 0x81


@dataclass
class ApduCounters:
    """What the card has exchanged since the last reset: APDUs and bytes in each direction."""

    apdus: int = 0
    bytes_in: int = 0
    bytes_out: int = 0

    def reset(self) -> None:
        """Set every counter back to zero."""
        self.apdus = self.bytes_in = self.bytes_out = 0


class VirtualPivCard:
    """A PIV card built from a ``CardProfile``; see the module docstring for its contract."""

    def __init__(self, profile: CardProfile, *, pin_tries: int = 3, puk_tries: int = 3) -> None:
        self.profile = profile
        self.counters = ApduCounters()
        self._pin = ReferenceData(profile.pin, pin_tries)
        self._puk = ReferenceData(profile.puk, puk_tries, min_length=8)
        self._objects = _build_objects(profile)
        self._pin_verified = False
        self._pin_just_verified = False
        self._pending = b""
        self._chain: tuple[int, int, int, bytearray] | None = None

    @property
    def atr(self) -> bytes:
        """The answer to reset."""
        return ATR

    @property
    def pin_tries_left(self) -> int:
        """How many wrong PINs the card still accepts before it blocks the PIN."""
        return self._pin.tries_left

    def power_on(self) -> None:
        """Start a new card session: PIV selected, no PIN verified, nothing pending."""
        self._pin_verified = False
        self._pin_just_verified = False
        self._pending = b""
        self._chain = None

    def reset(self) -> None:
        """A warm reset: the same effect as ``power_on``."""
        self.power_on()

    def process_apdu(self, apdu: bytes) -> bytes:
        """Process one command APDU and return the response data with SW1 SW2."""
        self.counters.apdus += 1
        self.counters.bytes_in += len(apdu)
        try:
            response = self._process(apdu)
        except CardStatus as status:
            response = status.sw.to_bytes(2, "big")
        self.counters.bytes_out += len(response)
        return response

    def _process(self, raw: bytes) -> bytes:
        command = parse_command(raw)
        if command.cla & ~0x10:
            raise CardStatus(SW_CLA_NOT_SUPPORTED)
        if command.ins == 0xC0:
            return self._get_response(command)
        self._pending = b""
        data = self._collect_chain(command)
        if data is None:
            return SW_OK.to_bytes(2, "big")
        command = dataclasses.replace(command, data=data)
        pin_just_verified = self._pin_just_verified
        if not (command.ins == 0x20 and not command.data and command.p1 == 0x00):
            self._pin_just_verified = False
        handler = {
            0xA4: self._select,
            0xCB: self._get_data,
            0x20: self._verify,
            0x24: self._change_reference_data,
            0x2C: self._reset_retry_counter,
        }.get(command.ins)
        if handler is not None:
            return self._respond(handler(command), command.max_response)
        if command.ins == 0x87:
            result = self._general_authenticate(command, pin_just_verified)
            return self._respond(result, command.max_response)
        raise CardStatus(SW_INS_NOT_SUPPORTED)

    def _collect_chain(self, command: CommandApdu) -> bytes | None:
        """Join chained commands (CLA 0x10); None while the chain is still open."""
        header = (command.ins, command.p1, command.p2)
        if self._chain is not None and self._chain[:3] != header:
            self._chain = None
            raise CardStatus(SW_LAST_COMMAND_EXPECTED)
        if self._chain is None and not command.cla & 0x10:
            return command.data
        if self._chain is None:
            self._chain = (*header, bytearray())
        buffer = self._chain[3]
        buffer += command.data
        if len(buffer) > _MAX_CHAIN:
            self._chain = None
            raise CardStatus(SW_WRONG_LENGTH)
        if command.cla & 0x10:
            return None
        self._chain = None
        return bytes(buffer)

    def _respond(self, data: bytes, limit: int) -> bytes:
        if len(data) <= limit:
            return data + SW_OK.to_bytes(2, "big")
        self._pending = data[limit:]
        return data[:limit] + _more_available(len(self._pending))

    def _get_response(self, command: CommandApdu) -> bytes:
        if command.p1 or command.p2:
            raise CardStatus(SW_WRONG_P1P2)
        if not self._pending:
            raise CardStatus(SW_CONDITIONS_NOT_SATISFIED)
        pending, self._pending = self._pending, b""
        return self._respond(pending, command.max_response)

    def _select(self, command: CommandApdu) -> bytes:
        if command.p1 != 0x04 or command.p2 != 0x00:
            raise CardStatus(SW_WRONG_P1P2)
        if len(command.data) < 5 or not objects.PIV_AID.startswith(command.data):
            raise CardStatus(SW_NOT_FOUND)
        self._pin_verified = False
        return objects.application_property_template()

    def _get_data(self, command: CommandApdu) -> bytes:
        if (command.p1, command.p2) != (0x3F, 0xFF):
            raise CardStatus(SW_WRONG_P1P2)
        try:
            elements = parse_tlv(command.data)
        except TlvError as error:
            raise CardStatus(SW_INCORRECT_DATA) from error
        if len(elements) != 1 or elements[0][0] != 0x5C or not 1 <= len(elements[0][1]) <= 3:
            raise CardStatus(SW_INCORRECT_DATA)
        tag = int.from_bytes(elements[0][1], "big")
        found = self._objects.get(tag)
        if found is None:
            raise CardStatus(SW_NOT_FOUND)
        if tag in _PIN_PROTECTED and not self._pin_verified:
            raise CardStatus(SW_SECURITY_STATUS)
        return found

    def _verify(self, command: CommandApdu) -> bytes:
        if command.p1 not in (0x00, 0xFF):
            raise CardStatus(SW_WRONG_P1P2)
        if command.p2 != _PIN_REFERENCE:
            raise CardStatus(SW_REFERENCE_NOT_FOUND)
        if command.p1 == 0xFF:
            if command.data:
                raise CardStatus(SW_WRONG_LENGTH)
            self._pin_verified = False
            return b""
        if not command.data:
            if self._pin.blocked:
                raise CardStatus(SW_BLOCKED)
            if self._pin_verified:
                return b""
            raise CardStatus(0x63C0 | self._pin.tries_left)
        self._pin_verified = False
        self._pin.verify(command.data)
        self._pin_verified = True
        self._pin_just_verified = True
        return b""

    def _change_reference_data(self, command: CommandApdu) -> bytes:
        if command.p1 != 0x00:
            raise CardStatus(SW_WRONG_P1P2)
        references = {_PIN_REFERENCE: self._pin, _PUK_REFERENCE: self._puk}
        reference = references.get(command.p2)
        if reference is None:
            raise CardStatus(SW_REFERENCE_NOT_FOUND)
        if len(command.data) != 16:
            raise CardStatus(SW_INCORRECT_DATA)
        old, new = command.data[:8], command.data[8:]
        reference.check_format(new)
        reference.verify(old)
        reference.replace(new)
        return b""

    def _reset_retry_counter(self, command: CommandApdu) -> bytes:
        if command.p1 != 0x00:
            raise CardStatus(SW_WRONG_P1P2)
        if command.p2 != _PIN_REFERENCE:
            raise CardStatus(SW_REFERENCE_NOT_FOUND)
        if len(command.data) != 16:
            raise CardStatus(SW_INCORRECT_DATA)
        puk, new_pin = command.data[:8], command.data[8:]
        self._pin.check_format(new_pin)
        self._puk.verify(puk)
        self._pin.replace(new_pin)
        return b""

    def _general_authenticate(self, command: CommandApdu, pin_just_verified: bool) -> bytes:
        reference = command.p2
        if reference not in _KEY_REFERENCES:
            raise CardStatus(SW_WRONG_P1P2)
        slot = self.profile.slots.get(reference)
        if slot is None:
            raise CardStatus(SW_REFERENCE_NOT_FOUND)
        if command.p1 != keys.ALGORITHM_IDS[slot.key_type]:
            raise CardStatus(SW_WRONG_P1P2)
        template = _parse_template(command.data)
        if template.get(0x82) != b"" or (0x81 in template) == (0x85 in template):
            raise CardStatus(SW_INCORRECT_DATA)
        self._check_key_access(reference, pin_just_verified)
        key = slot.private_key
        if 0x81 in template:
            if isinstance(key, rsa.RSAPrivateKey):
                result = keys.rsa_raw(key, template[0x81])
            elif reference == 0x9D:
                raise CardStatus(SW_CONDITIONS_NOT_SATISFIED)
            else:
                result = keys.ecdsa_sign(key, template[0x81])
        else:
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise CardStatus(SW_INCORRECT_DATA)
            if reference != 0x9D:
                raise CardStatus(SW_CONDITIONS_NOT_SATISFIED)
            result = keys.ecdh(key, template[0x85])
        return encode_tlv(0x7C, encode_tlv(0x82, result))

    def _check_key_access(self, reference: int, pin_just_verified: bool) -> None:
        if reference == 0x9E:
            return
        if self._pin.blocked:
            raise CardStatus(SW_SECURITY_STATUS)
        if not self._pin_verified or (reference == 0x9C and not pin_just_verified):
            raise CardStatus(SW_SECURITY_STATUS)


def _parse_template(data: bytes) -> dict[int, bytes]:
    """The elements of the dynamic authentication template ``7C``; 6A80 when it is malformed."""
    try:
        outer = parse_tlv(data)
        if len(outer) != 1 or outer[0][0] != 0x7C:
            raise CardStatus(SW_INCORRECT_DATA)
        inner = parse_tlv(outer[0][1])
    except TlvError as error:
        raise CardStatus(SW_INCORRECT_DATA) from error
    template = dict(inner)
    if len(template) != len(inner) or not set(template) <= {0x81, 0x82, 0x85}:
        raise CardStatus(SW_INCORRECT_DATA)
    return template


def _more_available(remaining: int) -> bytes:
    return bytes([0x61, remaining if remaining < 256 else 0])


def _build_objects(profile: CardProfile) -> dict[int, bytes]:
    fascn = objects.fasc_n(profile.agency_code, "0001", profile.credential_number)
    holder = profile.holder
    built: dict[int, bytes] = {
        0x7E: objects.discovery_object(),
        0x5FC102: objects.card_holder_unique_id(fascn, profile.guid, profile.expiry),
        0x5FC107: objects.card_capability_container(profile.guid),
        0x5FC10C: objects.key_history(),
        0x5FC109: objects.printed_information(
            name=f"{holder.given_name} {holder.surname}",
            affiliation=holder.affiliation,
            organization=PRINTED_ORGANIZATION,
            expiry=profile.expiry,
            card_serial=holder.national_id,
            issuer=holder.country,
        ),
    }
    for reference, slot in profile.slots.items():
        built[_CERTIFICATE_TAGS[reference]] = objects.certificate_object(slot.certificate)
    if profile.photo_jpeg:
        width, height = objects.jpeg_size(profile.photo_jpeg)
        issued = profile.expiry.replace(year=profile.expiry.year - 10)
        built[0x5FC108] = objects.facial_image(profile.photo_jpeg, fascn, issued, width, height)
    if profile.document_signer is not None:
        built[0x5FC106] = security_object(profile.document_signer, built)
    return built
