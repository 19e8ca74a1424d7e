"""Bounded JSON decoding and compact encoding of protocol frames (SPEC.md §5.1, §9).

:func:`decode_json` is the only way the core turns untrusted text into values.  It checks the size
before parsing and the nesting depth before the recursive parser runs, decodes UTF-8 strictly, and
refuses what JSON allows but this protocol does not use: duplicate keys, fractions and exponents,
``NaN``/``Infinity``, integers outside ±(2**53 - 1), and unpaired UTF-16 surrogates.  Every refusal
is a :class:`~bitaqa.protocol.errors.MessageError` with ``PARSE_ERROR`` (not JSON, or a refused
construct) or ``LIMIT_EXCEEDED`` (a bound of :class:`~bitaqa.protocol.limits.Limits`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import NoReturn, TypeAlias

from bitaqa.protocol.errors import ErrorCode, MessageError
from bitaqa.protocol.limits import AGENT_LIMITS, MAX_SAFE_INTEGER, Limits

__all__ = ["JSONValue", "decode_json", "encode_json"]

JSONValue: TypeAlias = bool | int | str | list["JSONValue"] | dict[str, "JSONValue"] | None

# A string literal (its closing quote optional, so an unterminated one ends the scan instead of
# being retried from every later quote), or one bracket.  Each character is looked at once.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")
# 2**53 - 1 has 16 digits; longer digit runs are refused before int() spends time on them.
_MAX_INTEGER_DIGITS = len(str(MAX_SAFE_INTEGER))


def decode_json(
    data: bytes | bytearray | memoryview | str, limits: Limits = AGENT_LIMITS
) -> JSONValue:
    """Decode one frame into a JSON value, within ``limits``.

    Args:
        data: a WebSocket message: bytes-like (binary or text frame payload) or a decoded str.
        limits: the bounds to apply; the agent uses ``AGENT_LIMITS``, a client ``CLIENT_LIMITS``.

    Returns:
        ``None``, ``bool``, ``int``, ``str``, ``list`` or ``dict`` values only.

    Raises:
        MessageError: ``PARSE_ERROR`` or ``LIMIT_EXCEEDED``; never any other exception.
    """
    text = _text_within_size(data, limits)
    _check_depth(text, limits)
    try:
        value: JSONValue = json.loads(
            text,
            object_pairs_hook=lambda pairs: _object(pairs, limits),
            parse_float=_refuse_fraction,
            parse_int=_integer,
            parse_constant=_refuse_constant,
        )
    except json.JSONDecodeError as error:
        raise MessageError(
            ErrorCode.PARSE_ERROR, f"not JSON: {error.msg} at offset {error.pos}"
        ) from None
    _check_strings_and_arrays(value, limits)
    return value


def encode_json(value: JSONValue) -> str:
    """Serialise ``value`` as compact JSON text (no spaces, UTF-8 characters kept as they are).

    Raises:
        TypeError: ``value`` holds something the protocol cannot carry (a float, bytes, a
            non-string key, an integer beyond ±(2**53 - 1)); this is a bug in the caller.
    """
    _check_encodable(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _text_within_size(data: bytes | bytearray | memoryview | str, limits: Limits) -> str:
    if isinstance(data, str):
        # A str is at most as long in characters as in UTF-8 bytes: reject early without encoding.
        if len(data) > limits.max_frame_bytes:
            _too_big(limits)
        if _SURROGATE.search(data):
            raise MessageError(ErrorCode.PARSE_ERROR, "text holds an unpaired surrogate")
        if len(data.encode("utf-8")) > limits.max_frame_bytes:
            _too_big(limits)
        return data
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MessageError(ErrorCode.PARSE_ERROR, "a frame is bytes or text")
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size > limits.max_frame_bytes:
        _too_big(limits)
    raw = bytes(data)
    try:
        return raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise MessageError(ErrorCode.PARSE_ERROR, "frame is not valid UTF-8") from None


def _too_big(limits: Limits) -> NoReturn:
    raise MessageError(
        ErrorCode.LIMIT_EXCEEDED, f"frame larger than {limits.max_frame_bytes} bytes"
    )


def _check_depth(text: str, limits: Limits) -> None:
    # json.loads recurses once per level; counting brackets outside strings first keeps a
    # hostile "[[[[..." from reaching the recursion limit.
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        character = text[token.start()]
        if character in "[{":
            depth += 1
            if depth > limits.max_depth:
                raise MessageError(
                    ErrorCode.LIMIT_EXCEEDED, f"nesting deeper than {limits.max_depth}"
                )
        elif character in "]}":
            depth -= 1


def _object(pairs: list[tuple[str, JSONValue]], limits: Limits) -> dict[str, JSONValue]:
    if len(pairs) > limits.max_array_length:
        raise MessageError(
            ErrorCode.LIMIT_EXCEEDED, f"object with more than {limits.max_array_length} members"
        )
    result: dict[str, JSONValue] = {}
    for key, item in pairs:
        if key in result:
            raise MessageError(ErrorCode.PARSE_ERROR, "duplicate key in object")
        _check_string(key, limits)
        result[key] = item
    return result


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > _MAX_INTEGER_DIGITS:
        _integer_out_of_range()
    number = int(digits)
    if abs(number) > MAX_SAFE_INTEGER:
        _integer_out_of_range()
    return number


def _integer_out_of_range() -> NoReturn:
    raise MessageError(ErrorCode.LIMIT_EXCEEDED, "integer beyond ±(2**53 - 1)")


def _refuse_fraction(_text: str) -> NoReturn:
    raise MessageError(ErrorCode.PARSE_ERROR, "numbers with a fraction or exponent are refused")


def _refuse_constant(_text: str) -> NoReturn:
    raise MessageError(ErrorCode.PARSE_ERROR, "NaN and Infinity are not JSON")


def _check_string(text: str, limits: Limits) -> None:
    if len(text) > limits.max_string_length:
        raise MessageError(
            ErrorCode.LIMIT_EXCEEDED, f"string longer than {limits.max_string_length} characters"
        )
    if _SURROGATE.search(text):
        raise MessageError(ErrorCode.PARSE_ERROR, "string holds an unpaired surrogate escape")


def _check_strings_and_arrays(value: JSONValue, limits: Limits) -> None:
    if isinstance(value, str):
        _check_string(value, limits)
    elif isinstance(value, list):
        if len(value) > limits.max_array_length:
            raise MessageError(
                ErrorCode.LIMIT_EXCEEDED, f"array longer than {limits.max_array_length}"
            )
        for item in value:
            _check_strings_and_arrays(item, limits)
    elif isinstance(value, dict):
        for item in value.values():
            _check_strings_and_arrays(item, limits)


def _check_encodable(value: object) -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise TypeError("integer beyond ±(2**53 - 1)")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("object keys must be strings")
            _check_encodable(item)
        return
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for item in value:
            _check_encodable(item)
        return
    raise TypeError(f"{type(value).__name__} cannot be sent in a protocol frame")
