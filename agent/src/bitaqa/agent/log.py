"""Structured logging for the agent: one JSON object per line, minimal by default.

Every record is an *event* name plus fields (``log_event(logger, logging.INFO, "request",
method="sign", origin=...)``).  Fields whose name says they carry a secret or a one-time value
(PINs, nonces, tokens, signatures, signed requests, hashes) are replaced by ``"[redacted]"``
before they reach any handler, so a careless call cannot leak them.  The agent never passes a PIN
to the logger at all (invariant 6); redaction is the second line of defence.

Levels: ``off`` (nothing), ``error``, ``warning`` (the default: failures and security refusals),
``info`` (one line per request and connection), ``debug`` (more detail, still redacted).
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["LEVELS", "REDACTED", "configure_logging", "log_event", "redact"]

REDACTED = "[redacted]"
LEVELS = {
    "off": logging.CRITICAL + 10,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}
_SECRET_WORDS = ("pin", "nonce", "token", "signature", "jws", "signedrequest", "hash", "secret")


def redact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Copy ``fields`` with every secret-looking key's value replaced by :data:`REDACTED`."""
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        lowered = key.lower().replace("_", "")
        if any(word in lowered for word in _SECRET_WORDS):
            clean[key] = REDACTED
        elif isinstance(value, Mapping):
            clean[key] = redact(value)
        else:
            clean[key] = value
    return clean


def log_event(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    """Log ``event`` with redacted ``fields`` at ``level``."""
    if logger.isEnabledFor(level):
        logger.log(level, event, extra={"bitaqa_fields": redact(fields)})


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update(getattr(record, "bitaqa_fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, log_file: Path | None) -> None:
    """Send the ``bitaqa`` loggers to stderr and, if given, ``log_file`` as JSON lines."""
    root = logging.getLogger("bitaqa")
    root.setLevel(LEVELS[level])
    root.propagate = False
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(_JsonLines())
        root.addHandler(handler)
    # websockets logs handshake failures with request details at INFO; keep it quiet.
    logging.getLogger("websockets").setLevel(max(LEVELS[level], logging.WARNING))
