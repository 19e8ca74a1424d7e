"""Structured logging never writes secrets: PINs, nonces, tokens, signatures, hashes."""

from __future__ import annotations

import json
import logging

from bitaqa.agent.log import REDACTED, configure_logging, log_event, redact


def test_secret_looking_fields_are_redacted_at_any_depth():
    """Field names mentioning pin, nonce, token, signature, hash or signed request are masked."""
    fields = {
        "pin": "123456",
        "challengeNonce": "n" * 44,
        "signedRequest": "a.b.c",
        "authToken": "t",
        "signature": "s",
        "hash": "h",
        "method": "sign",
        "inner": {"pin_code": "1", "origin": "https://a.example"},
    }
    clean = redact(fields)
    assert clean["method"] == "sign"
    assert clean["inner"] == {"pin_code": REDACTED, "origin": "https://a.example"}
    assert {clean[k] for k in fields if k not in ("method", "inner")} == {REDACTED}


def test_log_lines_are_json_and_off_means_nothing(tmp_path):
    """configure_logging writes one JSON object per line; level 'off' writes nothing."""
    log_file = tmp_path / "agent.log"
    logger = logging.getLogger("bitaqa.test")
    configure_logging("info", log_file)
    log_event(logger, logging.INFO, "request", method="status", nonce="secret-nonce")
    configure_logging("off", log_file)
    log_event(logger, logging.ERROR, "never", method="status")
    configure_logging("warning", None)
    lines = log_file.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["event"] == "request"
    assert entry["nonce"] == REDACTED
