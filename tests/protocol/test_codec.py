"""The bounded JSON codec: size first, strict UTF-8, depth, lengths, no floats or duplicate keys."""

from __future__ import annotations

import pytest

from bitaqa.protocol.codec import decode_json, encode_json
from bitaqa.protocol.errors import ErrorCode, MessageError
from bitaqa.protocol.limits import AGENT_LIMITS, CLIENT_LIMITS, MAX_SAFE_INTEGER, Limits

SMALL = Limits(max_frame_bytes=64, max_depth=3, max_string_length=5, max_array_length=3)


def refused(data: bytes | memoryview | str, limits: Limits = AGENT_LIMITS) -> ErrorCode:
    with pytest.raises(MessageError) as caught:
        decode_json(data, limits)
    return caught.value.code


def test_decodes_bytes_and_text_alike() -> None:
    """A frame may arrive as bytes or as str and decodes to the same value."""
    text = '{"a":[1,-2,true,false,null,"é"]}'
    assert decode_json(text) == decode_json(text.encode()) == {"a": [1, -2, True, False, None, "é"]}
    assert decode_json(bytearray(b"[]")) == decode_json(memoryview(b"[]")) == []


@pytest.mark.parametrize("data", ["x" * 65, "é" * 33, b"1" * 65, memoryview(b"1" * 65)])
def test_frame_over_the_byte_limit_is_refused(data: bytes | memoryview | str) -> None:
    """Size counts UTF-8 bytes, for text too."""
    assert refused(data, SMALL) is ErrorCode.LIMIT_EXCEEDED


def test_frame_of_exactly_the_limit_is_accepted() -> None:
    """The bound is inclusive."""
    assert decode_json('"' + "a" * 5 + '"' + " " * 57, SMALL) == "aaaaa"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff", ErrorCode.PARSE_ERROR),
        (b'"\xed\xa0\x80"', ErrorCode.PARSE_ERROR),
        ("\ud800", ErrorCode.PARSE_ERROR),
        ('"\\udc00"', ErrorCode.PARSE_ERROR),
        ('{"\\ud800":1}', ErrorCode.PARSE_ERROR),
        ("1.5", ErrorCode.PARSE_ERROR),
        ("-0.0", ErrorCode.PARSE_ERROR),
        ("1E3", ErrorCode.PARSE_ERROR),
        ("NaN", ErrorCode.PARSE_ERROR),
        ("[Infinity]", ErrorCode.PARSE_ERROR),
        ('{"a":1,"a":1}', ErrorCode.PARSE_ERROR),
        ("", ErrorCode.PARSE_ERROR),
        ("[1,]", ErrorCode.PARSE_ERROR),
        (str(MAX_SAFE_INTEGER + 1), ErrorCode.LIMIT_EXCEEDED),
        (str(-MAX_SAFE_INTEGER - 1), ErrorCode.LIMIT_EXCEEDED),
        ("1" * 17, ErrorCode.LIMIT_EXCEEDED),
    ],
)
def test_refused_constructs(data: bytes | str, code: ErrorCode) -> None:
    """Bad UTF-8, surrogates, fractions, NaN, duplicate keys and big integers get their code."""
    assert refused(data) is code


def test_integer_bounds_are_inclusive() -> None:
    """±(2**53 - 1) still decode, so JavaScript reads every integer exactly."""
    assert decode_json(f"[{MAX_SAFE_INTEGER},{-MAX_SAFE_INTEGER}]") == [
        MAX_SAFE_INTEGER,
        -MAX_SAFE_INTEGER,
    ]


def test_depth_is_checked_before_parsing() -> None:
    """A hundred thousand brackets are refused as too deep, not by a RecursionError."""
    assert refused("[" * 100_000, CLIENT_LIMITS) is ErrorCode.LIMIT_EXCEEDED
    assert decode_json("[[[]]]", SMALL) == [[[]]]
    assert refused("[[[[]]]]", SMALL) is ErrorCode.LIMIT_EXCEEDED


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    """Depth is counted outside string literals, escaped quotes included."""
    assert decode_json('[["[[\\"", "{{{"]]', SMALL) == [['[["', "{{{"]]


@pytest.mark.parametrize(
    "data", ['"aaaaaa"', '{"aaaaaa":1}', "[1,2,3,4]", '{"a":1,"b":2,"c":3,"d":4}']
)
def test_string_array_and_object_bounds(data: str) -> None:
    """Strings and keys, arrays and object member counts are bounded."""
    assert refused(data, SMALL) is ErrorCode.LIMIT_EXCEEDED


def test_escaped_quotes_do_not_end_a_string_for_the_depth_count() -> None:
    """Brackets after an escaped quote are still inside the string."""
    flat = Limits(max_depth=1)
    assert decode_json('["\\"[[[[[[", "\\\\"]', flat) == ['"[[[[[[', "\\"]


@pytest.mark.parametrize("data", ['"\\' * 20, '"' * 21, '["\\"]', '"abc'])
def test_unterminated_strings_are_parse_errors(data: str) -> None:
    """An unterminated string ends the depth scan and fails in the parser."""
    assert refused(data) is ErrorCode.PARSE_ERROR


def test_nested_values_are_checked() -> None:
    """Bounds apply at every level, not only at the top."""
    assert refused('{"a":["aaaaaa"]}', SMALL) is ErrorCode.LIMIT_EXCEEDED


def test_non_frame_input_is_a_parse_error() -> None:
    """Only bytes and str are frames."""
    assert refused(42) is ErrorCode.PARSE_ERROR  # type: ignore[arg-type]


def test_encode_is_compact_and_keeps_unicode() -> None:
    """The encoder writes no spaces and no \\u escapes for non-ASCII text."""
    assert (
        encode_json({"a": [1, None, True], "ب": "ة", "t": ["x"]})
        == '{"a":[1,null,true],"ب":"ة","t":["x"]}'
    )


@pytest.mark.parametrize(
    "value", [1.5, b"x", {1: 2}, MAX_SAFE_INTEGER + 1, object(), [float("nan")]]
)
def test_encode_refuses_what_the_protocol_cannot_carry(value: object) -> None:
    """Floats, bytes, non-string keys and big integers are bugs in the caller."""
    with pytest.raises(TypeError):
        encode_json(value)  # type: ignore[arg-type]
