"""The ErrorCode enum, protocol/error-codes.json and the table in SPEC.md are the same table."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bitaqa.protocol.errors import ErrorCode

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"
TABLE = json.loads((PROTOCOL / "error-codes.json").read_text())["codes"]


def test_enum_matches_the_json_table_in_order() -> None:
    """Every code has the same name and number, in the same order, in Python and in JSON."""
    assert [(code.name, code.number) for code in ErrorCode] == [
        (entry["name"], entry["number"]) for entry in TABLE
    ]


def test_spec_table_lists_every_code_with_its_number() -> None:
    """SPEC.md §10 has one row per code, `| NAME | number | ...`, and no other."""
    spec = (PROTOCOL / "SPEC.md").read_text()
    rows = re.findall(r"^\| `([A-Z_]+)` \| (-?\d+) \|", spec, flags=re.MULTILINE)
    assert [(name, int(number)) for name, number in rows] == [
        (entry["name"], entry["number"]) for entry in TABLE
    ]


def test_unknown_numbers_read_as_internal_error() -> None:
    """A client that meets a code from a newer agent treats it as INTERNAL_ERROR."""
    assert ErrorCode.from_number(4242) is ErrorCode.INTERNAL_ERROR
    assert ErrorCode.from_number(1201) is ErrorCode.PIN_INCORRECT
