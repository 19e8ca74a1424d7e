"""The card error tree matches the shared wire error table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bitaqa.agent.cards import errors

TABLE = Path(__file__).parents[3] / "protocol" / "error-codes.json"


def _table() -> dict[str, bool]:
    codes = json.loads(TABLE.read_text(encoding="utf-8"))["codes"]
    return {entry["name"]: entry["retriable"] for entry in codes}


@pytest.mark.parametrize("name", errors.__all__)
def test_each_card_error_has_the_wire_code_and_retriability_of_the_table(name):
    """Every class in the tree carries a code from error-codes.json and its retriable flag."""
    error_class = getattr(errors, name)
    table = _table()
    assert error_class.code.name in table
    assert error_class.retriable is table[error_class.code.name]


def test_distinct_failures_have_distinct_classes_with_the_expected_codes():
    """Removal, reader loss, service loss and PIN states are told apart."""
    expected = {
        errors.PcscUnavailable: "PCSC_UNAVAILABLE",
        errors.NoReader: "NO_READER",
        errors.NoCard: "NO_CARD",
        errors.UnknownCard: "UNKNOWN_CARD",
        errors.CardRemoved: "CARD_REMOVED",
        errors.ReaderRemoved: "CARD_REMOVED",
        errors.CardCommunicationError: "CARD_ERROR",
        errors.PinNotVerified: "CARD_ERROR",
        errors.PinIncorrect: "PIN_INCORRECT",
        errors.PinBlocked: "PIN_BLOCKED",
        errors.CertificateMismatch: "CERTIFICATE_MISMATCH",
        errors.OperationNotSupported: "OPERATION_NOT_SUPPORTED",
    }
    assert {cls: cls.code.name for cls in expected} == expected


def test_wrong_pin_carries_tries_left_for_the_wire_and_is_retriable():
    """PinIncorrect(2) says triesLeft 2; PinBlocked is fatal."""
    wrong = errors.PinIncorrect(2)
    assert wrong.wire_data == {"triesLeft": 2}
    assert wrong.retriable
    assert not wrong.fatal
    assert errors.PinBlocked().fatal
    assert errors.CardRemoved().wire_data == {}
