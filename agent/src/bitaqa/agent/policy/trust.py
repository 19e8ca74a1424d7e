"""Loading the trust list from the policy locations, with rollback protection and fallback.

Where things are (``system`` is the machine policy folder IT controls, ``user`` the resident's
agent folder):

* authority keys: ``<system>/authority-keys/<kid>.pem`` (public keys, installed with the agent),
  or the folder given by ``--authority-keys``; only ES256 / EdDSA keys count;
* signed lists (candidates): ``<system>/trust-list.jws``, ``<user>/trust-list.jws`` and the file
  given by ``--trust-list``;
* local IT additions: ``<system>/policy.json``
  (:func:`~bitaqa.protocol.trustlist.parse_local_policy`);
* state: ``<user>/trust-state.json`` (highest version accepted) and
  ``<user>/trust-list.last-good.jws`` (the last list accepted).

:meth:`TrustStore.reload` verifies every candidate, takes the highest version, refuses one below
the highest ever accepted (rollback), and otherwise falls back to the last good list.  Broken,
expired or rolled-back lists are *reported* — in :attr:`TrustStore.report` (which ``status``
returns) and in the log — and never stop the agent: without any list only local entries apply.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_public_key

from bitaqa.agent.log import log_event
from bitaqa.agent.policy._files import write_atomically
from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.signed_request import PublicKey
from bitaqa.protocol.trustlist import (
    LocalPolicy,
    TrustEntry,
    TrustList,
    TrustListRejectedError,
    choose_trust_list,
    effective_trust_list,
    parse_local_policy,
    parse_trust_list,
)

__all__ = ["TrustLocations", "TrustStore", "load_authority_keys"]

_logger = logging.getLogger("bitaqa.agent.policy.trust")


@dataclass(frozen=True)
class TrustLocations:
    """The files :class:`TrustStore` reads and writes."""

    system_dir: Path
    user_dir: Path
    extra_list: Path | None = None
    authority_keys_dir: Path | None = None

    @property
    def candidates(self) -> list[Path]:
        """Signed lists to consider, in order."""
        paths = [self.system_dir / "trust-list.jws", self.user_dir / "trust-list.jws"]
        return paths + ([self.extra_list] if self.extra_list else [])

    @property
    def policy(self) -> Path:
        """IT's local policy file."""
        return self.system_dir / "policy.json"

    @property
    def keys(self) -> Path:
        """The authority-key folder."""
        return self.authority_keys_dir or self.system_dir / "authority-keys"

    @property
    def state(self) -> Path:
        """The highest accepted version."""
        return self.user_dir / "trust-state.json"

    @property
    def last_good(self) -> Path:
        """A copy of the last accepted list."""
        return self.user_dir / "trust-list.last-good.jws"


def load_authority_keys(folder: Path) -> dict[str, PublicKey]:
    """``kid`` (file stem) → public key of every ``*.pem`` in ``folder``; bad files are logged."""
    keys: dict[str, PublicKey] = {}
    for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
        try:
            key = load_pem_public_key(path.read_bytes())
        except (OSError, ValueError):
            log_event(_logger, logging.WARNING, "authority-key-unreadable", file=str(path))
            continue
        keys[path.stem] = key  # type: ignore[assignment]  # parse_trust_list ignores other types
    return keys


@dataclass
class _Report:
    version: int = 0
    state: str = "none"
    problems: dict[str, str] = field(default_factory=dict)


