"""The signed-request replay cache, kept on disk so that it survives a restart (invariant 5).

A signed request lives at most 300 s (+30 s skew); if the agent restarted with an empty cache, a
request used just before the restart could be replayed just after it.  :class:`FileReplayCache`
wraps the core's :class:`~bitaqa.protocol.signed_request.MemoryReplayCache` and, before it
accepts a new ``jti``, writes every unexpired ``jti`` → ``expires_at`` pair to ``replay.json``
(write temp + fsync + rename): a request is only ever answered after its ``jti`` is on disk.

If the file cannot be written the request is refused (fail closed).  A file that cannot be read
at start is reported in the log and replaced; the entries it held are lost, which is why the
agent also refuses to start serving until it has tried to load it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bitaqa.agent.log import log_event
from bitaqa.agent.policy._files import write_atomically
from bitaqa.protocol.signed_request import MemoryReplayCache

__all__ = ["FileReplayCache"]

_logger = logging.getLogger("bitaqa.agent.policy.replay")


class FileReplayCache:
    """A :class:`~bitaqa.protocol.signed_request.ReplayCache` persisted to one JSON file."""

    def __init__(self, path: Path, now: int, max_entries: int = 100_000) -> None:
        self._path = path
        self.state = "ok"
        self._memory = MemoryReplayCache(max_entries, self._load())
        self._memory.purge(now)

    def _load(self) -> dict[str, int]:
        try:
            document = json.loads(self._path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return self._unreadable()
        entries = document.get("entries") if isinstance(document, dict) else None
        if not isinstance(entries, dict) or not all(
            isinstance(jti, str) and isinstance(until, int) and not isinstance(until, bool)
            for jti, until in entries.items()
        ):
            return self._unreadable()
        return entries

    def _unreadable(self) -> dict[str, int]:
        self.state = "unreadable"
        log_event(_logger, logging.WARNING, "replay-cache-unreadable", file=str(self._path))
        return {}

    def check_and_remember(self, jti: str, expires_at: int, now: int) -> bool:
        """Refuse a known ``jti``; otherwise persist it, then accept it."""
        self._memory.purge(now)
        previous = self._memory.entries
        if not self._memory.check_and_remember(jti, expires_at, now):
            return False
        try:
            document = {"format": 1, "entries": self._memory.entries}
            write_atomically(self._path, json.dumps(document, sort_keys=True).encode())
        except OSError:
            log_event(_logger, logging.ERROR, "replay-cache-write-failed", file=str(self._path))
            self._memory = MemoryReplayCache(self._memory.max_entries, previous)
            return False
        return True

    def __len__(self) -> int:
        return len(self._memory.entries)
