"""Remembered consent decisions per origin, stored tamper-evident (invariant 7).

The file ``consent.json`` holds ``{"format": 1, "key": storage, "decisions": {origin: "allow" |
"deny"}, "mac": hex}``, where ``mac`` is HMAC-SHA256 over the canonical JSON of ``decisions`` with
a 32-byte key.
The key lives in the OS keyring (``keyring``: Windows Credential Manager, macOS Keychain, Secret
Service); only where no keyring backend works does it fall back to ``consent.key`` next to the
file (mode 0600), and the agent logs that it did.  The fallback only detects casual edits: anyone
who can read the key file can forge the MAC (same-user malware is out of scope, BRIEF.md).

Both answers are written: "always allow" as ``"allow"`` and "deny" as ``"deny"``, so a denial
outlives the agent like an allow does.  Decisions are per origin, not per operation.  The tray
lists both ("Allowed sites", "Blocked sites") and revokes either; a revoked deny means the origin is
asked again on its next use.

A file whose MAC does not verify, or that cannot be parsed, is reported (``state`` becomes
``"tampered"`` or ``"unreadable"``, and a warning is logged) and treated as empty: every origin is
asked again.  It is never a reason to crash.

The file also names the key storage that signed it (``"key": "keyring" | "file"``).  When that
storage cannot give its key now — the keyring failed at logon, say — the decisions are not lost:
``state`` becomes ``"unavailable"``, every origin is asked again for this run, and the file is
left untouched (answers are kept in memory only) until a later start can read the key again.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

from bitaqa.agent.log import log_event
from bitaqa.agent.policy._files import write_atomically

__all__ = ["ConsentKeySource", "ConsentStore", "Decision", "file_key", "keyring_key"]

_logger = logging.getLogger("bitaqa.agent.policy.consent")
_KEYRING_SERVICE = "bitaqa-agent"
_KEYRING_USER = "consent-hmac-key"

ConsentKeySource = Callable[[], bytes | None]
"""Returns the HMAC key (creating it on first use), or None when it has no storage."""


class Decision(enum.Enum):
    """A remembered answer for one origin."""

    ALLOW = "allow"
    DENY = "deny"


def keyring_key() -> bytes | None:
    """The HMAC key from the OS keyring, created on first use; None if no keyring works."""
    import keyring  # noqa: PLC0415  # loading the keyring backends is slow; only when needed
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        stored = keyring.get_password(_KEYRING_SERVICE, _KEYRING_USER)
        if stored is None:
            stored = secrets.token_hex(32)
            keyring.set_password(_KEYRING_SERVICE, _KEYRING_USER, stored)
        return bytes.fromhex(stored)
    except (KeyringError, ValueError, RuntimeError, OSError):
        return None


def file_key(path: Path) -> ConsentKeySource:
    """A key source that keeps the key in ``path`` (the no-keyring fallback)."""

    def load() -> bytes:
        try:
            key = bytes.fromhex(path.read_text().strip())
            if len(key) == 32:
                return key
        except (OSError, ValueError):
            pass
        key = secrets.token_bytes(32)
        write_atomically(path, key.hex().encode())
        return key

    return load


def _canonical(decisions: dict[str, str]) -> bytes:
    return json.dumps(decisions, sort_keys=True, separators=(",", ":")).encode()


class ConsentStore:
    """Remembered decisions, loaded once and written through on every change.

    Thread-safe: the tray lists and revokes sites from its own thread.

    Args:
        path: the ``consent.json`` file.
        key_sources: ``(name, source)`` pairs tried in order; the first that yields a key is
            used and its name kept in ``key_storage``.  The app passes ``[("keyring",
            keyring_key), ("file", file_key(...))]``; using the ``"file"`` source is logged.
    """

    def __init__(self, path: Path, key_sources: list[tuple[str, ConsentKeySource]]) -> None:
        self._path = path
        self._key, self.key_storage = self._first_key(key_sources)
        self._decisions: dict[str, Decision] = {}
        self._lock = threading.Lock()  # the tray reads and revokes from its own thread
        self._read_only = False  # the file was signed with a key we cannot read now
        self.state = "ok"
        self._listeners: list[Callable[[], None]] = []
        self._load()

    @staticmethod
    def _first_key(sources: list[tuple[str, ConsentKeySource]]) -> tuple[bytes, str]:
        for name, source in sources:
            key = source()
            if key is not None:
                if name == "file":
                    log_event(_logger, logging.WARNING, "consent-key-in-file", reason="no keyring")
                return key, name
        raise RuntimeError("no consent key source produced a key")

    def _mac(self, decisions: dict[str, str]) -> str:
        return hmac.new(self._key, _canonical(decisions), hashlib.sha256).hexdigest()

    def _load(self) -> None:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return
        except OSError:
            self._report("unreadable")
            return
        try:
            document = json.loads(raw)
            decisions = document["decisions"]
            mac = document["mac"]
            if not (isinstance(decisions, dict) and isinstance(mac, str)):
                raise TypeError("bad shape")
            if not all(isinstance(v, str) for v in decisions.values()):
                raise TypeError("bad decision")
            signed_with = document.get("key", self.key_storage)
            if signed_with != self.key_storage:
                self._read_only = True
                self._report("unavailable")
                return
            if not hmac.compare_digest(mac, self._mac(decisions)):
                self._report("tampered")
                return
            self._decisions = {origin: Decision(value) for origin, value in decisions.items()}
        except (ValueError, KeyError, TypeError):
            self._report("unreadable")

    def _report(self, state: str) -> None:
        self.state = state
        log_event(
            _logger, logging.WARNING, "consent-store-reset", state=state, file=str(self._path)
        )

    def _save(self) -> None:
        if self._read_only:
            return
        decisions = {origin: decision.value for origin, decision in self._decisions.items()}
        document = {
            "format": 1,
            "key": self.key_storage,
            "decisions": decisions,
            "mac": self._mac(decisions),
        }
        write_atomically(self._path, json.dumps(document, indent=1, sort_keys=True).encode())

    def decision(self, origin: str) -> Decision | None:
        """The remembered decision for ``origin``, or None if it must be asked."""
        with self._lock:
            return self._decisions.get(origin)

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every change of the remembered decisions (the tray's menu)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def remember(self, origin: str, decision: Decision) -> None:
        """Remember ``decision`` for ``origin`` (replacing any earlier one) and write the file."""
        with self._lock:
            self._decisions[origin] = decision
            self._save()
        self._changed()

    def allowed(self) -> list[str]:
        """Origins remembered as allowed, sorted."""
        with self._lock:
            return sorted(o for o, d in self._decisions.items() if d is Decision.ALLOW)

    def blocked(self) -> list[str]:
        """Origins remembered as denied, sorted."""
        with self._lock:
            return sorted(o for o, d in self._decisions.items() if d is Decision.DENY)

    def remembered(self) -> dict[str, Decision]:
        """Every remembered decision."""
        with self._lock:
            return dict(self._decisions)

    def revoke(self, origin: str) -> None:
        """Forget ``origin``'s decision (allowed or denied) and write the file."""
        with self._lock:
            forgotten = self._decisions.pop(origin, None) is not None
            if forgotten:
                self._save()
        if forgotten:
            self._changed()