class TrustStore:
    """The effective trust list, reloaded on demand and when the signed list expires."""

    def __init__(self, locations: TrustLocations, wall_clock: Callable[[], int]) -> None:
        self._locations = locations
        self._clock = wall_clock
        self._signed: TrustList | None = None
        self._effective = TrustList(version=0, issued_at=0, expires_at=0, entries=())
        self._origins: frozenset[str] = frozenset()
        self._report = _Report()
        self._listeners: list[Callable[[], None]] = []
        self.reload()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every later reload (SIGHUP, or the signed list expired)."""
        self._listeners.append(listener)

    # -- reading ----------------------------------------------------------------------------

    def _read(self, path: Path) -> str | None:
        try:
            return path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            self._report.problems[str(path)] = "UNREADABLE"
            return None

    def _verify(
        self, path: Path, keys: Mapping[str, PublicKey], now: int
    ) -> tuple[TrustList, str] | None:
        token = self._read(path)
        if token is None:
            return None
        try:
            return parse_trust_list(token, authority_keys=keys, now=now), token
        except TrustListRejectedError as error:
            self._report.problems[str(path)] = error.reason.value
            return None

    def _highest_accepted(self) -> int | None:
        try:
            value = json.loads(self._locations.state.read_bytes()).get("highestVersion")
        except (OSError, ValueError, AttributeError):
            return None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _local_policy(self) -> LocalPolicy | None:
        try:
            return parse_local_policy(self._locations.policy.read_bytes())
        except FileNotFoundError:
            return None
        except OSError:
            self._report.problems[str(self._locations.policy)] = "UNREADABLE"
        except TrustListRejectedError as error:
            self._report.problems[str(self._locations.policy)] = error.reason.value
        return None

    # -- choosing ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read every location and rebuild the effective list; never raises for bad files."""
        self._report = _Report()
        now = self._clock()
        keys = load_authority_keys(self._locations.keys)
        highest = self._highest_accepted()
        verified = [
            found
            for found in (self._verify(path, keys, now) for path in self._locations.candidates)
            if found is not None
        ]
        chosen: tuple[TrustList, str] | None = None
        for trust_list, token in sorted(verified, key=lambda pair: -pair[0].version):
            try:
                chosen = (choose_trust_list(highest, trust_list), token)
                break
            except TrustListRejectedError as error:
                self._report.problems[f"version {trust_list.version}"] = error.reason.value
        if chosen is not None:
            self._signed = chosen[0]
            self._report.state = "ok"
            try:
                self._remember(*chosen)
            except OSError:
                self._report.problems[str(self._locations.state)] = "NOT_SAVED"
        else:
            fallback = self._verify(self._locations.last_good, keys, now)
            self._signed = fallback[0] if fallback else None
            self._report.state = "fallback" if fallback else "none"
        self._effective = effective_trust_list(self._signed, self._local_policy())
        self._origins = frozenset(entry.origin for entry in self._effective.entries)
        self._report.version = self._effective.version
        level = logging.WARNING if self._report.problems else logging.INFO
        log_event(
            _logger,
            level,
            "trust-list-loaded",
            version=self._report.version,
            state=self._report.state,
            origins=len(self._origins),
            problems=self._report.problems,
        )
        for listener in self._listeners:
            listener()

    def _remember(self, trust_list: TrustList, token: str) -> None:
        highest = self._highest_accepted()
        if highest is None or trust_list.version > highest:
            write_atomically(
                self._locations.state,
                json.dumps({"highestVersion": trust_list.version}).encode(),
            )
        if self._read(self._locations.last_good) != token:
            write_atomically(self._locations.last_good, token.encode("ascii"))

    def _refresh_if_expired(self) -> None:
        if self._signed is not None and self._clock() >= self._signed.expires_at:
            self.reload()

    # -- the view the server and the gate use -------------------------------------------------

    def origins(self) -> frozenset[str]:
        """Origins on the effective list (the handshake's allowlist)."""
        self._refresh_if_expired()
        return self._origins

    def entry(self, origin: str) -> TrustEntry | None:
        """The effective entry for exactly ``origin``."""
        self._refresh_if_expired()
        return self._effective.entry_for(origin)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The distinct problem reasons of the last reload, without where they occurred."""
        return tuple(sorted(set(self._report.problems.values())))

    @property
    def version(self) -> int:
        """The effective trust list's version (0 when only local entries apply)."""
        return self._report.version

    @property
    def state(self) -> str:
        """``ok``, ``fallback`` (last good list) or ``none``."""
        return self._report.state

    @property
    def report(self) -> Mapping[str, JSONValue]:
        """``{"version", "state": ok | fallback | none, "problems": {where: REASON}}``.

        For the log and ``bitaqa doctor``; pages get :attr:`version`, :attr:`state` and
        :attr:`reasons` only.
        """
        return {
            "version": self._report.version,
            "state": self._report.state,
            "problems": dict(self._report.problems),
        }
